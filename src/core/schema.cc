#include "core/schema.h"

#include <nlohmann/json.hpp>
#include <set>

namespace plumb {
namespace {

using nlohmann::json;

bool IsValidName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameLength) return false;
  for (unsigned char c : s) {
    if (!(std::isalnum(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string Index(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

Result<Control> ParseControl(const json& j, const std::string& field) {
  if (!j.is_object()) return Status::InvalidArgument("a control must be an object", field);
  Control c;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !IsValidName(name->get<std::string>())) {
    return Status::InvalidArgument(
        "control name must be 1-64 characters of letters, digits, '_' or '-'", field + ".name");
  }
  c.name = name->get<std::string>();
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) {
    return Status::InvalidArgument("control type is required", field + ".type");
  }
  if (*type != "choice") {
    return Status::InvalidArgument(
        "unsupported control type '" + type->get<std::string>() + "' (supported: choice)",
        field + ".type");
  }
  auto source = j.find("source");
  if (source == j.end() || !source->is_string() ||
      !IsValidName(source->get<std::string>())) {
    return Status::InvalidArgument("source must name a task data field", field + ".source");
  }
  c.source = source->get<std::string>();
  auto labels = j.find("labels");
  if (labels == j.end() || !labels->is_array() || labels->empty()) {
    return Status::InvalidArgument("labels must be a non-empty list", field + ".labels");
  }
  if (labels->size() > kMaxLabels) {
    return Status::InvalidArgument("at most 1000 labels", field + ".labels");
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < labels->size(); ++i) {
    const json& l = (*labels)[i];
    std::string lf = Index(field + ".labels", i);
    if (!l.is_string() || l.get<std::string>().empty() ||
        l.get<std::string>().size() > kMaxLabelLength) {
      return Status::InvalidArgument("a label must be a non-empty string of at most 200 bytes",
                                     lf);
    }
    if (!seen.insert(l.get<std::string>()).second) {
      return Status::InvalidArgument("duplicate label '" + l.get<std::string>() + "'", lf);
    }
    c.labels.push_back(l.get<std::string>());
  }
  for (const char* key : {"multiple", "required"}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_boolean()) {
      return Status::InvalidArgument(std::string(key) + " must be true or false",
                                     field + "." + key);
    }
    (std::string_view(key) == "multiple" ? c.multiple : c.required) = it->get<bool>();
  }
  return c;
}

}  // namespace

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
    return Status::InvalidArgument("schema needs a non-empty list of controls",
                                   "schema.controls");
  }
  if (controls->size() > kMaxControls) {
    return Status::InvalidArgument("at most 50 controls", "schema.controls");
  }
  Schema schema;
  std::set<std::string> names;
  for (size_t i = 0; i < controls->size(); ++i) {
    std::string field = Index("schema.controls", i);
    PLUMB_ASSIGN_OR_RETURN(Control c, ParseControl((*controls)[i], field));
    if (!names.insert(c.name).second) {
      return Status::InvalidArgument("duplicate control name '" + c.name + "'", field + ".name");
    }
    schema.controls.push_back(std::move(c));
  }
  return schema;
}

std::string SchemaToJson(const Schema& schema) {
  json controls = json::array();
  for (const Control& c : schema.controls) {
    controls.push_back({{"name", c.name},
                        {"type", "choice"},
                        {"source", c.source},
                        {"labels", c.labels},
                        {"multiple", c.multiple},
                        {"required", c.required}});
  }
  return json{{"controls", controls}}.dump();
}

Result<ProjectSettings> ParseSettings(std::string_view json_text, ProjectSettings base) {
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidArgument("settings must be a JSON object", "settings");
  }
  struct Field {
    const char* key;
    int32_t* target;
    int64_t min, max;
  };
  const Field fields[] = {{"overlap", &base.overlap, 1, 100},
                          {"lease_seconds", &base.lease_seconds, 10, 86400}};
  for (const Field& f : fields) {
    auto it = j.find(f.key);
    if (it == j.end()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < f.min || it->get<int64_t>() > f.max) {
      return Status::InvalidArgument(std::string(f.key) + " must be an integer from " +
                                         std::to_string(f.min) + " to " + std::to_string(f.max),
                                     std::string("settings.") + f.key);
    }
    *f.target = static_cast<int32_t>(it->get<int64_t>());
  }
  return base;
}

std::string SettingsToJson(const ProjectSettings& settings) {
  return json{{"overlap", settings.overlap}, {"lease_seconds", settings.lease_seconds}}.dump();
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

Result<std::string> ValidateResult(const Schema& schema, std::string_view result_json) {
  json j = json::parse(result_json, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return Status::InvalidResult("result must be a list of items", "result");
  }
  std::set<std::string> answered;
  for (size_t i = 0; i < j.size(); ++i) {
    const json& item = j[i];
    std::string field = Index("result", i);
    if (!item.is_object()) return Status::InvalidResult("a result item must be an object", field);
    auto control_it = item.find("control");
    if (control_it == item.end() || !control_it->is_string()) {
      return Status::InvalidResult("item needs a control name", field + ".control");
    }
    const Control* control = schema.FindControl(control_it->get<std::string>());
    if (control == nullptr) {
      return Status::InvalidResult("unknown control '" + control_it->get<std::string>() + "'",
                                   field + ".control");
    }
    if (!answered.insert(control->name).second) {
      return Status::InvalidResult("control '" + control->name + "' answered twice",
                                   field + ".control");
    }
    auto type_it = item.find("type");
    if (type_it != item.end() && *type_it != "choice") {
      return Status::InvalidResult("control '" + control->name + "' is a choice", field + ".type");
    }
    auto values = item.find("values");
    if (values == item.end() || !values->is_array() || values->empty()) {
      return Status::InvalidResult("values must be a non-empty list", field + ".values");
    }
    if (!control->multiple && values->size() != 1) {
      return Status::InvalidResult("control '" + control->name + "' takes exactly one value",
                                   field + ".values");
    }
    std::set<std::string> seen;
    for (size_t v = 0; v < values->size(); ++v) {
      const json& value = (*values)[v];
      std::string vf = Index(field + ".values", v);
      if (!value.is_string() ||
          std::find(control->labels.begin(), control->labels.end(), value.get<std::string>()) ==
              control->labels.end()) {
        return Status::InvalidResult("not a label of control '" + control->name + "'", vf);
      }
      if (!seen.insert(value.get<std::string>()).second) {
        return Status::InvalidResult("label given twice", vf);
      }
    }
  }
  for (const Control& c : schema.controls) {
    if (c.required && answered.count(c.name) == 0) {
      return Status::InvalidResult("control '" + c.name + "' is required", "result");
    }
  }
  // Normalize: every item carries its type, and nothing else is kept.
  json out = json::array();
  for (const json& item : j) {
    out.push_back({{"control", item["control"]}, {"type", "choice"}, {"values", item["values"]}});
  }
  return out.dump();
}

}  // namespace plumb
