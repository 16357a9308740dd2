#pragma once
// Dataset versions and the audit log on SQLite (docs/datasets.md). Each
// function runs inside the caller's transaction on `c`; see store.h for the
// contracts. Internal to src/store/sqlite.

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

// Needs the write transaction.
Result<DatasetVersion> CreateDatasetVersion(Connection& c, int64_t project_id,
                                            std::string_view name, std::string_view note,
                                            int64_t user_id, int64_t now_ms);
Result<std::vector<DatasetVersion>> ListDatasetVersions(Connection& c, int64_t project_id);
Result<DatasetVersion> GetDatasetVersion(Connection& c, int64_t project_id, std::string_view name);
// Needs a read transaction (one snapshot over the batches).
Status ForEachVersionLabel(Connection& c, int64_t version_id,
                           const std::function<Status(const VersionLabel&)>& fn);
Result<VersionDiff> DiffVersions(Connection& c, int64_t from_id, int64_t to_id);

Result<int64_t> AppendAudit(Connection& c, const AuditEntry& entry);
Result<AuditPage> ListAudit(Connection& c, const AuditQuery& query);

}  // namespace plumb::store::sqlite
