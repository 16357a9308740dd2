// Labeling instructions on PostgreSQL (docs/instructions.md). Locks, in the
// order of pg_store.cc's rules:
// - SaveInstructions takes the project row FOR NO KEY UPDATE: saves of one
//   project take turns (so max + 1 is never taken twice), and claims and
//   submits, which hold KEY SHARE, are not held up.
// - AppendRevision reads the current version in its own statement, so a
//   revision records the version committed when it is written.
// - ReworkOutdated locks its task rows in id order (rule 4), then batch rows
//   (rule 5), as SendToReview does.
// Images travel as hex (the connection binds text only) and are bytea.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/core.h"
#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"

namespace plumb::store::postgres {
namespace {

// The outdated condition on task t ($1 project, $2 before).
#define PLUMB_PG_OUTDATED_WHERE                                                           \
  " t.project_id = $1 AND t.state IN (2, 3) AND EXISTS (SELECT 1 FROM annotations a"      \
  " JOIN revisions r ON r.id = a.current_revision_id WHERE a.task_id = t.id AND a.kind = 0" \
  " AND r.instructions_version < $2)"

Result<InstructionsVersion> LoadInstructions(PgConnection& c, int64_t project_id,
                                             std::optional<int64_t> version) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT " PLUMB_INSTRUCTIONS_COLS
              " FROM instructions_versions i JOIN users u ON u.id = i.author_id"
              " WHERE i.project_id = $1 AND ($2::bigint IS NULL OR i.version = $2)"
              " ORDER BY i.version DESC LIMIT 1",
              project_id, version));
  if (r.empty()) return InstructionsNotFound(project_id, version);
  return ReadInstructions(r.front(), 0);
}

}  // namespace

Result<InstructionsVersion> PgStore::SaveInstructions(const NewInstructions& in, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<InstructionsVersion> {
    PLUMB_ASSIGN_OR_RETURN(PgResult p, c.Query("SELECT 1 FROM projects WHERE id = $1"
                                               " AND deleted = 0 FOR NO KEY UPDATE",
                                               in.project_id));
    if (p.empty()) return Status::NotFound("project " + std::to_string(in.project_id) + " not found");
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO instructions_versions"
                " (project_id, version, body, examples, note, author_id, created_at)"
                " SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5, $6"
                " FROM instructions_versions WHERE project_id = $1 RETURNING version",
                in.project_id, in.body, in.examples_json, in.note, in.author_id, now_ms));
    return LoadInstructions(c, in.project_id, r.front().Int(0));
  });
}

Result<InstructionsVersion> PgStore::GetInstructions(int64_t project_id,
                                                     std::optional<int64_t> version) {
  return Read([&](PgConnection& c) { return LoadInstructions(c, project_id, version); });
}

Result<std::vector<InstructionsVersion>> PgStore::ListInstructionVersions(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<InstructionsVersion>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT i.project_id, i.version, '', '', i.note, i.author_id, u.username,"
                " i.created_at FROM instructions_versions i JOIN users u ON u.id = i.author_id"
                " WHERE i.project_id = $1 ORDER BY i.version DESC",
                project_id));
    return ReadAll<InstructionsVersion>(r,
                                        [](const PgRow& row) { return ReadInstructions(row, 0); });
  });
}

Result<InstructionsStatus> PgStore::GetInstructionsStatus(int64_t project_id, int64_t user_id) {
  return Read([&](PgConnection& c) -> Result<InstructionsStatus> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT (SELECT COALESCE(MAX(version), 0) FROM instructions_versions"
                            " WHERE project_id = $1),"
                            " (SELECT COALESCE(MAX(version), 0) FROM instruction_acks"
                            " WHERE project_id = $1 AND user_id = $2)",
                            project_id, user_id));
    return InstructionsStatus{r.front().Int(0), r.front().Int(1)};
  });
}

Result<bool> PgStore::PutInstructionImage(const InstructionImage& image) {
  const std::string hex = EncodeHex(image.data);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("INSERT INTO instruction_images (hash, content_type, data)"
                            " VALUES ($1, $2, decode($3, 'hex')) ON CONFLICT (hash) DO NOTHING",
                            image.hash, image.content_type, hex));
    return r.affected() > 0;
  });
}

Result<InstructionImage> PgStore::GetInstructionImage(std::string_view hash) {
  return Read([&](PgConnection& c) -> Result<InstructionImage> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT hash, content_type, encode(data, 'hex')"
                                   " FROM instruction_images WHERE hash = $1",
                                   hash));
    if (r.empty()) return Status::NotFound("image " + std::string(hash) + " not found");
    std::optional<std::string> data = DecodeHex(r.front().View(2));
    if (!data) return Status::Internal("stored image " + std::string(hash) + " is unreadable");
    return InstructionImage{r.front().Text(0), r.front().Text(1), std::move(*data)};
  });
}

Result<bool> PgStore::HasInstructionImage(std::string_view hash) {
  return Read([&](PgConnection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT 1 FROM instruction_images WHERE hash = $1", hash));
    return !r.empty();
  });
}

Status PgStore::Acknowledge(int64_t project_id, int64_t user_id, int64_t version,
                            int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT COALESCE(MAX(version), 0) FROM instructions_versions"
                                   " WHERE project_id = $1",
                                   project_id));
    const int64_t current = r.front().Int(0);
    if (current == 0 || version != current) {
      return Status::Conflict("version " + std::to_string(version) +
                              " is not the current instructions version (" +
                              std::to_string(current) + ")");
    }
    return c
        .Query("INSERT INTO instruction_acks (project_id, user_id, version, at)"
               " VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, user_id) DO UPDATE SET"
               " version = GREATEST(instruction_acks.version, EXCLUDED.version), at = EXCLUDED.at",
               project_id, user_id, version, now_ms)
        .status();
  });
}

Result<std::vector<InstructionAck>> PgStore::ListAcks(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<InstructionAck>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT u.id, u.username, COALESCE(k.version, 0), k.at FROM users u"
                " LEFT JOIN instruction_acks k ON k.project_id = $1 AND k.user_id = u.id"
                " WHERE u.id IN (SELECT user_id FROM project_members WHERE project_id = $1)"
                " OR u.id IN (SELECT wm.user_id FROM workforce_members wm"
                " JOIN project_workforces pw ON pw.workforce_id = wm.workforce_id"
                " WHERE pw.project_id = $1) ORDER BY u.id",
                project_id));
    return ReadAll<InstructionAck>(r, [](const PgRow& row) {
      return InstructionAck{row.Int(0), row.Text(1), row.Int(2), row.OptionalInt(3)};
    });
  });
}

Result<OutdatedPage> PgStore::ListOutdatedTasks(const OutdatedQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be from 1 to 1000", "limit");
  }
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<OutdatedPage> {
    OutdatedPage page;
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE" PLUMB_PG_OUTDATED_WHERE
                            " AND t.id > $3 ORDER BY t.id LIMIT $4",
                            query.project_id, query.before, query.after_id, query.limit + 1));
    PLUMB_ASSIGN_OR_RETURN(page.items,
                           ReadAll<Task>(r, [](const PgRow& row) { return ReadTask(row, 0); }));
    if (page.items.size() > static_cast<size_t>(query.limit)) {
      page.items.pop_back();
      page.next_after_id = page.items.back().id;
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult n, c.Query("SELECT COUNT(*) FROM tasks t WHERE" PLUMB_PG_OUTDATED_WHERE,
                            query.project_id, query.before));
    page.total = n.front().Int(0);
    return page;
  });
}

Result<std::vector<int64_t>> PgStore::ReworkOutdated(int64_t project_id, int64_t manager_id,
                                                     int64_t before,
                                                     const std::vector<int64_t>& task_ids,
                                                     std::string_view comment, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckReworkIds(task_ids));
  const std::string ids = BigintArray(task_ids);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::vector<int64_t>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult p, c.Query("SELECT 1 FROM projects WHERE id = $1"
                                               " AND deleted = 0 FOR KEY SHARE",
                                               project_id));
    if (p.empty()) return Status::NotFound("project " + std::to_string(project_id) + " not found");
    // Rule 4 in id order; READ COMMITTED re-checks a row another transaction
    // changed once it commits, and the outdated test runs after the lock.
    PLUMB_ASSIGN_OR_RETURN(
        PgResult locked,
        c.Query("SELECT id FROM tasks WHERE id = ANY ($2::bigint[]) AND project_id = $1"
                " ORDER BY id FOR UPDATE",
                project_id, ids));
    if (locked.empty()) return std::vector<int64_t>();
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE" PLUMB_PG_OUTDATED_WHERE
                            " AND t.id = ANY ($3::bigint[]) ORDER BY t.id",
                            project_id, before, ids));
    PLUMB_ASSIGN_OR_RETURN(std::vector<Task> tasks,
                           ReadAll<Task>(r, [](const PgRow& row) { return ReadTask(row, 0); }));
    std::map<int64_t, int64_t> per_batch;  // batch id -> done tasks sent back
    std::set<int64_t> sent;
    for (const Task& task : tasks) {
      if (task.state == TaskState::kDone && task.batch_id) ++per_batch[*task.batch_id];
      PLUMB_RETURN_IF_ERROR(c.Query("UPDATE review_leases SET active = 0"
                                    " WHERE task_id = $1 AND active = 1",
                                    task.id)
                                .status());
      PLUMB_ASSIGN_OR_RETURN(PgResult a, c.Query("UPDATE annotations SET rejected = 1"
                                                 " WHERE task_id = $1 AND kind = 0",
                                                 task.id));
      PLUMB_RETURN_IF_ERROR(
          c.Query("UPDATE tasks SET state = 1, open_slots = 0, rejected_count = $2,"
                  " resent = CASE WHEN state = 2 THEN 1 ELSE resent END WHERE id = $1",
                  task.id, a.affected())
              .status());
      PLUMB_RETURN_IF_ERROR(c.Query("INSERT INTO reviews (task_id, reviewer_id, decision, comment,"
                                    " created_at) VALUES ($1, $2, $3, $4, $5)",
                                    task.id, manager_id, Decision::kInstructionsRework, comment, now_ms)
                                .status());
      PLUMB_RETURN_IF_ERROR(WriteReviewRejected(c, task, manager_id, comment, now_ms));
      sent.insert(task.id);
    }
    // As SendToReview: a batch's done counts its tasks in state done.
    for (const auto& [batch_id, n] : per_batch) {
      PLUMB_RETURN_IF_ERROR(c.Query("UPDATE batches SET done = GREATEST(done - $2, 0),"
                                    " completed_at = NULL WHERE id = $1",
                                    batch_id, n)
                                .status());
    }
    std::vector<int64_t> out;
    for (int64_t id : task_ids) {
      if (sent.erase(id) > 0) out.push_back(id);
    }
    return out;
  });
}

}  // namespace plumb::store::postgres
