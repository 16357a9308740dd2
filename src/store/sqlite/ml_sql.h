#pragma once
// ML backends, prediction jobs, pre-label uses and the built-in learner's
// models on SQLite (docs/automation.md). Each function runs inside the
// caller's transaction on `c`; see store.h for the contracts of the Store
// methods they implement. Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

Result<MlBackend> CreateMlBackend(Connection& c, const MlBackend& backend, int64_t now_ms);
Result<MlBackend> GetMlBackend(Connection& c, int64_t id);
Result<std::vector<MlBackend>> ListMlBackends(Connection& c, std::optional<int64_t> project_id);
Result<MlBackend> UpdateMlBackend(Connection& c, const MlBackend& backend);
Status DeleteMlBackend(Connection& c, int64_t id);
Status RecordMlBackendHealth(Connection& c, int64_t id, std::string_view health,
                             std::string_view error, std::string_view model_version,
                             int64_t at_ms);
Result<PredictionJob> CreatePredictionJob(Connection& c, const PredictionJob& job, int64_t now_ms);
Result<PredictionJob> GetPredictionJob(Connection& c, int64_t id);
Result<std::vector<PredictionJob>> ListPredictionJobs(Connection& c, int64_t project_id,
                                                      int32_t limit);
Result<std::optional<PredictionJob>> ClaimPredictionJob(Connection& c, int64_t now_ms,
                                                        int64_t hold_ms);
Result<bool> UpdatePredictionJob(Connection& c, int64_t id, const JobProgress& progress,
                                 int64_t now_ms);
Result<PredictionJob> CancelPredictionJob(Connection& c, int64_t id, int64_t now_ms);
Result<std::optional<LearnerModel>> GetLearnerModel(Connection& c, int64_t project_id,
                                                    std::string_view control);
Status PutLearnerModel(Connection& c, const LearnerModel& model);
Status SetTaskUncertainty(Connection& c, int64_t project_id,
                          const std::vector<TaskUncertainty>& values);
Result<std::optional<SpanPrelabelerRow>> GetSpanPrelabeler(Connection& c, int64_t project_id);
Status PutSpanPrelabeler(Connection& c, const SpanPrelabelerRow& row);
Status DeleteSpanPrelabeler(Connection& c, int64_t project_id);
Status QueueTrain(Connection& c, int64_t project_id, int64_t task_id, int64_t now_ms);
// Queues the task (as QueueTrain) if it is done; in the caller's transaction.
Status QueueTrainIfDone(Connection& c, int64_t task_id, int64_t now_ms);
Result<std::vector<TrainQueueItem>> PendingTrains(Connection& c, int64_t queued_before_ms,
                                                  int32_t limit);
Status DeleteTrain(Connection& c, int64_t project_id, int64_t task_id);
// The pre-label row and counters of a revision that created an annotation
// (NewRevision::track_prelabel), in the submit's transaction.
Status RecordPrelabelUse(Connection& c, int64_t project_id, const NewRevision& rev,
                         int64_t revision_id, int64_t now_ms);

}  // namespace plumb::store::sqlite
