#pragma once
// The workflow engine's SQL on SQLite (docs/workflow.md): completion and
// final labels, events and deliveries, golden tasks, review, workforces,
// batches and webhooks. Each function runs inside the caller's transaction on
// `c` (a write, or a read snapshot for the readers); see store.h for the
// contracts of the Store methods they implement. Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

// --- completion, shared by AppendRevision and RecordReview -------------------------

// The task has all its annotations: decides (hooks->complete or the default)
// its state and final label and writes them, with the events of a done task.
Status CompleteTask(Connection& c, const Task& task, const ProjectSettings& settings,
                    const RevisionHooks* hooks, bool after_rework, int64_t now_ms);
// Appends a revision of the caller's existing annotation `annotation_id`
// (parent `parent_id`, number `number`); a rejected one counts again and may
// complete the task. Returns the revision's id.
Result<int64_t> AppendToOwnAnnotation(Connection& c, const NewRevision& rev, const Task& task,
                                      int64_t annotation_id, int64_t parent_id, int32_t number,
                                      bool rejected, int64_t now_ms);
// Stores the grade of a golden task's first submission by a user.
Status GradeGolden(Connection& c, const NewRevision& rev, const Task& task, int64_t revision_id,
                   int64_t now_ms);

// The review.rejected event of `task` (and its deliveries), by `reviewer_id`.
Status WriteReviewRejected(Connection& c, const Task& task, int64_t reviewer_id,
                           std::string_view comment, int64_t now_ms);

// --- the queue's extra rules ------------------------------------------------------------

// A task sent back to the user for rework, with a new lease holding no slot.
Result<std::optional<Claim>> ClaimRework(Connection& c, int64_t project_id, int64_t user_id,
                                         const ProjectSettings& settings, int64_t now_ms);
Result<std::optional<Claim>> ClaimGolden(Connection& c, int64_t project_id, int64_t user_id,
                                         int64_t now_ms);
// The bake-off rule (Store::ClaimBakeoffTask).
Result<std::optional<Claim>> ClaimBakeoff(Connection& c, int64_t project_id, int64_t user_id,
                                          int64_t now_ms);
Status SetGoldenAnswer(Connection& c, int64_t task_id, const std::optional<GoldenAnswer>& answer);
Result<std::optional<GoldenAnswer>> GetGoldenAnswer(Connection& c, int64_t task_id);
Result<std::vector<GoldenGrade>> ListGoldenGrades(Connection& c, int64_t project_id);

// --- review ------------------------------------------------------------------------------

Result<std::optional<Claim>> ClaimReview(Connection& c, int64_t project_id, int64_t user_id,
                                         std::optional<TaskState> stage, int64_t now_ms);
Status RecordReview(Connection& c, const Store::Review& review, int64_t now_ms);
Result<std::vector<Store::ReviewNote>> ListReviews(Connection& c, int64_t task_id);
Result<std::vector<FinalLabel>> FinalLabels(Connection& c, const std::vector<int64_t>& task_ids);

// --- workforces ---------------------------------------------------------------------------

Result<Workforce> CreateWorkforce(Connection& c, const Workforce& workforce, int64_t now_ms);
Result<Workforce> GetWorkforce(Connection& c, int64_t id);
Result<std::vector<Workforce>> ListWorkforces(Connection& c, std::optional<int64_t> member_id);
Result<Workforce> UpdateWorkforce(Connection& c, const Workforce& workforce);
Status AddWorkforceMember(Connection& c, int64_t workforce_id, int64_t user_id);
Status RemoveWorkforceMember(Connection& c, int64_t workforce_id, int64_t user_id);
Result<std::vector<User>> ListWorkforceMembers(Connection& c, int64_t workforce_id);
Status GrantProjectAccess(Connection& c, int64_t project_id, int64_t workforce_id);
Status RevokeProjectAccess(Connection& c, int64_t project_id, int64_t workforce_id);
Result<std::vector<Workforce>> ListProjectWorkforces(Connection& c, int64_t project_id);
Result<std::vector<int64_t>> ListWorkforceProjects(Connection& c, int64_t workforce_id);

// --- batches ------------------------------------------------------------------------------

// Adds a batch of `project_id` (TaskWriter::AddBatch).
Result<Batch> InsertBatch(Connection& c, int64_t project_id, const NewBatch& batch, int64_t now_ms);
Result<Batch> GetBatch(Connection& c, int64_t id);
Result<std::vector<Batch>> ListBatches(Connection& c, int64_t project_id);

// --- webhooks and deliveries --------------------------------------------------------------

Result<Store::Webhook> CreateWebhook(Connection& c, const Store::Webhook& webhook,
                                     std::string_view secret, int64_t now_ms);
Result<Store::Webhook> GetWebhook(Connection& c, int64_t id);
Result<std::vector<Store::Webhook>> ListWebhooks(Connection& c, int64_t project_id);
Status DeleteWebhook(Connection& c, int64_t id);
Result<std::vector<Store::Delivery>> ListDeliveries(Connection& c,
                                                    std::optional<int64_t> webhook_id,
                                                    std::optional<int64_t> batch_id, int32_t limit);
// Whether any pending delivery is due at now_ms.
Result<bool> AnyDeliveryDue(Connection& c, int64_t now_ms);
Result<std::vector<Store::Delivery>> ClaimDueDeliveries(Connection& c, int64_t now_ms,
                                                        int32_t limit, int64_t lock_ms);
Status RecordDeliveryAttempt(Connection& c, const Store::DeliveryAttempt& attempt);

Result<int64_t> CountTasksDueBefore(Connection& c, int64_t project_id, int64_t before_ms);

}  // namespace plumb::store::sqlite
