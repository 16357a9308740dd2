#include "store/sqlite/queries.h"

#include <string>
#include <vector>

namespace plumb::store::sqlite {

Result<int64_t> QueryInt(Connection& c, std::string_view sql, int64_t arg) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  s.Bind(arg);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

Result<ProjectSettings> LoadSettings(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT settings_json FROM projects WHERE id = ? AND deleted = 0"));
  s.Bind(project_id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("project " + std::to_string(project_id) + " not found");
  return ParseStoredSettings(project_id, s.Text(0));
}

Result<Project> LoadProject(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_PROJECT_COLS " FROM projects p WHERE p.id = ? AND p.deleted = 0"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("project " + std::to_string(id) + " not found");
  return ReadProject(s, 0);
}

Result<Revision> LoadRevision(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_REVISION_COLS
                                                " FROM revisions r JOIN users u ON u.id = r.user_id"
                                                " WHERE r.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("revision " + std::to_string(id) + " not found");
  return ReadRevision(s, 0);
}

// Gives the slot of one released lease back to its task. `overlap` is the
// project's current one, so the recomputed open_slots is right even after an
// overlap change.
Status ReturnLeaseSlot(Connection& c, int64_t task_id, int32_t overlap) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE tasks SET lease_count = lease_count - 1,"
                                                " open_slots = CASE WHEN state IN (2, 3, 4)"
                                                " OR golden = 1 THEN 0"
                                                " ELSE ?2 - annotation_count - lease_count + 1 END"
                                                " WHERE id = ?1"));
  return s.BindAll(task_id, overlap).Run();
}

// Marks the project's expired leases released and gives their slots back.
// Runs in the claim's transaction, so a claim never sees a slot held by a
// lease that has run out.
Status ReleaseExpiredLeases(Connection& c, int64_t project_id, int32_t overlap, int64_t now_ms) {
  {
    // Almost every claim finds nothing to release: a read of the index says
    // so for a third of what the UPDATE costs when it matches no row.
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM leases INDEXED BY leases_expiry"
                                                  " WHERE project_id = ? AND active = 1"
                                                  " AND expires_at <= ? LIMIT 1"));
    s.BindAll(project_id, now_ms);
    PLUMB_ASSIGN_OR_RETURN(bool expired, s.Step());
    if (!expired) return Status::Ok();
  }
  std::vector<int64_t> task_ids;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE leases SET active = 0"
                                                  " WHERE project_id = ? AND active = 1"
                                                  " AND expires_at <= ?"
                                                  " RETURNING task_id, counted"));
    s.BindAll(project_id, now_ms);
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      // Rework and golden leases hold no slot to give back.
      if (s.Int(1) != 0) task_ids.push_back(s.Int(0));
    }
  }
  for (int64_t task_id : task_ids) PLUMB_RETURN_IF_ERROR(ReturnLeaseSlot(c, task_id, overlap));
  return Status::Ok();
}

Result<int64_t> InsertRevision(Connection& c, const NewRevision& rev, int64_t annotation_id,
                               int32_t number, std::optional<int64_t> parent_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO revisions (annotation_id, task_id, user_id, revision, result, media,"
                " lead_time_ms, source, parent_id, idempotency_key, created_at,"
                " instructions_version)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                " (SELECT COALESCE(MAX(i.version), 0) FROM instructions_versions i"
                " WHERE i.project_id = (SELECT project_id FROM tasks WHERE id = ?2)))"
                " RETURNING id"));
  s.BindAll(annotation_id, rev.task_id, rev.user_id, number, rev.result_json,
            UnlessEmpty(rev.media_json), rev.lead_time_ms, rev.source, parent_id,
            UnlessEmpty(rev.idempotency_key), now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("revision insert returned no id");
  int64_t id = s.Int(0);
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(Statement u,
                         c.Prepare("UPDATE annotations SET current_revision_id = ? WHERE id = ?"));
  PLUMB_RETURN_IF_ERROR(u.BindAll(id, annotation_id).Run());
  return id;
}

// The lease `lease_id` if it is `user_id`'s lease on `task_id`; kConflict
// otherwise.
Result<StoredLease> LoadOwnLease(Connection& c, int64_t lease_id, int64_t task_id,
                                 int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT task_id, user_id, project_id, expires_at, active, counted FROM leases"
                " WHERE id = ?"));
  s.Bind(lease_id);
  PLUMB_ASSIGN_OR_RETURN(auto lease, QueryOptional(s, [](const Statement& r) {
                           return StoredLease{r.Int(0), r.Int(1),      r.Int(2),
                                              r.Int(3), r.Int(4) != 0, r.Int(5) != 0};
                         }));
  return CheckOwnLease(lease, lease_id, task_id, user_id);
}

Status DeleteLease(Connection& c, int64_t lease_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("DELETE FROM leases WHERE id = ?"));
  return s.Bind(lease_id).Run();
}

Result<Task> LoadTask(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("task " + std::to_string(id) + " not found");
  return ReadTask(s, 0);
}

}  // namespace plumb::store::sqlite
