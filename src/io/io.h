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

// The task formats (kJsonArray, kJsonLines, kCsv: tasks only) and the label
// formats other tools and training code use, whose records carry labels too
// (docs/formats.md): COCO, YOLO (zip), Pascal VOC (zip, or one XML file),
// CoNLL-2003/IOB2, spaCy-style JSONL, Label Studio JSON.
enum class ImportFormat : int8_t {
  kJsonArray,
  kJsonLines,
  kCsv,
  kCoco,
  kYolo,
  kVoc,
  kConll,
  kSpacy,
  kLabelStudio,
};

// "json", "jsonl", "csv", "coco", "yolo", "voc", "conll", "spacy",
// "label_studio". nullopt otherwise.
std::optional<ImportFormat> ParseImportFormat(std::string_view name);
// Whether the format's records can carry annotations and predictions.
bool CarriesLabels(ImportFormat format);

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

// BeginImport + ReadTasks + Commit: all of the file or nothing. Only the task
// formats (not CarriesLabels); kInvalidArgument otherwise.
Result<int64_t> ImportTasks(store::Store& store, const Project& project, ImportFormat format,
                            std::istream& in, int64_t now_ms);

struct ImportSummary {
  int64_t tasks = 0;
  int64_t annotations = 0;
  int64_t predictions = 0;
  // Annotations of a task past its first (Label Studio tasks may hold
  // several; an import stores one per task, by the importing user).
  int64_t dropped_annotations = 0;
  // Every imported task's id is above this (TaskWriter::ids_after).
  int64_t ids_after = 0;
};

// Imports a file of any format, all or nothing. Labels in it become
// annotations by `user_id` (source "import") and predictions, each checked
// against the project's schema with ValidateAnnotation. The first record that
// does not fit stops the import with kInvalidArgument naming where it is:
// Status::line() for line-based formats, else the message names the element
// (e.g. "images[3]", "labels/cat.txt") and field() the part of the result.
// Zip formats (YOLO, VOC) are read whole into memory (bounded by the upload
// limit) because a zip's directory is at its end.
Result<ImportSummary> ImportFile(store::Store& store, const Project& project, ImportFormat format,
                                 std::istream& in, int64_t user_id, int64_t now_ms);

enum class ExportFormat : int8_t {
  kJson,
  kJsonLines,
  kCsv,
  kCoco,
  kYolo,
  kVoc,
  kConll,
  kSpacy,
  kLabelStudio,
};

// "json", "jsonl", "csv", "coco", "yolo", "voc", "conll", "spacy",
// "label_studio". nullopt otherwise.
std::optional<ExportFormat> ParseExportFormat(std::string_view name);
const char* ExportContentType(ExportFormat format);
const char* ExportFileExtension(ExportFormat format);

// Writes the project's tasks in `format` (see docs/api.md, "Export record",
// and docs/formats.md), streaming from the store: memory stays bounded by a
// batch of tasks whatever the project's size (COCO's annotations go through
// an unnamed temporary file; zips keep one directory entry per file).
// Label formats take each task's newest annotation; Label Studio JSON takes
// every annotation and the predictions. kInternal when the stream fails.
Status ExportTasks(store::Store& store, const Project& project, ExportFormat format,
                   std::ostream& out);

// Writes a dataset version's labels (docs/datasets.md) in kJson, kJsonLines
// or kCsv (kInvalidArgument, field "format", for the others), in task id
// order: records {id, data, label, final: {result, method}}; CSV columns id,
// data, one per control, method. The same version gives the same bytes on
// every call: its labels never change, the project's schema (which names the
// label's controls) aside. kInternal when the stream fails.
Status ExportVersion(store::Store& store, const Project& project,
                     const store::DatasetVersion& version, ExportFormat format,
                     std::ostream& out);

}  // namespace plumb::io
