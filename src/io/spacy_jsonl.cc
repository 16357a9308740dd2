// spaCy-style JSONL: one text per line with its entity spans,
// {"text": "...", "spans": [{"start": 0, "end": 5, "label": "PER"}]} or
// {"text": "...", "entities": [[0, 5, "PER"]]}. Offsets are characters
// (Unicode code points, as Python counts them), which is what Plumb stores.

#include <string>

#include "io/importers.h"
#include "io/labeled.h"

namespace plumb::io {
namespace {

using nlohmann::json;

// One span of "spans" (an object) or "entities" (an object or [start, end, label]).
Result<json> ConvertSpan(const json& span, const Control& control, const std::string& field) {
  json start, end, label;
  if (span.is_array()) {
    if (span.size() != 3) {
      return Status::InvalidArgument("an entity must be [start, end, label]", field);
    }
    start = span[0];
    end = span[1];
    label = span[2];
  } else if (span.is_object()) {
    start = span.value("start", json());
    end = span.value("end", json());
    label = span.value("label", json());
  } else {
    return Status::InvalidArgument("a span must be an object or [start, end, label]", field);
  }
  if (!start.is_number_integer() || !end.is_number_integer()) {
    return Status::InvalidArgument("start and end must be integers", field + ".start");
  }
  if (!label.is_string())
    return Status::InvalidArgument("label must be a string", field + ".label");
  // The validator fills in the covered text and checks it.
  json item = {{"control", control.name},
               {"type", "span"},
               {"label", label},
               {"start", start},
               {"end", end}};
  if (span.is_object() && span.contains("text")) item["text"] = span["text"];
  return item;
}

Result<LabeledTask> ParseRecord(const json& record, const Control& control) {
  if (!record.is_object()) return Status::InvalidArgument("a line must be a JSON object");
  auto text = record.find("text");
  if (text == record.end() || !text->is_string()) {
    return Status::InvalidArgument("text must be a string", "text");
  }
  LabeledTask task;
  task.data[control.source] = *text;
  if (auto meta = record.find("meta"); meta != record.end()) task.data["meta"] = *meta;
  for (const char* key : {"spans", "entities"}) {
    auto spans = record.find(key);
    if (spans == record.end()) continue;
    if (!spans->is_array())
      return Status::InvalidArgument(std::string(key) + " must be a list", key);
    if (!task.result) task.result = json::array();
    for (size_t i = 0; i < spans->size(); ++i) {
      PLUMB_ASSIGN_OR_RETURN(
          json item, ConvertSpan((*spans)[i], control, key + ("[" + std::to_string(i) + "]")));
      task.result->push_back(std::move(item));
    }
  }
  return task;
}

}  // namespace

Status ReadSpacy(InputReader& in, const Schema& schema, LabeledWriter& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, TextSpanControl(schema));
  return ForEachLine(in, [&](std::string_view line, int64_t number) -> Status {
    if (IsBlankLine(line)) return Status::Ok();
    json record = json::parse(line, nullptr, false);
    if (record.is_discarded()) return Status::InvalidArgument("not valid JSON").WithLine(number);
    Result<LabeledTask> task = ParseRecord(record, *control);
    if (!task.ok()) return At("spaCy record", task.status()).WithLine(number);
    Status status = out.Add(*task);
    if (!status.ok()) return status.WithLine(number);
    return Status::Ok();
  });
}

Status WriteSpacy(store::Store& store, const Project& project, const Schema& schema,
                  std::ostream& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, TextSpanControl(schema));
  OutBuffer buffer(out);
  PLUMB_RETURN_IF_ERROR(store.ForEachTaskWithAnnotations(
      project.id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        // Training data: only labeled tasks.
        const Revision* newest = NewestRevision(revisions);
        if (newest == nullptr) return Status::Ok();
        PLUMB_ASSIGN_OR_RETURN(json data, ParseStored(task.data_json));
        PLUMB_ASSIGN_OR_RETURN(json result, ParseStored(newest->result_json));
        json spans = json::array();
        for (const json& item : result) {
          if (item.value("control", "") != control->name) continue;
          spans.push_back({{"start", item["start"]},
                           {"end", item["end"]},
                           {"label", item["label"]},
                           {"text", item.value("text", "")}});
        }
        json record = {{"id", task.id}, {"text", data.value(control->source, "")}};
        if (data.contains("meta")) record["meta"] = data["meta"];
        record["spans"] = std::move(spans);
        buffer.text().append(record.dump()).push_back('\n');
        return buffer.MaybeFlush();
      }));
  return buffer.Finish();
}

}  // namespace plumb::io
