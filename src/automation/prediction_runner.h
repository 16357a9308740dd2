#pragma once
// The background side of ML backends (docs/automation.md): a runner thread
// that claims prediction jobs from the store (so several servers share them,
// one runner per job), sends their tasks to the backend in batches with up to
// `concurrency` calls in flight, each bounded by the backend's timeout and
// retried with exponential backoff, and stores what fits the schema as
// predictions (pre-labels); and a second thread for short side calls: health
// checks, Label Studio's /setup, and telling backends of accepted labels so
// they can train. HTTP handlers only enqueue: nothing here blocks them on the
// network. A backend that is down or answers garbage leaves the tasks without
// a pre-label and its error on the backend and the job, for managers to see.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "automation/ml_client.h"
#include "automation/span_prelabeler.h"
#include "core/clock.h"
#include "core/core.h"
#include "store/store.h"
#include "workflow/workflow.h"

namespace plumb::automation {

// The protocol of the built-in active learner (docs/automation.md): a
// "backend" with no URL whose model is the project's TextClassifier for the
// choice control of settings.learner_control (without it: the schema's first
// choice control), taught by every accepted label (side thread, so one
// update at a time) and stored in learner_models; its predictions are
// pre-labels with the label's probability as the score and the model's
// update count as the version. With settings.queue_order "uncertainty" its
// jobs also rank every task they walk (Store::SetTaskUncertainty), and each
// update queues a "rerank" job over the open tasks (one waiting at a time).
inline constexpr const char* kBuiltinLearnerProtocol = "builtin_learner";
// The project's span pre-labeler (Store::GetSpanPrelabeler) as a backend:
// no network; model version = the configuration's version.
inline constexpr const char* kSpanPrelabelerProtocol = "span_prelabeler";
// The backend names Plumb gives the two when a project setting adds them.
inline constexpr const char* kLearnerBackendName = "plumb-active-learner";
inline constexpr const char* kSpanBackendName = "spans";

// The control the built-in learner learns under `settings` and `schema`:
// settings.learner_control's, else the first choice control; nullptr when
// there is none.
const Control* LearnerControl(const Schema& schema, const ProjectSettings& settings);

struct RunnerOptions {
  std::chrono::milliseconds poll_interval{1000};  // real time between claims when idle
  // How long a continuous job waits at the end of the project's tasks
  // before looking for new ones.
  int64_t continuous_interval_ms = 30'000;
  int32_t max_attempts = 3;                      // per batch call
  std::chrono::milliseconds retry_delay{500};    // before the 2nd attempt; doubles
  int64_t hold_ms = 10 * 60'000;                 // a claimed job's hold, renewed per page
  size_t max_side_queue = 10'000;                // queued health checks / train calls
  int64_t backends_ttl_ms = 2'000;               // WantsAccepted's cache per project
};

// "only_missing": skip tasks that already have a prediction of this backend
// (model_name = the backend's name); "state": only tasks in that state;
// "task_ids": only these; "open": only tasks that can still be handed out
// (new or annotating). A learner job ranking the queue ranks the tasks
// only_missing skips too, and stores no prediction for them.
struct JobScope {
  std::optional<TaskState> state;
  std::vector<int64_t> task_ids;  // ascending; empty: every task
  bool only_missing = false;
  bool open = false;
};
// kInvalidArgument naming the field for a bad scope; the JSON form is stored.
Result<JobScope> ParseJobScope(const std::string& json_text);
std::string JobScopeJson(const JobScope& scope);

class PredictionRunner {
 public:
  PredictionRunner(store::Store& store, workflow::Queue& queue, const Clock& clock,
                   RunnerOptions options = {});
  ~PredictionRunner();  // Stop()
  PredictionRunner(const PredictionRunner&) = delete;
  PredictionRunner& operator=(const PredictionRunner&) = delete;

  // Starts the job and side threads (no-op when started); Stop joins them:
  // calls in flight finish (bounded by their timeouts), a job part way
  // through keeps its progress and is taken on again when its hold ends.
  void Start();
  void Stop();
  // A job was queued: claim now instead of waiting for the poll.
  void Wake();

  // Claims one due job and works it to its end (or, for a continuous job,
  // to the end of the project's tasks) on the caller's thread. Returns
  // whether a job was claimed.
  bool RunOnce();

  // Non-blocking, thread-safe: queue a health check (Label Studio backends
  // also get /setup) or the train notification of a task's accepted label.
  // Dropped, with a log line, when the side queue is full. An accepted
  // label is in the store's train queue already (the write that accepted it
  // queued it: NewRevision::queue_train) and stays there until its backends
  // were told, so the next start tells them of those a stop or a full queue
  // left.
  void CheckHealth(int64_t backend_id);
  void NotifyAccepted(int64_t project_id, int64_t task_id);
  // Whether NotifyAccepted has anything to do for the project: an accepted
  // label hook, or an enabled backend that trains (the built-in learner
  // included). Asked on every submit, so the answer is cached per project
  // for RunnerOptions::backends_ttl; ForgetBackends drops it after this
  // server changed the project's backends (another server's change shows
  // within the TTL).
  bool WantsAccepted(int64_t project_id);
  void ForgetBackends(int64_t project_id);
  // Runs the queued side calls on the caller's thread; returns how many ran.
  int32_t RunSideOnce();

  // Queues a job for each enabled backend of the project that predicts on
  // import ("import", only tasks without its prediction, starting at the
  // first task the import added: ids from first_task_id on; `count` tasks)
  // and wakes the runner. Store writes only.
  Status OnTasksImported(int64_t project_id, int64_t user_id, int64_t first_task_id, int64_t count);
  // Queues a "rerank" job of the project's enabled built-in learner over its
  // open tasks unless one is already waiting (queue order "uncertainty";
  // after each update and when the settings change). No-op otherwise.
  Status QueueRerank(int64_t project_id, int64_t user_id);
  // Makes sure each enabled continuous backend of the project has a live
  // continuous job.
  Status EnsureContinuousJobs(int64_t project_id, int64_t user_id);

 private:
  struct SideCall {
    // kDrainTrains: the train queue's labels queued before `before_ms`
    // (those a stopped server left; later ones are in side_ as kAccepted).
    enum class Kind { kHealth, kAccepted, kDrainTrains } kind;
    int64_t id = 0;  // backend or project
    int64_t task_id = 0;
    int64_t before_ms = 0;
  };
  void JobLoop();
  void SideLoop();
  void RunJob(store::PredictionJob job);
  void RunSide(const SideCall& call);
  void RunSideCall(const SideCall& call);
  void DrainTrains(int64_t before_ms);
  void ForgetTrain(int64_t project_id, int64_t task_id);
  // Predict for one batch with retries; records the backend's health.
  CallOutcome PredictWithRetries(const MlClient& client, const std::vector<BackendTask>& tasks);
  bool SleepUnlessStopping(std::chrono::milliseconds delay);
  void RecordHealth(const store::MlBackend& backend, const CallOutcome& outcome);

  store::Store& store_;
  workflow::Queue& queue_;
  const Clock& clock_;
  const RunnerOptions options_;
  // The compiled span pre-labeler per project, by configuration version.
  std::mutex spans_mu_;
  std::map<int64_t, std::pair<std::string, std::shared_ptr<const SpanPrelabeler>>> spans_;
  std::shared_ptr<const SpanPrelabeler> SpanPrelabelerOf(const store::SpanPrelabelerRow& row,
                                                         const std::vector<std::string>& labels,
                                                         std::string* error);

  std::mutex lifecycle_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool wake_ = false;   // guarded by mu_
  std::deque<SideCall> side_;  // guarded by mu_
  std::atomic<bool> stopping_{false};
  std::thread job_thread_;
  std::thread side_thread_;

  struct TrainsCache {
    bool trains = false;
    int64_t checked_at_ms = 0;
  };
  std::mutex trains_mu_;
  std::unordered_map<int64_t, TrainsCache> trains_;  // by project; guarded by trains_mu_
};

}  // namespace plumb::automation
