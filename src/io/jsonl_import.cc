// JSON Lines: one record per line, blank lines skipped.

#include <cstring>
#include <string>
#include <string_view>

#include "io/importers.h"
#include "io/record_parser.h"

namespace plumb::io {
namespace {

Status TooLong() {
  return Status::InvalidArgument("record is larger than " + std::to_string(kMaxRecordBytes >> 20) +
                                 " MiB");
}

}  // namespace

Status ForEachLine(InputReader& in, const std::function<Status(std::string_view, int64_t)>& fn) {
  std::string carry;  // a line that spans chunks, assembled here
  int64_t line_number = 0;
  auto process = [&](std::string_view line) -> Status {
    ++line_number;
    if (line.size() > kMaxRecordBytes) return TooLong().WithLine(line_number);
    return fn(line, line_number);
  };

  while (in.Fill()) {
    std::string_view chunk = in.Available();
    const char* newline = static_cast<const char*>(std::memchr(chunk.data(), '\n', chunk.size()));
    if (newline == nullptr) {
      // Checked before growing so that a huge line fails without being buffered.
      if (carry.size() + chunk.size() > kMaxRecordBytes) {
        return TooLong().WithLine(line_number + 1);
      }
      carry.append(chunk);
      in.Consume(chunk.size());
      continue;
    }
    size_t length = static_cast<size_t>(newline - chunk.data());
    std::string_view line = chunk.substr(0, length);
    if (!carry.empty()) {
      if (carry.size() + length > kMaxRecordBytes) return TooLong().WithLine(line_number + 1);
      carry.append(line);
      line = carry;
    }
    in.Consume(length + 1);
    PLUMB_RETURN_IF_ERROR(process(line));
    carry.clear();
  }
  PLUMB_RETURN_IF_ERROR(in.status());
  if (!carry.empty()) PLUMB_RETURN_IF_ERROR(process(carry));
  return Status::Ok();
}

Result<int64_t> ReadJsonLines(InputReader& in, const Schema& schema, store::TaskWriter& writer) {
  RecordParser parser(schema);
  store::NewTask task;
  int64_t added = 0;
  PLUMB_RETURN_IF_ERROR(ForEachLine(in, [&](std::string_view line, int64_t number) -> Status {
    if (IsBlankLine(line)) return Status::Ok();
    Status status = parser.Parse(line, &task);
    if (!status.ok()) return status.WithLine(number);
    PLUMB_RETURN_IF_ERROR(writer.Add(task));
    ++added;
    return Status::Ok();
  }));
  return added;
}

}  // namespace plumb::io
