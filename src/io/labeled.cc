// LabeledWriter and the pieces the label formats share.

#include "io/labeled.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>

#include "core/utf8.h"

namespace plumb::io {

using nlohmann::json;

namespace {

std::string MediaText(const json& media) { return media.is_null() ? std::string() : media.dump(); }

// Whether every string (and key) in `j` is valid UTF-8: readers copy bytes
// from XML, zip names and text files into JSON, whose dump() would throw.
bool ValidUtf8(const json& j) {
  if (j.is_string()) return Utf8Length(j.get_ref<const std::string&>()).has_value();
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (!Utf8Length(key) || !ValidUtf8(value)) return false;
    }
  } else if (j.is_array()) {
    for (const json& v : j) {
      if (!ValidUtf8(v)) return false;
    }
  }
  return true;
}

}  // namespace

Status At(std::string_view where, const Status& status) {
  Status out =
      Status::InvalidArgument(std::string(where) + ": " + status.message(), status.field());
  return status.line() > 0 ? out.WithLine(status.line()) : out;
}

Status CheckUtf8(std::string_view text, const std::string& what) {
  if (Utf8Length(text).has_value()) return Status::Ok();
  return Status::InvalidArgument(what + " is not valid UTF-8");
}

Status LabeledWriter::Add(const LabeledTask& task) {
  bool utf8 =
      ValidUtf8(task.data) && (!task.result || ValidUtf8(*task.result)) && ValidUtf8(task.media);
  for (const LabeledPrediction& p : task.predictions) {
    utf8 = utf8 && ValidUtf8(p.result) && ValidUtf8(p.media);
  }
  if (!utf8) return Status::InvalidArgument("the record holds text that is not valid UTF-8");
  task_.data_json = task.data.dump();
  task_.priority = task.priority;
  task_.annotation.reset();
  task_.predictions.clear();
  if (Status s = ValidateTaskData(schema_, task_.data_json); !s.ok()) {
    return Status::InvalidArgument("task data: " + s.message(), s.field());
  }
  if (task.result) {
    json result = *task.result;
    FillSpanTexts(schema_, task.data, result);
    Result<ValidAnnotation> valid =
        ValidateAnnotation(schema_, task_.data_json, result.dump(), MediaText(task.media));
    if (!valid.ok()) {
      return Status::InvalidArgument(
          "annotation does not fit the schema: " + valid.status().message(),
          valid.status().field());
    }
    task_.annotation = store::NewImportedAnnotation{.user_id = user_id_,
                                                    .result_json = std::move(valid->result_json),
                                                    .media_json = std::move(valid->media_json),
                                                    .lead_time_ms = task.lead_time_ms};
  }
  for (size_t i = 0; i < task.predictions.size(); ++i) {
    const LabeledPrediction& p = task.predictions[i];
    json result = p.result;
    FillSpanTexts(schema_, task.data, result);
    Result<ValidAnnotation> valid =
        ValidateAnnotation(schema_, task_.data_json, result.dump(), MediaText(p.media));
    if (!valid.ok()) {
      return Status::InvalidArgument(
          "prediction " + std::to_string(i) +
              " does not fit the schema: " + valid.status().message(),
          "predictions[" + std::to_string(i) + "]." + valid.status().field());
    }
    task_.predictions.push_back({.model_name = p.model_name,
                                 .model_version = p.model_version,
                                 .score = p.score,
                                 .result_json = std::move(valid->result_json),
                                 .media_json = std::move(valid->media_json)});
  }
  PLUMB_RETURN_IF_ERROR(writer_.Add(task_));
  ++summary_.tasks;
  if (task_.annotation) ++summary_.annotations;
  summary_.predictions += static_cast<int64_t>(task_.predictions.size());
  summary_.dropped_annotations += task.dropped_annotations;
  return Status::Ok();
}

const Revision* NewestRevision(const std::vector<Revision>& revisions) {
  const Revision* newest = nullptr;
  for (const Revision& r : revisions) {
    if (newest == nullptr || r.created_at_ms > newest->created_at_ms ||
        (r.created_at_ms == newest->created_at_ms && r.id > newest->id)) {
      newest = &r;
    }
  }
  return newest;
}

Status ForEachLabeledImage(store::Store& store, const Project& project,
                           const std::function<Status(const Task&, const ImageLabels&)>& fn) {
  return store.ForEachTaskWithAnnotations(
      project.id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        const Revision* newest = NewestRevision(revisions);
        if (newest == nullptr) return Status::Ok();
        ImageLabels labels;
        PLUMB_ASSIGN_OR_RETURN(labels.media, ParseStored(newest->media_json));
        // Without the image size there is no pixel geometry to convert.
        if (!labels.media.is_object() || !labels.media.contains("width")) return Status::Ok();
        PLUMB_ASSIGN_OR_RETURN(labels.data, ParseStored(task.data_json));
        PLUMB_ASSIGN_OR_RETURN(labels.result, ParseStored(newest->result_json));
        return fn(task, labels);
      });
}

const Control* FindControl(const Schema& schema, ControlType type, MediaKind media) {
  for (const Control& c : schema.controls) {
    if (c.type == type && c.media == media) return &c;
  }
  return nullptr;
}

Result<const Control*> TextSpanControl(const Schema& schema) {
  const Control* control = FindControl(schema, ControlType::kSpan, MediaKind::kText);
  if (control == nullptr) {
    return Status::InvalidArgument("the project's schema has no span control over a text");
  }
  return control;
}

Result<json> ParseStored(const std::string& json_text) {
  if (json_text.empty()) return json();
  json j = json::parse(json_text, nullptr, false);
  if (j.is_discarded())
    return Status::Internal("stored JSON is malformed: " + json_text.substr(0, 80));
  return j;
}

Status OutBuffer::Flush() {
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  if (!out_) return Status::Internal("writing the export failed");
  return Status::Ok();
}

Status OutBuffer::Finish() {
  PLUMB_RETURN_IF_ERROR(Flush());
  out_.flush();
  if (!out_) return Status::Internal("writing the export failed");
  return Status::Ok();
}

std::optional<std::string> CodePointSlice(const std::string& text, int64_t start, int64_t end) {
  std::optional<std::vector<size_t>> offsets = Utf8CodePointOffsets(text);
  if (!offsets || start < 0 || start > end || end >= static_cast<int64_t>(offsets->size())) {
    return std::nullopt;
  }
  return text.substr((*offsets)[start], (*offsets)[end] - (*offsets)[start]);
}

void FillSpanTexts(const Schema& schema, const json& data, json& result) {
  for (json& item : result) {
    if (!item.is_object() || item.contains("text")) continue;
    const Control* control = schema.FindControl(item.value("control", ""));
    if (control == nullptr || control->type != ControlType::kSpan ||
        control->media != MediaKind::kText) {
      continue;
    }
    auto text = data.find(control->source);
    auto start = item.find("start");
    auto end = item.find("end");
    if (text == data.end() || !text->is_string() || start == item.end() ||
        !start->is_number_integer() || end == item.end() || !end->is_number_integer()) {
      continue;
    }
    std::optional<std::string> covered = CodePointSlice(text->get_ref<const std::string&>(),
                                                        start->get<int64_t>(), end->get<int64_t>());
    if (covered) item["text"] = std::move(*covered);
  }
}

std::array<double, 4> BoxBounds(double x, double y, double w, double h, double degrees) {
  if (degrees == 0) return {x, y, w, h};
  const double r = degrees * std::numbers::pi / 180.0;
  const double c = std::cos(r), s = std::sin(r);
  const double xs[4] = {x, x + w * c, x + w * c - h * s, x - h * s};
  const double ys[4] = {y, y + w * s, y + w * s + h * c, y + h * c};
  const auto [x0, x1] = std::minmax_element(xs, xs + 4);
  const auto [y0, y1] = std::minmax_element(ys, ys + 4);
  return {*x0, *y0, *x1 - *x0, *y1 - *y0};
}

std::string FileStem(std::string_view path) {
  path = path.substr(0, path.find_first_of("?#"));
  if (size_t slash = path.find_last_of("/\\"); slash != std::string_view::npos) {
    path.remove_prefix(slash + 1);
  }
  if (size_t dot = path.rfind('.'); dot != std::string_view::npos && dot > 0) {
    path = path.substr(0, dot);
  }
  std::string stem;
  for (char c : path) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || c == '.' || static_cast<unsigned char>(c) >= 0x80;
    stem.push_back(keep ? c : '_');
  }
  return stem.empty() ? "image" : stem;
}

std::string UniqueStems::Unique(std::string_view path) {
  const std::string stem = FileStem(path);
  std::string name = stem;
  for (int n = 2; !used_.insert(name).second; ++n) name = stem + "_" + std::to_string(n);
  return name;
}

Result<const Control*> ImageBoxControl(const Schema& schema) {
  const Control* control = FindControl(schema, ControlType::kBbox, MediaKind::kImage);
  if (control == nullptr) {
    return Status::InvalidArgument("the project's schema has no bbox control over an image");
  }
  return control;
}

std::string FormatNumber(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  if (ec != std::errc()) return "0";
  return std::string(buf, end);
}

}  // namespace plumb::io
