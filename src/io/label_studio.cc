// Label Studio JSON: an array of tasks {data, annotations: [{result}],
// predictions: [{model_version, score, result}]} in Label Studio's result
// format, converted to and from Plumb's (docs/formats.md, "Label Studio").
// Image geometry is in percent of original_width/original_height there and
// in pixels here.

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "core/utf8.h"
#include "io/importers.h"
#include "io/label_studio.h"
#include "io/labeled.h"

namespace plumb::io {
namespace {

using nlohmann::json;

// Label Studio's result types and the control types they become.
struct TypeMapping {
  const char* ls_type;
  ControlType type;
  const char* labels_key;  // where value holds the label(s) or answer
};

constexpr TypeMapping kTypes[] = {
    {"rectanglelabels", ControlType::kBbox, "rectanglelabels"},
    {"polygonlabels", ControlType::kPolygon, "polygonlabels"},
    {"keypointlabels", ControlType::kKeypoint, "keypointlabels"},
    {"labels", ControlType::kSpan, "labels"},
    {"choices", ControlType::kChoice, "choices"},
    {"textarea", ControlType::kText, "text"},
    {"rating", ControlType::kRating, "rating"},
};

const TypeMapping* MappingFor(std::string_view ls_type) {
  for (const TypeMapping& m : kTypes) {
    if (ls_type == m.ls_type) return &m;
  }
  return nullptr;
}

const TypeMapping* MappingFor(ControlType type) {
  for (const TypeMapping& m : kTypes) {
    if (m.type == type) return &m;
  }
  return nullptr;
}

// Percentages converted to pixels are rounded to a millionth of a pixel, so
// that pixels → percent → pixels comes back to the same numbers.
double ToPixels(double percent, double side) {
  return std::round(percent * side / 100.0 * 1e6) / 1e6;
}

double ToPercent(double pixels, double side) { return pixels * 100.0 / side; }

bool IsItemId(const std::string& id) {
  static const std::regex kId("[A-Za-z0-9_-]{1,64}");
  return std::regex_match(id, kId);
}

Result<double> Number(const json& obj, const char* key, const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number()) {
    return Status::InvalidArgument(std::string(key) + " must be a number", field + "." + key);
  }
  return it->get<double>();
}

// The single label of a region's value, e.g. value.rectanglelabels[0].
Result<std::string> RegionLabel(const json& value, const char* key, const std::string& field) {
  auto it = value.find(key);
  if (it == value.end() || !it->is_array() || it->size() != 1 || !(*it)[0].is_string()) {
    return Status::InvalidArgument(std::string(key) + " must be a list of one label",
                                   field + ".value." + key);
  }
  return (*it)[0].get<std::string>();
}

// Converts text offsets to code points. Label Studio's editor counts UTF-16
// units (JavaScript strings) while its converters count code points (Python
// strings); the covered text, when given, tells which one a file uses.
Result<std::pair<int64_t, int64_t>> SpanOffsets(const json& value, const std::string& text,
                                                const std::string& field) {
  PLUMB_ASSIGN_OR_RETURN(double start, Number(value, "start", field + ".value"));
  PLUMB_ASSIGN_OR_RETURN(double end, Number(value, "end", field + ".value"));
  auto s = static_cast<int64_t>(start);
  auto e = static_cast<int64_t>(end);
  auto covered = value.find("text");
  if (covered == value.end() || !covered->is_string()) return std::pair(s, e);
  std::optional<std::vector<size_t>> offsets = Utf8CodePointOffsets(text);
  if (!offsets) return std::pair(s, e);  // the validator reports the bad text
  const std::string& want = covered->get_ref<const std::string&>();
  const auto n = static_cast<int64_t>(offsets->size()) - 1;
  if (s >= 0 && s <= e && e <= n &&
      text.compare((*offsets)[s], (*offsets)[e] - (*offsets)[s], want) == 0) {
    return std::pair(s, e);
  }
  // UTF-16 units: code points above U+FFFF (4 UTF-8 bytes) count twice.
  std::vector<int64_t> cp_at_unit;  // code point index at each UTF-16 unit
  for (int64_t cp = 0; cp < n; ++cp) {
    const size_t bytes = (*offsets)[cp + 1] - (*offsets)[cp];
    cp_at_unit.push_back(cp);
    if (bytes == 4) cp_at_unit.push_back(-1);  // the low surrogate: not a boundary
  }
  cp_at_unit.push_back(n);
  const auto units = static_cast<int64_t>(cp_at_unit.size()) - 1;
  if (s >= 0 && s <= e && e <= units && cp_at_unit[s] >= 0 && cp_at_unit[e] >= 0) {
    return std::pair(cp_at_unit[s], cp_at_unit[e]);
  }
  return std::pair(s, e);  // the validator says the text does not match
}

class LabelStudioReader {
 public:
  explicit LabelStudioReader(const Schema& schema) : schema_(schema) {}

  Result<LabeledTask> Parse(const json& record) {
    LabeledTask task;
    if (!record.is_object()) return Status::InvalidArgument("task must be a JSON object");
    auto data = record.find("data");
    if (data == record.end()) {
      // A task may be its data alone, as Label Studio's import allows.
      task.data = record;
    } else if (!data->is_object()) {
      return Status::InvalidArgument("data must be an object", "data");
    } else {
      task.data = *data;
    }
    if (auto annotations = record.find("annotations"); annotations != record.end()) {
      if (!annotations->is_array()) {
        return Status::InvalidArgument("annotations must be a list", "annotations");
      }
      for (size_t i = 0; i < annotations->size(); ++i) {
        const json& a = (*annotations)[i];
        const std::string field = "annotations[" + std::to_string(i) + "]";
        if (!a.is_object()) return Status::InvalidArgument("annotation must be an object", field);
        // Skipped tasks ("was_cancelled") carry no labels.
        if (a.value("was_cancelled", false) == true) continue;
        if (task.result) {
          ++task.dropped_annotations;
          continue;
        }
        json media;
        PLUMB_ASSIGN_OR_RETURN(json result, ConvertResult(a, task.data, field, &media));
        task.result = std::move(result);
        task.media = std::move(media);
        if (auto lead = a.find("lead_time"); lead != a.end() && lead->is_number()) {
          task.lead_time_ms = std::llround(std::max(0.0, lead->get<double>()) * 1000);
        }
      }
    }
    if (auto predictions = record.find("predictions"); predictions != record.end()) {
      if (!predictions->is_array()) {
        return Status::InvalidArgument("predictions must be a list", "predictions");
      }
      for (size_t i = 0; i < predictions->size(); ++i) {
        const json& p = (*predictions)[i];
        const std::string field = "predictions[" + std::to_string(i) + "]";
        if (!p.is_object()) return Status::InvalidArgument("prediction must be an object", field);
        LabeledPrediction prediction;
        PLUMB_ASSIGN_OR_RETURN(prediction.result,
                               ConvertResult(p, task.data, field, &prediction.media));
        auto model = p.find("model_version");
        prediction.model_name =
            model != p.end() && model->is_string() ? model->get<std::string>() : std::string();
        if (auto score = p.find("score"); score != p.end() && score->is_number()) {
          prediction.score = score->get<double>();
        }
        task.predictions.push_back(std::move(prediction));
      }
    }
    return task;
  }

  // An annotation's or prediction's Label Studio result as a Plumb result,
  // and the media its image regions are in.
  Result<json> ConvertResult(const json& holder, const json& data, const std::string& field,
                             json* media) {
    auto result = holder.find("result");
    if (result == holder.end()) return json::array();
    if (!result->is_array()) {
      return Status::InvalidArgument("result must be a list", field + ".result");
    }
    json out = json::array();
    for (size_t i = 0; i < result->size(); ++i) {
      const std::string item_field = field + ".result[" + std::to_string(i) + "]";
      PLUMB_ASSIGN_OR_RETURN(json item, ConvertItem((*result)[i], data, item_field, media));
      out.push_back(std::move(item));
    }
    return out;
  }

 private:
  Result<json> ConvertItem(const json& item, const json& data, const std::string& field,
                           json* media) {
    if (!item.is_object()) return Status::InvalidArgument("result item must be an object", field);
    auto from = item.find("from_name");
    if (from == item.end() || !from->is_string()) {
      return Status::InvalidArgument("from_name must name a control", field + ".from_name");
    }
    const Control* control = schema_.FindControl(from->get_ref<const std::string&>());
    if (control == nullptr) {
      return Status::InvalidArgument(
          "from_name '" + from->get<std::string>() + "' is not a control of the schema",
          field + ".from_name");
    }
    auto type = item.find("type");
    const TypeMapping* mapping =
        type != item.end() && type->is_string() ? MappingFor(type->get<std::string>()) : nullptr;
    if (mapping == nullptr) {
      return Status::InvalidArgument(
          "type must be one of rectanglelabels, polygonlabels, keypointlabels, labels, choices, "
          "textarea, rating",
          field + ".type");
    }
    if (mapping->type != control->type || control->media == MediaKind::kVideo) {
      return Status::InvalidArgument(std::string(mapping->ls_type) + " does not fit control '" +
                                         control->name + "' of type " +
                                         std::string(ControlTypeName(control->type)),
                                     field + ".type");
    }
    auto value_it = item.find("value");
    if (value_it == item.end() || !value_it->is_object()) {
      return Status::InvalidArgument("value must be an object", field + ".value");
    }
    const json& value = *value_it;
    json out = {{"control", control->name}, {"type", std::string(ControlTypeName(control->type))}};
    if (auto id = item.find("id"); id != item.end() && id->is_string() &&
                                   IsRegionControl(control->type) &&
                                   IsItemId(id->get<std::string>())) {
      out["id"] = *id;
    }

    double width = 0;
    double height = 0;
    const bool image = control->type == ControlType::kBbox ||
                       control->type == ControlType::kPolygon ||
                       control->type == ControlType::kKeypoint;
    if (image) {
      PLUMB_ASSIGN_OR_RETURN(width, Number(item, "original_width", field));
      PLUMB_ASSIGN_OR_RETURN(height, Number(item, "original_height", field));
      if (width < 1 || height < 1) {
        return Status::InvalidArgument("original_width and original_height must be positive",
                                       field + ".original_width");
      }
      json size = {{"width", std::llround(width)}, {"height", std::llround(height)}};
      if (media->is_null()) {
        *media = size;
      } else if (*media != size) {
        return Status::InvalidArgument("original size differs from the annotation's other regions",
                                       field + ".original_width");
      }
    }

    switch (control->type) {
      case ControlType::kBbox: {
        PLUMB_ASSIGN_OR_RETURN(out["label"], RegionLabel(value, mapping->labels_key, field));
        PLUMB_ASSIGN_OR_RETURN(double x, Number(value, "x", field + ".value"));
        PLUMB_ASSIGN_OR_RETURN(double y, Number(value, "y", field + ".value"));
        PLUMB_ASSIGN_OR_RETURN(double w, Number(value, "width", field + ".value"));
        PLUMB_ASSIGN_OR_RETURN(double h, Number(value, "height", field + ".value"));
        out["x"] = ToPixels(x, width);
        out["y"] = ToPixels(y, height);
        out["w"] = ToPixels(w, width);
        out["h"] = ToPixels(h, height);
        double rotation = value.value("rotation", 0.0);
        // Label Studio writes 360 for an unrotated box at times.
        rotation = std::fmod(rotation, 360.0);
        if (rotation < 0) rotation += 360.0;
        out["rotation"] = rotation;
        break;
      }
      case ControlType::kPolygon: {
        PLUMB_ASSIGN_OR_RETURN(out["label"], RegionLabel(value, mapping->labels_key, field));
        auto points = value.find("points");
        if (points == value.end() || !points->is_array()) {
          return Status::InvalidArgument("points must be a list", field + ".value.points");
        }
        json pixels = json::array();
        for (size_t i = 0; i < points->size(); ++i) {
          const json& p = (*points)[i];
          if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
            return Status::InvalidArgument("a point must be [x, y]",
                                           field + ".value.points[" + std::to_string(i) + "]");
          }
          pixels.push_back(
              {ToPixels(p[0].get<double>(), width), ToPixels(p[1].get<double>(), height)});
        }
        out["points"] = std::move(pixels);
        break;
      }
      case ControlType::kKeypoint: {
        PLUMB_ASSIGN_OR_RETURN(out["label"], RegionLabel(value, mapping->labels_key, field));
        PLUMB_ASSIGN_OR_RETURN(double x, Number(value, "x", field + ".value"));
        PLUMB_ASSIGN_OR_RETURN(double y, Number(value, "y", field + ".value"));
        out["x"] = ToPixels(x, width);
        out["y"] = ToPixels(y, height);
        break;
      }
      case ControlType::kSpan: {
        PLUMB_ASSIGN_OR_RETURN(out["label"], RegionLabel(value, mapping->labels_key, field));
        if (control->media == MediaKind::kAudio) {
          PLUMB_ASSIGN_OR_RETURN(out["start"], Number(value, "start", field + ".value"));
          PLUMB_ASSIGN_OR_RETURN(out["end"], Number(value, "end", field + ".value"));
          break;
        }
        auto text = data.find(control->source);
        const std::string source =
            text != data.end() && text->is_string() ? text->get<std::string>() : std::string();
        PLUMB_ASSIGN_OR_RETURN(auto offsets, SpanOffsets(value, source, field));
        out["start"] = offsets.first;
        out["end"] = offsets.second;
        if (auto covered = value.find("text"); covered != value.end()) out["text"] = *covered;
        break;
      }
      case ControlType::kChoice: {
        auto choices = value.find("choices");
        if (choices == value.end() || !choices->is_array()) {
          return Status::InvalidArgument("choices must be a list", field + ".value.choices");
        }
        out["values"] = *choices;
        break;
      }
      case ControlType::kText: {
        // Label Studio keeps a textarea's answers as a list of lines.
        auto text = value.find("text");
        std::string joined;
        if (text != value.end() && text->is_string()) {
          joined = text->get<std::string>();
        } else if (text != value.end() && text->is_array()) {
          for (size_t i = 0; i < text->size(); ++i) {
            if (!(*text)[i].is_string()) {
              return Status::InvalidArgument("text must be strings", field + ".value.text");
            }
            if (i > 0) joined += '\n';
            joined += (*text)[i].get<std::string>();
          }
        } else {
          return Status::InvalidArgument("text must be a list of strings", field + ".value.text");
        }
        out["value"] = joined;
        break;
      }
      case ControlType::kRating: {
        auto rating = value.find("rating");
        if (rating == value.end()) {
          return Status::InvalidArgument("rating is required", field + ".value.rating");
        }
        out["value"] = *rating;
        break;
      }
    }
    return out;
  }

  const Schema& schema_;
};

// --- export ---------------------------------------------------------------------------

// A Plumb result as Label Studio's, with image geometry in percent of `media`.
Result<json> ToLabelStudio(const Schema& schema, const json& result, const json& media) {
  json out = json::array();
  if (!result.is_array()) return out;
  const double width = media.is_object() ? media.value("width", 0.0) : 0.0;
  const double height = media.is_object() ? media.value("height", 0.0) : 0.0;
  int64_t n = 0;
  for (const json& item : result) {
    const Control* control = schema.FindControl(item.value("control", ""));
    if (control == nullptr) continue;  // a control since removed from the schema
    const TypeMapping* mapping = MappingFor(control->type);
    if (mapping == nullptr || control->media == MediaKind::kVideo) continue;
    json ls = {{"id", item.value("id", "r" + std::to_string(n++))},
               {"from_name", control->name},
               {"to_name", control->source},
               {"type", mapping->ls_type}};
    json value = json::object();
    switch (control->type) {
      case ControlType::kBbox:
      case ControlType::kPolygon:
      case ControlType::kKeypoint: {
        if (width <= 0 || height <= 0) continue;  // stored results always have media here
        ls["original_width"] = static_cast<int64_t>(width);
        ls["original_height"] = static_cast<int64_t>(height);
        ls["image_rotation"] = 0;
        if (control->type == ControlType::kBbox) {
          value["x"] = ToPercent(item.value("x", 0.0), width);
          value["y"] = ToPercent(item.value("y", 0.0), height);
          value["width"] = ToPercent(item.value("w", 0.0), width);
          value["height"] = ToPercent(item.value("h", 0.0), height);
          value["rotation"] = item.value("rotation", 0.0);
        } else if (control->type == ControlType::kPolygon) {
          json points = json::array();
          for (const json& p : item.value("points", json::array())) {
            points.push_back(
                {ToPercent(p[0].get<double>(), width), ToPercent(p[1].get<double>(), height)});
          }
          value["points"] = std::move(points);
          value["closed"] = true;
        } else {
          value["x"] = ToPercent(item.value("x", 0.0), width);
          value["y"] = ToPercent(item.value("y", 0.0), height);
          value["width"] = 0.5;  // the point's drawn size in percent; Label Studio's default
        }
        value[mapping->labels_key] = json::array({item.value("label", "")});
        break;
      }
      case ControlType::kSpan:
        value["start"] = item.value("start", json(0));
        value["end"] = item.value("end", json(0));
        if (item.contains("text")) value["text"] = item["text"];
        value["labels"] = json::array({item.value("label", "")});
        break;
      case ControlType::kChoice:
        value["choices"] = item.value("values", json::array());
        break;
      case ControlType::kText:
        value["text"] = json::array({item.value("value", "")});
        break;
      case ControlType::kRating:
        value["rating"] = item.value("value", json(0));
        break;
    }
    ls["value"] = std::move(value);
    out.push_back(std::move(ls));
  }
  return out;
}

// Tasks per predictions read: the export's batches are the store's.
constexpr size_t kBatch = 500;

class LabelStudioWriter {
 public:
  LabelStudioWriter(store::Store& store, const Schema& schema, std::ostream& out)
      : store_(store), schema_(schema), out_(out) {}

  Status Add(const Task& task, const std::vector<Revision>& revisions) {
    batch_.push_back({task, revisions});
    if (batch_.size() >= kBatch) return WriteBatch();
    return Status::Ok();
  }

  Status Finish() {
    PLUMB_RETURN_IF_ERROR(WriteBatch());
    out_.text().append(first_ ? "[]\n" : "\n]\n");
    return out_.Finish();
  }

 private:
  Status WriteBatch() {
    if (batch_.empty()) return Status::Ok();
    std::vector<int64_t> ids;
    for (const auto& [task, revisions] : batch_) ids.push_back(task.id);
    PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions, store_.ListPredictions(ids));
    size_t p = 0;
    for (const auto& [task, revisions] : batch_) {
      PLUMB_ASSIGN_OR_RETURN(json data, ParseStored(task.data_json));
      json record = {{"id", task.id}, {"data", std::move(data)}};
      json annotations = json::array();
      for (const Revision& r : revisions) {
        PLUMB_ASSIGN_OR_RETURN(json result, ParseStored(r.result_json));
        PLUMB_ASSIGN_OR_RETURN(json media, ParseStored(r.media_json));
        PLUMB_ASSIGN_OR_RETURN(json ls, ToLabelStudio(schema_, result, media));
        annotations.push_back({{"id", r.annotation_id},
                               {"result", std::move(ls)},
                               {"lead_time", static_cast<double>(r.lead_time_ms) / 1000.0},
                               {"created_at", FormatIsoTime(r.created_at_ms)},
                               {"updated_at", FormatIsoTime(r.created_at_ms)},
                               {"was_cancelled", false}});
      }
      record["annotations"] = std::move(annotations);
      json task_predictions = json::array();
      for (; p < predictions.size() && predictions[p].task_id == task.id; ++p) {
        const store::Prediction& pr = predictions[p];
        PLUMB_ASSIGN_OR_RETURN(json result, ParseStored(pr.result_json));
        PLUMB_ASSIGN_OR_RETURN(json media, ParseStored(pr.media_json));
        PLUMB_ASSIGN_OR_RETURN(json ls, ToLabelStudio(schema_, result, media));
        json prediction = {
            {"model_version",
             pr.model_version.empty() ? pr.model_name : pr.model_name + "@" + pr.model_version},
            {"result", std::move(ls)}};
        prediction["score"] = pr.score ? json(*pr.score) : json(nullptr);
        task_predictions.push_back(std::move(prediction));
      }
      record["predictions"] = std::move(task_predictions);
      out_.text().append(first_ ? "[\n" : ",\n");
      out_.text().append(record.dump());
      first_ = false;
      PLUMB_RETURN_IF_ERROR(out_.MaybeFlush());
    }
    batch_.clear();
    return Status::Ok();
  }

  store::Store& store_;
  const Schema& schema_;
  OutBuffer out_;
  std::vector<std::pair<Task, std::vector<Revision>>> batch_;
  bool first_ = true;
};

}  // namespace

Status ReadLabelStudio(InputReader& in, const Schema& schema, LabeledWriter& out) {
  LabelStudioReader reader(schema);
  int64_t index = 0;
  return ForEachJsonArrayElement(in, [&](std::string_view element, int64_t line) -> Status {
    const std::string where = "task " + std::to_string(index++);
    json record = json::parse(element, nullptr, false);
    if (record.is_discarded()) {
      return Status::InvalidArgument(where + ": not valid JSON").WithLine(line);
    }
    Result<LabeledTask> task = reader.Parse(record);
    if (!task.ok()) return At(where, task.status()).WithLine(line);
    Status status = out.Add(*task);
    if (!status.ok()) return At(where, status).WithLine(line);
    return Status::Ok();
  });
}

Status WriteLabelStudio(store::Store& store, const Project& project, const Schema& schema,
                        std::ostream& out) {
  // Predictions are read per batch on the side: with PostgreSQL that takes a
  // second pooled connection while the export holds one.
  LabelStudioWriter writer(store, schema, out);
  PLUMB_RETURN_IF_ERROR(store.ForEachTaskWithAnnotations(
      project.id, [&](const Task& task, const std::vector<Revision>& revisions) {
        return writer.Add(task, revisions);
      }));
  return writer.Finish();
}

Result<json> FromLabelStudioResult(const Schema& schema, const json& result, const json& data,
                                   const std::string& field, json* media) {
  LabelStudioReader reader(schema);
  return reader.ConvertResult(json{{"result", result}}, data, field, media);
}

Result<json> ToLabelStudioResult(const Schema& schema, const json& result, const json& media) {
  return ToLabelStudio(schema, result, media);
}

namespace {

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

std::string LabelStudioConfig(const Schema& schema) {
  std::string xml = "<View>\n";
  for (const std::string& source : schema.SourceFields()) {
    // The object tag follows what the source's controls label: images for
    // geometry, audio for audio segments, text otherwise.
    const char* tag = "Text";
    for (const Control& c : schema.controls) {
      if (c.source != source) continue;
      if (c.type == ControlType::kBbox || c.type == ControlType::kPolygon ||
          c.type == ControlType::kKeypoint) {
        tag = c.media == MediaKind::kVideo ? "Video" : "Image";
      } else if (c.type == ControlType::kSpan && c.media == MediaKind::kAudio) {
        tag = "Audio";
      }
    }
    xml += "  <" + std::string(tag) + " name=\"" + XmlEscape(source) + "\" value=\"$" +
           XmlEscape(source) + "\"/>\n";
  }
  for (const Control& c : schema.controls) {
    const std::string attrs =
        " name=\"" + XmlEscape(c.name) + "\" toName=\"" + XmlEscape(c.source) + "\"";
    const char* tag = nullptr;
    const char* item = "Label";
    switch (c.type) {
      case ControlType::kChoice: tag = "Choices"; item = "Choice"; break;
      case ControlType::kBbox: tag = "RectangleLabels"; break;
      case ControlType::kPolygon: tag = "PolygonLabels"; break;
      case ControlType::kKeypoint: tag = "KeyPointLabels"; break;
      case ControlType::kSpan: tag = "Labels"; break;
      case ControlType::kText:
        xml += "  <TextArea" + attrs + "/>\n";
        continue;
      case ControlType::kRating:
        xml += "  <Rating" + attrs + " maxRating=\"" + std::to_string(c.max) + "\"/>\n";
        continue;
    }
    xml += "  <" + std::string(tag) + attrs;
    if (c.type == ControlType::kChoice) {
      xml += c.multiple ? " choice=\"multiple\"" : " choice=\"single\"";
    }
    xml += ">\n";
    for (const std::string& label : c.labels) {
      xml += "    <" + std::string(item) + " value=\"" + XmlEscape(label) + "\"/>\n";
    }
    xml += "  </" + std::string(tag) + ">\n";
  }
  return xml + "</View>\n";
}

}  // namespace plumb::io
