#include "quality/result_items.h"

#include <algorithm>

#include "quality/text_distance.h"

namespace plumb::quality::internal {
namespace {

using json = nlohmann::json;

class ItemReader {
 public:
  ItemReader(const json& item, std::string field) : item_(item), field_(std::move(field)) {}

  Result<double> Number(const char* key) const {
    auto it = item_.find(key);
    if (it == item_.end() || !it->is_number()) return Missing(key, "a number");
    return it->get<double>();
  }
  Result<int64_t> Integer(const char* key) const {
    auto it = item_.find(key);
    if (it == item_.end() || !it->is_number_integer()) return Missing(key, "an integer");
    return it->get<int64_t>();
  }
  Result<std::string> String(const char* key) const {
    auto it = item_.find(key);
    if (it == item_.end() || !it->is_string()) return Missing(key, "a string");
    return it->get<std::string>();
  }
  Result<int32_t> Label(const Control& control, const json& value, const std::string& field) const {
    if (value.is_string()) {
      auto it = std::find(control.labels.begin(), control.labels.end(), value.get<std::string>());
      if (it != control.labels.end()) return static_cast<int32_t>(it - control.labels.begin());
    }
    return Status::InvalidArgument("not a label of control '" + control.name + "'", field);
  }
  const json& item() const { return item_; }
  std::string Field(const char* key) const { return field_ + "." + key; }

 private:
  Status Missing(const char* key, const char* what) const {
    return Status::InvalidArgument(std::string(key) + " must be " + what, Field(key));
  }

  const json& item_;
  std::string field_;
};

Status ReadRegion(const Control& control, const ItemReader& r, Region& region) {
  const json& item = r.item();
  auto label = item.find("label");
  PLUMB_ASSIGN_OR_RETURN(region.label,
                         r.Label(control, label == item.end() ? json() : *label, r.Field("label")));
  if (auto attrs = item.find("attributes"); attrs != item.end()) {
    if (!attrs->is_object()) {
      return Status::InvalidArgument("attributes must be an object", r.Field("attributes"));
    }
    if (!attrs->empty()) region.attributes = *attrs;
  }
  switch (control.type) {
    case ControlType::kBbox: {
      PLUMB_ASSIGN_OR_RETURN(region.box.x, r.Number("x"));
      PLUMB_ASSIGN_OR_RETURN(region.box.y, r.Number("y"));
      PLUMB_ASSIGN_OR_RETURN(region.box.w, r.Number("w"));
      PLUMB_ASSIGN_OR_RETURN(region.box.h, r.Number("h"));
      if (item.contains("rotation")) {
        PLUMB_ASSIGN_OR_RETURN(region.box.rotation, r.Number("rotation"));
      }
      if (control.media == MediaKind::kVideo) {
        PLUMB_ASSIGN_OR_RETURN(region.track, r.String("track"));
        PLUMB_ASSIGN_OR_RETURN(region.frame, r.Integer("frame"));
        if (auto outside = item.find("outside"); outside != item.end()) {
          if (!outside->is_boolean()) {
            return Status::InvalidArgument("outside must be true or false", r.Field("outside"));
          }
          region.outside = outside->get<bool>();
        }
      }
      return Status::Ok();
    }
    case ControlType::kPolygon: {
      auto points = item.find("points");
      if (points == item.end() || !points->is_array() || points->size() < 3) {
        return Status::InvalidArgument("points must be a list of at least 3 points",
                                       r.Field("points"));
      }
      for (const json& p : *points) {
        if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
          return Status::InvalidArgument("a point must be [x, y]", r.Field("points"));
        }
        region.points.push_back({p[0].get<double>(), p[1].get<double>()});
      }
      return Status::Ok();
    }
    case ControlType::kKeypoint: {
      PLUMB_ASSIGN_OR_RETURN(region.point.x, r.Number("x"));
      PLUMB_ASSIGN_OR_RETURN(region.point.y, r.Number("y"));
      return Status::Ok();
    }
    case ControlType::kSpan: {
      PLUMB_ASSIGN_OR_RETURN(region.start, r.Number("start"));
      PLUMB_ASSIGN_OR_RETURN(region.end, r.Number("end"));
      if (item.contains("text")) {
        PLUMB_ASSIGN_OR_RETURN(region.text, r.String("text"));
      }
      return Status::Ok();
    }
    default:
      return Status::Ok();
  }
}

Status ReadAnswer(const Control& control, const ItemReader& r, ControlAnswer& answer) {
  const json& item = r.item();
  switch (control.type) {
    case ControlType::kChoice: {
      auto values = item.find("values");
      if (values == item.end() || !values->is_array()) {
        return Status::InvalidArgument("values must be a list", r.Field("values"));
      }
      for (const json& v : *values) {
        PLUMB_ASSIGN_OR_RETURN(int32_t label, r.Label(control, v, r.Field("values")));
        if (std::find(answer.values.begin(), answer.values.end(), label) == answer.values.end()) {
          answer.values.push_back(label);
        }
      }
      if (answer.values.empty() || (!control.multiple && answer.values.size() != 1)) {
        return Status::InvalidArgument(
            control.multiple ? "values must not be empty" : "values must have exactly one label",
            r.Field("values"));
      }
      return Status::Ok();
    }
    case ControlType::kText: {
      PLUMB_ASSIGN_OR_RETURN(answer.text, r.String("value"));
      std::optional<std::u32string> decoded = DecodeUtf8(answer.text);
      if (!decoded) return Status::InvalidArgument("value is not valid UTF-8", r.Field("value"));
      answer.code_points = std::move(*decoded);
      return Status::Ok();
    }
    case ControlType::kRating: {
      PLUMB_ASSIGN_OR_RETURN(int64_t value, r.Integer("value"));
      if (value < 1 || value > control.max) {
        return Status::InvalidArgument("value is outside 1..max", r.Field("value"));
      }
      answer.rating = static_cast<int32_t>(value);
      return Status::Ok();
    }
    default: {
      Region region;
      PLUMB_RETURN_IF_ERROR(ReadRegion(control, r, region));
      answer.regions.push_back(std::move(region));
      return Status::Ok();
    }
  }
}

}  // namespace

size_t ControlIndex(const Schema& schema, const Control& control) {
  return static_cast<size_t>(&control - schema.controls.data());
}

Result<ParsedResult> ParseResult(const Schema& schema, std::string_view result_json,
                                 const std::string& what) {
  json result = json::parse(result_json, nullptr, false);
  if (result.is_discarded() || !result.is_array()) {
    return Status::InvalidArgument(what + " must be a JSON list of items", what);
  }
  ParsedResult parsed(schema.controls.size());
  for (size_t i = 0; i < result.size(); ++i) {
    std::string field = what + "[" + std::to_string(i) + "]";
    const json& item = result[i];
    auto name = item.is_object() ? item.find("control") : item.end();
    if (!item.is_object() || name == item.end() || !name->is_string()) {
      return Status::InvalidArgument("an item must be an object with a control name", field);
    }
    const Control* control = schema.FindControl(name->get<std::string>());
    if (control == nullptr) {
      return Status::InvalidArgument("unknown control '" + name->get<std::string>() + "'",
                                     field + ".control");
    }
    ControlAnswer& answer = parsed[ControlIndex(schema, *control)];
    if (answer.answered && !IsRegionControl(control->type)) {
      return Status::InvalidArgument("control '" + control->name + "' answered twice",
                                     field + ".control");
    }
    answer.answered = true;
    PLUMB_RETURN_IF_ERROR(ReadAnswer(*control, ItemReader(item, field), answer));
  }
  return parsed;
}

}  // namespace plumb::quality::internal
