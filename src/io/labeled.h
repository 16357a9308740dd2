#pragma once
// What the label formats (COCO, YOLO, VOC, CoNLL, spaCy, Label Studio) share,
// internal to src/io: a task in Plumb's terms as a reader builds it, checked
// and written by LabeledWriter; the readers and writers of each format; and
// the small pieces of export they all use. Format details: docs/formats.md.

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "io/input_reader.h"
#include "io/io.h"
#include "store/store.h"

namespace plumb::io {

struct LabeledPrediction {
  std::string model_name;
  std::string model_version;
  std::optional<double> score;
  nlohmann::json result = nlohmann::json::array();
  nlohmann::json media;  // null when none
};

// One task as a format reader builds it, in Plumb's result format.
struct LabeledTask {
  nlohmann::json data = nlohmann::json::object();
  int32_t priority = 0;
  std::optional<nlohmann::json> result;  // the annotation's result list, if any
  nlohmann::json media;                  // the annotation's media, null when none
  int64_t lead_time_ms = 0;
  std::vector<LabeledPrediction> predictions;
  int64_t dropped_annotations = 0;  // annotations of the record past the first
};

// Checks each task against the schema (ValidateTaskData, then
// ValidateAnnotation for its annotation and each prediction) and adds it to
// the writer, the annotation by `user_id`. Errors are kInvalidArgument (an
// import is bad input as a whole) whose message says which part failed and
// whose field is the validator's, e.g. "result[2].label" or
// "predictions[0].result[1].x". Callers add the record's line or name.
class LabeledWriter {
 public:
  LabeledWriter(const Schema& schema, store::TaskWriter& writer, int64_t user_id)
      : schema_(schema), writer_(writer), user_id_(user_id) {}

  Status Add(const LabeledTask& task);
  const ImportSummary& summary() const { return summary_; }

 private:
  const Schema& schema_;
  store::TaskWriter& writer_;
  int64_t user_id_;
  ImportSummary summary_;
  store::NewTask task_;  // reused across tasks
};

// kInvalidArgument "<what> is not valid UTF-8" unless it is: text from XML
// and zip entry names, which nothing else checks, goes into JSON.
Status CheckUtf8(std::string_view text, const std::string& what);

// COCO files and zip archives are read whole: COCO's annotations point at
// images anywhere in the file, and a zip's directory is at its end. These
// bound what that may take: a COCO file becomes a parse tree several times
// its size, a zip is held as it is.
inline constexpr int64_t kMaxCocoBytes = int64_t{256} << 20;
inline constexpr int64_t kMaxZipBytes = int64_t{1} << 30;

// kPayloadTooLarge naming `what` when the rest of `in` (a seekable stream:
// the upload's temporary file, a file of the CLI) is longer than `limit`
// bytes; `in` is left where it was. OK for a stream that cannot tell.
Status CheckWholeReadSize(std::istream& in, int64_t limit, const char* what);

// "where: message" as kInvalidArgument, keeping the field and line of `status`.
Status At(std::string_view where, const Status& status);

// --- readers: each reads the whole input and stops at the first bad record ---

Status ReadLabelStudio(InputReader& in, const Schema& schema, LabeledWriter& out);
Status ReadSpacy(InputReader& in, const Schema& schema, LabeledWriter& out);
Status ReadConll(InputReader& in, const Schema& schema, LabeledWriter& out);
Status ReadCoco(std::istream& in, const Schema& schema, LabeledWriter& out);
Status ReadYolo(std::string_view zip_bytes, const Schema& schema, LabeledWriter& out);
Status ReadVoc(std::string_view bytes, const Schema& schema, LabeledWriter& out);

// --- writers -----------------------------------------------------------------

Status WriteLabelStudio(store::Store& store, const Project& project, const Schema& schema,
                        std::ostream& out);
Status WriteSpacy(store::Store& store, const Project& project, const Schema& schema,
                  std::ostream& out);
Status WriteConll(store::Store& store, const Project& project, const Schema& schema,
                  std::ostream& out);
Status WriteCoco(store::Store& store, const Project& project, const Schema& schema,
                 std::ostream& out);
Status WriteYolo(store::Store& store, const Project& project, const Schema& schema,
                 std::ostream& out);
Status WriteVoc(store::Store& store, const Project& project, const Schema& schema,
                std::ostream& out);

// --- shared pieces -------------------------------------------------------------

// The newest revision: the last updated annotation, ties broken by the
// higher (later) revision id. nullptr when there is none.
const Revision* NewestRevision(const std::vector<Revision>& revisions);

// A task's newest annotation over an image, parsed.
struct ImageLabels {
  nlohmann::json data;
  nlohmann::json media;  // an object with width and height
  nlohmann::json result;
};
// Calls `fn` for each task of the project, in id order, whose newest
// annotation has the image size (what the image formats export), with that
// annotation parsed; stops at the first non-OK status and returns it.
Status ForEachLabeledImage(store::Store& store, const Project& project,
                           const std::function<Status(const Task&, const ImageLabels&)>& fn);

// The first control of `type` whose media is `media`; nullptr when none.
const Control* FindControl(const Schema& schema, ControlType type, MediaKind media);

// The first span control over a text, which CoNLL and spaCy label;
// kInvalidArgument when the schema has none.
Result<const Control*> TextSpanControl(const Schema& schema);

// A stored JSON value (a revision's result or media); kInternal when stored
// JSON does not parse, which is a bug. "" reads as null.
Result<nlohmann::json> ParseStored(const std::string& json_text);

// Text written to a stream through a buffer flushed every 64 KiB.
class OutBuffer {
 public:
  explicit OutBuffer(std::ostream& out) : out_(out) {}
  std::string& text() { return buffer_; }
  // Flushes when the buffer is full.
  Status MaybeFlush() { return buffer_.size() >= kFlushBytes ? Flush() : Status::Ok(); }
  Status Flush();
  // Flushes and checks the stream.
  Status Finish();

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  std::ostream& out_;
  std::string buffer_;
};

// Code points [start, end) of `text`; nullopt when out of range or the text
// is not valid UTF-8.
std::optional<std::string> CodePointSlice(const std::string& text, int64_t start, int64_t end);

// Adds the covered "text" to the span items of `result` that lack it, from
// the task data's source field of their control (formats that give only
// offsets). Items it cannot fill are left for the validator to report.
void FillSpanTexts(const Schema& schema, const nlohmann::json& data, nlohmann::json& result);

// The axis-aligned bounds {x, y, w, h} of a box rotated clockwise by
// `degrees` around its top-left corner (x, y), for formats without rotation.
std::array<double, 4> BoxBounds(double x, double y, double w, double h, double degrees);

// The file name of a path or URL without folders, query or extension, made
// safe for a zip entry: "/data/img 1.jpg?x" → "img_1".
std::string FileStem(std::string_view path);

// File stems made unique within one archive: "a", "a_2", "a_3", ...
class UniqueStems {
 public:
  std::string Unique(std::string_view path);

 private:
  std::set<std::string> used_;
};

// The first bbox control over an image, which YOLO and VOC label;
// kInvalidArgument when the schema has none.
Result<const Control*> ImageBoxControl(const Schema& schema);

// A number as JSON writes it: integers without a fraction, others shortest.
std::string FormatNumber(double v);

}  // namespace plumb::io
