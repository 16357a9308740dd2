#include "io/bakeoff_io.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "io/importers.h"
#include "io/json_text.h"
#include "io/labeled.h"

namespace plumb::io {
namespace {

using nlohmann::json;

// The values of the schema's source fields in a task's data: how a COCO
// image (its file_name) or a Label Studio record finds its task.
std::string SourceKey(const Schema& schema, const json& data) {
  json key = json::array();
  for (const std::string& field : schema.SourceFields()) key.push_back(data.value(field, json()));
  return key.dump();
}

// Takes what a format reader would import, without storing anything.
class CaptureWriter final : public store::TaskWriter {
 public:
  Status Add(const store::NewTask& task) override {
    tasks_.push_back(task);
    return Status::Ok();
  }
  Result<Batch> AddBatch(const store::NewBatch&) override {
    return Status::InvalidArgument("a bake-off file has no batches");
  }
  Result<int64_t> Commit() override { return static_cast<int64_t>(tasks_.size()); }
  const std::vector<store::NewTask>& tasks() const { return tasks_; }

 private:
  std::vector<store::NewTask> tasks_;
};

// A record as read: how it names its task and what it answers.
struct VendorRecord {
  std::string where;  // "record 3"
  std::optional<int64_t> task_id;
  json data;  // when found by source fields
  json result;
  std::string media_json;  // "" when none
  int64_t lead_time_ms = 0;
};

class Matcher {
 public:
  Matcher(const Schema& schema, const std::vector<store::GoldenSetItem>& items) : schema_(schema) {
    for (size_t i = 0; i < items.size(); ++i) {
      by_id_[items[i].task_id] = i;
      json data = json::parse(items[i].data_json, nullptr, false);
      std::string key = SourceKey(schema, data);
      by_key_[key] = by_key_.count(key) ? kAmbiguous : i;
    }
  }
  Result<size_t> Find(const VendorRecord& r) const {
    if (r.task_id) {
      auto it = by_id_.find(*r.task_id);
      if (it == by_id_.end()) {
        return Status::InvalidArgument(
            r.where + ": task " + std::to_string(*r.task_id) + " is not in the golden set", "id");
      }
      return it->second;
    }
    auto it = by_key_.find(SourceKey(schema_, r.data));
    if (it == by_key_.end()) {
      return Status::InvalidArgument(r.where + ": no task of the golden set has this data");
    }
    if (it->second == kAmbiguous) {
      return Status::InvalidArgument(r.where +
                                     ": several tasks of the golden set have this data; use "
                                     "a format that carries the task id (json, csv)");
    }
    return it->second;
  }

 private:
  static constexpr size_t kAmbiguous = static_cast<size_t>(-1);
  const Schema& schema_;
  std::map<int64_t, size_t> by_id_;
  std::map<std::string, size_t> by_key_;
};

Result<std::optional<int64_t>> ParseId(const json& value, const std::string& where) {
  if (value.is_null()) return std::optional<int64_t>();
  if (value.is_number_integer()) return std::optional<int64_t>(value.get<int64_t>());
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    if (s.empty()) return std::optional<int64_t>();
    char* end = nullptr;
    long long v = std::strtoll(s.c_str(), &end, 10);
    if (end != s.c_str() && *end == '\0') return std::optional<int64_t>(v);
  }
  return Status::InvalidArgument(where + ": id must be a task id", "id");
}

Result<std::vector<VendorRecord>> ReadJsonRecords(std::istream& in) {
  PLUMB_RETURN_IF_ERROR(CheckWholeReadSize(in, kMaxCocoBytes, "a bake-off JSON file"));
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.is_array()) {
    return Status::InvalidArgument("a bake-off JSON file is a list of {id, result, media}");
  }
  std::vector<VendorRecord> out;
  for (size_t i = 0; i < doc.size(); ++i) {
    const json& r = doc[i];
    VendorRecord v;
    v.where = "record " + std::to_string(i + 1);
    if (!r.is_object()) return Status::InvalidArgument(v.where + " must be an object");
    PLUMB_ASSIGN_OR_RETURN(v.task_id, ParseId(r.value("id", json()), v.where));
    v.data = r.value("data", json::object());
    if (!r.contains("result") || !r["result"].is_array()) {
      return Status::InvalidArgument(v.where + ": result must be a list", "result");
    }
    v.result = r["result"];
    if (r.contains("media") && r["media"].is_object()) v.media_json = r["media"].dump();
    if (r.contains("lead_time_ms") && r["lead_time_ms"].is_number_integer()) {
      v.lead_time_ms = std::max<int64_t>(r["lead_time_ms"].get<int64_t>(), 0);
    }
    out.push_back(std::move(v));
  }
  return out;
}

// A CSV cell of control `c` as result items.
Result<json> CellItems(const Control& c, const std::string& cell, const std::string& where) {
  json items = json::array();
  if (cell.empty()) return items;
  const std::string type(ControlTypeName(c.type));
  if (IsRegionControl(c.type)) {
    json list = json::parse(cell, nullptr, false);
    if (!list.is_array()) {
      return Status::InvalidArgument(
          where + ": column " + c.name + " must be a JSON list of " + type + " items", c.name);
    }
    for (json item : list) {
      if (!item.is_object()) {
        return Status::InvalidArgument(where + ": column " + c.name + " holds a non-object",
                                       c.name);
      }
      item["control"] = c.name;
      items.push_back(std::move(item));
    }
    return items;
  }
  json item = {{"control", c.name}, {"type", type}};
  switch (c.type) {
    case ControlType::kChoice: {
      json values = json::array();
      std::stringstream ss(cell);
      std::string v;
      while (std::getline(ss, v, '|')) values.push_back(v);
      item["values"] = values;
      break;
    }
    case ControlType::kRating: {
      char* end = nullptr;
      long v = std::strtol(cell.c_str(), &end, 10);
      if (end == cell.c_str() || *end != '\0') {
        return Status::InvalidArgument(where + ": column " + c.name + " must be an integer",
                                       c.name);
      }
      item["value"] = v;
      break;
    }
    default:
      item["value"] = cell;
      break;
  }
  items.push_back(std::move(item));
  return items;
}

Result<std::vector<VendorRecord>> ReadCsvRecords(const Schema& schema, std::istream& in) {
  CaptureWriter capture;
  InputReader reader(in);
  PLUMB_RETURN_IF_ERROR(ReadCsv(reader, schema, capture).status());
  std::vector<VendorRecord> out;
  for (size_t i = 0; i < capture.tasks().size(); ++i) {
    json row = json::parse(capture.tasks()[i].data_json, nullptr, false);
    VendorRecord v;
    v.where = "line " + std::to_string(i + 2);
    PLUMB_ASSIGN_OR_RETURN(v.task_id, ParseId(row.value("id", json()), v.where));
    v.data = row;
    v.result = json::array();
    for (const Control& c : schema.controls) {
      PLUMB_ASSIGN_OR_RETURN(json items, CellItems(c, row.value(c.name, ""), v.where));
      for (json& item : items) v.result.push_back(std::move(item));
    }
    if (std::string media = row.value("media", ""); !media.empty()) v.media_json = media;
    if (std::string lead = row.value("lead_time_ms", ""); !lead.empty()) {
      v.lead_time_ms = std::max<int64_t>(std::atoll(lead.c_str()), 0);
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<std::vector<VendorRecord>> ReadLabeledRecords(const Schema& schema, std::string_view format,
                                                     std::istream& in, int64_t user_id) {
  CaptureWriter capture;
  LabeledWriter writer(schema, capture, user_id);
  if (format == "coco") {
    PLUMB_RETURN_IF_ERROR(CheckWholeReadSize(in, kMaxCocoBytes, "a COCO file"));
    PLUMB_RETURN_IF_ERROR(ReadCoco(in, schema, writer));
  } else {
    InputReader reader(in);
    PLUMB_RETURN_IF_ERROR(ReadLabelStudio(reader, schema, writer));
  }
  std::vector<VendorRecord> out;
  for (size_t i = 0; i < capture.tasks().size(); ++i) {
    const store::NewTask& t = capture.tasks()[i];
    VendorRecord v;
    v.where = (format == "coco" ? "images[" : "record [") + std::to_string(i) + "]";
    v.data = json::parse(t.data_json, nullptr, false);
    if (!t.annotation) continue;  // a record the vendor left unlabeled
    v.result = json::parse(t.annotation->result_json, nullptr, false);
    v.media_json = t.annotation->media_json;
    v.lead_time_ms = t.annotation->lead_time_ms;
    out.push_back(std::move(v));
  }
  return out;
}

void WriteCsvTasks(const Schema& schema, const std::vector<store::GoldenSetItem>& items,
                   std::ostream& out) {
  const std::vector<std::string> sources = schema.SourceFields();
  std::string line;
  AppendCsvCell(&line, "id");
  for (const std::string& s : sources) {
    line.push_back(',');
    AppendCsvCell(&line, s);
  }
  for (const Control& c : schema.controls) {
    line.push_back(',');
    AppendCsvCell(&line, c.name);
  }
  out << line << "\r\n";
  for (const store::GoldenSetItem& item : items) {
    json data = json::parse(item.data_json, nullptr, false);
    line.clear();
    AppendCsvCell(&line, std::to_string(item.task_id));
    for (const std::string& s : sources) {
      line.push_back(',');
      AppendCsvCell(&line, data.value(s, ""));
    }
    for (size_t i = 0; i < schema.controls.size(); ++i) line.push_back(',');
    out << line << "\r\n";
  }
}

Status WriteCocoTasks(const Schema& schema, const std::vector<store::GoldenSetItem>& items,
                      std::ostream& out) {
  const Control* region = FindControl(schema, ControlType::kBbox, MediaKind::kImage);
  if (region == nullptr) region = FindControl(schema, ControlType::kPolygon, MediaKind::kImage);
  if (region == nullptr) {
    return Status::InvalidArgument("COCO needs a bbox or polygon control over an image", "format");
  }
  json images = json::array();
  for (const store::GoldenSetItem& item : items) {
    json data = json::parse(item.data_json, nullptr, false);
    json media =
        json::parse(item.answer.media_json.empty() ? "{}" : item.answer.media_json, nullptr, false);
    images.push_back({{"id", item.task_id},
                      {"file_name", data.value(region->source, "")},
                      {"width", media.value("width", json())},
                      {"height", media.value("height", json())}});
  }
  json categories = json::array();
  for (size_t i = 0; i < region->labels.size(); ++i) {
    categories.push_back({{"id", i + 1}, {"name", region->labels[i]}, {"supercategory", ""}});
  }
  out << json{{"images", images}, {"annotations", json::array()}, {"categories", categories}}
             .dump();
  return Status::Ok();
}

}  // namespace

bool IsBakeoffFormat(std::string_view name) {
  return name == "json" || name == "csv" || name == "coco" || name == "label_studio";
}

Status WriteBakeoffTasks(const Schema& schema, const std::vector<store::GoldenSetItem>& items,
                         std::string_view format, std::ostream& out) {
  if (format == "csv") {
    WriteCsvTasks(schema, items, out);
  } else if (format == "coco") {
    PLUMB_RETURN_IF_ERROR(WriteCocoTasks(schema, items, out));
  } else if (format == "json" || format == "label_studio") {
    out << "[";
    for (size_t i = 0; i < items.size(); ++i) {
      out << (i == 0 ? "\n" : ",\n")
          << json{{"id", items[i].task_id},
                  {"data", json::parse(items[i].data_json, nullptr, false)}}
                 .dump();
    }
    out << "\n]\n";
  } else {
    return Status::InvalidArgument("format must be json, csv, coco or label_studio", "format");
  }
  if (!out) return Status::Internal("cannot write the bake-off file");
  return Status::Ok();
}

Result<std::vector<store::BakeoffLabel>> ReadBakeoffLabels(
    const Schema& schema, const std::vector<store::GoldenSetItem>& items, std::string_view format,
    std::istream& in, int64_t user_id) {
  std::vector<VendorRecord> records;
  if (format == "json") {
    PLUMB_ASSIGN_OR_RETURN(records, ReadJsonRecords(in));
  } else if (format == "csv") {
    PLUMB_ASSIGN_OR_RETURN(records, ReadCsvRecords(schema, in));
  } else if (format == "coco" || format == "label_studio") {
    PLUMB_ASSIGN_OR_RETURN(records, ReadLabeledRecords(schema, format, in, user_id));
  } else {
    return Status::InvalidArgument("format must be json, csv, coco or label_studio", "format");
  }
  Matcher matcher(schema, items);
  std::vector<store::BakeoffLabel> labels;
  std::map<int64_t, std::string> seen;  // task id → where
  for (const VendorRecord& r : records) {
    PLUMB_ASSIGN_OR_RETURN(size_t index, matcher.Find(r));
    const store::GoldenSetItem& item = items[index];
    if (auto [it, fresh] = seen.emplace(item.task_id, r.where); !fresh) {
      return Status::InvalidArgument(r.where + ": task " + std::to_string(item.task_id) +
                                     " was answered before, by " + it->second);
    }
    const std::string media = r.media_json.empty() ? item.answer.media_json : r.media_json;
    auto valid = ValidateAnnotation(schema, item.data_json, r.result.dump(), media);
    if (!valid.ok()) {
      return Status::InvalidResult(
          r.where + " (task " + std::to_string(item.task_id) + "): " + valid.status().message(),
          valid.status().field());
    }
    store::BakeoffLabel label;
    label.task_id = item.task_id;
    label.user_id = user_id;
    label.result_json = valid->result_json;
    label.media_json = valid->media_json;
    label.lead_time_ms = r.lead_time_ms;
    labels.push_back(std::move(label));
  }
  return labels;
}

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace plumb::io
