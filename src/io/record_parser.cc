#include "io/record_parser.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "io/importers.h"

namespace plumb::io {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Far deeper than any task needs; bounds the recursion of ValidateValue.
constexpr int kMaxDepth = 512;

Status JsonError(error_code error) {
  return Status::InvalidArgument(std::string("invalid JSON: ") + simdjson::error_message(error));
}

// On-Demand parsing is lazy: a value that is skipped is only checked for
// balanced brackets. Visiting every value, with the accessor that fully parses
// it, is what makes the whole record validated.
error_code ValidateValue(od::value& value, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  switch (type) {
    case od::json_type::object: {
      od::object object;
      SIMDJSON_TRY(value.get_object().get(object));
      for (auto field_result : object) {
        od::field field;
        SIMDJSON_TRY(std::move(field_result).get(field));
        std::string_view key;
        SIMDJSON_TRY(field.unescaped_key().get(key));
        SIMDJSON_TRY(ValidateValue(field.value(), depth + 1));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      SIMDJSON_TRY(value.get_array().get(array));
      for (auto element_result : array) {
        od::value element;
        SIMDJSON_TRY(std::move(element_result).get(element));
        SIMDJSON_TRY(ValidateValue(element, depth + 1));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return value.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null;
      SIMDJSON_TRY(value.is_null().get(is_null));
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

// Reads the priority beside "data"; returns an error only for invalid JSON.
error_code ReadPriority(od::value& value, int32_t* priority, bool* valid) {
  *valid = false;
  od::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type != od::json_type::number) return ValidateValue(value, 1);
  od::number number;
  SIMDJSON_TRY(value.get_number().get(number));
  if (number.is_int64()) {
    int64_t n = number.get_int64();
    if (n >= kMinPriority && n <= kMaxPriority) {
      *priority = static_cast<int32_t>(n);
      *valid = true;
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

RecordParser::RecordParser(const Schema& schema)
    : source_fields_(schema.SourceFields()),
      top_found_(source_fields_.size()),
      data_found_(source_fields_.size()) {}

int RecordParser::SourceIndex(std::string_view key) const {
  for (size_t i = 0; i < source_fields_.size(); ++i) {
    if (source_fields_[i] == key) return static_cast<int>(i);
  }
  return -1;
}

error_code RecordParser::ScanField(std::string_view key, od::value& value,
                                   std::vector<FieldState>& found) {
  int index = SourceIndex(key);
  if (index < 0) return ValidateValue(value, 1);
  od::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type == od::json_type::string) {
    std::string_view s;
    SIMDJSON_TRY(value.get_string().get(s));
    found[index] = FieldState::kString;
    return simdjson::SUCCESS;
  }
  found[index] = FieldState::kNotString;
  return ValidateValue(value, 1);
}

error_code RecordParser::ScanObject(od::object& object, std::vector<FieldState>& found) {
  for (auto field_result : object) {
    od::field field;
    SIMDJSON_TRY(std::move(field_result).get(field));
    std::string_view key;
    SIMDJSON_TRY(field.unescaped_key().get(key));
    SIMDJSON_TRY(ScanField(key, field.value(), found));
  }
  return simdjson::SUCCESS;
}

Status RecordParser::FieldError(const std::vector<FieldState>& found) const {
  for (size_t i = 0; i < source_fields_.size(); ++i) {
    const std::string& name = source_fields_[i];
    if (found[i] == FieldState::kAbsent) {
      return Status::InvalidArgument("task data has no field '" + name + "'", "data." + name);
    }
    if (found[i] == FieldState::kNotString) {
      return Status::InvalidArgument("task data field '" + name + "' must be a string",
                                     "data." + name);
    }
  }
  return Status::Ok();
}

Status RecordParser::Parse(std::string_view text, store::NewTask* task) {
  size_t needed = text.size() + simdjson::SIMDJSON_PADDING;
  if (padded_.size() < needed) padded_.resize(std::max(needed, 2 * padded_.size()));
  std::memcpy(padded_.data(), text.data(), text.size());
  // simdjson only reads the padding; zeroing it keeps runs deterministic.
  std::memset(padded_.data() + text.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document doc;
  error_code error = parser_.iterate(padded_.data(), text.size(), padded_.size()).get(doc);
  if (error) return JsonError(error);
  od::json_type type;
  error = doc.type().get(type);
  if (error) return JsonError(error);
  if (type != od::json_type::object) return Status::InvalidArgument("task must be a JSON object");
  od::object object;
  error = doc.get_object().get(object);
  if (error) return JsonError(error);

  std::fill(top_found_.begin(), top_found_.end(), FieldState::kAbsent);
  bool wrapped = false;  // the last "data" key holds an object
  const char* data_begin = nullptr;
  const char* data_end = nullptr;
  PriorityState priority_state = PriorityState::kAbsent;
  int32_t priority = 0;

  for (auto field_result : object) {
    od::field field;
    if ((error = std::move(field_result).get(field))) return JsonError(error);
    std::string_view key;
    if ((error = field.unescaped_key().get(key))) return JsonError(error);
    od::value& value = field.value();
    if (key == "data") {
      od::json_type value_type;
      if ((error = value.type().get(value_type))) return JsonError(error);
      if (value_type == od::json_type::object) {
        wrapped = true;
        int index = SourceIndex(key);
        if (index >= 0) top_found_[index] = FieldState::kNotString;
        data_begin = value.raw_json_token().data();
        od::object data;
        if ((error = value.get_object().get(data))) return JsonError(error);
        std::fill(data_found_.begin(), data_found_.end(), FieldState::kAbsent);
        if ((error = ScanObject(data, data_found_))) return JsonError(error);
        // The iterator now stands on the token after the data object's '}':
        // the enclosing object's ',' or '}', so it is always in bounds.
        const char* next;
        if ((error = doc.current_location().get(next))) return JsonError(error);
        data_end = next;
        continue;
      }
      wrapped = false;
    } else if (key == "priority") {
      bool valid = false;
      int index = SourceIndex(key);
      od::json_type value_type;
      if ((error = value.type().get(value_type))) return JsonError(error);
      if (index >= 0 && value_type == od::json_type::string) {
        error = ScanField(key, value, top_found_);
      } else {
        if (index >= 0) top_found_[index] = FieldState::kNotString;
        error = ReadPriority(value, &priority, &valid);
      }
      if (error) return JsonError(error);
      priority_state = valid ? PriorityState::kValid : PriorityState::kInvalid;
      continue;
    }
    if ((error = ScanField(key, value, top_found_))) return JsonError(error);
  }
  // Anything after the record's closing brace, such as a second value.
  if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return Status::InvalidArgument("invalid JSON: unexpected content after the record");
  }

  std::string_view data_text = text;
  if (wrapped) {
    if (priority_state == PriorityState::kInvalid) {
      return Status::InvalidArgument("priority must be an integer from -1000000 to 1000000",
                                     "priority");
    }
    PLUMB_RETURN_IF_ERROR(FieldError(data_found_));
    task->priority = priority_state == PriorityState::kValid ? priority : 0;
    data_text = std::string_view(data_begin, data_end - data_begin);
  } else {
    PLUMB_RETURN_IF_ERROR(FieldError(top_found_));
    task->priority = 0;
  }
  // Stores compact text whatever the input's layout (minify also drops the
  // whitespace before the next token). It may write up to a SIMD block past
  // its output, hence the padding.
  task->data_json.resize(data_text.size() + simdjson::SIMDJSON_PADDING);
  size_t size = 0;
  error = simdjson::minify(data_text.data(), data_text.size(), task->data_json.data(), size);
  if (error) return JsonError(error);
  task->data_json.resize(size);
  return Status::Ok();
}

}  // namespace plumb::io
