#pragma once
// The shared body of the importer fuzz targets: runs ReadTasks on the input
// and aborts on any broken invariant, not only on crashes.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "io/importers.h"
#include "io/io.h"

namespace plumb::fuzz {

// A sink that keeps what it is given so runs can be compared.
class SinkWriter : public store::TaskWriter {
 public:
  Status Add(const store::NewTask& task) override {
    tasks.push_back(task);
    return Status::Ok();
  }
  Result<Batch> AddBatch(const store::NewBatch&) override {
    return Status::InvalidArgument("an import file has no batches");
  }
  Result<int64_t> Commit() override { return static_cast<int64_t>(tasks.size()); }
  std::vector<store::NewTask> tasks;
};

[[noreturn]] inline void Fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

inline const Schema& FuzzSchema() {
  static const Schema schema = *ParseSchema(
      R"({"controls": [{"name": "pet", "type": "choice", "source": "text",
                        "labels": ["cat", "dog"]},
                       {"name": "tags", "type": "choice", "source": "image",
                        "labels": ["a", "b"], "multiple": true}]})");
  return schema;
}

struct Outcome {
  Result<int64_t> result;
  std::vector<store::NewTask> tasks;
};

inline Outcome Run(io::ImportFormat format, std::string_view input, size_t chunk_size) {
  std::istringstream in{std::string(input)};
  SinkWriter writer;
  Result<int64_t> result = io::ReadTasksInChunks(format, in, FuzzSchema(), writer, chunk_size);
  return {std::move(result), std::move(writer.tasks)};
}

// Checks, for any input: the outcome does not depend on where chunks end;
// an error is kInvalidArgument with a line; every task added passes core's
// own (nlohmann-based) validation of task data and has a valid priority.
inline Outcome CheckImport(io::ImportFormat format, const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // One chunk for the whole input (cheaper than the default 1 MiB), and many.
  Outcome whole = Run(format, input, size + 1);
  Outcome chunked = Run(format, input, 7);

  if (whole.result.ok() != chunked.result.ok()) Fail("chunking changed the outcome", "");
  if (whole.result.ok()) {
    if (*whole.result != *chunked.result) Fail("chunking changed the count", "");
    if (*whole.result != static_cast<int64_t>(whole.tasks.size())) Fail("count", "");
  } else {
    const Status& s = whole.result.status();
    if (s.message() != chunked.result.status().message()) {
      Fail("chunking changed the error", s.message() + " vs " + chunked.result.status().message());
    }
    if (s.code() != StatusCode::kInvalidArgument || s.line() < 1) Fail("error", s.ToString());
  }
  if (whole.tasks.size() != chunked.tasks.size()) Fail("chunking changed the tasks", "");
  for (size_t i = 0; i < whole.tasks.size(); ++i) {
    const store::NewTask& task = whole.tasks[i];
    if (task.data_json != chunked.tasks[i].data_json ||
        task.priority != chunked.tasks[i].priority) {
      Fail("chunking changed a task", task.data_json);
    }
    Status valid = ValidateTaskData(FuzzSchema(), task.data_json);
    if (!valid.ok()) Fail("task data core rejects", valid.ToString() + ": " + task.data_json);
    if (task.priority < io::kMinPriority || task.priority > io::kMaxPriority) {
      Fail("priority", std::to_string(task.priority));
    }
  }
  return whole;
}

// Input without a leading UTF-8 byte order mark.
inline std::string_view WithoutBom(std::string_view s) {
  if (s.substr(0, 3) == "\xEF\xBB\xBF") s.remove_prefix(3);
  return s;
}

}  // namespace plumb::fuzz
