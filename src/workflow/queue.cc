#include <algorithm>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include "core/stats.h"
#include "quality/quality.h"
#include "workflow/prelabel.h"
#include "workflow/scores.h"
#include "workflow/training.h"
#include "workflow/workflow.h"

namespace plumb::workflow {
namespace {

// Dawid–Skene labeler models are fitted over this many of a project's
// completed tasks (the oldest first: ListTasks pages in import order), and
// refitted after this many more submits or this long, whichever comes first.
// A fit of 5,000 tasks × 3 labels takes tens of milliseconds; doing it on
// every completion would put that inside the store's write transaction.
constexpr int64_t kModelTasks = 5000;
constexpr int64_t kRefitEverySubmits = 200;
constexpr int64_t kRefitEveryMs = 5 * 60 * 1000;

struct CachedModels {
  std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>> models;
  int64_t fitted_at_ms = 0;
  int64_t submits_since = 0;
  std::string schema_json;  // the schema the models were fitted for
  int64_t tasks = 0;        // done tasks the fit read
};

std::mutex models_mu;
std::unordered_map<int64_t, CachedModels>& ModelCache() {
  static auto* cache = new std::unordered_map<int64_t, CachedModels>();
  return *cache;
}

// Fits one model per single-choice control over the project's done tasks.
Result<std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>>> FitModels(
    store::Store& store, const Project& project, const Schema& schema, int64_t* tasks_read) {
  std::unordered_map<std::string, std::vector<quality::ChoiceVote>> votes;
  store::TaskQuery query;
  query.project_id = project.id;
  query.state = TaskState::kDone;
  query.limit = 1000;
  int64_t seen = 0;
  while (seen < kModelTasks) {
    PLUMB_ASSIGN_OR_RETURN(store::TaskPage page, store.ListTasks(query));
    std::vector<int64_t> ids;
    for (const Task& t : page.items) {
      if (!t.golden) ids.push_back(t.id);
    }
    seen += static_cast<int64_t>(page.items.size());
    PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> revisions, store.CurrentRevisions(ids));
    for (const Revision& r : revisions) {
      if (r.source == RevisionSource::kReviewFix || r.source == RevisionSource::kAdjudication) {
        continue;
      }
      for (const Control& c : schema.controls) {
        if (c.type != ControlType::kChoice || c.multiple) continue;
        auto v = quality::ChoiceVotes(c, r.task_id, r.user_id, r.result_json);
        votes[c.name].insert(votes[c.name].end(), v.begin(), v.end());
      }
    }
    if (!page.next_after_id) break;
    query.after_id = *page.next_after_id;
  }
  *tasks_read = seen;
  auto models = std::make_shared<std::unordered_map<std::string, quality::ChoiceModel>>();
  for (const Control& c : schema.controls) {
    if (c.type != ControlType::kChoice || c.multiple) continue;
    auto it = votes.find(c.name);
    if (it == votes.end() || it->second.empty()) continue;
    (*models)[c.name] =
        quality::FitDawidSkene(static_cast<int32_t>(c.labels.size()), it->second).model;
  }
  return std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>>(
      std::move(models));
}

// The project's labeler models, refitted when stale. Outside any store
// transaction: the completion hook only reads the result.
Result<std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>>> ModelsFor(
    store::Store& store, const Project& project, const Schema& schema, int64_t now_ms) {
  {
    std::lock_guard<std::mutex> lock(models_mu);
    CachedModels& cached = ModelCache()[project.id];
    ++cached.submits_since;
    if (cached.models && cached.schema_json == project.schema_json &&
        cached.submits_since < kRefitEverySubmits && now_ms - cached.fitted_at_ms < kRefitEveryMs) {
      return cached.models;
    }
  }
  // Two submits may both refit at once; the later fit wins, which is harmless.
  int64_t tasks = 0;
  PLUMB_ASSIGN_OR_RETURN(auto models, FitModels(store, project, schema, &tasks));
  std::lock_guard<std::mutex> lock(models_mu);
  CachedModels& cached = ModelCache()[project.id];
  cached.models = models;
  cached.fitted_at_ms = now_ms;
  cached.submits_since = 0;
  cached.schema_json = project.schema_json;
  cached.tasks = tasks;
  return models;
}

// The k-th task (1-based) a person labels in a project is golden when the
// running count of golden tasks at `rate` steps up at k.
bool GoldenTurn(double rate, int64_t labeled_before) {
  if (rate <= 0) return false;
  const int64_t k = labeled_before + 1;
  return std::floor(static_cast<double>(k) * rate) > std::floor(static_cast<double>(k - 1) * rate);
}

const char* RuleName(store::ClaimRule rule) {
  switch (rule) {
    case store::ClaimRule::kExistingLease:
      return "existing_lease";
    case store::ClaimRule::kRework:
      return "rework";
    case store::ClaimRule::kGolden:
      return "golden";
    case store::ClaimRule::kPriority:
      return "priority";
    case store::ClaimRule::kBakeoff:
      return "bakeoff";
    case store::ClaimRule::kUncertainty:
      return "uncertainty";
  }
  return "priority";
}

bool IsReviewerRevision(const Revision& r) {
  return r.source == RevisionSource::kReviewFix || r.source == RevisionSource::kAdjudication;
}

// Whether a task is sampled for review at `share` percent: a hash of its id,
// so the same task is always sampled the same way.
bool SampledForReview(int64_t task_id, int32_t share) {
  if (share <= 0) return false;
  if (share >= 100) return true;
  // splitmix64: consecutive ids spread evenly over the 100 buckets.
  uint64_t z = static_cast<uint64_t>(task_id) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<int32_t>(z % 100) < share;
}

// Where a completed task goes: adjudication when its annotations disagree,
// review when sampled (always after a rework), else done.
TaskState RouteCompleted(const store::CompletionInput& input, double agreement) {
  const ProjectSettings& s = input.settings;
  if (input.current.size() > 1 && s.agreement_threshold > 0 && agreement < s.agreement_threshold) {
    return TaskState::kAdjudicating;
  }
  if (input.after_rework || SampledForReview(input.task.id, s.review_share)) {
    return TaskState::kReviewing;
  }
  return TaskState::kDone;
}

}  // namespace

namespace {

// kInstructionsNotAcknowledged when the project has instructions whose
// current version the user has not acknowledged (docs/instructions.md);
// else the current version.
Result<int64_t> CheckInstructionsAcknowledged(store::Store& store, const Project& project,
                                              const User& user) {
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus status,
                         store.GetInstructionsStatus(project.id, user.id));
  if (status.current == 0 || status.acknowledged >= status.current) return status.current;
  return Status::InstructionsNotAcknowledged(
      "acknowledge version " + std::to_string(status.current) +
          " of the project's instructions before taking a task",
      status.current);
}

}  // namespace

Result<std::optional<NextTask>> Queue::Next(const Project& project, const User& user) {
  PLUMB_ASSIGN_OR_RETURN(int64_t instructions_version,
                         CheckInstructionsAcknowledged(store_, project, user));
  // Projects without a qualification test or ongoing check read nothing
  // more; the others one primary-key row (docs/training.md).
  if (TrainingGated(project.settings) && GatedRole(user.role)) {
    PLUMB_ASSIGN_OR_RETURN(std::optional<store::LabelerTraining> record,
                           store_.GetLabelerTraining(project.id, user.id));
    PLUMB_RETURN_IF_ERROR(CheckStanding(project.settings, record, instructions_version));
  }
  const int64_t now_ms = clock_.NowMs();
  // Golden tasks of an open bake-off come first to members of its workforce
  // candidates, so that its turnaround measures them rather than the queue.
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::Claim> claim,
                         store_.ClaimBakeoffTask(project.id, user.id, now_ms));
  if (!claim && project.settings.golden_rate > 0) {
    // The caller's own annotations in the project: a range of one index,
    // where GetProgress would also count the whole project.
    store::TaskQuery mine;
    mine.project_id = project.id;
    mine.annotator_id = user.id;
    PLUMB_ASSIGN_OR_RETURN(int64_t labeled, store_.CountMatchingTasks(mine));
    if (GoldenTurn(project.settings.golden_rate, labeled)) {
      PLUMB_ASSIGN_OR_RETURN(claim, store_.ClaimGoldenTask(project.id, user.id, now_ms));
    }
  }
  if (!claim) {
    PLUMB_ASSIGN_OR_RETURN(claim, store_.ClaimNextTask(project.id, user.id, now_ms));
  }
  if (!claim) return std::optional<NextTask>();
  NextTask next;
  next.task = std::move(claim->task);
  next.lease = claim->lease;
  next.rule = RuleName(claim->rule);
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions,
                         store_.ListPredictions({next.task.id}));
  // The newest is the latest model's: predictions come in id order.
  if (!predictions.empty()) next.prelabel = std::move(predictions.back());
  if (claim->rule == store::ClaimRule::kRework || claim->rule == store::ClaimRule::kExistingLease) {
    // A held lease may be a rework handed out before; the rejection tells.
    PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> own, store_.ListRevisions(next.task.id, user.id));
    if (!own.empty()) {
      PLUMB_ASSIGN_OR_RETURN(std::vector<store::Store::ReviewNote> reviews,
                             store_.ListReviews(next.task.id));
      for (auto it = reviews.rbegin(); it != reviews.rend(); ++it) {
        if (it->decision == store::Store::Decision::kReject ||
            it->decision == store::Store::Decision::kInstructionsRework) {
          next.review = *it;
          break;
        }
      }
      if (next.review) {
        next.previous = own.back();
        next.rule = "rework";
      }
    }
  }
  return std::optional<NextTask>(std::move(next));
}

Result<Revision> Queue::Submit(const Project& project, const Task& task, const User& user,
                               const Submission& submission) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(
      ValidAnnotation annotation,
      ValidateAnnotation(*schema, task.data_json, submission.result_json, submission.media_json));
  const int64_t now_ms = clock_.NowMs();
  std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>> models;
  if (project.settings.consensus == ConsensusMethod::kDawidSkene && project.settings.overlap > 1) {
    PLUMB_ASSIGN_OR_RETURN(models, ModelsFor(store_, project, *schema, now_ms));
  }
  store::RevisionHooks hooks;
  hooks.complete = [&](const store::CompletionInput& input) -> Result<store::Completion> {
    store::Completion completion;
    if (input.current.size() <= 1) {
      completion = store::DefaultCompletion(input);
    } else {
      std::vector<quality::Annotated> annotated;
      annotated.reserve(input.current.size());
      for (const Revision& r : input.current) {
        annotated.push_back({r.user_id, r.result_json, r.media_json});
      }
      quality::ConsensusOptions options;
      options.iou_threshold = input.settings.iou_threshold;
      if (models) {
        options.choice = quality::ChoiceMethod::kDawidSkene;
        options.models = models.get();
      }
      PLUMB_ASSIGN_OR_RETURN(quality::Consensus consensus,
                             quality::Reconcile(*schema, annotated, options));
      completion.label.result_json = std::move(consensus.result_json);
      completion.label.media_json = std::move(consensus.media_json);
      completion.label.method = std::move(consensus.method);
      completion.label.agreement = consensus.agreement;
    }
    completion.state = RouteCompleted(input, completion.label.agreement);
    // A completion after a rework was counted when the task first completed.
    if (!input.after_rework) {
      completion.stats = AgreementStats(*schema, input.current, completion.label.result_json,
                                        input.settings.iou_threshold);
    }
    completion.disagreements = DisagreementScores(
        *schema, input.predictions, completion.label.result_json, input.settings.iou_threshold);
    if (!input.after_rework) {
      // Each model's accuracy against the accepted label, on the day it was
      // accepted: the learning curve (docs/automation.md).
      for (const store::Prediction& p : input.predictions) {
        completion.stats.push_back(
            {0, stats::kModelAccuracyPrefix + stats::ModelKey(p.model_name, p.model_version), 1,
             PredictionAccuracy(p.result_json, completion.label.result_json)});
      }
    }
    return completion;
  };
  hooks.grade = [&](const store::GoldenAnswer& answer,
                    const Revision& revision) -> Result<store::GoldenGrade> {
    PLUMB_ASSIGN_OR_RETURN(
        quality::Grade grade,
        quality::GradeAgainstAnswer(*schema, answer.result_json, revision.result_json,
                                    project.settings.iou_threshold));
    store::GoldenGrade out;
    out.task_id = revision.task_id;
    out.user_id = revision.user_id;
    out.revision_id = revision.id;
    out.score = grade.score;
    out.correct = grade.correct;
    return out;
  };
  store::NewRevision revision;
  revision.queue_train = submission.queue_train;
  if (!task.golden) {
    // The store records this only when the revision starts an annotation.
    PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions,
                           store_.ListPredictions({task.id}));
    const store::Prediction* shown = predictions.empty() ? nullptr : &predictions.back();
    if (submission.prelabel_id) {
      shown = nullptr;
      for (const store::Prediction& p : predictions) {
        if (p.id == *submission.prelabel_id) shown = &p;
      }
      if (shown == nullptr) {
        return Status::InvalidArgument("prelabel_id is not a prediction of this task",
                                       "prelabel_id");
      }
    }
    revision.track_prelabel = true;
    if (shown != nullptr) {
      revision.prelabel = store::PrelabelUse{
          shown->id, shown->model_name, shown->model_version,
          ComparePrelabel(shown->result_json, annotation.result_json)};
    }
  }
  revision.task_id = task.id;
  revision.user_id = user.id;
  revision.lease_id = submission.lease_id;
  revision.idempotency_key = submission.idempotency_key;
  revision.result_json = std::move(annotation.result_json);
  revision.media_json = std::move(annotation.media_json);
  revision.lead_time_ms = submission.lead_time_ms;
  revision.hooks = &hooks;
  if (task.golden && project.settings.pause_threshold > 0 && GatedRole(user.role)) {
    revision.pause =
        store::PauseRule{project.settings.pause_threshold, project.settings.pause_window};
  }
  return store_.AppendRevision(revision, now_ms);
}

Status Queue::Skip(const User& user, int64_t task_id, int64_t lease_id) {
  return store_.SkipTask(task_id, user.id, lease_id, clock_.NowMs());
}

Result<std::optional<ReviewTask>> Queue::NextReview(const Project& project, const User& reviewer,
                                                    std::optional<TaskState> stage) {
  PLUMB_RETURN_IF_ERROR(CheckInstructionsAcknowledged(store_, project, reviewer).status());
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::Claim> claim,
                         store_.ClaimReviewTask(project.id, reviewer.id, stage, clock_.NowMs()));
  if (!claim) return std::optional<ReviewTask>();
  ReviewTask out;
  out.task = std::move(claim->task);
  out.lease = claim->lease;
  out.stage = out.task.state;
  PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> current, store_.CurrentRevisions({out.task.id}));
  for (Revision& r : current) {
    if (!IsReviewerRevision(r)) out.annotations.push_back(std::move(r));
  }
  PLUMB_ASSIGN_OR_RETURN(std::vector<FinalLabel> labels, store_.FinalLabels({out.task.id}));
  if (!labels.empty()) out.final_label = std::move(labels.front());
  return std::optional<ReviewTask>(std::move(out));
}

Status Queue::Decide(const Project& project, const Task& task, const User& reviewer,
                     const ReviewRequest& request) {
  using Decision = store::Store::Decision;
  store::Store::Review review;
  review.task_id = task.id;
  review.reviewer_id = reviewer.id;
  review.lease_id = request.lease_id;
  review.decision = request.decision;
  review.comment = request.comment;
  review.queue_train = request.queue_train;
  if (request.decision == Decision::kFix || request.decision == Decision::kResolve) {
    std::string result_json = request.result_json;
    std::string media_json = request.media_json;
    if (request.decision == Decision::kResolve && request.annotation_id && result_json.empty()) {
      PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> current, store_.CurrentRevisions({task.id}));
      auto it = std::find_if(current.begin(), current.end(), [&](const Revision& r) {
        return r.annotation_id == *request.annotation_id && !IsReviewerRevision(r);
      });
      if (it == current.end()) {
        return Status::InvalidArgument(
            "annotation " + std::to_string(*request.annotation_id) + " is not one of this task's",
            "annotation_id");
      }
      result_json = it->result_json;
      media_json = it->media_json;
    }
    if (result_json.empty()) {
      return Status::InvalidArgument("result is required for this decision", "result");
    }
    PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                           ParseSchemaCached(project.schema_json));
    PLUMB_ASSIGN_OR_RETURN(ValidAnnotation valid,
                           ValidateAnnotation(*schema, task.data_json, result_json, media_json));
    review.label = store::GoldenAnswer{std::move(valid.result_json), std::move(valid.media_json)};
  }
  const int64_t now_ms = clock_.NowMs();
  PLUMB_RETURN_IF_ERROR(store_.RecordReview(review, now_ms));
  if (!review.label) return Status::Ok();
  // The reviewer's label is the final one now: the predictions are scored
  // against it (after the decision committed; a crash in between leaves the
  // consensus's scores, which the next fix or import refreshes).
  return RescorePredictions(project, task.id, review.label->result_json, now_ms);
}

Result<LabelerModels> Queue::FitLabelerModels(const Project& project) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  const int64_t now_ms = clock_.NowMs();
  std::shared_ptr<const std::unordered_map<std::string, quality::ChoiceModel>> models;
  int64_t tasks = 0;
  {
    std::lock_guard<std::mutex> lock(models_mu);
    auto it = ModelCache().find(project.id);
    if (it != ModelCache().end() && it->second.models &&
        it->second.schema_json == project.schema_json &&
        now_ms - it->second.fitted_at_ms < kRefitEveryMs) {
      models = it->second.models;
      tasks = it->second.tasks;
    }
  }
  if (!models) {
    // Counts as a submit toward the refit schedule, which is harmless.
    PLUMB_ASSIGN_OR_RETURN(models, ModelsFor(store_, project, *schema, now_ms));
    std::lock_guard<std::mutex> lock(models_mu);
    tasks = ModelCache()[project.id].tasks;
  }
  LabelerModels out;
  out.tasks = tasks;
  for (const auto& [name, model] : *models) {
    LabelerModels::Control& control = out.controls[name];
    control.prior = model.prior;
    control.confusion.assign(model.confusion.begin(), model.confusion.end());
    std::sort(control.confusion.begin(), control.confusion.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  return out;
}

Result<std::vector<store::Prediction>> Queue::AddPredictions(
    const Project& project, std::vector<store::TaskPrediction> predictions) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> full,
                         ParseSchemaCached(project.schema_json));
  // A model may propose some controls only (the built-in learner one choice
  // control, the span pre-labeler one span control): required controls are
  // for the labels people submit, not for predictions.
  Schema optional = *full;
  for (Control& c : optional.controls) c.required = false;
  const Schema* schema = &optional;
  for (size_t i = 0; i < predictions.size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    store::NewPrediction& p = predictions[i].prediction;
    Result<Task> task = store_.GetTask(predictions[i].task_id);
    if (!task.ok() || task->project_id != project.id) {
      if (!task.ok() && task.status().code() != StatusCode::kNotFound) return task.status();
      return Status::NotFound("task " + std::to_string(predictions[i].task_id) +
                                  " is not a task of this project",
                              at + ".task_id");
    }
    Result<ValidAnnotation> valid =
        ValidateAnnotation(*schema, task->data_json, p.result_json, p.media_json);
    if (!valid.ok()) {
      return Status::InvalidResult(valid.status().message(), at + "." + valid.status().field());
    }
    p.result_json = std::move(valid->result_json);
    p.media_json = std::move(valid->media_json);
  }
  const int64_t now_ms = clock_.NowMs();
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> stored,
                         store_.AddPredictions(project.id, predictions, now_ms));
  std::vector<int64_t> task_ids;
  for (const store::Prediction& p : stored) task_ids.push_back(p.task_id);
  PLUMB_ASSIGN_OR_RETURN(std::vector<FinalLabel> finals, store_.FinalLabels(task_ids));
  std::unordered_map<int64_t, const FinalLabel*> final_of;
  for (const FinalLabel& f : finals) final_of[f.task_id] = &f;
  std::vector<store::Disagreement> scores;
  for (const store::Prediction& p : stored) {
    auto it = final_of.find(p.task_id);
    if (it == final_of.end()) continue;
    for (store::Disagreement& d : DisagreementScores(*schema, {p}, it->second->result_json,
                                                     project.settings.iou_threshold)) {
      d.computed_at_ms = now_ms;
      scores.push_back(std::move(d));
    }
  }
  if (!scores.empty()) PLUMB_RETURN_IF_ERROR(store_.SetDisagreements(scores));
  return stored;
}

Status Queue::RescorePredictions(const Project& project, int64_t task_id,
                                 const std::string& final_result_json, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions,
                         store_.ListPredictions({task_id}));
  if (predictions.empty()) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  std::vector<store::Disagreement> scores = DisagreementScores(
      *schema, predictions, final_result_json, project.settings.iou_threshold);
  for (store::Disagreement& d : scores) d.computed_at_ms = now_ms;
  return store_.SetDisagreements(scores);
}

Status Queue::SetGolden(const Project& project, const Task& task,
                        const std::optional<Submission>& answer) {
  if (!answer) return store_.SetGoldenAnswer(task.id, std::nullopt);
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(
      ValidAnnotation valid,
      ValidateAnnotation(*schema, task.data_json, answer->result_json, answer->media_json));
  return store_.SetGoldenAnswer(
      task.id, store::GoldenAnswer{std::move(valid.result_json), std::move(valid.media_json)});
}

}  // namespace plumb::workflow
