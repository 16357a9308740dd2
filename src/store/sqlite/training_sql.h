#pragma once
// Training and qualification on SQLite (docs/training.md). Each function runs
// inside the caller's transaction on `c`; see store.h for the contracts.
// Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <vector>

#include "store/backend_common.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

Result<std::vector<PracticeItem>> ListPracticeItems(Connection& c, int64_t project_id);
Result<std::optional<LabelerTraining>> GetLabelerTraining(Connection& c, int64_t project_id,
                                                          int64_t user_id);
Result<std::vector<LabelerTraining>> ListLabelerTraining(Connection& c, int64_t project_id);
Result<std::vector<TrainingAnswer>> ListTrainingAnswers(Connection& c, int64_t project_id,
                                                        int64_t user_id,
                                                        std::optional<int64_t> attempt_id);
Result<QualificationAttempt> GetQualificationAttempt(Connection& c, int64_t id);
Result<std::vector<QualificationAttempt>> ListQualificationAttempts(Connection& c,
                                                                    int64_t project_id,
                                                                    std::optional<int64_t> user_id);

// Need the write transaction.
Status SetPracticeItems(Connection& c, int64_t project_id, const std::vector<PracticeItem>& items);
Result<TrainingAnswer> RecordPracticeAnswer(Connection& c, const TrainingAnswer& answer);
Result<QualificationAttempt> StartQualification(Connection& c, const QualificationAttempt& attempt);
Result<QualificationAttempt> RecordQualificationAnswer(Connection& c, const TrainingAnswer& answer);
Result<bool> UnpauseLabeler(Connection& c, int64_t project_id, int64_t user_id, int64_t now_ms);
// Creates the labeler's record when missing (first_at = now_ms).
Status EnsureLabelerTraining(Connection& c, int64_t project_id, int64_t user_id, int64_t now_ms);
// The labeler's newest golden grades in the project since `since_ms`, newest first, at most
// `limit`.
Result<std::vector<WindowGrade>> GoldenWindow(Connection& c, int64_t project_id, int64_t user_id,
                                              int64_t since_ms, int32_t limit);
// Marks the labeler paused with the event data; false when already paused.
Result<bool> PauseLabeler(Connection& c, int64_t project_id, int64_t user_id,
                          const std::string& data_json, int64_t now_ms);

}  // namespace plumb::store::sqlite
