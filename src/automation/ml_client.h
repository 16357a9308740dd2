#pragma once
// The ML-backend client (docs/automation.md): calls one backend over HTTP in
// Plumb's protocol or Label Studio's ML-backend protocol, translating Label
// Studio results to Plumb's and back (io/label_studio.h), and checks every
// answer against the project's schema. Calls are blocking, bounded by the
// backend's timeout; results are values, nothing throws. Thread-safe (const).
//
// Plumb protocol (base URL + route):
//   POST /predict {"project": {"id", "schema"}, "tasks": [{"id", "data"}]}
//     → {"model_version"?, "results": [{"task_id", "result", "score"?, "media"?}]}
//   GET  /health → 2xx {"model_version"?}
//   POST /train {"event": "label.accepted", "project", "task", "label": {"result", "media"}}
// Label Studio protocol:
//   POST /predict {"tasks": [{"id", "data"}], "label_config", "project", "params"}
//     → {"results": [{"result": [LS items], "score"?, "model_version"?}]} (or the bare
//     list), one per task in order
//   POST /setup {"project", "schema", "hostname", "access_token"} → {"model_version"?}
//   GET  /health → 2xx {"status": "UP"}
//   POST /webhook {"action": "ANNOTATION_CREATED", "project", "task", "annotation"}

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/core.h"
#include "store/store.h"

namespace plumb::automation {

// The largest answer read from a backend.
inline constexpr size_t kMaxBackendReplyBytes = 32u << 20;

struct BackendTask {
  int64_t id = 0;
  std::string data_json;
};

struct BackendPrediction {
  int64_t task_id = 0;
  std::string result_json;  // Plumb's result, validated and normalized
  std::string media_json;   // "" when none
  std::optional<double> score;
};

// What one call came to. ok: the answer was read (predictions holds what
// fitted the schema, task_errors why the rest did not); else `error` says why
// there is no answer and `retriable` whether trying again may help (no
// response, 5xx, 429) or not (a 4xx, an answer that is not the protocol's JSON).
struct CallOutcome {
  bool ok = false;
  bool retriable = false;
  std::string error;
  std::string model_version;  // as the backend reported it, "" when it did not
  std::vector<BackendPrediction> predictions;
  std::vector<std::pair<int64_t, std::string>> task_errors;  // (task id, why)
};

class MlClient {
 public:
  MlClient(store::MlBackend backend, Project project, std::shared_ptr<const Schema> schema);

  // Predictions for the tasks (one call).
  CallOutcome Predict(const std::vector<BackendTask>& tasks) const;
  // GET /health; model_version when the backend says.
  CallOutcome Health() const;
  // Label Studio: POST /setup (model_version from its answer); Plumb: Health().
  CallOutcome Setup() const;
  // Tells the backend of an accepted label (the task's final label).
  CallOutcome Train(const BackendTask& task, int64_t label_id, const std::string& result_json,
                    const std::string& media_json) const;

  const store::MlBackend& backend() const { return backend_; }

 private:
  // One exchange; on a 2xx, model_version holds the raw answer body for the
  // caller to parse.
  CallOutcome Call(const char* method, const char* route, const std::string& body) const;
  store::MlBackend backend_;
  Project project_;
  std::shared_ptr<const Schema> schema_;
};

}  // namespace plumb::automation
