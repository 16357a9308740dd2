// CSV (RFC 4180): a header row naming the data fields, then one task per
// record. Fields may be quoted, with "" for a quote and line breaks inside;
// records end with CRLF or LF. Every value becomes a JSON string.

#include <simdjson.h>

#include <array>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "io/importers.h"
#include "io/json_text.h"

namespace plumb::io {
namespace {

constexpr std::array<bool, 256> ByteSet(std::string_view bytes) {
  std::array<bool, 256> set{};
  for (char c : bytes) set[static_cast<unsigned char>(c)] = true;
  return set;
}

// The bytes that end a run of plain field data, inside quotes and outside.
constexpr std::array<bool, 256> kQuotedSpecial = ByteSet("\"\n");
constexpr std::array<bool, 256> kUnquotedSpecial = ByteSet(",\"\r\n");

class CsvReader {
 public:
  explicit CsvReader(InputReader& in) : in_(in) {}

  // Reads the next record, skipping empty lines. False at the end of the
  // input. Errors carry the line where the record starts.
  Result<bool> Next() {
    StartRecord();
    while (in_.Fill()) {
      std::string_view chunk = in_.Available();
      size_t i = 0;
      bool done = false;
      Status status = Scan(chunk, &i, &done);
      in_.Consume(i);
      if (!status.ok()) return status.WithLine(record_line_);
      if (done) return true;
    }
    PLUMB_RETURN_IF_ERROR(in_.status());
    if (state_ == State::kQuoted) {
      return Status::InvalidArgument("a quoted field is not closed").WithLine(record_line_);
    }
    // A final '\r' ends the record like "\r\n" would.
    pending_cr_ = false;
    if (count_ == 0 && state_ == State::kFieldStart && fields_[0].empty()) return false;
    ++count_;
    return true;
  }

  std::span<const std::string> fields() const { return {fields_.data(), count_}; }
  int64_t record_line() const { return record_line_; }

 private:
  enum class State : uint8_t { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

  void StartRecord() {
    record_line_ = line_;
    count_ = 0;
    record_bytes_ = 0;
    state_ = State::kFieldStart;
    if (fields_.empty()) fields_.emplace_back();
    fields_[0].clear();
  }

  void EndField() {
    ++count_;
    if (fields_.size() <= count_) fields_.emplace_back();
    fields_[count_].clear();
    state_ = State::kFieldStart;
  }

  // Consumes bytes of `chunk` from *i on; sets *done at the end of a record.
  Status Scan(std::string_view chunk, size_t* i, bool* done) {
    const size_t n = chunk.size();
    for (; *i < n; ++*i) {
      if (!pending_cr_ && (state_ == State::kQuoted || state_ == State::kUnquoted)) {
        // Copy the run of plain bytes in one go.
        const std::array<bool, 256>& special =
            state_ == State::kQuoted ? kQuotedSpecial : kUnquotedSpecial;
        size_t run_end = *i;
        while (run_end < n && !special[static_cast<unsigned char>(chunk[run_end])]) ++run_end;
        record_bytes_ += run_end - *i;
        if (record_bytes_ > kMaxRecordBytes) return TooLarge();
        fields_[count_].append(chunk.data() + *i, run_end - *i);
        *i = run_end;
        if (run_end == n) break;
      }
      char c = chunk[*i];
      if (++record_bytes_ > kMaxRecordBytes) return TooLarge();
      if (pending_cr_) {
        pending_cr_ = false;
        if (c != '\n') {
          // A lone '\r' is data, except right after a closing quote.
          if (state_ == State::kAfterQuote) return AfterQuoteError('\r');
          fields_[count_].push_back('\r');
          state_ = State::kUnquoted;
        }
      }
      if (c == '\n') ++line_;
      switch (state_) {
        case State::kQuoted:
          if (c == '"') {
            state_ = State::kAfterQuote;
          } else {
            fields_[count_].push_back(c);
          }
          continue;
        case State::kAfterQuote:
          if (c == '"') {
            fields_[count_].push_back('"');
            state_ = State::kQuoted;
            continue;
          }
          if (c != ',' && c != '\n' && c != '\r') return AfterQuoteError(c);
          break;
        case State::kFieldStart:
          if (c == '"') {
            state_ = State::kQuoted;
            continue;
          }
          break;
        case State::kUnquoted:
          if (c == '"') {
            return Status::InvalidArgument(
                "a quote inside an unquoted field (quote the whole field and double the quote)");
          }
          break;
      }
      // Unquoted context: separators, line ends, or plain data.
      if (c == ',') {
        EndField();
      } else if (c == '\r') {
        pending_cr_ = true;
      } else if (c == '\n') {
        if (count_ == 0 && state_ == State::kFieldStart && fields_[0].empty()) {
          StartRecord();  // an empty line
          continue;
        }
        ++count_;
        ++*i;
        *done = true;
        return Status::Ok();
      } else {
        fields_[count_].push_back(c);
        state_ = State::kUnquoted;
      }
    }
    return Status::Ok();
  }

  static Status TooLarge() {
    return Status::InvalidArgument("record is larger than " +
                                   std::to_string(kMaxRecordBytes >> 20) + " MiB");
  }

  static Status AfterQuoteError(char c) {
    std::string shown = c == '\r' ? "\\r" : std::string(1, c);
    return Status::InvalidArgument("unexpected '" + shown + "' after a closing quote");
  }

  InputReader& in_;
  std::vector<std::string> fields_;  // reused across records; the first count_ are this record's
  size_t count_ = 0;
  State state_ = State::kFieldStart;
  bool pending_cr_ = false;  // a '\r' outside quotes, which "\n" may turn into a line end
  int64_t line_ = 1;
  int64_t record_line_ = 1;
  size_t record_bytes_ = 0;
};

bool IsValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace

Result<int64_t> ReadCsv(InputReader& in, const Schema& schema, store::TaskWriter& writer) {
  CsvReader reader(in);
  PLUMB_ASSIGN_OR_RETURN(bool has_header, reader.Next());
  if (!has_header) {
    return Status::InvalidArgument("the CSV has no header row").WithLine(1);
  }
  int64_t header_line = reader.record_line();
  // The key part of each field, `"name":` with the separator before it.
  std::vector<std::string> keys;
  std::set<std::string_view> names;
  std::vector<std::string> header(reader.fields().begin(), reader.fields().end());
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& name = header[i];
    std::string column = "column " + std::to_string(i + 1);
    if (name.empty()) {
      return Status::InvalidArgument("CSV header: " + column + " has no name")
          .WithLine(header_line);
    }
    if (!IsValidUtf8(name)) {
      return Status::InvalidArgument("CSV header: " + column + " is not valid UTF-8")
          .WithLine(header_line);
    }
    if (!names.insert(name).second) {
      return Status::InvalidArgument("CSV header: duplicate column '" + name + "'")
          .WithLine(header_line);
    }
    std::string key = i == 0 ? "{" : ",";
    AppendJsonString(&key, name);
    key.push_back(':');
    keys.push_back(std::move(key));
  }
  for (const std::string& field : schema.SourceFields()) {
    if (names.count(field) == 0) {
      return Status::InvalidArgument("CSV header has no column '" + field + "'", "data." + field)
          .WithLine(header_line);
    }
  }

  store::NewTask task;
  int64_t added = 0;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool more, reader.Next());
    if (!more) break;
    std::span<const std::string> fields = reader.fields();
    if (fields.size() != header.size()) {
      return Status::InvalidArgument("expected " + std::to_string(header.size()) +
                                     " fields, found " + std::to_string(fields.size()))
          .WithLine(reader.record_line());
    }
    task.data_json.clear();
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!IsValidUtf8(fields[i])) {
        return Status::InvalidArgument("field '" + header[i] + "' is not valid UTF-8",
                                       "data." + header[i])
            .WithLine(reader.record_line());
      }
      task.data_json.append(keys[i]);
      AppendJsonString(&task.data_json, fields[i]);
    }
    task.data_json.push_back('}');
    PLUMB_RETURN_IF_ERROR(writer.Add(task));
    ++added;
  }
  return added;
}

}  // namespace plumb::io
