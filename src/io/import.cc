#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <utility>

#include "io/importers.h"
#include "io/io.h"
#include "io/labeled.h"

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

std::optional<ImportFormat> ParseImportFormat(std::string_view name) {
  static constexpr std::pair<std::string_view, ImportFormat> kNames[] = {
      {"json", ImportFormat::kJsonArray},
      {"jsonl", ImportFormat::kJsonLines},
      {"csv", ImportFormat::kCsv},
      {"coco", ImportFormat::kCoco},
      {"yolo", ImportFormat::kYolo},
      {"voc", ImportFormat::kVoc},
      {"conll", ImportFormat::kConll},
      {"spacy", ImportFormat::kSpacy},
      {"label_studio", ImportFormat::kLabelStudio},
  };
  for (const auto& [n, format] : kNames) {
    if (n == name) return format;
  }
  return std::nullopt;
}

bool CarriesLabels(ImportFormat format) {
  return format != ImportFormat::kJsonArray && format != ImportFormat::kJsonLines &&
         format != ImportFormat::kCsv;
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
    default:
      break;
  }
  return Status::InvalidArgument("not a task format: use ImportFile");
}

Result<int64_t> ReadTasks(ImportFormat format, std::istream& in, const Schema& schema,
                          store::TaskWriter& writer) {
  return ReadTasksInChunks(format, in, schema, writer, InputReader::kDefaultChunkSize);
}

namespace {

Result<Schema> StoredSchema(const Project& project) {
  Result<Schema> schema = ParseSchema(project.schema_json);
  if (!schema.ok()) {
    return Status::Internal("project " + std::to_string(project.id) +
                            " has an invalid stored schema: " + schema.status().message());
  }
  return schema;
}

}  // namespace

Status CheckWholeReadSize(std::istream& in, int64_t limit, const char* what) {
  const std::istream::pos_type here = in.tellg();
  if (here == std::istream::pos_type(-1)) return Status::Ok();
  in.seekg(0, std::ios::end);
  const std::istream::pos_type end = in.tellg();
  in.clear();
  in.seekg(here);
  if (end == std::istream::pos_type(-1) || static_cast<int64_t>(end - here) <= limit) {
    return Status::Ok();
  }
  return Status::PayloadTooLarge(std::string(what) + " files are read whole; this one is over " +
                                 std::to_string(limit >> 20) + " MiB");
}

namespace {

Status ReadLabeled(ImportFormat format, std::istream& in, const Schema& schema,
                   LabeledWriter& out) {
  InputReader reader(in);
  switch (format) {
    case ImportFormat::kLabelStudio:
      return ReadLabelStudio(reader, schema, out);
    case ImportFormat::kSpacy:
      return ReadSpacy(reader, schema, out);
    case ImportFormat::kConll:
      return ReadConll(reader, schema, out);
    case ImportFormat::kCoco:
      PLUMB_RETURN_IF_ERROR(CheckWholeReadSize(in, kMaxCocoBytes, "COCO"));
      return ReadCoco(in, schema, out);
    case ImportFormat::kYolo:
    case ImportFormat::kVoc: {
      // A zip's directory is at its end: the archive is read whole.
      PLUMB_RETURN_IF_ERROR(CheckWholeReadSize(
          in, kMaxZipBytes, format == ImportFormat::kYolo ? "YOLO" : "Pascal VOC"));
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (in.bad()) return Status::Internal("reading the import failed");
      return format == ImportFormat::kYolo ? ReadYolo(bytes, schema, out)
                                           : ReadVoc(bytes, schema, out);
    }
    default:
      return Status::Internal("not a label format");
  }
}

}  // namespace

Result<int64_t> ImportTasks(store::Store& store, const Project& project, ImportFormat format,
                            std::istream& in, int64_t now_ms) {
  if (CarriesLabels(format)) return Status::InvalidArgument("not a task format: use ImportFile");
  PLUMB_ASSIGN_OR_RETURN(Schema schema, StoredSchema(project));
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<store::TaskWriter> writer,
                         store.BeginImport(project.id, now_ms));
  // On error the writer is dropped uncommitted, which rolls the import back.
  PLUMB_RETURN_IF_ERROR(ReadTasks(format, in, schema, *writer).status());
  return writer->Commit();
}

Result<ImportSummary> ImportFile(store::Store& store, const Project& project, ImportFormat format,
                                 std::istream& in, int64_t user_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(Schema schema, StoredSchema(project));
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<store::TaskWriter> writer,
                         store.BeginImport(project.id, now_ms));
  if (!CarriesLabels(format)) {
    // As ImportTasks, keeping the writer's first id.
    PLUMB_RETURN_IF_ERROR(ReadTasks(format, in, schema, *writer).status());
    PLUMB_ASSIGN_OR_RETURN(int64_t tasks, writer->Commit());
    return ImportSummary{.tasks = tasks, .ids_after = writer->ids_after()};
  }
  LabeledWriter labeled(schema, *writer, user_id);
  PLUMB_RETURN_IF_ERROR(ReadLabeled(format, in, schema, labeled));
  PLUMB_RETURN_IF_ERROR(writer->Commit().status());
  ImportSummary summary = labeled.summary();
  summary.ids_after = writer->ids_after();
  return summary;
}

}  // namespace plumb::io
