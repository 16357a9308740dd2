#pragma once
// Golden sets and bake-offs on SQLite (docs/bakeoffs.md). Each function runs
// inside the caller's transaction on `c`; see store.h for the contracts.
// Internal to src/store/sqlite.

#include <cstdint>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

// Need the write transaction.
Result<GoldenSet> CreateGoldenSet(Connection& c, int64_t project_id, std::string_view name,
                                  std::string_view note, const std::vector<int64_t>& task_ids,
                                  int64_t user_id, int64_t now_ms);
Result<Bakeoff> CreateBakeoff(Connection& c, const Bakeoff& bakeoff, int64_t now_ms);
Result<Bakeoff> UpdateBakeoff(Connection& c, int64_t id,
                              const std::optional<BakeoffWeights>& weights, bool close,
                              int64_t now_ms);
Status MarkCandidateSent(Connection& c, int64_t candidate_id, int64_t now_ms);
Status ReplaceVendorLabels(Connection& c, int64_t candidate_id,
                           const std::vector<BakeoffLabel>& labels, int64_t now_ms);
// Inside AppendRevision, for the first submission of a golden task: when the
// task is assigned to the user for a workforce candidate of an open
// bake-off, the revision becomes that candidate's label.
Status RecordBakeoffLabel(Connection& c, int64_t task_id, int64_t user_id, int64_t revision_id,
                          const NewRevision& rev, int64_t now_ms);

// Whether the user is a member of a workforce candidate of an open bake-off of the project.
Result<bool> IsBakeoffLabeler(Connection& c, int64_t project_id, int64_t user_id);
Result<std::vector<GoldenSet>> ListGoldenSets(Connection& c, int64_t project_id);
Result<GoldenSet> GetGoldenSet(Connection& c, int64_t id);
Result<std::vector<GoldenSetItem>> ListGoldenSetItems(Connection& c, int64_t golden_set_id);
Result<Bakeoff> GetBakeoff(Connection& c, int64_t id);
Result<std::vector<Bakeoff>> ListBakeoffs(Connection& c, int64_t project_id);
Result<std::vector<BakeoffLabel>> ListBakeoffLabels(Connection& c, int64_t bakeoff_id);

}  // namespace plumb::store::sqlite
