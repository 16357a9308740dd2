#pragma once
// Queries that several parts of the SQLite backend run inside their
// transactions: loading rows by id, lease bookkeeping, appending revisions.
// Internal to src/store/sqlite.

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/core.h"
#include "store/backend_common.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace plumb::store::sqlite {

// annotations.kind: whether an annotation counts toward the task's overlap.
inline constexpr int kCountingAnnotation = 0;
inline constexpr int kGoldenAnnotation = 1;    // on a golden task: graded, never counted
inline constexpr int kReviewerAnnotation = 2;  // a reviewer's fix or adjudication

// Runs a query that yields at most one row and reads it with `read`;
// nullopt when there is no row.
template <typename Read>
auto QueryOptional(Statement& stmt, Read&& read)
    -> Result<std::optional<std::invoke_result_t<Read&, const Statement&>>> {
  PLUMB_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<std::invoke_result_t<Read&, const Statement&>>();
  return std::optional(read(static_cast<const Statement&>(stmt)));
}

// Every row of `stmt`, each read with `read`.
template <typename T, typename Read>
Result<std::vector<T>> ReadAll(Statement& stmt, Read&& read) {
  std::vector<T> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    out.push_back(read(static_cast<const Statement&>(stmt)));
  }
}

// The first column of the first row of `sql` with `arg` bound; 0 when no row.
Result<int64_t> QueryInt(Connection& c, std::string_view sql, int64_t arg);
// kNotFound when the project does not exist or is deleted.
Result<ProjectSettings> LoadSettings(Connection& c, int64_t project_id);
Result<Project> LoadProject(Connection& c, int64_t id);
Result<Revision> LoadRevision(Connection& c, int64_t id);
Result<Task> LoadTask(Connection& c, int64_t id);  // kNotFound
// Gives the slot of one released lease back to its task, with the project's
// current overlap.
Status ReturnLeaseSlot(Connection& c, int64_t task_id, int32_t overlap);
// Marks the project's expired leases released and gives their slots back.
Status ReleaseExpiredLeases(Connection& c, int64_t project_id, int32_t overlap, int64_t now_ms);
// Inserts a revision and makes it its annotation's current one; returns its id.
Result<int64_t> InsertRevision(Connection& c, const NewRevision& rev, int64_t annotation_id,
                               int32_t number, std::optional<int64_t> parent_id, int64_t now_ms);
// The lease `lease_id` if it is `user_id`'s lease on `task_id`; kConflict otherwise.
Result<StoredLease> LoadOwnLease(Connection& c, int64_t lease_id, int64_t task_id, int64_t user_id);
Status DeleteLease(Connection& c, int64_t lease_id);

}  // namespace plumb::store::sqlite
