#pragma once
// The analytics' SQL on SQLite (docs/analytics.md): running counters,
// predictions added to existing tasks, disagreement scores, the annotations
// the sample gallery draws from, and sending done tasks back to review. Each
// function runs inside the caller's transaction on `c`; see store.h for the
// contracts. Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

// Adds to one counter of the day of now_ms.
Status AddStat(Connection& c, int64_t project_id, int64_t user_id, std::string_view metric,
               int64_t count, double sum, int64_t now_ms);
Status AddStats(Connection& c, int64_t project_id, const std::vector<StatDelta>& deltas,
                int64_t now_ms);
// A new label (`labels` and its active-time bucket) or a later revision.
Status CountRevision(Connection& c, int64_t project_id, const NewRevision& rev, bool first,
                     int64_t now_ms);
// A task became done: `done` with its turnaround and the bucket of it.
Status CountDone(Connection& c, const Task& task, int64_t now_ms);
// Stores scores by prediction; computed at now_ms, or at each one's
// computed_at_ms when nullopt.
Status UpsertDisagreements(Connection& c, const std::vector<Disagreement>& items,
                           std::optional<int64_t> now_ms);

Result<std::vector<Prediction>> AddPredictions(Connection& c, int64_t project_id,
                                               const std::vector<TaskPrediction>& items,
                                               int64_t now_ms);
Result<DisagreementPage> ListDisagreements(Connection& c, const DisagreementQuery& query);
Result<std::vector<StatRow>> ReadStats(Connection& c, const StatQuery& query);
Result<std::vector<AnnotationRef>> ListAnnotationRefs(Connection& c, const AnnotationQuery& query);
Result<std::vector<int64_t>> SendToReview(Connection& c, const std::vector<int64_t>& task_ids);

}  // namespace plumb::store::sqlite
