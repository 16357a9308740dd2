#pragma once
// Parsing and validation of one JSON import record (a JSON array element or a
// JSONL line) into a store::NewTask, with simdjson On-Demand.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "store/store.h"

namespace plumb::io {

class RecordParser {
 public:
  explicit RecordParser(const Schema& schema);

  RecordParser(const RecordParser&) = delete;
  RecordParser& operator=(const RecordParser&) = delete;

  // Parses `text`, one JSON value, into `task`: the record is either
  // {"data": {...}, "priority": N} or the data object itself, and every
  // source field of the schema must be a string in the data. task->data_json
  // becomes the data object's compact JSON text. kInvalidArgument (without a
  // line; callers add it) when the text is not valid JSON or breaks a rule.
  // Reuses its buffers and task's string capacity across calls.
  Status Parse(std::string_view text, store::NewTask* task);

 private:
  enum class FieldState : uint8_t { kAbsent, kString, kNotString };
  enum class PriorityState : uint8_t { kAbsent, kValid, kInvalid };

  int SourceIndex(std::string_view key) const;
  // Traverses an object, recording the state of each source field in `found`.
  simdjson::error_code ScanObject(simdjson::ondemand::object& object,
                                  std::vector<FieldState>& found);
  // Traverses one field value, recording it in `found` if it is a source field.
  simdjson::error_code ScanField(std::string_view key, simdjson::ondemand::value& value,
                                 std::vector<FieldState>& found);
  Status FieldError(const std::vector<FieldState>& found) const;

  simdjson::ondemand::parser parser_;
  std::vector<std::string> source_fields_;
  std::vector<FieldState> top_found_;
  std::vector<FieldState> data_found_;
  // The record copied with SIMDJSON_PADDING spare bytes, which simdjson reads past the end.
  std::vector<char> padded_;
};

}  // namespace plumb::io
