// libFuzzer target: a vendor's returned bake-off file (io/bakeoff_io.h). The
// first byte picks the format (json, csv, coco, label_studio), the rest is
// the file, read against a golden set of three tasks. Checks, for any input:
// an error is kInvalidArgument or kInvalidResult; every label is of a task of
// the set, at most one per task, and its result passes ValidateAnnotation
// again unchanged.

#include <set>
#include <sstream>

#include "fuzz/fuzz_import.h"
#include "io/bakeoff_io.h"

namespace {

using namespace plumb;

const Schema& TheSchema() {
  static const Schema schema = *ParseSchema(R"({"controls": [
      {"name": "objects", "type": "bbox", "source": "image", "labels": ["car", "person"]},
      {"name": "weather", "type": "choice", "source": "image", "labels": ["sun", "rain"],
       "required": false},
      {"name": "note", "type": "text", "source": "image", "required": false}]})");
  return schema;
}

const std::vector<store::GoldenSetItem>& Items() {
  static const std::vector<store::GoldenSetItem> items = {
      {1, R"({"image":"a.jpg"})", {"[]", R"({"width":64,"height":48})"}},
      {2, R"({"image":"b.jpg"})", {"[]", R"({"width":64,"height":48})"}},
      {3, R"({"image":"b.jpg"})", {"[]", ""}},  // shares b.jpg: found by id only
  };
  return items;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const char* const kFormats[] = {"json", "csv", "coco", "label_studio"};
  const char* format = kFormats[data[0] % 4];
  std::istringstream in{std::string(reinterpret_cast<const char*>(data) + 1, size - 1)};
  auto labels = io::ReadBakeoffLabels(TheSchema(), Items(), format, in, 1);
  if (!labels.ok()) {
    const StatusCode code = labels.status().code();
    if (code != StatusCode::kInvalidArgument && code != StatusCode::kInvalidResult) {
      fuzz::Fail("error code", labels.status().ToString());
    }
    return 0;
  }
  std::set<int64_t> seen;
  for (const store::BakeoffLabel& l : *labels) {
    if (l.task_id < 1 || l.task_id > 3) fuzz::Fail("a label of no task", std::to_string(l.task_id));
    if (!seen.insert(l.task_id).second)
      fuzz::Fail("two labels of a task", std::to_string(l.task_id));
    const std::string& task_data = Items()[l.task_id - 1].data_json;
    auto again = ValidateAnnotation(TheSchema(), task_data, l.result_json, l.media_json);
    if (!again.ok()) fuzz::Fail("a label fails validation", again.status().ToString());
    if (again->result_json != l.result_json)
      fuzz::Fail("normalizing twice changed a label", l.result_json);
  }
  return 0;
}
