#pragma once
// The three importers behind io::ReadTasks. Each reads records from an
// InputReader, adds them to the writer, and stops at the first bad record
// with kInvalidArgument carrying the 1-based line where that record starts.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <string_view>

#include "core/schema.h"
#include "core/status.h"
#include "io/input_reader.h"
#include "io/io.h"
#include "store/store.h"

namespace plumb::io {

// One record may not exceed this: it bounds the memory an import can take,
// while leaving room for tasks that carry long texts.
inline constexpr size_t kMaxRecordBytes = size_t{16} << 20;

// The range of a task's priority in a {"data": ..., "priority": N} record.
inline constexpr int32_t kMinPriority = -1'000'000;
inline constexpr int32_t kMaxPriority = 1'000'000;

Result<int64_t> ReadJsonLines(InputReader& in, const Schema& schema, store::TaskWriter& writer);
Result<int64_t> ReadJsonArray(InputReader& in, const Schema& schema, store::TaskWriter& writer);
Result<int64_t> ReadCsv(InputReader& in, const Schema& schema, store::TaskWriter& writer);

// Calls fn(element, line) with the text of each top-level element of the JSON
// array `in` holds and the 1-based line where it starts; stops at the first
// error fn returns. kInvalidArgument with the line when the text is not an
// array or an element is over kMaxRecordBytes (elements are not parsed here).
Status ForEachJsonArrayElement(InputReader& in,
                               const std::function<Status(std::string_view, int64_t)>& fn);

// Calls fn(line, number) for each line of `in` (without its '\n'; a '\r'
// stays), numbered from 1. kInvalidArgument for a line over kMaxRecordBytes.
Status ForEachLine(InputReader& in, const std::function<Status(std::string_view, int64_t)>& fn);

// Whether a line holds only blanks (spaces, tabs, a carriage return).
inline bool IsBlankLine(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

// ReadTasks with a given chunk size, for tests that move chunk boundaries.
Result<int64_t> ReadTasksInChunks(ImportFormat format, std::istream& in, const Schema& schema,
                                  store::TaskWriter& writer, size_t chunk_size);

}  // namespace plumb::io
