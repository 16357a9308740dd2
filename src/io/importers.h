#pragma once
// The three importers behind io::ReadTasks. Each reads records from an
// InputReader, adds them to the writer, and stops at the first bad record
// with kInvalidArgument carrying the 1-based line where that record starts.

#include <cstddef>
#include <cstdint>
#include <istream>

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

// ReadTasks with a given chunk size, for tests that move chunk boundaries.
Result<int64_t> ReadTasksInChunks(ImportFormat format, std::istream& in, const Schema& schema,
                                  store::TaskWriter& writer, size_t chunk_size);

}  // namespace plumb::io
