#pragma once
// workflow: the labeling flow on top of the store (docs/workflow.md) — which
// task a person gets next (a chain of queue rules, each named so the UI and
// tests can tell which one picked a task: the caller's lease, rework after a
// rejection, a golden task at the project's rate, then priority), submitting
// a result checked against the project's schema, reconciling a completed
// task's annotations into its final label and routing it to done, review or
// adjudication, grading golden tasks, and the reviewers' queue and
// decisions. Thread-safe; the only state is a per-project cache of
// Dawid–Skene labeler models.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/core.h"
#include "store/store.h"

namespace plumb::workflow {

struct NextTask {
  Task task;
  Lease lease;
  // The queue rule that picked the task: "existing_lease" (the caller's live
  // lease handed out again), "rework" (sent back by a reviewer), "golden", or
  // "priority" (priority, then deadline, then import order).
  std::string rule;
  // The task's newest prediction, which the editor starts from (a pre-label).
  std::optional<store::Prediction> prelabel;
  // For a task sent back for rework: the rejection and the caller's last revision.
  std::optional<store::Store::ReviewNote> review;
  std::optional<Revision> previous;
};

// A task in a reviewer's hands.
struct ReviewTask {
  Task task;
  Lease lease;
  TaskState stage = TaskState::kReviewing;  // or kAdjudicating
  std::vector<Revision> annotations;        // the current revision of each counting annotation
  std::optional<FinalLabel> final_label;
};

// A reviewer's decision, as sent.
struct ReviewRequest {
  int64_t lease_id = 0;
  store::Store::Decision decision = store::Store::Decision::kAccept;
  std::string comment;
  std::string result_json;  // kFix, kResolve: the final label ("" with annotation_id)
  std::string media_json;
  std::optional<int64_t> annotation_id;  // kResolve: take this annotation's result
  // The project has backends that learn: a task done after the decision
  // joins the train queue in its transaction (store::Store::Review).
  bool queue_train = false;
};

struct Submission {
  std::optional<int64_t> lease_id;
  std::string idempotency_key;
  std::string result_json;  // as sent; validated here
  std::string media_json;   // as sent, "" when not sent; validated here
  int64_t lead_time_ms = 0;
  // The prediction the editor started from (`task.prelabel.id` of next);
  // nullopt: the task's newest prediction, which next shows, if any.
  std::optional<int64_t> prelabel_id;
  // As ReviewRequest::queue_train, for a task done once the revision is in.
  bool queue_train = false;
};

// The Dawid–Skene fit of a project's single-choice controls (docs/analytics.md).
struct LabelerModels {
  struct Control {
    std::vector<double> prior;
    // By labeler id: confusion[true label][given label], rows summing to 1.
    std::vector<std::pair<int64_t, std::vector<std::vector<double>>>> confusion;
  };
  std::map<std::string, Control> controls;  // by control name
  int64_t tasks = 0;                        // done tasks the fit read
};

class Queue {
 public:
  Queue(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The caller's next task in the project with its lease and pre-label, or
  // nullopt when nothing is left for them. kInstructionsNotAcknowledged (with
  // the version) when the project has instructions whose current version the
  // caller has not acknowledged. Other errors come from the store.
  Result<std::optional<NextTask>> Next(const Project& project, const User& user);

  // Validates the result and media against the project's schema and the
  // task's data (kInvalidResult naming the item), then appends a revision to `task`, a
  // task of `project`, recording for a new annotation on a task that is not
  // golden whether it started from a pre-label and whether that was kept
  // unchanged, edited or discarded (kInvalidArgument, field "prelabel_id",
  // for a prelabel_id that is not one of the task's predictions); a
  // task of `project` (see store::Store::AppendRevision for kConflict /
  // kLeaseExpired and idempotent replay).
  Result<Revision> Submit(const Project& project, const Task& task, const User& user,
                          const Submission& submission);

  // kConflict when the lease is not the caller's.
  Status Skip(const User& user, int64_t task_id, int64_t lease_id);

  // A task for the reviewer (see store::Store::ClaimReviewTask) with its
  // annotations and proposed final label, or nullopt. Gated on the
  // instructions like Next.
  Result<std::optional<ReviewTask>> NextReview(const Project& project, const User& reviewer,
                                               std::optional<TaskState> stage);
  // Applies a decision on `task` of `project` (see store::Store::RecordReview);
  // a fixed or resolved label is validated like a submit (kInvalidResult);
  // annotation_id must name a counting annotation of the task
  // (kInvalidArgument, field "annotation_id").
  Status Decide(const Project& project, const Task& task, const User& reviewer,
                const ReviewRequest& request);

  // Validates and sets (or with nullopt clears) a task's golden answer.
  Status SetGolden(const Project& project, const Task& task,
                   const std::optional<Submission>& answer);

  // Adds model predictions to tasks of the project, all or none: each result
  // (and media) is validated against the schema and its task's data
  // (kInvalidResult, field "[i].result..."), an unknown task or one of
  // another project is kNotFound (field "[i].task_id"). Then the
  // predictions of tasks that have a final label get their disagreement
  // scores. Returns the predictions stored.
  Result<std::vector<store::Prediction>> AddPredictions(
      const Project& project, std::vector<store::TaskPrediction> predictions);

  // The project's labeler models: those consensus keeps (refitted on its
  // schedule), else fitted now over up to 5,000 done tasks and kept.
  Result<LabelerModels> FitLabelerModels(const Project& project);

  // Scores the task's predictions against its final label
  // (docs/analytics.md, "Disagreement queue").
  Status RescorePredictions(const Project& project, int64_t task_id,
                            const std::string& final_result_json, int64_t now_ms);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace plumb::workflow
