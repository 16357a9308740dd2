#pragma once
// Labeling instructions on SQLite (docs/instructions.md): versions, images,
// acknowledgements, outdated tasks and their rework. Each function runs
// inside the caller's transaction on `c`; see store.h for the contracts of
// the Store methods they implement. Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/core.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

Result<InstructionsVersion> SaveInstructions(Connection& c, const NewInstructions& instructions,
                                             int64_t now_ms);
Result<InstructionsVersion> GetInstructions(Connection& c, int64_t project_id,
                                            std::optional<int64_t> version);
Result<std::vector<InstructionsVersion>> ListInstructionVersions(Connection& c,
                                                                 int64_t project_id);
Result<InstructionsStatus> GetInstructionsStatus(Connection& c, int64_t project_id,
                                                 int64_t user_id);
Result<bool> PutInstructionImage(Connection& c, const InstructionImage& image);
Result<InstructionImage> GetInstructionImage(Connection& c, std::string_view hash);
Result<bool> HasInstructionImage(Connection& c, std::string_view hash);
Status Acknowledge(Connection& c, int64_t project_id, int64_t user_id, int64_t version,
                   int64_t now_ms);
Result<std::vector<InstructionAck>> ListAcks(Connection& c, int64_t project_id);
Result<OutdatedPage> ListOutdatedTasks(Connection& c, const OutdatedQuery& query);
Result<std::vector<int64_t>> ReworkOutdated(Connection& c, int64_t project_id,
                                            int64_t manager_id, int64_t before,
                                            const std::vector<int64_t>& task_ids,
                                            std::string_view comment, int64_t now_ms);

}  // namespace plumb::store::sqlite
