#pragma once
// io: streaming importers and exporters of tasks and their labels. Nothing
// here holds a whole file in memory: importers read record by record from an
// istream and hand each task to a store::TaskWriter; exporters read the store
// in batches and write to an ostream.

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string_view>

#include "core/core.h"
#include "store/store.h"

namespace plumb::io {

enum class ImportFormat : int8_t { kJsonArray, kJsonLines, kCsv };

// "application/json" → kJsonArray, "application/x-ndjson" (also
// "application/jsonl", "application/x-jsonlines") → kJsonLines, "text/csv" →
// kCsv; parameters such as "; charset=utf-8" are ignored. nullopt otherwise.
std::optional<ImportFormat> ImportFormatFromContentType(std::string_view content_type);
// By file extension: .json, .jsonl/.ndjson, .csv. nullopt otherwise.
std::optional<ImportFormat> ImportFormatFromPath(std::string_view path);

// Reads every task record of `in`, validates it (a JSON object; either
// {"data": {...}, "priority": N} or the data object itself; every source
// field of the schema present as a string; CSV: a header row naming the
// fields), and adds it to `writer`. Returns the number added. The first bad
// record stops the read with kInvalidArgument carrying its 1-based line
// (Status::line()) and a reason; the caller then drops the writer, so nothing
// of the import is stored.
Result<int64_t> ReadTasks(ImportFormat format, std::istream& in, const Schema& schema,
                          store::TaskWriter& writer);

// BeginImport + ReadTasks + Commit: all of the file or nothing.
Result<int64_t> ImportTasks(store::Store& store, const Project& project, ImportFormat format,
                            std::istream& in, int64_t now_ms);

enum class ExportFormat : int8_t { kJson, kJsonLines, kCsv };

// "json", "jsonl", "csv". nullopt otherwise.
std::optional<ExportFormat> ParseExportFormat(std::string_view name);
const char* ExportContentType(ExportFormat format);
const char* ExportFileExtension(ExportFormat format);

// Writes one record per task of the project (see docs/api.md, "Export
// record"), streaming from the store. kInternal when the stream fails.
Status ExportTasks(store::Store& store, const Project& project, ExportFormat format,
                   std::ostream& out);

}  // namespace plumb::io
