#include "automation/prediction_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "automation/active_learner.h"

namespace plumb::automation {
namespace {

using nlohmann::json;

// A job's page: one round of `concurrency` batches, after which progress is
// stored (so a runner that dies loses at most one page of work).
size_t PageSize(const store::MlBackend& b) {
  return static_cast<size_t>(std::max(b.batch_size, 1)) *
         static_cast<size_t>(std::max(b.concurrency, 1));
}

std::string Describe(const CallOutcome& outcome) {
  return outcome.error.empty() ? std::string("no answer") : outcome.error;
}

bool IsBuiltinLearner(const store::MlBackend& b) { return b.protocol == kBuiltinLearnerProtocol; }

bool IsSpanPrelabeler(const store::MlBackend& b) { return b.protocol == kSpanPrelabelerProtocol; }

// How the queue reads a prediction's uncertainty: the project's measure for
// a single choice, the mean binary entropy for a multiple one (its
// probabilities are no distribution).
UncertaintyMeasure QueueMeasure(const Control& control, const ProjectSettings& settings) {
  if (control.multiple) return UncertaintyMeasure::kMeanBinaryEntropy;
  return settings.uncertainty == UncertaintyKind::kEntropy ? UncertaintyMeasure::kEntropy
                                                           : UncertaintyMeasure::kMargin;
}

std::string SourceText(const std::string& data_json, const std::string& field) {
  json data = json::parse(data_json, nullptr, false);
  if (!data.is_object()) return "";
  auto it = data.find(field);
  return it != data.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The project's stored model for `control`, or a new one when there is none
// (or its labels are no longer the control's).
Result<TextClassifier> LoadLearner(store::Store& store, int64_t project_id, const Control& control) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::LearnerModel> stored,
                         store.GetLearnerModel(project_id, control.name));
  if (stored) {
    Result<TextClassifier> model = TextClassifier::Deserialize(stored->model, control.labels);
    if (model.ok()) return model;
    if (model.status().code() != StatusCode::kConflict) return model.status();
  }
  LearnerOptions options;
  options.multi_label = control.multiple;
  return TextClassifier::Create(control.labels, options);
}

// Predictions of the built-in learner (no network): the most probable label
// (multiple choice: every label at 0.5 or more, else the most probable),
// its probability as the score, the model's update count as its version.
// With `ranks`, each task's uncertainty under `measure` is added to it.
CallOutcome LearnerPredict(const TextClassifier& model, const Control& control,
                           const Schema& schema, const std::vector<BackendTask>& tasks,
                           UncertaintyMeasure measure, std::vector<store::TaskUncertainty>* ranks) {
  CallOutcome out;
  out.ok = true;
  out.model_version = std::to_string(model.updates());
  // An untrained model would propose the first label for everything (and
  // rank every task alike).
  if (model.updates() == 0) return out;
  for (const BackendTask& t : tasks) {
    const std::vector<double> p = model.Predict(SourceText(t.data_json, control.source));
    if (ranks != nullptr) ranks->push_back({t.id, Uncertainty(p, measure)});
    const size_t best = static_cast<size_t>(std::max_element(p.begin(), p.end()) - p.begin());
    json values = json::array();
    if (control.multiple) {
      for (size_t k = 0; k < p.size(); ++k) {
        if (p[k] >= 0.5) values.push_back(control.labels[k]);
      }
    }
    if (values.empty()) values.push_back(control.labels[best]);
    const json result =
        json::array({{{"control", control.name}, {"type", "choice"}, {"values", values}}});
    Result<ValidAnnotation> valid = ValidateAnnotation(schema, t.data_json, result.dump(), "");
    if (!valid.ok()) {
      out.task_errors.emplace_back(t.id, valid.status().message());
      continue;
    }
    out.predictions.push_back({t.id, std::move(valid->result_json), "", p[best]});
  }
  return out;
}

// The span pre-labeler's spans of each task's text as one span prediction
// per task (none for a task without spans); no score.
CallOutcome SpanPredict(const SpanPrelabeler& labeler, const Control& control,
                        const std::string& version, const Schema& schema,
                        const std::vector<BackendTask>& tasks) {
  CallOutcome out;
  out.ok = true;
  out.model_version = version;
  for (const BackendTask& t : tasks) {
    Result<std::vector<PrelabeledSpan>> spans =
        labeler.Label(SourceText(t.data_json, control.source));
    if (!spans.ok()) {
      out.task_errors.emplace_back(t.id, spans.status().message());
      continue;
    }
    if (spans->empty()) continue;
    json result = json::array();
    for (const PrelabeledSpan& sp : *spans) {
      result.push_back({{"control", control.name},
                        {"type", "span"},
                        {"label", sp.label},
                        {"start", sp.start},
                        {"end", sp.end},
                        {"text", sp.text}});
    }
    Result<ValidAnnotation> valid = ValidateAnnotation(schema, t.data_json, result.dump(), "");
    if (!valid.ok()) {
      out.task_errors.emplace_back(t.id, valid.status().message());
      continue;
    }
    out.predictions.push_back({t.id, std::move(valid->result_json), "", std::nullopt});
  }
  return out;
}

// One accepted label into the project's learner, persisted; returns the
// model's update count.
Result<int64_t> TeachLearner(store::Store& store, const Project& project, const Schema& schema,
                             const Task& task, const FinalLabel& label, int64_t now_ms) {
  const Control* control = LearnerControl(schema, project.settings);
  if (control == nullptr) return Status::InvalidArgument("the schema has no choice control");
  json result = json::parse(label.result_json, nullptr, false);
  std::vector<int32_t> classes;
  for (const json& item : result.is_array() ? result : json::array()) {
    if (item.value("control", "") != control->name) continue;
    for (const json& v : item.value("values", json::array())) {
      auto at = std::find(control->labels.begin(), control->labels.end(), v.get<std::string>());
      if (at != control->labels.end()) {
        classes.push_back(static_cast<int32_t>(at - control->labels.begin()));
      }
    }
  }
  PLUMB_ASSIGN_OR_RETURN(TextClassifier model, LoadLearner(store, project.id, *control));
  if (classes.empty()) return model.updates();  // the control left unanswered: nothing to learn
  const std::string text = SourceText(task.data_json, control->source);
  PLUMB_RETURN_IF_ERROR(control->multiple ? model.Update(text, classes)
                                          : model.Update(text, classes.front()));
  PLUMB_RETURN_IF_ERROR(store.PutLearnerModel(
      {project.id, control->name, model.Serialize(), model.updates(), now_ms}));
  return model.updates();
}

}  // namespace

const Control* LearnerControl(const Schema& schema, const ProjectSettings& settings) {
  for (const Control& c : schema.controls) {
    if (c.type != ControlType::kChoice) continue;
    if (settings.learner_control.empty() || c.name == settings.learner_control) return &c;
  }
  return nullptr;
}

Result<JobScope> ParseJobScope(const std::string& json_text) {
  JobScope scope;
  if (json_text.empty()) return scope;
  json j = json::parse(json_text, nullptr, false);
  if (!j.is_object()) return Status::InvalidArgument("the job's tasks must be an object", "tasks");
  if (auto s = j.find("state"); s != j.end() && !s->is_null()) {
    std::optional<TaskState> state =
        s->is_string() ? ParseTaskState(s->get<std::string>()) : std::nullopt;
    if (!state) return Status::InvalidArgument("state must be a task state", "tasks.state");
    scope.state = state;
  }
  if (auto ids = j.find("task_ids"); ids != j.end() && !ids->is_null()) {
    if (!ids->is_array() || ids->size() > 100'000) {
      return Status::InvalidArgument("task_ids must be a list of at most 100000 task ids",
                                     "tasks.task_ids");
    }
    for (size_t i = 0; i < ids->size(); ++i) {
      if (!(*ids)[i].is_number_integer() || (*ids)[i].get<int64_t>() < 1) {
        return Status::InvalidArgument("a task id must be a positive integer",
                                       "tasks.task_ids[" + std::to_string(i) + "]");
      }
      scope.task_ids.push_back((*ids)[i].get<int64_t>());
    }
    std::sort(scope.task_ids.begin(), scope.task_ids.end());
    scope.task_ids.erase(std::unique(scope.task_ids.begin(), scope.task_ids.end()),
                         scope.task_ids.end());
  }
  if (auto m = j.find("only_missing"); m != j.end() && !m->is_null()) {
    if (!m->is_boolean()) {
      return Status::InvalidArgument("only_missing must be true or false", "tasks.only_missing");
    }
    scope.only_missing = m->get<bool>();
  }
  if (auto o = j.find("open"); o != j.end() && !o->is_null()) {
    if (!o->is_boolean()) {
      return Status::InvalidArgument("open must be true or false", "tasks.open");
    }
    scope.open = o->get<bool>();
  }
  return scope;
}

std::string JobScopeJson(const JobScope& scope) {
  json j = json::object();
  if (scope.state) j["state"] = TaskStateName(*scope.state);
  if (!scope.task_ids.empty()) j["task_ids"] = scope.task_ids;
  j["only_missing"] = scope.only_missing;
  if (scope.open) j["open"] = true;
  return j.dump();
}

PredictionRunner::PredictionRunner(store::Store& store, workflow::Queue& queue,
                                   const Clock& clock, RunnerOptions options)
    : store_(store), queue_(queue), clock_(clock), options_(options) {}

PredictionRunner::~PredictionRunner() { Stop(); }

void PredictionRunner::Start() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (job_thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  stopping_ = false;
  {
    // Labels a stopped server accepted but did not get to teach.
    std::lock_guard lock(mu_);
    side_.push_front({SideCall::Kind::kDrainTrains, 0, 0, clock_.NowMs()});
  }
  job_thread_ = std::thread([this] { JobLoop(); });
  side_thread_ = std::thread([this] { SideLoop(); });
}

void PredictionRunner::Stop() {
  std::lock_guard lifecycle(lifecycle_mu_);
  if (!job_thread_.joinable()) return;
  stopping_ = true;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  job_thread_.join();
  side_thread_.join();
  stopping_ = false;
}

void PredictionRunner::Wake() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

bool PredictionRunner::SleepUnlessStopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [this] { return stop_; });
}

void PredictionRunner::JobLoop() {
  while (true) {
    const bool worked = RunOnce();
    std::unique_lock lock(mu_);
    if (stop_) return;
    if (worked) continue;  // more may be due right now
    cv_.wait_for(lock, options_.poll_interval, [this] { return stop_ || wake_; });
    wake_ = false;
    if (stop_) return;
  }
}

void PredictionRunner::SideLoop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !side_.empty(); });
      if (stop_) return;
    }
    RunSideOnce();
  }
}

bool PredictionRunner::RunOnce() {
  Result<std::optional<store::PredictionJob>> claimed =
      store_.ClaimPredictionJob(clock_.NowMs(), options_.hold_ms);
  if (!claimed.ok()) {
    spdlog::warn("ml: claiming a prediction job failed: {}", claimed.status().ToString());
    return false;
  }
  if (!*claimed) return false;
  RunJob(std::move(**claimed));
  return true;
}

void PredictionRunner::RunJob(store::PredictionJob job) {
  store::JobProgress progress{job.cursor, job.processed, job.predicted, job.failed,
                              job.last_error, store::JobState::kRunning, 0};
  auto end = [&](store::JobState state, std::string error) {
    progress.state = state;
    if (!error.empty()) progress.last_error = std::move(error);
    progress.held_until_ms = clock_.NowMs();
    Status st = store_.UpdatePredictionJob(job.id, progress, clock_.NowMs()).status();
    if (!st.ok()) spdlog::warn("ml: job {}: storing its end failed: {}", job.id, st.ToString());
  };
  Result<store::MlBackend> backend = store_.GetMlBackend(job.backend_id);
  Result<Project> project = store_.GetProject(job.project_id);
  Result<JobScope> scope = ParseJobScope(job.filter_json);
  if (!backend.ok() || !project.ok() || !scope.ok()) {
    return end(store::JobState::kFailed, "the backend, project or scope is gone or unreadable");
  }
  if (!backend->enabled) return end(store::JobState::kFailed, "the backend is disabled");
  Result<std::shared_ptr<const Schema>> schema = ParseSchemaCached(project->schema_json);
  if (!schema.ok()) return end(store::JobState::kFailed, schema.status().message());
  MlClient client(*backend, *project, *schema);
  const size_t page_size = PageSize(*backend);
  const size_t batch = static_cast<size_t>(std::max(backend->batch_size, 1));
  // The built-in models run here, without the network.
  const bool learner = IsBuiltinLearner(*backend);
  const bool spans = IsSpanPrelabeler(*backend);
  const Control* control = nullptr;
  std::shared_ptr<const SpanPrelabeler> labeler;
  std::string span_version;
  if (learner) {
    control = LearnerControl(**schema, project->settings);
    if (control == nullptr) {
      return end(store::JobState::kFailed, "the schema has no choice control for the learner");
    }
  } else if (spans) {
    Result<std::optional<store::SpanPrelabelerRow>> row = store_.GetSpanPrelabeler(project->id);
    if (!row.ok() || !*row) {
      return end(store::JobState::kFailed, "the project has no span pre-labeler");
    }
    for (const Control& c : (*schema)->controls) {
      if (c.name == (*row)->control && c.type == ControlType::kSpan) control = &c;
    }
    std::string error = "the span pre-labeler's control is not a span control of the schema";
    if (control != nullptr) labeler = SpanPrelabelerOf(**row, control->labels, &error);
    if (labeler == nullptr) return end(store::JobState::kFailed, error);
    span_version = (*row)->version;
  }
  // Their results hold their one control: checked as Queue::AddPredictions
  // checks predictions, without the schema's other (required) controls.
  Schema own;
  if (control != nullptr) {
    own.controls = {*control};
    own.controls.front().required = false;
  }
  // A learner job of a project ordered by uncertainty ranks every task it
  // walks, even one only_missing gives no new prediction.
  const bool ranking = learner && project->settings.queue_order == QueueOrder::kUncertainty;

  while (!stopping_) {
    // The next page of tasks in scope, in id order after the cursor.
    std::vector<Task> page;
    bool last_page = false;
    if (!scope->task_ids.empty()) {
      auto it = std::upper_bound(scope->task_ids.begin(), scope->task_ids.end(), progress.cursor);
      for (; it != scope->task_ids.end() && page.size() < page_size; ++it) {
        Result<Task> t = store_.GetTask(*it);
        if (t.ok() && t->project_id == job.project_id &&
            (!scope->state || t->state == *scope->state)) {
          page.push_back(std::move(*t));
        } else {
          progress.cursor = *it;  // gone or out of scope: nothing to do
          ++progress.processed;
        }
      }
      last_page = it == scope->task_ids.end();
    } else {
      store::TaskQuery q;
      q.project_id = job.project_id;
      q.state = scope->state;
      q.after_id = progress.cursor;
      q.limit = static_cast<int32_t>(std::min<size_t>(page_size, 1000));
      Result<store::TaskPage> got = store_.ListTasks(q);
      if (!got.ok()) return end(store::JobState::kFailed, got.status().message());
      page = std::move(got->items);
      last_page = !got->next_after_id.has_value();
    }

    // Tasks to send: golden tasks never get a pre-label (it would bias their
    // grade), and with only_missing neither do tasks the backend predicted.
    std::vector<int64_t> ids;
    for (const Task& t : page) ids.push_back(t.id);
    std::vector<store::Prediction> existing;
    if (scope->only_missing && !ids.empty()) {
      Result<std::vector<store::Prediction>> p = store_.ListPredictions(ids);
      if (!p.ok()) return end(store::JobState::kFailed, p.status().message());
      existing = std::move(*p);
    }
    std::vector<BackendTask> send;
    std::set<int64_t> rank_only;  // ranked, but they keep the prediction they have
    for (const Task& t : page) {
      const bool has = std::any_of(existing.begin(), existing.end(), [&](const auto& p) {
        return p.task_id == t.id && p.model_name == backend->name;
      });
      const bool open = t.state == TaskState::kNew || t.state == TaskState::kAnnotating;
      if (t.golden || (scope->open && !open)) continue;
      if (has && !ranking) continue;
      if (has) rank_only.insert(t.id);
      send.push_back({t.id, t.data_json});
    }

    // Up to `concurrency` batches at once, each on its own thread.
    std::vector<std::vector<BackendTask>> batches;
    for (size_t i = 0; i < send.size(); i += batch) {
      batches.emplace_back(send.begin() + static_cast<std::ptrdiff_t>(i),
                           send.begin() + static_cast<std::ptrdiff_t>(std::min(send.size(), i + batch)));
    }
    std::vector<CallOutcome> outcomes(batches.size());
    std::vector<store::TaskUncertainty> ranks;
    if (learner && !batches.empty()) {
      // The model as it is now, once per page: updates since show on the next.
      Result<TextClassifier> model = LoadLearner(store_, project->id, *control);
      const UncertaintyMeasure measure = QueueMeasure(*control, project->settings);
      for (size_t i = 0; i < batches.size(); ++i) {
        if (!model.ok()) {
          outcomes[i].error = model.status().message();
          continue;
        }
        outcomes[i] =
            LearnerPredict(*model, *control, own, batches[i], measure, ranking ? &ranks : nullptr);
      }
    } else if (spans) {
      for (size_t i = 0; i < batches.size(); ++i) {
        outcomes[i] = SpanPredict(*labeler, *control, span_version, own, batches[i]);
      }
    } else {
      std::vector<std::jthread> pool;
      for (size_t i = 0; i < batches.size(); ++i) {
        pool.emplace_back([&, i] { outcomes[i] = PredictWithRetries(client, batches[i]); });
      }
    }
    if (!ranks.empty()) {
      Status st = store_.SetTaskUncertainty(project->id, ranks);
      if (!st.ok()) progress.last_error = "ranking the queue: " + st.message();
    }
    std::vector<store::TaskPrediction> predictions;
    int64_t failed = 0;
    for (size_t i = 0; i < batches.size(); ++i) {
      const CallOutcome& o = outcomes[i];
      if (!o.ok) {
        failed += static_cast<int64_t>(batches[i].size());
        progress.last_error = Describe(o);
        continue;
      }
      const std::string version = o.model_version.empty() ? backend->model_version : o.model_version;
      for (const BackendPrediction& p : o.predictions) {
        if (rank_only.count(p.task_id) != 0) continue;
        store::TaskPrediction tp;
        tp.task_id = p.task_id;
        tp.prediction = {backend->name, version, p.score, p.result_json, p.media_json};
        // Another job (or runner) predicting the same task with the same
        // model version stores it once.
        tp.once = true;
        predictions.push_back(std::move(tp));
      }
      for (const auto& [task_id, why] : o.task_errors) {
        progress.last_error = (task_id != 0 ? "task " + std::to_string(task_id) + ": " : "") + why;
      }
      // A backend that leaves a task out failed it; the learner only skips
      // tasks while it has learned nothing.
      // (The span pre-labeler skips the tasks it finds no span in.)
      failed += learner || spans ? static_cast<int64_t>(o.task_errors.size())
                                 : static_cast<int64_t>(batches[i].size() - o.predictions.size());
    }
    if (!predictions.empty()) {
      const auto sent = static_cast<int64_t>(predictions.size());
      Result<std::vector<store::Prediction>> stored =
          queue_.AddPredictions(*project, std::move(predictions));
      if (stored.ok()) {
        progress.predicted += static_cast<int64_t>(stored->size());
      } else {
        // A task deleted meanwhile refuses the whole batch; counted as failed.
        failed += sent;
        progress.last_error = stored.status().message();
      }
    }
    progress.failed += failed;
    progress.processed += static_cast<int64_t>(page.size());
    if (!page.empty()) progress.cursor = std::max(progress.cursor, page.back().id);

    if (last_page || page.empty()) {
      if (job.trigger == "continuous") {
        // Stays running; taken on again for tasks imported meanwhile.
        progress.held_until_ms = clock_.NowMs() + options_.continuous_interval_ms;
        Result<bool> kept = store_.UpdatePredictionJob(job.id, progress, clock_.NowMs());
        if (!kept.ok()) spdlog::warn("ml: job {}: {}", job.id, kept.status().ToString());
        return;
      }
      return end(store::JobState::kDone, "");
    }
    progress.held_until_ms = clock_.NowMs() + options_.hold_ms;
    Result<bool> active = store_.UpdatePredictionJob(job.id, progress, clock_.NowMs());
    if (!active.ok()) {
      spdlog::warn("ml: job {}: storing progress failed: {}", job.id, active.status().ToString());
      return;
    }
    if (!*active) return;  // cancelled meanwhile
  }
  // Stopping: keep the progress, let another runner take it on soon.
  progress.held_until_ms = clock_.NowMs();
  (void)store_.UpdatePredictionJob(job.id, progress, clock_.NowMs());
}

CallOutcome PredictionRunner::PredictWithRetries(const MlClient& client,
                                                 const std::vector<BackendTask>& tasks) {
  CallOutcome outcome;
  std::chrono::milliseconds delay = options_.retry_delay;
  for (int32_t attempt = 1; attempt <= std::max(options_.max_attempts, 1); ++attempt) {
    outcome = client.Predict(tasks);
    if (outcome.ok || !outcome.retriable || attempt == options_.max_attempts) break;
    spdlog::info("ml: backend {}: predict attempt {} failed ({}); retrying in {} ms",
                 client.backend().name, attempt, Describe(outcome), delay.count());
    if (!SleepUnlessStopping(delay)) break;
    delay *= 2;
  }
  RecordHealth(client.backend(), outcome);
  return outcome;
}

void PredictionRunner::RecordHealth(const store::MlBackend& backend, const CallOutcome& outcome) {
  std::string error = outcome.ok ? std::string() : Describe(outcome);
  if (outcome.ok && !outcome.task_errors.empty()) {
    // Answered, but some results did not fit: worth showing too.
    const auto& [task_id, why] = outcome.task_errors.front();
    error = (task_id != 0 ? "task " + std::to_string(task_id) + ": " : "") + why;
  }
  Status st = store_.RecordMlBackendHealth(backend.id, outcome.ok ? "ok" : "error", error,
                                           outcome.model_version, clock_.NowMs());
  if (!st.ok()) spdlog::warn("ml: backend {}: recording health failed: {}", backend.id, st.ToString());
}

void PredictionRunner::CheckHealth(int64_t backend_id) {
  {
    std::lock_guard lock(mu_);
    if (side_.size() >= options_.max_side_queue) {
      spdlog::warn("ml: side queue full; health check of backend {} dropped", backend_id);
      return;
    }
    side_.push_back({SideCall::Kind::kHealth, backend_id, 0});
  }
  cv_.notify_all();
}

void PredictionRunner::NotifyAccepted(int64_t project_id, int64_t task_id) {
  {
    std::lock_guard lock(mu_);
    if (side_.size() >= options_.max_side_queue) {
      spdlog::warn("ml: side queue full; accepted label of task {} dropped", task_id);
      return;
    }
    side_.push_back({SideCall::Kind::kAccepted, project_id, task_id});
  }
  cv_.notify_all();
}

bool PredictionRunner::WantsAccepted(int64_t project_id) {
  const int64_t now_ms = clock_.NowMs();
  {
    std::lock_guard lock(trains_mu_);
    auto it = trains_.find(project_id);
    if (it != trains_.end() && now_ms - it->second.checked_at_ms < options_.backends_ttl_ms &&
        now_ms >= it->second.checked_at_ms) {
      return it->second.trains;
    }
  }
  Result<std::vector<store::MlBackend>> backends = store_.ListMlBackends(project_id);
  // Unknown: let the side thread look, as it did before this cache.
  if (!backends.ok()) return true;
  const bool trains = std::any_of(backends->begin(), backends->end(), [](const auto& b) {
    return b.enabled && (b.train || IsBuiltinLearner(b));
  });
  std::lock_guard lock(trains_mu_);
  // Projects come and go; a stale entry only costs one read.
  if (trains_.size() > 4096) trains_.clear();
  trains_[project_id] = {trains, now_ms};
  return trains;
}

void PredictionRunner::ForgetBackends(int64_t project_id) {
  std::lock_guard lock(trains_mu_);
  trains_.erase(project_id);
}

int32_t PredictionRunner::RunSideOnce() {
  int32_t ran = 0;
  while (true) {
    SideCall call;
    {
      std::lock_guard lock(mu_);
      if (side_.empty() || stop_) return ran;
      call = side_.front();
      side_.pop_front();
    }
    RunSide(call);
    ++ran;
  }
}

void PredictionRunner::RunSide(const SideCall& call) {
  if (call.kind == SideCall::Kind::kDrainTrains) {
    DrainTrains(call.before_ms);
    return;
  }
  RunSideCall(call);
  if (call.kind == SideCall::Kind::kAccepted) ForgetTrain(call.id, call.task_id);
}

void PredictionRunner::DrainTrains(int64_t before_ms) {
  constexpr int32_t kPage = 500;
  while (!stopping_) {
    Result<std::vector<store::TrainQueueItem>> page = store_.PendingTrains(before_ms, kPage);
    if (!page.ok()) {
      spdlog::warn("ml: reading the train queue: {}", page.status().ToString());
      return;
    }
    if (!page->empty()) spdlog::info("ml: telling backends of {} labels left queued", page->size());
    for (const store::TrainQueueItem& item : *page) {
      if (stopping_) return;
      RunSide({SideCall::Kind::kAccepted, item.project_id, item.task_id});
    }
    if (page->size() < static_cast<size_t>(kPage)) return;
  }
}

void PredictionRunner::ForgetTrain(int64_t project_id, int64_t task_id) {
  // A stop may have cut the retries short: the next start tells them again.
  if (stopping_) return;
  Status st = store_.DeleteTrain(project_id, task_id);
  if (!st.ok()) spdlog::warn("ml: train queue of task {}: {}", task_id, st.ToString());
}

void PredictionRunner::RunSideCall(const SideCall& call) {
  if (call.kind == SideCall::Kind::kHealth) {
    Result<store::MlBackend> backend = store_.GetMlBackend(call.id);
    if (!backend.ok()) return;
    Result<Project> project = store_.GetProject(backend->project_id);
    if (!project.ok()) return;
    Result<std::shared_ptr<const Schema>> schema = ParseSchemaCached(project->schema_json);
    if (!schema.ok()) return;
    if (IsBuiltinLearner(*backend) || IsSpanPrelabeler(*backend)) {
      CallOutcome health;
      if (IsBuiltinLearner(*backend)) {
        const Control* control = LearnerControl(**schema, project->settings);
        Result<TextClassifier> model =
            control == nullptr ? Result<TextClassifier>(Status::InvalidArgument(
                                     "the schema has no choice control for the learner"))
                               : LoadLearner(store_, project->id, *control);
        health.ok = model.ok();
        if (model.ok()) {
          health.model_version = std::to_string(model->updates());
        } else {
          health.error = model.status().message();
        }
      } else {
        Result<std::optional<store::SpanPrelabelerRow>> row = store_.GetSpanPrelabeler(project->id);
        health.ok = row.ok() && row->has_value();
        if (health.ok) {
          health.model_version = (*row)->version;
        } else {
          health.error = "the project has no span pre-labeler";
        }
      }
      RecordHealth(*backend, health);
      return;
    }
    MlClient client(*backend, *project, *schema);
    CallOutcome health = client.Health();
    if (health.ok && backend->protocol == "label_studio") {
      CallOutcome setup = client.Setup();
      if (!setup.ok) health = setup;
      else if (!setup.model_version.empty()) health.model_version = setup.model_version;
    }
    RecordHealth(*backend, health);
    return;
  }
  Result<Task> task = store_.GetTask(call.task_id);
  Result<Project> project = store_.GetProject(call.id);
  Result<std::vector<FinalLabel>> labels = store_.FinalLabels({call.task_id});
  if (!task.ok() || !project.ok() || !labels.ok() || labels->empty()) return;
  const FinalLabel& label = labels->front();
  Result<std::vector<store::MlBackend>> backends = store_.ListMlBackends(project->id);
  Result<std::shared_ptr<const Schema>> schema = ParseSchemaCached(project->schema_json);
  if (!backends.ok() || !schema.ok()) return;
  for (const store::MlBackend& b : *backends) {
    if (IsSpanPrelabeler(b)) continue;  // learns nothing
    if (b.enabled && IsBuiltinLearner(b)) {
      Result<int64_t> updates =
          TeachLearner(store_, *project, **schema, *task, label, clock_.NowMs());
      if (updates.ok() && project->settings.queue_order == QueueOrder::kUncertainty) {
        // Before the new version shows on the backend, so whoever sees it
        // finds the rerank queued.
        Status queued = QueueRerank(project->id, project->created_by);
        if (!queued.ok()) spdlog::warn("ml: queueing a rerank: {}", queued.ToString());
      }
      Status st = store_.RecordMlBackendHealth(
          b.id, updates.ok() ? "ok" : "error", updates.ok() ? "" : updates.status().message(),
          updates.ok() ? std::to_string(*updates) : "", clock_.NowMs());
      (void)st;
      continue;
    }
    if (!b.enabled || !b.train) continue;
    MlClient client(b, *project, *schema);
    CallOutcome outcome;
    std::chrono::milliseconds delay = options_.retry_delay;
    for (int32_t attempt = 1; attempt <= std::max(options_.max_attempts, 1); ++attempt) {
      outcome = client.Train({task->id, task->data_json}, task->id, label.result_json,
                             label.media_json);
      if (outcome.ok || !outcome.retriable || attempt == options_.max_attempts) break;
      if (!SleepUnlessStopping(delay)) break;
      delay *= 2;
    }
    if (!outcome.ok) {
      Status st = store_.RecordMlBackendHealth(b.id, "error", "train: " + Describe(outcome), "",
                                               clock_.NowMs());
      (void)st;
      spdlog::info("ml: backend {}: train notification of task {} failed: {}", b.name, task->id,
                   Describe(outcome));
    }
  }
}

Status PredictionRunner::OnTasksImported(int64_t project_id, int64_t user_id, int64_t first_task_id,
                                         int64_t count) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> backends, store_.ListMlBackends(project_id));
  bool queued = false;
  for (const store::MlBackend& b : backends) {
    if (!b.enabled || !b.on_import) continue;
    store::PredictionJob job;
    job.project_id = project_id;
    job.backend_id = b.id;
    job.trigger = "import";
    job.filter_json = JobScopeJson({std::nullopt, {}, true});
    job.created_by = user_id;
    // The imported tasks only: the job walks ids after its cursor.
    job.cursor = std::max<int64_t>(first_task_id - 1, 0);
    job.total = count;
    PLUMB_RETURN_IF_ERROR(store_.CreatePredictionJob(job, clock_.NowMs()).status());
    queued = true;
  }
  if (queued) Wake();
  return Status::Ok();
}

Status PredictionRunner::QueueRerank(int64_t project_id, int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(Project project, store_.GetProject(project_id));
  if (project.settings.queue_order != QueueOrder::kUncertainty) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> backends, store_.ListMlBackends(project_id));
  auto learner = std::find_if(backends.begin(), backends.end(), [](const store::MlBackend& b) {
    return b.enabled && IsBuiltinLearner(b);
  });
  if (learner == backends.end()) return Status::Ok();
  // One waiting rerank is enough: it reads the model when it runs. Labels
  // that come while one runs queue the next, so ranks follow the model a
  // job behind at most, and no submit waits for any of it.
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PredictionJob> jobs,
                         store_.ListPredictionJobs(project_id, 50));
  const bool waiting = std::any_of(jobs.begin(), jobs.end(), [&](const store::PredictionJob& j) {
    return j.backend_id == learner->id && j.trigger == "rerank" &&
           j.state == store::JobState::kQueued;
  });
  if (waiting) return Status::Ok();
  store::PredictionJob job;
  job.project_id = project_id;
  job.backend_id = learner->id;
  job.trigger = "rerank";
  JobScope scope;
  scope.only_missing = true;
  scope.open = true;
  job.filter_json = JobScopeJson(scope);
  job.created_by = user_id;
  store::TaskQuery q;
  q.project_id = project_id;
  PLUMB_ASSIGN_OR_RETURN(job.total, store_.CountMatchingTasks(q));
  PLUMB_RETURN_IF_ERROR(store_.CreatePredictionJob(job, clock_.NowMs()).status());
  Wake();
  return Status::Ok();
}

std::shared_ptr<const SpanPrelabeler> PredictionRunner::SpanPrelabelerOf(
    const store::SpanPrelabelerRow& row, const std::vector<std::string>& labels,
    std::string* error) {
  std::lock_guard lock(spans_mu_);
  auto it = spans_.find(row.project_id);
  if (it != spans_.end() && it->second.first == row.version) return it->second.second;
  Result<SpanPrelabeler> built = SpanPrelabeler::FromJson(row.config_json, labels);
  if (!built.ok()) {
    *error = built.status().message();
    return nullptr;
  }
  auto shared = std::make_shared<const SpanPrelabeler>(std::move(*built));
  spans_[row.project_id] = {row.version, shared};
  return shared;
}

Status PredictionRunner::EnsureContinuousJobs(int64_t project_id, int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> backends, store_.ListMlBackends(project_id));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PredictionJob> jobs,
                         store_.ListPredictionJobs(project_id, 1000));
  bool queued = false;
  for (const store::MlBackend& b : backends) {
    if (!b.enabled || !b.continuous) continue;
    const bool live = std::any_of(jobs.begin(), jobs.end(), [&](const store::PredictionJob& j) {
      return j.backend_id == b.id && j.trigger == "continuous" &&
             (j.state == store::JobState::kQueued || j.state == store::JobState::kRunning);
    });
    if (live) continue;
    store::PredictionJob job;
    job.project_id = project_id;
    job.backend_id = b.id;
    job.trigger = "continuous";
    job.filter_json = JobScopeJson({std::nullopt, {}, true});
    job.created_by = user_id;
    PLUMB_RETURN_IF_ERROR(store_.CreatePredictionJob(job, clock_.NowMs()).status());
    queued = true;
  }
  if (queued) Wake();
  return Status::Ok();
}

}  // namespace plumb::automation
