// ValidateAnnotation: checks an annotation's media object, then its result
// item by item against the label schema, the task's data and the media, and
// normalizes both (formats in docs/api.md, "Result format").

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <set>
#include <tuple>

#include "core/schema.h"
#include "core/schema_internal.h"
#include "core/utf8.h"

namespace plumb {
namespace {

using internal::IndexField;
using internal::IsValidName;
using nlohmann::json;

// Geometry may touch the media's edges. The slack absorbs the rounding of
// editors that scale screen coordinates to pixels in floating point.
constexpr double kEpsilon = 1e-6;

// The media of an annotation as the editor loaded it; unset keys are 0.
struct Media {
  double width = 0;
  double height = 0;
  int64_t frames = 0;
  double duration = 0;
};

std::string Key(const std::string& field, const char* key) { return field + "." + key; }

Result<double> GetNumber(const json& obj, const char* key, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) {
    return Status::InvalidResult(std::string(key) + " must be a number", Key(field, key));
  }
  return it->get<double>();
}

Result<int64_t> GetInteger(const json& obj, const char* key, int64_t min, int64_t max,
                           const std::string& field) {
  auto it = obj.find(key);
  bool in_range = it != obj.end() && it->is_number_integer() &&
                  !(it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(max)) &&
                  it->get<int64_t>() >= min && it->get<int64_t>() <= max;
  if (!in_range) {
    return Status::InvalidResult(std::string(key) + " must be an integer from " +
                                     std::to_string(min) + " to " + std::to_string(max),
                                 Key(field, key));
  }
  return it->get<int64_t>();
}

bool Inside(double x, double y, const Media& media) {
  return x >= -kEpsilon && y >= -kEpsilon && x <= media.width + kEpsilon &&
         y <= media.height + kEpsilon;
}

// Parses the annotation's media object ("" or "null" when none) into `media`
// and its normalized JSON (known keys only) into `out`.
Status ReadMedia(std::string_view media_json, Media& media, json& out) {
  if (media_json.empty() || media_json == "null") return Status::Ok();
  json j = json::parse(media_json, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::InvalidResult("media must be an object", "media");
  }
  out = json::object();
  if (j.contains("width") || j.contains("height")) {
    PLUMB_ASSIGN_OR_RETURN(int64_t w, GetInteger(j, "width", 1, kMaxMediaSide, "media"));
    PLUMB_ASSIGN_OR_RETURN(int64_t h, GetInteger(j, "height", 1, kMaxMediaSide, "media"));
    media.width = static_cast<double>(w);
    media.height = static_cast<double>(h);
    out["width"] = w;
    out["height"] = h;
  }
  if (j.contains("frames")) {
    PLUMB_ASSIGN_OR_RETURN(media.frames, GetInteger(j, "frames", 1, kMaxFrames, "media"));
    out["frames"] = media.frames;
  }
  if (j.contains("fps")) {
    PLUMB_ASSIGN_OR_RETURN(double fps, GetNumber(j, "fps", "media"));
    if (fps <= 0 || fps > 1000) {
      return Status::InvalidResult("fps must be positive, at most 1000", "media.fps");
    }
    out["fps"] = j["fps"];
  }
  if (j.contains("duration")) {
    PLUMB_ASSIGN_OR_RETURN(media.duration, GetNumber(j, "duration", "media"));
    if (media.duration <= 0) {
      return Status::InvalidResult("duration must be positive", "media.duration");
    }
    out["duration"] = j["duration"];
  }
  return Status::Ok();
}

// Reads x, y, w, h and rotation of a box from `obj` into `out` and checks
// that the box lies inside the media. The rotation is clockwise in degrees
// around the top-left corner (x, y), as in Label Studio.
Status ReadBox(const json& obj, const std::string& field, const Media& size, json& out) {
  PLUMB_ASSIGN_OR_RETURN(double x, GetNumber(obj, "x", field));
  PLUMB_ASSIGN_OR_RETURN(double y, GetNumber(obj, "y", field));
  PLUMB_ASSIGN_OR_RETURN(double w, GetNumber(obj, "w", field));
  PLUMB_ASSIGN_OR_RETURN(double h, GetNumber(obj, "h", field));
  double rotation = 0;
  if (obj.contains("rotation")) {
    PLUMB_ASSIGN_OR_RETURN(rotation, GetNumber(obj, "rotation", field));
    if (rotation < 0 || rotation >= 360) {
      return Status::InvalidResult("rotation must be in [0, 360) degrees", Key(field, "rotation"));
    }
  }
  if (w <= 0) return Status::InvalidResult("w must be positive", Key(field, "w"));
  if (h <= 0) return Status::InvalidResult("h must be positive", Key(field, "h"));
  if (!Inside(x, 0, size)) return Status::InvalidResult("x is outside the media", Key(field, "x"));
  if (!Inside(0, y, size)) return Status::InvalidResult("y is outside the media", Key(field, "y"));
  double rad = rotation * std::numbers::pi / 180;
  double c = std::cos(rad), s = std::sin(rad);
  if (!Inside(x + w * c, y + w * s, size)) {
    return Status::InvalidResult("the box leaves the media on its width side",
                                 Key(field, rotation == 0 ? "w" : "rotation"));
  }
  if (!Inside(x - h * s, y + h * c, size) || !Inside(x + w * c - h * s, y + w * s + h * c, size)) {
    return Status::InvalidResult("the box leaves the media on its height side",
                                 Key(field, rotation == 0 ? "h" : "rotation"));
  }
  for (const char* key : {"x", "y", "w", "h"}) out[key] = obj[key];
  out["rotation"] = obj.contains("rotation") ? obj["rotation"] : json(0);
  return Status::Ok();
}

// Everything the items of one result are checked against, and what they have
// declared so far.
class ResultChecker {
 public:
  ResultChecker(const Schema& schema, json data, const Media& media)
      : schema_(schema), data_(std::move(data)), media_(media) {}

  Result<json> CheckItem(const json& item, size_t index);
  // The checks over all items: required controls, overlapping spans.
  Status Finish() const;

 private:
  struct Span {
    double start, end;
    size_t index;
  };

  Status ReadRegion(const json& item, const Control& control, const std::string& field,
                    size_t index, json& out);
  Status ReadAttributes(const json& item, const Control& control, const std::string& field,
                        json& out) const;
  // The media, which must have the width and height that items over an image
  // or a video are checked against.
  Result<const Media*> VisualMedia() const;
  Result<const std::vector<size_t>*> TextOffsets(const std::string& source);

  Status CheckChoice(const json& item, const Control& control, const std::string& field,
                     json& out) const;
  Status CheckBbox(const json& item, const Control& control, const std::string& field, json& out);
  Status CheckPolygon(const json& item, const std::string& field, json& out) const;
  Status CheckKeypoint(const json& item, const std::string& field, json& out) const;
  Status CheckTextSpan(const json& item, const Control& control, const std::string& field,
                       size_t index, json& out);
  Status CheckAudioSpan(const json& item, const Control& control, const std::string& field,
                        size_t index, json& out);

  const Schema& schema_;
  const json data_;
  const Media media_;
  std::map<std::string, size_t> item_count_;                 // by control
  std::map<std::string, size_t> region_ids_;                 // id -> item index
  std::map<std::string, std::vector<size_t>> text_offsets_;  // by source field
  std::map<std::string, std::vector<Span>> spans_;           // by control
  // Video keyframes: (control, track) -> its label and the frames seen.
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::set<int64_t>>> tracks_;
};

Result<json> ResultChecker::CheckItem(const json& item, size_t index) {
  std::string field = IndexField("result", index);
  if (!item.is_object()) return Status::InvalidResult("a result item must be an object", field);
  auto control_it = item.find("control");
  if (control_it == item.end() || !control_it->is_string()) {
    return Status::InvalidResult("item needs a control name", field + ".control");
  }
  const Control* control = schema_.FindControl(control_it->get<std::string>());
  if (control == nullptr) {
    return Status::InvalidResult("unknown control '" + control_it->get<std::string>() + "'",
                                 field + ".control");
  }
  if (++item_count_[control->name] > 1 && !IsRegionControl(control->type)) {
    return Status::InvalidResult("control '" + control->name + "' answered twice",
                                 field + ".control");
  }
  std::string_view type_name = ControlTypeName(control->type);
  auto type_it = item.find("type");
  if (type_it != item.end() && *type_it != type_name) {
    return Status::InvalidResult("control '" + control->name + "' is a " + std::string(type_name),
                                 field + ".type");
  }
  json out = {{"control", control->name}, {"type", type_name}};
  if (IsRegionControl(control->type)) {
    PLUMB_RETURN_IF_ERROR(ReadRegion(item, *control, field, index, out));
  }
  switch (control->type) {
    case ControlType::kChoice:
      PLUMB_RETURN_IF_ERROR(CheckChoice(item, *control, field, out));
      break;
    case ControlType::kBbox:
      PLUMB_RETURN_IF_ERROR(CheckBbox(item, *control, field, out));
      break;
    case ControlType::kPolygon:
      PLUMB_RETURN_IF_ERROR(CheckPolygon(item, field, out));
      break;
    case ControlType::kKeypoint:
      PLUMB_RETURN_IF_ERROR(CheckKeypoint(item, field, out));
      break;
    case ControlType::kSpan:
      if (control->media == MediaKind::kAudio) {
        PLUMB_RETURN_IF_ERROR(CheckAudioSpan(item, *control, field, index, out));
      } else {
        PLUMB_RETURN_IF_ERROR(CheckTextSpan(item, *control, field, index, out));
      }
      break;
    case ControlType::kText: {
      auto value = item.find("value");
      if (value == item.end() || !value->is_string() || value->get<std::string>().empty()) {
        return Status::InvalidResult("value must be a non-empty string", field + ".value");
      }
      std::optional<size_t> length = Utf8Length(value->get<std::string>());
      if (!length || *length > static_cast<size_t>(control->max_length)) {
        return Status::InvalidResult("value must be valid UTF-8 of at most " +
                                         std::to_string(control->max_length) + " characters",
                                     field + ".value");
      }
      out["value"] = *value;
      break;
    }
    case ControlType::kRating: {
      PLUMB_ASSIGN_OR_RETURN(out["value"], GetInteger(item, "value", 1, control->max, field));
      break;
    }
  }
  return out;
}

Status ResultChecker::Finish() const {
  for (const Control& c : schema_.controls) {
    auto count = item_count_.find(c.name);
    if (c.required && count == item_count_.end()) {
      return Status::InvalidResult("control '" + c.name + "' is required", "result");
    }
  }
  for (const auto& [name, spans_of_control] : spans_) {
    if (schema_.FindControl(name)->overlap) continue;
    std::vector<Span> spans = spans_of_control;
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
      return std::tie(a.start, a.index) < std::tie(b.start, b.index);
    });
    const Span* furthest = nullptr;  // the span seen so far that ends last
    for (const Span& s : spans) {
      if (furthest != nullptr && s.start < furthest->end) {
        return Status::InvalidResult("span overlaps " + IndexField("result", furthest->index) +
                                         " and control '" + name + "' does not allow overlap",
                                     IndexField("result", s.index) + ".start");
      }
      if (furthest == nullptr || s.end > furthest->end) furthest = &s;
    }
  }
  return Status::Ok();
}

// The keys every region item has: an optional `id` (unique in the result),
// the `label`, optional `attributes`.
Status ResultChecker::ReadRegion(const json& item, const Control& control, const std::string& field,
                                 size_t index, json& out) {
  auto id = item.find("id");
  if (id != item.end()) {
    if (!id->is_string() || !IsValidName(id->get<std::string>())) {
      return Status::InvalidResult("id must be 1-64 characters of letters, digits, '_' or '-'",
                                   field + ".id");
    }
    auto [it, inserted] = region_ids_.emplace(id->get<std::string>(), index);
    if (!inserted) {
      return Status::InvalidResult("id is also used by " + IndexField("result", it->second),
                                   field + ".id");
    }
    out["id"] = *id;
  }
  auto label = item.find("label");
  if (label == item.end() || !label->is_string() ||
      std::find(control.labels.begin(), control.labels.end(), label->get<std::string>()) ==
          control.labels.end()) {
    return Status::InvalidResult("label must be a label of control '" + control.name + "'",
                                 field + ".label");
  }
  out["label"] = *label;
  return ReadAttributes(item, control, field, out);
}

Status ResultChecker::ReadAttributes(const json& item, const Control& control,
                                     const std::string& field, json& out) const {
  auto attrs = item.find("attributes");
  if (attrs == item.end()) return Status::Ok();
  std::string af = field + ".attributes";
  if (!attrs->is_object()) return Status::InvalidResult("attributes must be an object", af);
  for (const auto& [name, value] : attrs->items()) {
    const Attribute* a = control.FindAttribute(name);
    std::string vf = af + "." + name;
    if (a == nullptr) {
      return Status::InvalidResult("control '" + control.name + "' has no attribute '" + name + "'",
                                   vf);
    }
    switch (a->type) {
      case AttributeType::kBoolean:
        if (!value.is_boolean()) return Status::InvalidResult("must be true or false", vf);
        break;
      case AttributeType::kEnum:
        if (!value.is_string() || std::find(a->values.begin(), a->values.end(),
                                            value.get<std::string>()) == a->values.end()) {
          return Status::InvalidResult("must be one of the attribute's values", vf);
        }
        break;
      case AttributeType::kString: {
        std::optional<size_t> length =
            value.is_string() ? Utf8Length(value.get<std::string>()) : std::nullopt;
        if (!length || *length > kMaxAttributeTextLength) {
          return Status::InvalidResult("must be a string of at most 1000 characters", vf);
        }
        break;
      }
    }
  }
  if (!attrs->empty()) out["attributes"] = *attrs;
  return Status::Ok();
}

Result<const Media*> ResultChecker::VisualMedia() const {
  if (media_.width == 0) {
    return Status::InvalidResult(
        "regions over an image or a video need the annotation's media {width, height}",
        "media.width");
  }
  return &media_;
}

Result<const std::vector<size_t>*> ResultChecker::TextOffsets(const std::string& source) {
  auto cached = text_offsets_.find(source);
  if (cached != text_offsets_.end()) return &cached->second;
  auto text = data_.find(source);
  if (text == data_.end() || !text->is_string()) {
    return Status::InvalidResult("the task has no text field '" + source + "'", "data." + source);
  }
  std::optional<std::vector<size_t>> offsets =
      Utf8CodePointOffsets(text->get_ref<const std::string&>());
  if (!offsets) {
    return Status::InvalidResult("the task text '" + source + "' is not valid UTF-8",
                                 "data." + source);
  }
  return &text_offsets_.emplace(source, std::move(*offsets)).first->second;
}

Status ResultChecker::CheckChoice(const json& item, const Control& control,
                                  const std::string& field, json& out) const {
  auto values = item.find("values");
  if (values == item.end() || !values->is_array() || values->empty()) {
    return Status::InvalidResult("values must be a non-empty list", field + ".values");
  }
  if (!control.multiple && values->size() != 1) {
    return Status::InvalidResult("control '" + control.name + "' takes exactly one value",
                                 field + ".values");
  }
  std::set<std::string> seen;
  for (size_t v = 0; v < values->size(); ++v) {
    const json& value = (*values)[v];
    std::string vf = IndexField(field + ".values", v);
    if (!value.is_string() || std::find(control.labels.begin(), control.labels.end(),
                                        value.get<std::string>()) == control.labels.end()) {
      return Status::InvalidResult("not a label of control '" + control.name + "'", vf);
    }
    if (!seen.insert(value.get<std::string>()).second) {
      return Status::InvalidResult("label given twice", vf);
    }
  }
  out["values"] = *values;
  return Status::Ok();
}

Status ResultChecker::CheckBbox(const json& item, const Control& control, const std::string& field,
                                json& out) {
  PLUMB_ASSIGN_OR_RETURN(const Media* media, VisualMedia());
  if (control.media == MediaKind::kVideo) {
    // One keyframe of a track.
    auto track = item.find("track");
    if (track == item.end() || !track->is_string() || !IsValidName(track->get<std::string>())) {
      return Status::InvalidResult("track must be 1-64 characters of letters, digits, '_' or '-'",
                                   field + ".track");
    }
    int64_t last_frame = media->frames > 0 ? media->frames - 1 : kMaxFrames - 1;
    PLUMB_ASSIGN_OR_RETURN(int64_t frame, GetInteger(item, "frame", 0, last_frame, field));
    auto& [label, frames] = tracks_[{control.name, track->get<std::string>()}];
    if (label.empty()) label = out["label"].get<std::string>();
    if (label != out["label"]) {
      return Status::InvalidResult("track '" + track->get<std::string>() + "' is labeled '" +
                                       label + "' on another keyframe",
                                   field + ".label");
    }
    if (!frames.insert(frame).second) {
      return Status::InvalidResult("track '" + track->get<std::string>() +
                                       "' has another keyframe on frame " + std::to_string(frame),
                                   field + ".frame");
    }
    bool outside = false;
    if (auto it = item.find("outside"); it != item.end()) {
      if (!it->is_boolean()) {
        return Status::InvalidResult("outside must be true or false", field + ".outside");
      }
      outside = it->get<bool>();
    }
    out["track"] = *track;
    out["frame"] = frame;
    out["outside"] = outside;
  }
  return ReadBox(item, field, *media, out);
}

Status ResultChecker::CheckPolygon(const json& item, const std::string& field, json& out) const {
  PLUMB_ASSIGN_OR_RETURN(const Media* media, VisualMedia());
  auto points = item.find("points");
  if (points == item.end() || !points->is_array() || points->size() < 3 ||
      points->size() > kMaxPolygonPoints) {
    return Status::InvalidResult("points must be a list of 3 to 10000 [x, y] points",
                                 field + ".points");
  }
  for (size_t p = 0; p < points->size(); ++p) {
    const json& point = (*points)[p];
    std::string pf = IndexField(field + ".points", p);
    if (!point.is_array() || point.size() != 2 || !point[0].is_number() || !point[1].is_number()) {
      return Status::InvalidResult("a point must be [x, y]", pf);
    }
    if (!Inside(point[0].get<double>(), point[1].get<double>(), *media)) {
      return Status::InvalidResult("the point is outside the media", pf);
    }
  }
  if (points->front() == points->back()) {
    return Status::InvalidResult("the last point repeats the first; polygons are closed implicitly",
                                 IndexField(field + ".points", points->size() - 1));
  }
  out["points"] = *points;
  return Status::Ok();
}

Status ResultChecker::CheckKeypoint(const json& item, const std::string& field, json& out) const {
  PLUMB_ASSIGN_OR_RETURN(const Media* media, VisualMedia());
  PLUMB_ASSIGN_OR_RETURN(double x, GetNumber(item, "x", field));
  PLUMB_ASSIGN_OR_RETURN(double y, GetNumber(item, "y", field));
  if (!Inside(x, 0, *media)) return Status::InvalidResult("x is outside the media", field + ".x");
  if (!Inside(0, y, *media)) return Status::InvalidResult("y is outside the media", field + ".y");
  out["x"] = item["x"];
  out["y"] = item["y"];
  return Status::Ok();
}

Status ResultChecker::CheckTextSpan(const json& item, const Control& control,
                                    const std::string& field, size_t index, json& out) {
  PLUMB_ASSIGN_OR_RETURN(const std::vector<size_t>* offsets, TextOffsets(control.source));
  int64_t length = static_cast<int64_t>(offsets->size()) - 1;
  if (length == 0) {
    return Status::InvalidResult("the task text '" + control.source + "' is empty",
                                 field + ".start");
  }
  PLUMB_ASSIGN_OR_RETURN(int64_t start, GetInteger(item, "start", 0, length - 1, field));
  PLUMB_ASSIGN_OR_RETURN(int64_t end, GetInteger(item, "end", start + 1, length, field));
  const std::string& text = data_.at(control.source).get_ref<const std::string&>();
  std::string covered = text.substr((*offsets)[start], (*offsets)[end] - (*offsets)[start]);
  auto given = item.find("text");
  if (given == item.end() || !given->is_string() || *given != covered) {
    return Status::InvalidResult("text must be the task text at [start, end): '" + covered + "'",
                                 field + ".text");
  }
  out["start"] = start;
  out["end"] = end;
  out["text"] = covered;
  spans_[control.name].push_back({static_cast<double>(start), static_cast<double>(end), index});
  return Status::Ok();
}

Status ResultChecker::CheckAudioSpan(const json& item, const Control& control,
                                     const std::string& field, size_t index, json& out) {
  PLUMB_ASSIGN_OR_RETURN(double start, GetNumber(item, "start", field));
  PLUMB_ASSIGN_OR_RETURN(double end, GetNumber(item, "end", field));
  if (start < 0) return Status::InvalidResult("start must not be negative", field + ".start");
  if (end <= start) return Status::InvalidResult("end must be after start", field + ".end");
  if (media_.duration > 0 && end > media_.duration + kEpsilon) {
    return Status::InvalidResult("end is after the end of the audio (media.duration)",
                                 field + ".end");
  }
  out["start"] = item["start"];
  out["end"] = item["end"];
  spans_[control.name].push_back({start, end, index});
  return Status::Ok();
}

}  // namespace

Result<ValidAnnotation> ValidateAnnotation(const Schema& schema, std::string_view data_json,
                                           std::string_view result_json,
                                           std::string_view media_json) {
  json j = json::parse(result_json, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return Status::InvalidResult("result must be a list of items", "result");
  }
  if (j.size() > kMaxResultItems) {
    return Status::InvalidResult("a result has at most 10000 items", "result");
  }
  Media media;
  json media_out;
  PLUMB_RETURN_IF_ERROR(ReadMedia(media_json, media, media_out));
  json data = json::parse(data_json, nullptr, false);
  if (data.is_discarded() || !data.is_object()) data = json::object();
  ResultChecker checker(schema, std::move(data), media);
  json out = json::array();
  for (size_t i = 0; i < j.size(); ++i) {
    PLUMB_ASSIGN_OR_RETURN(json item, checker.CheckItem(j[i], i));
    out.push_back(std::move(item));
  }
  PLUMB_RETURN_IF_ERROR(checker.Finish());
  return ValidAnnotation{out.dump(), media_out.is_null() ? std::string() : media_out.dump()};
}

}  // namespace plumb
