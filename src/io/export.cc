// Exporters: one record per task, written as the store streams the tasks by,
// through a buffer flushed every kFlushBytes.

#include <simdjson.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/io.h"
#include "io/json_text.h"
#include "io/labeled.h"

namespace plumb::io {
namespace {

constexpr size_t kFlushBytes = 64 * 1024;

// The values a revision's result gives each control of the schema, in schema
// order; nullopt for a control the result does not answer.
using ControlValues = std::vector<std::optional<std::vector<std::string>>>;

// `what` names the label in errors ("revision 12").
Result<ControlValues> ValuesOf(const Schema& schema, const std::string& result_json,
                               const std::string& what) {
  ControlValues values(schema.controls.size());
  nlohmann::json result = nlohmann::json::parse(result_json, nullptr, false);
  if (result.is_discarded() || !result.is_array()) {
    return Status::Internal(what + " has a result that is not a JSON list");
  }
  for (const nlohmann::json& item : result) {
    if (!item.is_object()) continue;
    auto control = item.find("control");
    auto item_values = item.find("values");
    if (control == item.end() || !control->is_string() || item_values == item.end() ||
        !item_values->is_array()) {
      continue;
    }
    // Items of controls no longer in the schema are left out.
    const std::string& name = control->get_ref<const std::string&>();
    for (size_t i = 0; i < schema.controls.size(); ++i) {
      if (schema.controls[i].name != name) continue;
      std::vector<std::string>& out = values[i].emplace();
      for (const nlohmann::json& v : *item_values) {
        if (v.is_string()) out.push_back(v.get<std::string>());
      }
    }
  }
  return values;
}

class Exporter {
 public:
  Exporter(const Schema& schema, ExportFormat format, std::ostream& out)
      : schema_(schema), format_(format), out_(out) {}

  // `version`: the header of a dataset version's CSV (method for the
  // annotator columns).
  void Begin(bool version = false) {
    if (format_ == ExportFormat::kJson) buffer_.append("[");
    if (format_ == ExportFormat::kCsv && version) {
      buffer_.append("id,data");
      for (const Control& c : schema_.controls) {
        buffer_.push_back(',');
        AppendCsvCell(&buffer_, c.name);
      }
      buffer_.append(",method\r\n");
      return;
    }
    if (format_ == ExportFormat::kCsv) {
      buffer_.append("id,state,data");
      for (const Control& c : schema_.controls) {
        buffer_.push_back(',');
        AppendCsvCell(&buffer_, c.name);
      }
      buffer_.append(",annotator,annotated_at\r\n");
    }
  }

  Status Write(const Task& task, const std::vector<Revision>& revisions) {
    const Revision* newest = NewestRevision(revisions);
    ControlValues values(schema_.controls.size());
    if (newest != nullptr) {
      PLUMB_ASSIGN_OR_RETURN(
          values, ValuesOf(schema_, newest->result_json, "revision " + std::to_string(newest->id)));
    }
    PLUMB_RETURN_IF_ERROR(Compact(task.data_json, &data_));
    switch (format_) {
      case ExportFormat::kJson:
        buffer_.append(first_ ? "\n" : ",\n");
        PLUMB_RETURN_IF_ERROR(AppendJsonRecord(task, revisions, newest, values));
        break;
      case ExportFormat::kJsonLines:
        PLUMB_RETURN_IF_ERROR(AppendJsonRecord(task, revisions, newest, values));
        buffer_.push_back('\n');
        break;
      case ExportFormat::kCsv:
        AppendCsvRow(task, newest, values);
        break;
      default:  // the label formats have their own writers (labeled.h)
        return Status::Internal("not a task export format");
    }
    first_ = false;
    if (buffer_.size() >= kFlushBytes) return Flush();
    return Status::Ok();
  }

  // A label of a dataset version: {id, data, label, final: {result, method}}
  // (docs/datasets.md); CSV: id, data, one column per control, method.
  Status WriteVersionLabel(const store::VersionLabel& label) {
    PLUMB_ASSIGN_OR_RETURN(ControlValues values,
                           ValuesOf(schema_, label.result_json,
                                    "the label of task " + std::to_string(label.task_id)));
    PLUMB_RETURN_IF_ERROR(Compact(label.data_json, &data_));
    std::string& b = buffer_;
    if (format_ == ExportFormat::kCsv) {
      b.append(std::to_string(label.task_id)).push_back(',');
      AppendCsvCell(&b, data_);
      AppendCsvValues(values);
      b.push_back(',');
      AppendCsvCell(&b, label.method);
      b.append("\r\n");
    } else {
      if (format_ == ExportFormat::kJson) b.append(first_ ? "\n" : ",\n");
      b.append("{\"id\":").append(std::to_string(label.task_id));
      b.append(",\"data\":").append(data_);
      b.append(",\"label\":");
      AppendLabelMap(values);
      // The version's result is canonical compact JSON already.
      b.append(",\"final\":{\"result\":").append(label.result_json);
      b.append(",\"method\":");
      AppendJsonString(&b, label.method);
      b.append("}}");
      if (format_ == ExportFormat::kJsonLines) b.push_back('\n');
    }
    first_ = false;
    if (buffer_.size() >= kFlushBytes) return Flush();
    return Status::Ok();
  }

  Status End() {
    if (format_ == ExportFormat::kJson) buffer_.append(first_ ? "]\n" : "\n]\n");
    PLUMB_RETURN_IF_ERROR(Flush());
    out_.flush();
    if (!out_) return Status::Internal("writing the export failed");
    return Status::Ok();
  }

 private:
  Status Flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
    if (!out_) return Status::Internal("writing the export failed");
    return Status::Ok();
  }

  // Stored JSON is valid but not necessarily compact; CSV cells need it on one line.
  Status Compact(const std::string& json, std::string* out) {
    // minify() may write up to a SIMD block past its output.
    out->resize(json.size() + simdjson::SIMDJSON_PADDING);
    size_t size = 0;
    if (simdjson::minify(json.data(), json.size(), out->data(), size) != simdjson::SUCCESS ||
        size == 0) {
      return Status::Internal("stored JSON is malformed: " + json.substr(0, 80));
    }
    out->resize(size);
    return Status::Ok();
  }

  Status AppendJsonRecord(const Task& task, const std::vector<Revision>& revisions,
                          const Revision* newest, const ControlValues& values) {
    std::string& b = buffer_;
    b.append("{\"id\":").append(std::to_string(task.id));
    b.append(",\"data\":").append(data_);
    b.append(",\"state\":");
    AppendJsonString(&b, TaskStateName(task.state));
    b.append(",\"priority\":").append(std::to_string(task.priority));
    b.append(",\"created_at\":");
    AppendJsonString(&b, FormatIsoTime(task.created_at_ms));
    b.append(",\"annotations\":[");
    for (size_t i = 0; i < revisions.size(); ++i) {
      const Revision& r = revisions[i];
      if (i > 0) b.push_back(',');
      b.append("{\"annotation_id\":").append(std::to_string(r.annotation_id));
      b.append(",\"annotator\":");
      AppendJsonString(&b, r.username);
      PLUMB_RETURN_IF_ERROR(Compact(r.result_json, &result_));
      b.append(",\"result\":").append(result_);
      b.append(",\"revision\":").append(std::to_string(r.revision));
      b.append(",\"lead_time_ms\":").append(std::to_string(r.lead_time_ms));
      b.append(",\"updated_at\":");
      AppendJsonString(&b, FormatIsoTime(r.created_at_ms));
      b.push_back('}');
    }
    b.append("],\"label\":");
    AppendLabelMap(values);
    b.append(",\"annotator\":");
    if (newest == nullptr) {
      b.append("null,\"annotated_at\":null}");
    } else {
      AppendJsonString(&b, newest->username);
      b.append(",\"annotated_at\":");
      AppendJsonString(&b, FormatIsoTime(newest->created_at_ms));
      b.push_back('}');
    }
    return Status::Ok();
  }

  void AppendCsvRow(const Task& task, const Revision* newest, const ControlValues& values) {
    std::string& b = buffer_;
    b.append(std::to_string(task.id)).push_back(',');
    AppendCsvCell(&b, TaskStateName(task.state));
    b.push_back(',');
    AppendCsvCell(&b, data_);
    AppendCsvValues(values);
    b.push_back(',');
    if (newest != nullptr) {
      AppendCsvCell(&b, newest->username);
      b.push_back(',');
      AppendCsvCell(&b, FormatIsoTime(newest->created_at_ms));
    } else {
      b.push_back(',');
    }
    b.append("\r\n");
  }

  // {"control": value, ...}: a string for a single choice, a list for a
  // multiple one, null when the label leaves the control out.
  void AppendLabelMap(const ControlValues& values) {
    std::string& b = buffer_;
    b.push_back('{');
    for (size_t i = 0; i < schema_.controls.size(); ++i) {
      const Control& control = schema_.controls[i];
      if (i > 0) b.push_back(',');
      AppendJsonString(&b, control.name);
      b.push_back(':');
      if (!values[i].has_value() || (!control.multiple && values[i]->empty())) {
        b.append("null");
      } else if (control.multiple) {
        b.push_back('[');
        for (size_t v = 0; v < values[i]->size(); ++v) {
          if (v > 0) b.push_back(',');
          AppendJsonString(&b, (*values[i])[v]);
        }
        b.push_back(']');
      } else {
        AppendJsonString(&b, values[i]->front());
      }
    }
    b.push_back('}');
  }

  // One cell per control, values joined by '|'.
  void AppendCsvValues(const ControlValues& values) {
    std::string& b = buffer_;
    for (size_t i = 0; i < schema_.controls.size(); ++i) {
      b.push_back(',');
      if (!values[i].has_value()) continue;
      std::string joined;
      for (size_t v = 0; v < values[i]->size(); ++v) {
        if (v > 0) joined.push_back('|');
        joined.append((*values[i])[v]);
      }
      AppendCsvCell(&b, joined);
    }
  }

  const Schema& schema_;
  ExportFormat format_;
  std::ostream& out_;
  std::string buffer_;
  std::string data_;    // the current task's compact data
  std::string result_;  // scratch for a compact result
  bool first_ = true;
};

}  // namespace

namespace {

struct ExportFormatInfo {
  ExportFormat format;
  const char* name;
  const char* content_type;
  const char* extension;
};

constexpr ExportFormatInfo kExportFormats[] = {
    {ExportFormat::kJson, "json", "application/json", "json"},
    {ExportFormat::kJsonLines, "jsonl", "application/x-ndjson", "jsonl"},
    {ExportFormat::kCsv, "csv", "text/csv; charset=utf-8", "csv"},
    {ExportFormat::kCoco, "coco", "application/json", "coco.json"},
    {ExportFormat::kYolo, "yolo", "application/zip", "yolo.zip"},
    {ExportFormat::kVoc, "voc", "application/zip", "voc.zip"},
    {ExportFormat::kConll, "conll", "text/plain; charset=utf-8", "conll"},
    {ExportFormat::kSpacy, "spacy", "application/x-ndjson", "spacy.jsonl"},
    {ExportFormat::kLabelStudio, "label_studio", "application/json", "label_studio.json"},
};

const ExportFormatInfo& Info(ExportFormat format) {
  for (const ExportFormatInfo& info : kExportFormats) {
    if (info.format == format) return info;
  }
  return kExportFormats[0];
}

}  // namespace

std::optional<ExportFormat> ParseExportFormat(std::string_view name) {
  for (const ExportFormatInfo& info : kExportFormats) {
    if (name == info.name) return info.format;
  }
  return std::nullopt;
}

const char* ExportContentType(ExportFormat format) { return Info(format).content_type; }

const char* ExportFileExtension(ExportFormat format) { return Info(format).extension; }

Status ExportTasks(store::Store& store, const Project& project, ExportFormat format,
                   std::ostream& out) {
  Result<Schema> schema = ParseSchema(project.schema_json);
  if (!schema.ok()) {
    return Status::Internal("project " + std::to_string(project.id) +
                            " has an invalid stored schema: " + schema.status().message());
  }
  switch (format) {
    case ExportFormat::kJson:
    case ExportFormat::kJsonLines:
    case ExportFormat::kCsv:
      break;
    case ExportFormat::kCoco:
      return WriteCoco(store, project, *schema, out);
    case ExportFormat::kYolo:
      return WriteYolo(store, project, *schema, out);
    case ExportFormat::kVoc:
      return WriteVoc(store, project, *schema, out);
    case ExportFormat::kConll:
      return WriteConll(store, project, *schema, out);
    case ExportFormat::kSpacy:
      return WriteSpacy(store, project, *schema, out);
    case ExportFormat::kLabelStudio:
      return WriteLabelStudio(store, project, *schema, out);
  }
  Exporter exporter(*schema, format, out);
  exporter.Begin();
  PLUMB_RETURN_IF_ERROR(store.ForEachTaskWithAnnotations(
      project.id, [&exporter](const Task& task, const std::vector<Revision>& revisions) {
        return exporter.Write(task, revisions);
      }));
  return exporter.End();
}

Status ExportVersion(store::Store& store, const Project& project,
                     const store::DatasetVersion& version, ExportFormat format,
                     std::ostream& out) {
  if (format != ExportFormat::kJson && format != ExportFormat::kJsonLines &&
      format != ExportFormat::kCsv) {
    return Status::InvalidArgument("a version exports as json, jsonl or csv", "format");
  }
  Result<Schema> schema = ParseSchema(project.schema_json);
  if (!schema.ok()) {
    return Status::Internal("project " + std::to_string(project.id) +
                            " has an invalid stored schema: " + schema.status().message());
  }
  Exporter exporter(*schema, format, out);
  exporter.Begin(/*version=*/true);
  PLUMB_RETURN_IF_ERROR(store.ForEachVersionLabel(
      version.id,
      [&exporter](const store::VersionLabel& label) { return exporter.WriteVersionLabel(label); }));
  return exporter.End();
}

}  // namespace plumb::io
