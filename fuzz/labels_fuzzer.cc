// libFuzzer target: the label format readers (Label Studio, spaCy, CoNLL,
// COCO, YOLO, VOC). The first byte picks the format, the rest is the file.
// Checks, for any input: an error is kInvalidArgument; every task added has
// valid data, and its annotation and predictions pass ValidateAnnotation
// again unchanged (what the readers hand on is already normalized).

#include <sstream>

#include "fuzz/fuzz_import.h"
#include "io/labeled.h"

namespace {

using namespace plumb;

constexpr const char* kImageControls = R"(
    {"name": "objects", "type": "bbox", "source": "image", "labels": ["car", "person"],
     "attributes": [{"name": "truncated", "type": "boolean"}]},
    {"name": "outline", "type": "polygon", "source": "image", "labels": ["road"]},
    {"name": "joints", "type": "keypoint", "source": "image", "labels": ["nose"]},
    {"name": "weather", "type": "choice", "source": "image", "labels": ["sun", "rain"],
     "required": false})";
constexpr const char* kTextControls = R"(
    {"name": "entities", "type": "span", "source": "text", "labels": ["PER", "LOC"]},
    {"name": "caption", "type": "text", "source": "text", "required": false},
    {"name": "quality", "type": "rating", "source": "text", "required": false})";

// Each format's schema: text formats see only text controls (a task of
// theirs has no image field), image formats only image controls, Label
// Studio both.
const Schema& SchemaFor(uint8_t which) {
  static const Schema both =
      *ParseSchema(std::string("{\"controls\": [") + kImageControls + "," + kTextControls + "]}");
  static const Schema image = *ParseSchema(std::string("{\"controls\": [") + kImageControls + "]}");
  static const Schema text = *ParseSchema(std::string("{\"controls\": [") + kTextControls + "]}");
  switch (which % 6) {
    case 0:
      return both;
    case 1:
    case 2:
      return text;
    default:
      return image;
  }
}

Status Read(uint8_t which, std::string_view input, const Schema& schema, io::LabeledWriter& out) {
  std::istringstream in{std::string(input)};
  io::InputReader reader(in, 7);  // small chunks: records straddle them
  switch (which % 6) {
    case 0:
      return io::ReadLabelStudio(reader, schema, out);
    case 1:
      return io::ReadSpacy(reader, schema, out);
    case 2:
      return io::ReadConll(reader, schema, out);
    case 3:
      return io::ReadCoco(in, schema, out);
    case 4:
      return io::ReadYolo(input, schema, out);
    default:
      return io::ReadVoc(input, schema, out);
  }
}

void Recheck(const Schema& schema, const std::string& data, const std::string& result,
             const std::string& media) {
  Result<ValidAnnotation> again = ValidateAnnotation(schema, data, result, media);
  if (!again.ok()) fuzz::Fail("a stored result fails validation", again.status().ToString());
  if (again->result_json != result) fuzz::Fail("normalizing twice changed a result", result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const Schema& schema = SchemaFor(data[0]);
  fuzz::SinkWriter sink;
  io::LabeledWriter writer(schema, sink, 1);
  Status status =
      Read(data[0], {reinterpret_cast<const char*>(data) + 1, size - 1}, schema, writer);
  if (!status.ok() && status.code() != StatusCode::kInvalidArgument) {
    fuzz::Fail("error code", status.ToString());
  }
  for (const store::NewTask& task : sink.tasks) {
    Status valid = ValidateTaskData(schema, task.data_json);
    if (!valid.ok()) fuzz::Fail("task data core rejects", valid.ToString());
    if (task.annotation) {
      Recheck(schema, task.data_json, task.annotation->result_json, task.annotation->media_json);
    }
    for (const store::NewPrediction& p : task.predictions) {
      Recheck(schema, task.data_json, p.result_json, p.media_json);
    }
  }
  return 0;
}
