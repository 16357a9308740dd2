#include "store/sqlite/instructions_sql.h"

#include <string>
#include <utility>

#include <sqlite3.h>

#include "store/backend_common.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/workflow_sql.h"

namespace plumb::store::sqlite {
namespace {

constexpr const char* kCurrentVersion =
    "SELECT COALESCE(MAX(version), 0) FROM instructions_versions WHERE project_id = ?";

// The outdated condition of ListOutdatedTasks on task t (?1 project, ?2 before).
#define PLUMB_OUTDATED_WHERE                                                              \
  " t.project_id = ?1 AND t.state IN (2, 3) AND EXISTS (SELECT 1 FROM annotations a"      \
  " JOIN revisions r ON r.id = a.current_revision_id WHERE a.task_id = t.id AND a.kind = 0" \
  " AND r.instructions_version < ?2)"

}  // namespace

Result<InstructionsVersion> SaveInstructions(Connection& c, const NewInstructions& in,
                                             int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(LoadProject(c, in.project_id).status());
  // The writer runs one transaction at a time, so max + 1 cannot be taken twice.
  PLUMB_ASSIGN_OR_RETURN(int64_t current, QueryInt(c, kCurrentVersion, in.project_id));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO instructions_versions"
                " (project_id, version, body, examples, note, author_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(in.project_id, current + 1, in.body, in.examples_json, in.note,
                                  in.author_id, now_ms)
                            .Run());
  s.Reset();
  return GetInstructions(c, in.project_id, current + 1);
}

Result<InstructionsVersion> GetInstructions(Connection& c, int64_t project_id,
                                            std::optional<int64_t> version) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_INSTRUCTIONS_COLS
                " FROM instructions_versions i JOIN users u ON u.id = i.author_id"
                " WHERE i.project_id = ?1 AND (?2 IS NULL OR i.version = ?2)"
                " ORDER BY i.version DESC LIMIT 1"));
  s.BindAll(project_id, version);
  PLUMB_ASSIGN_OR_RETURN(auto found, QueryOptional(s, [](const Statement& r) {
                           return ReadInstructions(r, 0);
                         }));
  if (!found) return InstructionsNotFound(project_id, version);
  return std::move(*found);
}

Result<std::vector<InstructionsVersion>> ListInstructionVersions(Connection& c,
                                                                 int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT i.project_id, i.version, '', '', i.note, i.author_id, u.username,"
                " i.created_at FROM instructions_versions i JOIN users u ON u.id = i.author_id"
                " WHERE i.project_id = ? ORDER BY i.version DESC"));
  s.Bind(project_id);
  std::vector<InstructionsVersion> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadInstructions(s, 0));
  }
}

Result<InstructionsStatus> GetInstructionsStatus(Connection& c, int64_t project_id,
                                                 int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT (SELECT COALESCE(MAX(version), 0) FROM instructions_versions"
                " WHERE project_id = ?1),"
                " (SELECT COALESCE(MAX(version), 0) FROM instruction_acks"
                " WHERE project_id = ?1 AND user_id = ?2)"));
  s.BindAll(project_id, user_id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return InstructionsStatus{};
  return InstructionsStatus{s.Int(0), s.Int(1)};
}

Result<bool> PutInstructionImage(Connection& c, const InstructionImage& image) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("INSERT OR IGNORE INTO instruction_images"
                                   " (hash, content_type, data) VALUES (?, ?, ?)"));
  s.BindAll(image.hash, image.content_type).BindBlob(image.data);
  PLUMB_RETURN_IF_ERROR(s.Run());
  return sqlite3_changes(c.handle()) > 0;
}

Result<InstructionImage> GetInstructionImage(Connection& c, std::string_view hash) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT hash, content_type, data FROM instruction_images WHERE hash = ?"));
  s.Bind(hash);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("image " + std::string(hash) + " not found");
  return InstructionImage{s.Text(0), s.Text(1), s.Blob(2)};
}

Result<bool> HasInstructionImage(Connection& c, std::string_view hash) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT 1 FROM instruction_images WHERE hash = ?"));
  s.Bind(hash);
  return s.Step();
}

Status Acknowledge(Connection& c, int64_t project_id, int64_t user_id, int64_t version,
                   int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(int64_t current, QueryInt(c, kCurrentVersion, project_id));
  if (current == 0 || version != current) {
    return Status::Conflict("version " + std::to_string(version) +
                            " is not the current instructions version (" +
                            std::to_string(current) + ")");
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO instruction_acks (project_id, user_id, version, at)"
                " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (project_id, user_id) DO UPDATE SET"
                " version = max(version, excluded.version), at = excluded.at"));
  return s.BindAll(project_id, user_id, version, now_ms).Run();
}

Result<std::vector<InstructionAck>> ListAcks(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT u.id, u.username, COALESCE(k.version, 0), k.at FROM users u"
                " LEFT JOIN instruction_acks k ON k.project_id = ?1 AND k.user_id = u.id"
                " WHERE u.id IN (SELECT user_id FROM project_members WHERE project_id = ?1)"
                " OR u.id IN (SELECT wm.user_id FROM workforce_members wm"
                " JOIN project_workforces pw ON pw.workforce_id = wm.workforce_id"
                " WHERE pw.project_id = ?1) ORDER BY u.id"));
  s.Bind(project_id);
  std::vector<InstructionAck> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(InstructionAck{s.Int(0), s.Text(1), s.Int(2), s.OptionalInt(3)});
  }
}

Result<OutdatedPage> ListOutdatedTasks(Connection& c, const OutdatedQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be from 1 to 1000", "limit");
  }
  OutdatedPage page;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE"
                                     PLUMB_OUTDATED_WHERE " AND t.id > ?3 ORDER BY t.id LIMIT ?4"));
    // One more than the page tells whether another follows.
    s.BindAll(query.project_id, query.before, query.after_id, query.limit + 1);
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      page.items.push_back(ReadTask(s, 0));
    }
  }
  if (page.items.size() > static_cast<size_t>(query.limit)) {
    page.items.pop_back();
    page.next_after_id = page.items.back().id;
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement n, c.Prepare("SELECT COUNT(*) FROM tasks t WHERE" PLUMB_OUTDATED_WHERE));
  n.BindAll(query.project_id, query.before);
  PLUMB_ASSIGN_OR_RETURN(bool row, n.Step());
  page.total = row ? n.Int(0) : 0;
  return page;
}

Result<std::vector<int64_t>> ReworkOutdated(Connection& c, int64_t project_id,
                                            int64_t manager_id, int64_t before,
                                            const std::vector<int64_t>& task_ids,
                                            std::string_view comment, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckReworkIds(task_ids));
  PLUMB_RETURN_IF_ERROR(LoadProject(c, project_id).status());
  std::vector<int64_t> sent;
  for (int64_t id : task_ids) {
    std::optional<Task> task;
    {
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t"
                                                    " WHERE" PLUMB_OUTDATED_WHERE " AND t.id = ?3"));
      s.BindAll(project_id, before, id);
      PLUMB_ASSIGN_OR_RETURN(task, QueryOptional(s, [](const Statement& r) { return ReadTask(r, 0); }));
    }
    if (!task) continue;
    if (task->state == TaskState::kDone && task->batch_id) {
      // As SendToReview: the batch counts done tasks, and this one is no longer.
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("UPDATE batches SET done = max(done - 1, 0),"
                                       " completed_at = NULL WHERE id = ?"));
      PLUMB_RETURN_IF_ERROR(s.Bind(*task->batch_id).Run());
    }
    {
      // A reviewer holding the task can no longer decide it.
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE review_leases SET active = 0"
                                                    " WHERE task_id = ? AND active = 1"));
      PLUMB_RETURN_IF_ERROR(s.Bind(id).Run());
    }
    int64_t rejected = 0;
    {
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE annotations SET rejected = 1"
                                                    " WHERE task_id = ? AND kind = 0 RETURNING id"));
      s.Bind(id);
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ++rejected;
      }
    }
    {
      // resent: a done task was counted done then, and is not again.
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("UPDATE tasks SET state = 1, rejected_count = ?2, open_slots = 0,"
                    " resent = CASE WHEN state = 2 THEN 1 ELSE resent END WHERE id = ?1"));
      PLUMB_RETURN_IF_ERROR(s.BindAll(id, rejected).Run());
    }
    {
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("INSERT INTO reviews (task_id, reviewer_id, decision,"
                                       " comment, created_at) VALUES (?, ?, ?, ?, ?)"));
      PLUMB_RETURN_IF_ERROR(
          s.BindAll(id, manager_id, Store::Decision::kInstructionsRework, comment, now_ms).Run());
    }
    PLUMB_RETURN_IF_ERROR(WriteReviewRejected(c, *task, manager_id, comment, now_ms));
    sent.push_back(id);
  }
  return sent;
}

}  // namespace plumb::store::sqlite
