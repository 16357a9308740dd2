#include "workflow/workflow.h"

namespace plumb::workflow {

Result<std::optional<NextTask>> Queue::Next(const Project& project, const User& user) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::Claim> claim,
                         store_.ClaimNextTask(project.id, user.id, clock_.NowMs()));
  if (!claim) return std::optional<NextTask>();
  NextTask next{std::move(claim->task), claim->lease,
                claim->existing_lease ? "existing_lease" : "priority", std::nullopt};
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions,
                         store_.ListPredictions({next.task.id}));
  // The newest is the latest model's: predictions come in id order.
  if (!predictions.empty()) next.prelabel = std::move(predictions.back());
  return std::optional<NextTask>(std::move(next));
}

Result<Revision> Queue::Submit(const Project& project, const Task& task, const User& user,
                               const Submission& submission) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(
      ValidAnnotation annotation,
      ValidateAnnotation(*schema, task.data_json, submission.result_json, submission.media_json));
  store::NewRevision revision;
  revision.task_id = task.id;
  revision.user_id = user.id;
  revision.lease_id = submission.lease_id;
  revision.idempotency_key = submission.idempotency_key;
  revision.result_json = std::move(annotation.result_json);
  revision.media_json = std::move(annotation.media_json);
  revision.lead_time_ms = submission.lead_time_ms;
  return store_.AppendRevision(revision, clock_.NowMs());
}

Status Queue::Skip(const User& user, int64_t task_id, int64_t lease_id) {
  return store_.SkipTask(task_id, user.id, lease_id, clock_.NowMs());
}

}  // namespace plumb::workflow
