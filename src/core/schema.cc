#include "core/schema.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "core/schema_internal.h"

namespace plumb {

namespace internal {

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string IndexField(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

}  // namespace internal

namespace {

using internal::IndexField;
using internal::IsValidName;
using nlohmann::json;

struct ControlTypeInfo {
  ControlType type;
  std::string_view name;
  bool labels;
  bool region;
};

constexpr ControlTypeInfo kControlTypes[] = {
    {ControlType::kChoice, "choice", true, false},
    {ControlType::kBbox, "bbox", true, true},
    {ControlType::kPolygon, "polygon", true, true},
    {ControlType::kKeypoint, "keypoint", true, true},
    {ControlType::kSpan, "span", true, true},
    {ControlType::kText, "text", false, false},
    {ControlType::kRating, "rating", false, false},
};

constexpr std::string_view kMediaKindNames[] = {"", "image", "video", "text", "audio"};

// The media a control type may label: the first is its default.
std::vector<MediaKind> MediaKindsOf(ControlType type) {
  switch (type) {
    case ControlType::kBbox:
      return {MediaKind::kImage, MediaKind::kVideo};
    case ControlType::kPolygon:
    case ControlType::kKeypoint:
      return {MediaKind::kImage};
    case ControlType::kSpan:
      return {MediaKind::kText, MediaKind::kAudio};
    default:
      return {};
  }
}

// Reads the optional `media` of a control into c.media (its type's default
// when absent).
Status ReadMedia(const json& j, const std::string& field, Control& c) {
  std::vector<MediaKind> kinds = MediaKindsOf(c.type);
  c.media = kinds.empty() ? MediaKind::kNone : kinds.front();
  auto media = j.find("media");
  if (media == j.end()) return Status::Ok();
  std::string allowed;
  for (MediaKind k : kinds) {
    std::string_view name = MediaKindName(k);
    if (media->is_string() && *media == name) {
      c.media = k;
      return Status::Ok();
    }
    allowed += (allowed.empty() ? "" : " or ") + std::string(name);
  }
  return Status::InvalidArgument(
      std::string(ControlTypeName(c.type)) + " controls label " + allowed + " media",
      field + ".media");
}

const ControlTypeInfo& Info(ControlType type) { return kControlTypes[static_cast<size_t>(type)]; }

std::string SupportedTypes() {
  std::string out;
  for (const ControlTypeInfo& info : kControlTypes) {
    out += (out.empty() ? "" : ", ") + std::string(info.name);
  }
  return out;
}

constexpr std::string_view kAttributeTypes[] = {"boolean", "enum", "string"};

// A non-empty list of unique non-empty strings of at most kMaxLabelLength
// bytes: the labels of a control, the values of an enum attribute.
Result<std::vector<std::string>> ParseStringList(const json& j, const std::string& field) {
  if (!j.is_array() || j.empty()) {
    return Status::InvalidArgument("must be a non-empty list", field);
  }
  if (j.size() > kMaxLabels) return Status::InvalidArgument("at most 1000 entries", field);
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& l = j[i];
    std::string lf = IndexField(field, i);
    if (!l.is_string() || l.get<std::string>().empty() ||
        l.get<std::string>().size() > kMaxLabelLength) {
      return Status::InvalidArgument("a label must be a non-empty string of at most 200 bytes", lf);
    }
    if (!seen.insert(l.get<std::string>()).second) {
      return Status::InvalidArgument("duplicate label '" + l.get<std::string>() + "'", lf);
    }
    out.push_back(l.get<std::string>());
  }
  return out;
}

// Reads an optional integer `key` of `obj` in [min, max] into *target.
template <typename Int>
Status ReadBoundedInt(const json& obj, const char* key, int64_t min, int64_t max,
                      const std::string& prefix, Int* target) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Status::InvalidArgument(std::string(key) + " must be an integer from " +
                                       std::to_string(min) + " to " + std::to_string(max),
                                   prefix + "." + key);
  }
  *target = static_cast<Int>(it->get<int64_t>());
  return Status::Ok();
}

// Reads an optional number `key` of `obj`, in [min, max], into *target.
Status ReadBoundedDouble(const json& obj, const char* key, double min, double max,
                         const std::string& prefix, double* target) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_number() || it->get<double>() < min || it->get<double>() > max) {
    std::ostringstream msg;
    msg << key << " must be a number from " << min << " to " << max;
    return Status::InvalidArgument(msg.str(), prefix + "." + key);
  }
  *target = it->get<double>();
  return Status::Ok();
}

// Reads an optional boolean `key` of `obj` into *target.
Status ReadBool(const json& obj, const char* key, const std::string& prefix, bool* target) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Ok();
  if (!it->is_boolean()) {
    return Status::InvalidArgument(std::string(key) + " must be true or false", prefix + "." + key);
  }
  *target = it->get<bool>();
  return Status::Ok();
}

// The `name` of a control or attribute (`what`).
Result<std::string> ReadName(const json& j, const std::string& what, const std::string& field) {
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !IsValidName(name->get<std::string>())) {
    return Status::InvalidArgument(
        what + " name must be 1-64 characters of letters, digits, '_' or '-'", field + ".name");
  }
  return name->get<std::string>();
}

Result<Attribute> ParseAttribute(const json& j, const std::string& field) {
  if (!j.is_object()) return Status::InvalidArgument("an attribute must be an object", field);
  Attribute a;
  PLUMB_ASSIGN_OR_RETURN(a.name, ReadName(j, "attribute", field));
  auto type = j.find("type");
  auto known = type != j.end() && type->is_string()
                   ? std::find(std::begin(kAttributeTypes), std::end(kAttributeTypes),
                               type->get<std::string>())
                   : std::end(kAttributeTypes);
  if (known == std::end(kAttributeTypes)) {
    return Status::InvalidArgument("attribute type must be boolean, enum or string",
                                   field + ".type");
  }
  a.type = static_cast<AttributeType>(known - std::begin(kAttributeTypes));
  auto values = j.find("values");
  if (a.type == AttributeType::kEnum) {
    if (values == j.end()) {
      return Status::InvalidArgument("an enum attribute needs values", field + ".values");
    }
    PLUMB_ASSIGN_OR_RETURN(a.values, ParseStringList(*values, field + ".values"));
  } else if (values != j.end()) {
    return Status::InvalidArgument("values apply to enum attributes only", field + ".values");
  }
  return a;
}

// Rejects `key` on a control whose type does not use it, so that a typo in the
// type does not silently drop an option.
Status CheckApplies(const json& j, const char* key, bool applies, ControlType type,
                    const std::string& field) {
  if (applies || !j.contains(key)) return Status::Ok();
  return Status::InvalidArgument(
      std::string(key) + " does not apply to " + std::string(ControlTypeName(type)) + " controls",
      field + "." + key);
}

Result<Control> ParseControl(const json& j, const std::string& field) {
  if (!j.is_object()) return Status::InvalidArgument("a control must be an object", field);
  Control c;
  PLUMB_ASSIGN_OR_RETURN(c.name, ReadName(j, "control", field));
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return Status::InvalidArgument("control type is required", field + ".type");
  }
  auto info = std::find_if(std::begin(kControlTypes), std::end(kControlTypes),
                           [&](const ControlTypeInfo& i) { return i.name == *type; });
  if (info == std::end(kControlTypes)) {
    return Status::InvalidArgument("unsupported control type '" + type->get<std::string>() +
                                       "' (supported: " + SupportedTypes() + ")",
                                   field + ".type");
  }
  c.type = info->type;
  c.required = !info->region;
  auto source = j.find("source");
  if (source == j.end() || !source->is_string() || !IsValidName(source->get<std::string>())) {
    return Status::InvalidArgument("source must name a task data field", field + ".source");
  }
  c.source = source->get<std::string>();
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "labels", info->labels, c.type, field));
  if (info->labels) {
    auto labels = j.find("labels");
    if (labels == j.end()) {
      return Status::InvalidArgument("labels must be a non-empty list", field + ".labels");
    }
    PLUMB_ASSIGN_OR_RETURN(c.labels, ParseStringList(*labels, field + ".labels"));
  }
  PLUMB_RETURN_IF_ERROR(ReadBool(j, "required", field, &c.required));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "multiple", c.type == ControlType::kChoice, c.type, field));
  PLUMB_RETURN_IF_ERROR(ReadBool(j, "multiple", field, &c.multiple));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "media", !MediaKindsOf(c.type).empty(), c.type, field));
  PLUMB_RETURN_IF_ERROR(ReadMedia(j, field, c));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "overlap", c.type == ControlType::kSpan, c.type, field));
  PLUMB_RETURN_IF_ERROR(ReadBool(j, "overlap", field, &c.overlap));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "max", c.type == ControlType::kRating, c.type, field));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "max", 1, kMaxRating, field, &c.max));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "max_length", c.type == ControlType::kText, c.type, field));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "max_length", 1, kMaxTextLength, field, &c.max_length));
  PLUMB_RETURN_IF_ERROR(CheckApplies(j, "attributes", info->region, c.type, field));
  if (auto attrs = j.find("attributes"); attrs != j.end()) {
    std::string af = field + ".attributes";
    if (!attrs->is_array()) return Status::InvalidArgument("attributes must be a list", af);
    if (attrs->size() > kMaxAttributes) return Status::InvalidArgument("at most 50 attributes", af);
    for (size_t i = 0; i < attrs->size(); ++i) {
      PLUMB_ASSIGN_OR_RETURN(Attribute a, ParseAttribute((*attrs)[i], IndexField(af, i)));
      if (c.FindAttribute(a.name) != nullptr) {
        return Status::InvalidArgument("duplicate attribute '" + a.name + "'",
                                       IndexField(af, i) + ".name");
      }
      c.attributes.push_back(std::move(a));
    }
  }
  return c;
}

}  // namespace

std::string_view ControlTypeName(ControlType type) { return Info(type).name; }
std::string_view MediaKindName(MediaKind kind) {
  return kMediaKindNames[static_cast<size_t>(kind)];
}
bool IsRegionControl(ControlType type) { return Info(type).region; }
bool HasLabels(ControlType type) { return Info(type).labels; }

const Attribute* Control::FindAttribute(std::string_view name) const {
  for (const Attribute& a : attributes) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const Control* Schema::FindControl(std::string_view name) const {
  for (const Control& c : controls) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<std::string> Schema::SourceFields() const {
  std::vector<std::string> out;
  for (const Control& c : controls) {
    if (std::find(out.begin(), out.end(), c.source) == out.end()) out.push_back(c.source);
  }
  return out;
}

Result<Schema> ParseSchema(std::string_view json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("schema is not valid JSON", "schema");
  if (!j.is_object()) return Status::InvalidArgument("schema must be an object", "schema");
  auto controls = j.find("controls");
  if (controls == j.end() || !controls->is_array() || controls->empty()) {
    return Status::InvalidArgument("schema needs a non-empty list of controls", "schema.controls");
  }
  if (controls->size() > kMaxControls) {
    return Status::InvalidArgument("at most 50 controls", "schema.controls");
  }
  Schema schema;
  std::set<std::string> names;
  const Control* visual = nullptr;  // the first control over an image or a video
  for (size_t i = 0; i < controls->size(); ++i) {
    std::string field = IndexField("schema.controls", i);
    PLUMB_ASSIGN_OR_RETURN(Control c, ParseControl((*controls)[i], field));
    if (!names.insert(c.name).second) {
      return Status::InvalidArgument("duplicate control name '" + c.name + "'", field + ".name");
    }
    schema.controls.push_back(std::move(c));
  }
  for (size_t i = 0; i < schema.controls.size(); ++i) {
    const Control& c = schema.controls[i];
    if (c.media != MediaKind::kImage && c.media != MediaKind::kVideo) continue;
    if (visual == nullptr) {
      visual = &c;
    } else if (c.source != visual->source || c.media != visual->media) {
      // One annotation carries one media object (its natural size).
      return Status::InvalidArgument("region controls over images and videos must all label '" +
                                         visual->source + "' as " +
                                         std::string(MediaKindName(visual->media)),
                                     IndexField("schema.controls", i) + ".source");
    }
  }
  return schema;
}

Result<std::shared_ptr<const Schema>> ParseSchemaCached(std::string_view json_text) {
  // A few hundred schemas at most are live at once; past that the cache
  // starts over rather than tracking use.
  constexpr size_t kMaxCached = 256;
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const Schema>> cache;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto it = cache.find(std::string(json_text));
    if (it != cache.end()) return it->second;
  }
  PLUMB_ASSIGN_OR_RETURN(Schema schema, ParseSchema(json_text));
  auto parsed = std::make_shared<const Schema>(std::move(schema));
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= kMaxCached) cache.clear();
  cache.emplace(std::string(json_text), parsed);
  return parsed;
}

std::string SchemaToJson(const Schema& schema) {
  json controls = json::array();
  for (const Control& c : schema.controls) {
    json out = {{"name", c.name},
                {"type", ControlTypeName(c.type)},
                {"source", c.source},
                {"required", c.required}};
    if (HasLabels(c.type)) out["labels"] = c.labels;
    if (c.type == ControlType::kChoice) out["multiple"] = c.multiple;
    if (c.media != MediaKind::kNone) out["media"] = MediaKindName(c.media);
    if (c.type == ControlType::kSpan) out["overlap"] = c.overlap;
    if (c.type == ControlType::kRating) out["max"] = c.max;
    if (c.type == ControlType::kText) out["max_length"] = c.max_length;
    if (IsRegionControl(c.type)) {
      json attrs = json::array();
      for (const Attribute& a : c.attributes) {
        json attr = {{"name", a.name}, {"type", kAttributeTypes[static_cast<size_t>(a.type)]}};
        if (a.type == AttributeType::kEnum) attr["values"] = a.values;
        attrs.push_back(std::move(attr));
      }
      out["attributes"] = std::move(attrs);
    }
    controls.push_back(std::move(out));
  }
  return json{{"controls", controls}}.dump();
}

Result<ProjectSettings> ParseSettings(std::string_view json_text, ProjectSettings base) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("settings must be a JSON object", "settings");
  }
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "overlap", 1, 100, "settings", &base.overlap));
  PLUMB_RETURN_IF_ERROR(
      ReadBoundedInt(j, "lease_seconds", 10, 86400, "settings", &base.lease_seconds));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "review_share", 0, 100, "settings", &base.review_share));
  PLUMB_RETURN_IF_ERROR(ReadBoundedDouble(j, "golden_rate", 0, 1, "settings", &base.golden_rate));
  PLUMB_RETURN_IF_ERROR(ReadBoundedDouble(j, "agreement_threshold", 0, 1, "settings",
                                          &base.agreement_threshold));
  // Below 0.05 nearly any two regions would count as one.
  PLUMB_RETURN_IF_ERROR(
      ReadBoundedDouble(j, "iou_threshold", 0.05, 1, "settings", &base.iou_threshold));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "deadline_warning_seconds", 0, 30 * 86400, "settings",
                                       &base.deadline_warning_seconds));
  // Training and qualification (docs/training.md).
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "qualification_set_id", 0, INT64_MAX, "settings",
                                       &base.qualification_set_id));
  PLUMB_RETURN_IF_ERROR(ReadBoundedDouble(j, "qualification_pass_mark", 0, 1, "settings",
                                          &base.qualification_pass_mark));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "qualification_retry_seconds", 0, 30 * 86400, "settings",
                                       &base.qualification_retry_seconds));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "qualification_retry_practice", 0, 1000, "settings",
                                       &base.qualification_retry_practice));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "qualification_min_version", 0, INT64_MAX, "settings",
                                       &base.qualification_min_version));
  PLUMB_RETURN_IF_ERROR(ReadBool(j, "requalify_on_new_instructions", "settings",
                                 &base.requalify_on_new_instructions));
  PLUMB_RETURN_IF_ERROR(
      ReadBoundedDouble(j, "pause_threshold", 0, 1, "settings", &base.pause_threshold));
  PLUMB_RETURN_IF_ERROR(ReadBoundedInt(j, "pause_window", 1, 1000, "settings", &base.pause_window));
  if (auto it = j.find("consensus"); it != j.end()) {
    if (*it == "majority") {
      base.consensus = ConsensusMethod::kMajority;
    } else if (*it == "dawid_skene") {
      base.consensus = ConsensusMethod::kDawidSkene;
    } else {
      return Status::InvalidArgument("consensus must be \"majority\" or \"dawid_skene\"",
                                     "settings.consensus");
    }
  }
  if (auto it = j.find("queue_order"); it != j.end()) {
    if (*it == "import") {
      base.queue_order = QueueOrder::kImport;
    } else if (*it == "uncertainty") {
      base.queue_order = QueueOrder::kUncertainty;
    } else {
      return Status::InvalidArgument("queue_order must be \"import\" or \"uncertainty\"",
                                     "settings.queue_order");
    }
  }
  if (auto it = j.find("uncertainty"); it != j.end()) {
    if (*it == "margin") {
      base.uncertainty = UncertaintyKind::kMargin;
    } else if (*it == "entropy") {
      base.uncertainty = UncertaintyKind::kEntropy;
    } else {
      return Status::InvalidArgument("uncertainty must be \"margin\" or \"entropy\"",
                                     "settings.uncertainty");
    }
  }
  if (auto it = j.find("learner_control"); it != j.end()) {
    // null and "" both turn the learner setting off; the name is checked
    // against the schema by the caller, who has it.
    if (it->is_null()) {
      base.learner_control.clear();
    } else if (!it->is_string() || it->get_ref<const std::string&>().size() > 200) {
      return Status::InvalidArgument("learner_control must be a control's name or null",
                                     "settings.learner_control");
    } else {
      base.learner_control = it->get<std::string>();
    }
  }
  return base;
}

std::string SettingsToJson(const ProjectSettings& settings) {
  return json{{"overlap", settings.overlap},
              {"lease_seconds", settings.lease_seconds},
              {"review_share", settings.review_share},
              {"golden_rate", settings.golden_rate},
              {"consensus", ConsensusMethodName(settings.consensus)},
              {"agreement_threshold", settings.agreement_threshold},
              {"iou_threshold", settings.iou_threshold},
              {"deadline_warning_seconds", settings.deadline_warning_seconds},
              {"qualification_set_id", settings.qualification_set_id},
              {"qualification_pass_mark", settings.qualification_pass_mark},
              {"qualification_retry_seconds", settings.qualification_retry_seconds},
              {"qualification_retry_practice", settings.qualification_retry_practice},
              {"qualification_min_version", settings.qualification_min_version},
              {"requalify_on_new_instructions", settings.requalify_on_new_instructions},
              {"pause_threshold", settings.pause_threshold},
              {"pause_window", settings.pause_window},
              {"queue_order", QueueOrderName(settings.queue_order)},
              {"uncertainty", UncertaintyKindName(settings.uncertainty)},
              {"learner_control",
               settings.learner_control.empty() ? json(nullptr) : json(settings.learner_control)}}
      .dump();
}

Status CheckSettingsWithSchema(const ProjectSettings& settings, const Schema& schema) {
  if (!settings.learner_control.empty()) {
    auto it = std::find_if(schema.controls.begin(), schema.controls.end(),
                           [&](const Control& c) { return c.name == settings.learner_control; });
    if (it == schema.controls.end() || it->type != ControlType::kChoice) {
      return Status::InvalidArgument("learner_control must name a choice control of the schema",
                                     "settings.learner_control");
    }
  }
  if (settings.queue_order == QueueOrder::kUncertainty && settings.learner_control.empty()) {
    return Status::InvalidArgument(
        "queue_order \"uncertainty\" needs the built-in learner: set learner_control",
        "settings.queue_order");
  }
  return Status::Ok();
}

Status ValidateTaskData(const Schema& schema, std::string_view data_json) {
  json j = json::parse(data_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("task data must be a JSON object", "data");
  }
  for (const std::string& field : schema.SourceFields()) {
    auto it = j.find(field);
    if (it == j.end()) {
      return Status::InvalidArgument("task data has no field '" + field + "'", "data." + field);
    }
    if (!it->is_string()) {
      return Status::InvalidArgument("task data field '" + field + "' must be a string",
                                     "data." + field);
    }
  }
  return Status::Ok();
}

std::vector<std::string> ResultClasses(std::string_view result_json) {
  std::vector<std::string> classes;
  nlohmann::json items = nlohmann::json::parse(result_json, nullptr, false);
  if (!items.is_array()) return classes;
  auto add = [&](const nlohmann::json& v) {
    if (!v.is_string()) return;
    const std::string& name = v.get_ref<const std::string&>();
    if (std::find(classes.begin(), classes.end(), name) == classes.end()) classes.push_back(name);
  };
  for (const nlohmann::json& item : items) {
    if (!item.is_object()) continue;
    if (auto it = item.find("values"); it != item.end() && it->is_array()) {
      for (const nlohmann::json& v : *it) add(v);
    }
    if (auto it = item.find("label"); it != item.end()) add(*it);
  }
  return classes;
}

}  // namespace plumb
