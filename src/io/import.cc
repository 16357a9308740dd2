#include <algorithm>
#include <cctype>
#include <string>

#include "io/importers.h"
#include "io/io.h"

namespace plumb::io {
namespace {

std::string Lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<ImportFormat> ImportFormatFromContentType(std::string_view content_type) {
  std::string type = Lowercase(Trim(content_type.substr(0, content_type.find(';'))));
  if (type == "application/json") return ImportFormat::kJsonArray;
  if (type == "application/x-ndjson" || type == "application/jsonl" ||
      type == "application/x-jsonlines") {
    return ImportFormat::kJsonLines;
  }
  if (type == "text/csv") return ImportFormat::kCsv;
  return std::nullopt;
}

std::optional<ImportFormat> ImportFormatFromPath(std::string_view path) {
  size_t dot = path.rfind('.');
  size_t slash = path.find_last_of("/\\");
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
    return std::nullopt;
  }
  std::string ext = Lowercase(path.substr(dot + 1));
  if (ext == "json") return ImportFormat::kJsonArray;
  if (ext == "jsonl" || ext == "ndjson") return ImportFormat::kJsonLines;
  if (ext == "csv") return ImportFormat::kCsv;
  return std::nullopt;
}

Result<int64_t> ReadTasksInChunks(ImportFormat format, std::istream& in, const Schema& schema,
                                  store::TaskWriter& writer, size_t chunk_size) {
  InputReader reader(in, chunk_size);
  switch (format) {
    case ImportFormat::kJsonArray:
      return ReadJsonArray(reader, schema, writer);
    case ImportFormat::kJsonLines:
      return ReadJsonLines(reader, schema, writer);
    case ImportFormat::kCsv:
      return ReadCsv(reader, schema, writer);
  }
  return Status::Internal("unknown import format");
}

Result<int64_t> ReadTasks(ImportFormat format, std::istream& in, const Schema& schema,
                          store::TaskWriter& writer) {
  return ReadTasksInChunks(format, in, schema, writer, InputReader::kDefaultChunkSize);
}

Result<int64_t> ImportTasks(store::Store& store, const Project& project, ImportFormat format,
                            std::istream& in, int64_t now_ms) {
  Result<Schema> schema = ParseSchema(project.schema_json);
  if (!schema.ok()) {
    return Status::Internal("project " + std::to_string(project.id) +
                            " has an invalid stored schema: " + schema.status().message());
  }
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<store::TaskWriter> writer,
                         store.BeginImport(project.id, now_ms));
  // On error the writer is dropped uncommitted, which rolls the import back.
  PLUMB_RETURN_IF_ERROR(ReadTasks(format, in, *schema, *writer).status());
  return writer->Commit();
}

}  // namespace plumb::io
