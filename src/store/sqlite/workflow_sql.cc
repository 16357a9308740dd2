#include "store/sqlite/workflow_sql.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <sqlite3.h>

#include "core/stats.h"
#include "store/backend_common.h"
#include "store/sqlite/analytics_sql.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/training_sql.h"

namespace plumb::store::sqlite {
namespace {

Result<Claim> InsertLease(Connection& c, Task task, int64_t user_id, int64_t expires_at_ms,
                          bool counted, ClaimRule rule) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO leases (project_id, task_id, user_id, expires_at, counted)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(task.project_id, task.id, user_id, expires_at_ms, counted ? 1 : 0);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("lease insert returned no id");
  Lease lease{s.Int(0), task.id, user_id, expires_at_ms};
  Claim claim{std::move(task), lease, /*existing_lease=*/false, rule};
  return claim;
}

// Writes an event and its deliveries: one per webhook of the project that
// subscribed to `type`, and one to `callback` (a batch's URL) when given.
struct Callback {
  int64_t batch_id = 0;
  std::string url;
  std::string secret;
};

// An event is stored only when it has a receiver (a webhook of the project
// subscribed to its type, or the batch's callback): nothing reads an event
// but its deliveries, and a submit that completes a task should not pay for
// rows no one reads. `data()` builds the event's JSON.
template <typename DataFn>
Status WriteEvent(Connection& c, int64_t project_id, std::string_view type,
                  std::optional<int64_t> task_id, std::optional<int64_t> batch_id,
                  DataFn&& data, const std::optional<Callback>& callback, int64_t now_ms) {
  if (!callback || callback->url.empty()) {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT 1 FROM webhooks WHERE project_id = ?1"
                                     " AND instr(',' || events || ',', ',' || ?2 || ',') > 0"
                                     " LIMIT 1"));
    s.BindAll(project_id, type);
    PLUMB_ASSIGN_OR_RETURN(bool subscribed, s.Step());
    if (!subscribed) return Status::Ok();
  }
  int64_t event_id = 0;
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO events (project_id, type, task_id, batch_id, data, created_at)"
                  " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"));
    s.BindAll(project_id, type, task_id, batch_id, data(), now_ms);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Internal("event insert returned no id");
    event_id = s.Int(0);
  }
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO deliveries (event_id, webhook_id, url, secret, next_attempt_at)"
                  " SELECT ?1, id, url, secret, ?2 FROM webhooks WHERE project_id = ?3"
                  " AND instr(',' || events || ',', ',' || ?4 || ',') > 0"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(event_id, now_ms, project_id, type).Run());
  }
  if (callback && !callback->url.empty()) {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO deliveries (event_id, batch_id, url, secret, next_attempt_at)"
                  " VALUES (?, ?, ?, ?, ?)"));
    PLUMB_RETURN_IF_ERROR(
        s.BindAll(event_id, callback->batch_id, callback->url, callback->secret, now_ms).Run());
  }
  return Status::Ok();
}

// A task just became done: its task.completed event, and its batch's progress
// (with batch.completed for the batch's last task).
Status OnTaskDone(Connection& c, const Task& task, const FinalLabel& label, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(WriteEvent(c, task.project_id, "task.completed", task.id, task.batch_id,
                                   [&] { return TaskCompletedData(task, label); }, std::nullopt,
                                   now_ms));
  if (!task.batch_id) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE batches SET done = done + 1,"
                " completed_at = CASE WHEN done + 1 >= total THEN ?2 ELSE NULL END"
                " WHERE id = ?1 RETURNING done, total, callback_url, callback_secret"));
  s.BindAll(*task.batch_id, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.Int(0) < s.Int(1)) return Status::Ok();
  const int64_t total = s.Int(1);
  Callback callback{*task.batch_id, s.Text(2), s.Text(3)};
  s.Reset();
  return WriteEvent(c, task.project_id, "batch.completed", std::nullopt, task.batch_id,
                    [&] { return BatchCompletedData(*task.batch_id, total); }, callback, now_ms);
}

Status UpsertFinalLabel(Connection& c, const FinalLabel& label) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO final_labels"
                " (task_id, result, media, method, agreement, decided_by, updated_at)"
                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (task_id) DO UPDATE SET"
                " result = ?2, media = ?3, method = ?4, agreement = ?5, decided_by = ?6,"
                " updated_at = ?7"));
  return s
      .BindAll(label.task_id, label.result_json, UnlessEmpty(label.media_json), label.method,
               ScoreText(label.agreement), label.decided_by, label.updated_at_ms)
      .Run();
}

Result<std::optional<FinalLabel>> LoadFinalLabel(Connection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_FINAL_LABEL_COLS
                                                " FROM final_labels f WHERE f.task_id = ?"));
  s.Bind(task_id);
  return QueryOptional(s, [](const Statement& r) { return ReadFinalLabel(r, 0); });
}

Status CheckExists(Connection& c, std::string_view sql, int64_t id, std::string_view what) {
  PLUMB_ASSIGN_OR_RETURN(int64_t n, QueryInt(c, sql, id));
  if (n == 0) return Status::NotFound(std::string(what) + " " + std::to_string(id) + " not found");
  return Status::Ok();
}

Status CheckWorkforce(Connection& c, int64_t id) {
  return CheckExists(c, "SELECT COUNT(*) FROM workforces WHERE id = ?", id, "workforce");
}

Status CheckProject(Connection& c, int64_t id) {
  return CheckExists(c, "SELECT COUNT(*) FROM projects WHERE id = ? AND deleted = 0", id,
                     "project");
}

Status CheckPricing(const Workforce& w) {
  if (!std::isfinite(w.pricing.rate) || w.pricing.rate < 0) {
    return Status::InvalidArgument("pricing.rate must be a number of at least 0", "pricing.rate");
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> BatchWorkforces(Connection& c, int64_t batch_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT workforce_id FROM batch_workforces WHERE batch_id = ?"
                                   " ORDER BY workforce_id"));
  s.Bind(batch_id);
  return ReadAll<int64_t>(s, [](const Statement& r) { return r.Int(0); });
}

Store::Webhook ReadWebhook(const Statement& r) {
  Store::Webhook w;
  w.id = r.Int(0);
  w.project_id = r.Int(1);
  w.url = r.Text(2);
  w.events = SplitEvents(r.Text(3));
  w.created_at_ms = r.Int(4);
  return w;
}

}  // namespace

// --- completion -------------------------------------------------------------------------

Status WriteReviewRejected(Connection& c, const Task& task, int64_t reviewer_id,
                           std::string_view comment, int64_t now_ms) {
  return WriteEvent(c, task.project_id, "review.rejected", task.id, task.batch_id,
                    [&] { return ReviewRejectedData(task.id, reviewer_id, comment); }, std::nullopt,
                    now_ms);
}

Status CompleteTask(Connection& c, const Task& task, const ProjectSettings& settings,
                    const RevisionHooks* hooks, bool after_rework, int64_t now_ms) {
  CompletionInput input;
  input.task = task;
  input.settings = settings;
  input.after_rework = after_rework;
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_REVISION_COLS
                  " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                  " JOIN users u ON u.id = r.user_id"
                  " WHERE a.task_id = ? AND a.kind = 0 AND a.rejected = 0 ORDER BY a.id"));
    s.Bind(task.id);
    PLUMB_ASSIGN_OR_RETURN(
        input.current, ReadAll<Revision>(s, [](const Statement& r) { return ReadRevision(r, 0); }));
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_PREDICTION_COLS
                                     " FROM predictions p WHERE p.task_id = ? ORDER BY p.id"));
    s.Bind(task.id);
    PLUMB_ASSIGN_OR_RETURN(input.predictions, ReadAll<Prediction>(s, [](const Statement& r) {
                             return ReadPrediction(r, 0);
                           }));
  }
  Completion completion;
  if (hooks != nullptr && hooks->complete) {
    PLUMB_ASSIGN_OR_RETURN(completion, hooks->complete(input));
  } else {
    completion = DefaultCompletion(input);
  }
  if (completion.state != TaskState::kDone && completion.state != TaskState::kReviewing &&
      completion.state != TaskState::kAdjudicating) {
    return Status::Internal("a completion must leave the task done, reviewing or adjudicating");
  }
  FinalLabel& label = completion.label;
  label.task_id = task.id;
  label.decided_by = std::nullopt;
  label.updated_at_ms = now_ms;
  PLUMB_RETURN_IF_ERROR(UpsertFinalLabel(c, label));
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("UPDATE tasks SET state = ?, open_slots = 0 WHERE id = ?"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(completion.state, task.id).Run());
  PLUMB_RETURN_IF_ERROR(AddStats(c, task.project_id, completion.stats, now_ms));
  PLUMB_RETURN_IF_ERROR(UpsertDisagreements(c, completion.disagreements, now_ms));
  if (completion.state != TaskState::kDone) return Status::Ok();
  // A task sent back to review after it was done was counted done then.
  PLUMB_ASSIGN_OR_RETURN(int64_t resent,
                         QueryInt(c, "SELECT resent FROM tasks WHERE id = ?", task.id));
  if (resent == 0) {
    PLUMB_RETURN_IF_ERROR(CountDone(c, task, now_ms));
    for (const Revision& r : input.current) {
      PLUMB_RETURN_IF_ERROR(
          AddStat(c, task.project_id, r.user_id, stats::kAccepted, 1, 0, now_ms));
    }
  }
  return OnTaskDone(c, task, label, now_ms);
}

Result<int64_t> AppendToOwnAnnotation(Connection& c, const NewRevision& rev, const Task& task,
                                      int64_t annotation_id, int64_t parent_id, int32_t number,
                                      bool rejected, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(int64_t id,
                         InsertRevision(c, rev, annotation_id, number, parent_id, now_ms));
  PLUMB_RETURN_IF_ERROR(CountRevision(c, task.project_id, rev, /*first=*/false, now_ms));
  // A rework lease has done its job.
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("DELETE FROM leases WHERE task_id = ? AND user_id = ? AND counted = 0"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(task.id, rev.user_id).Run());
  }
  if (!rejected) return id;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("UPDATE annotations SET rejected = 0 WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.Bind(annotation_id).Run());
  }
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, task.project_id));
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE tasks SET rejected_count ="
                                                " max(rejected_count - 1, 0) WHERE id = ?"
                                                " RETURNING rejected_count, annotation_count"));
  s.Bind(task.id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("task vanished during rework");
  const bool complete = s.Int(0) == 0 && s.Int(1) >= settings.overlap;
  s.Reset();
  if (complete) {
    PLUMB_RETURN_IF_ERROR(
        CompleteTask(c, task, settings, rev.hooks, /*after_rework=*/true, now_ms));
  }
  return id;
}

namespace {

// The ongoing check (docs/training.md): the labeler's newest golden grades
// since their last unpause, one range of golden_grades_by_user; a pause and
// its labeler.paused event commit with the grade.
Status CheckPause(Connection& c, int64_t project_id, int64_t user_id, const PauseRule& rule,
                  int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(EnsureLabelerTraining(c, project_id, user_id, now_ms));
  PLUMB_ASSIGN_OR_RETURN(std::optional<LabelerTraining> t,
                         GetLabelerTraining(c, project_id, user_id));
  if (!t || t->paused_at_ms) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(std::vector<WindowGrade> window,
                         GoldenWindow(c, project_id, user_id, t->checked_since_ms, rule.window));
  std::optional<std::string> data = PauseEventData(project_id, user_id, t->username, rule, window);
  if (!data) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(bool paused, PauseLabeler(c, project_id, user_id, *data, now_ms));
  if (!paused) return Status::Ok();
  return WriteEvent(c, project_id, "labeler.paused", std::nullopt, std::nullopt,
                    [&] { return *data; }, std::nullopt, now_ms);
}

}  // namespace

Status GradeGolden(Connection& c, const NewRevision& rev, const Task& task, int64_t revision_id,
                   int64_t now_ms) {
  if (rev.hooks == nullptr || !rev.hooks->grade) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(std::optional<GoldenAnswer> answer, GetGoldenAnswer(c, task.id));
  if (!answer) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(Revision revision, LoadRevision(c, revision_id));
  PLUMB_ASSIGN_OR_RETURN(GoldenGrade grade, rev.hooks->grade(*answer, revision));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT OR IGNORE INTO golden_grades"
                " (task_id, user_id, project_id, revision_id, score, correct, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(task.id, rev.user_id, task.project_id, revision_id,
                                  ScoreText(grade.score), grade.correct ? 1 : 0, now_ms)
                            .Run());
  if (sqlite3_changes(c.handle()) == 0) return Status::Ok();  // graded before
  if (rev.pause) {
    PLUMB_RETURN_IF_ERROR(CheckPause(c, task.project_id, rev.user_id, *rev.pause, now_ms));
  }
  const int64_t version = revision.instructions_version;
  PLUMB_RETURN_IF_ERROR(
      AddStat(c, task.project_id, rev.user_id, stats::kGolden, 1, grade.score, now_ms));
  PLUMB_RETURN_IF_ERROR(AddStat(c, task.project_id, rev.user_id,
                                stats::ByVersion(stats::kGolden, version), 1, grade.score, now_ms));
  if (!grade.correct) return Status::Ok();
  PLUMB_RETURN_IF_ERROR(
      AddStat(c, task.project_id, rev.user_id, stats::kGoldenCorrect, 1, 0, now_ms));
  return AddStat(c, task.project_id, rev.user_id, stats::ByVersion(stats::kGoldenCorrect, version),
                 1, 0, now_ms);
}

// --- the queue's extra rules ------------------------------------------------------------

Result<std::optional<Claim>> ClaimRework(Connection& c, int64_t project_id, int64_t user_id,
                                         const ProjectSettings& settings, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_TASK_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                " WHERE a.project_id = ? AND a.user_id = ? AND a.rejected = 1"
                " ORDER BY t.priority DESC, t.id LIMIT 1"));
  s.BindAll(project_id, user_id);
  PLUMB_ASSIGN_OR_RETURN(std::optional<Task> task,
                         QueryOptional(s, [](const Statement& r) { return ReadTask(r, 0); }));
  if (!task) return std::optional<Claim>();
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(Claim claim,
                         InsertLease(c, std::move(*task), user_id,
                                     now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000,
                                     /*counted=*/false, ClaimRule::kRework));
  return std::optional<Claim>(std::move(claim));
}

namespace {

// Whether the caller holds a live lease or has a rework in the project: those
// come first (ClaimNextTask hands them out), before golden and bake-off tasks.
Result<bool> HoldsLeaseOrRework(Connection& c, int64_t project_id, int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT EXISTS (SELECT 1 FROM leases WHERE project_id = ?1"
                                   " AND user_id = ?2 AND active = 1)"
                                   " OR EXISTS (SELECT 1 FROM annotations WHERE project_id = ?1"
                                   " AND user_id = ?2 AND rejected = 1)"));
  s.BindAll(project_id, user_id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.Int(0) != 0;
}

}  // namespace

Result<std::optional<Claim>> ClaimGolden(Connection& c, int64_t project_id, int64_t user_id,
                                         int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, project_id));
  PLUMB_RETURN_IF_ERROR(ReleaseExpiredLeases(c, project_id, settings.overlap, now_ms));
  PLUMB_ASSIGN_OR_RETURN(bool held, HoldsLeaseOrRework(c, project_id, user_id));
  if (held) return std::optional<Claim>();
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t INDEXED BY tasks_golden"
                                   " WHERE t.project_id = ?1 AND t.golden = 1"
                                   " AND NOT EXISTS (SELECT 1 FROM annotations a"
                                   " WHERE a.task_id = t.id AND a.user_id = ?2)"
                                   " AND NOT EXISTS (SELECT 1 FROM skips k"
                                   " WHERE k.task_id = t.id AND k.user_id = ?2)"
                                   " ORDER BY t.id LIMIT 1"));
  s.BindAll(project_id, user_id);
  PLUMB_ASSIGN_OR_RETURN(std::optional<Task> task,
                         QueryOptional(s, [](const Statement& r) { return ReadTask(r, 0); }));
  if (!task) return std::optional<Claim>();
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(Claim claim,
                         InsertLease(c, std::move(*task), user_id,
                                     now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000,
                                     /*counted=*/false, ClaimRule::kGolden));
  return std::optional<Claim>(std::move(claim));
}

Result<std::optional<Claim>> ClaimBakeoff(Connection& c, int64_t project_id, int64_t user_id,
                                          int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, project_id));
  PLUMB_RETURN_IF_ERROR(ReleaseExpiredLeases(c, project_id, settings.overlap, now_ms));
  PLUMB_ASSIGN_OR_RETURN(bool held, HoldsLeaseOrRework(c, project_id, user_id));
  if (held) return std::optional<Claim>();
  // An assignment whose lease is gone (expired, skipped) no longer holds its task.
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT c.id, " PLUMB_TASK_COLS " FROM bakeoffs b"
                " JOIN bakeoff_candidates c ON c.bakeoff_id = b.id AND c.kind = 0"
                " JOIN workforce_members m ON m.workforce_id = c.workforce_id AND m.user_id = ?2"
                " JOIN golden_set_tasks g ON g.golden_set_id = b.golden_set_id"
                " JOIN tasks t ON t.id = g.task_id AND t.golden = 1"
                " WHERE b.project_id = ?1 AND b.closed = 0"
                " AND NOT EXISTS (SELECT 1 FROM bakeoff_labels l"
                " WHERE l.candidate_id = c.id AND l.task_id = t.id)"
                " AND NOT EXISTS (SELECT 1 FROM bakeoff_assignments x JOIN leases e"
                " ON e.id = x.lease_id AND e.active = 1 AND e.expires_at > ?3"
                " WHERE x.candidate_id = c.id AND x.task_id = t.id)"
                " AND NOT EXISTS (SELECT 1 FROM annotations a"
                " WHERE a.task_id = t.id AND a.user_id = ?2)"
                " AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.task_id = t.id AND k.user_id = ?2)"
                " ORDER BY b.id, c.id, t.id LIMIT 1"));
  s.BindAll(project_id, user_id, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<Claim>();
  const int64_t candidate_id = s.Int(0);
  Task task = ReadTask(s, 1);
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(Claim claim,
                         InsertLease(c, std::move(task), user_id,
                                     now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000,
                                     /*counted=*/false, ClaimRule::kBakeoff));
  PLUMB_ASSIGN_OR_RETURN(
      Statement assign,
      c.Prepare("INSERT INTO bakeoff_assignments (candidate_id, task_id, user_id, lease_id)"
                " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (candidate_id, task_id) DO UPDATE SET"
                " user_id = ?3, lease_id = ?4"));
  PLUMB_RETURN_IF_ERROR(assign.BindAll(candidate_id, claim.task.id, user_id, claim.lease.id).Run());
  return std::optional<Claim>(std::move(claim));
}

Status SetGoldenAnswer(Connection& c, int64_t task_id, const std::optional<GoldenAnswer>& answer) {
  PLUMB_ASSIGN_OR_RETURN(Task task, LoadTask(c, task_id));
  if (answer) {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO golden_answers (task_id, result, media) VALUES (?1, ?2, ?3)"
                  " ON CONFLICT (task_id) DO UPDATE SET result = ?2, media = ?3"));
    PLUMB_RETURN_IF_ERROR(
        s.BindAll(task_id, answer->result_json, UnlessEmpty(answer->media_json)).Run());
    PLUMB_ASSIGN_OR_RETURN(Statement u,
                           c.Prepare("UPDATE tasks SET golden = 1, open_slots = 0 WHERE id = ?"));
    return u.Bind(task_id).Run();
  }
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, task.project_id));
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("DELETE FROM golden_answers WHERE task_id = ?"));
    PLUMB_RETURN_IF_ERROR(s.Bind(task_id).Run());
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement u,
      c.Prepare("UPDATE tasks SET golden = 0, open_slots = CASE"
                " WHEN state IN (2, 3, 4) THEN 0"
                " ELSE max(?2 - annotation_count - lease_count, 0) END WHERE id = ?1"));
  return u.BindAll(task_id, settings.overlap).Run();
}

Result<std::optional<GoldenAnswer>> GetGoldenAnswer(Connection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT result, media FROM golden_answers WHERE task_id = ?"));
  s.Bind(task_id);
  return QueryOptional(s, [](const Statement& r) { return GoldenAnswer{r.Text(0), r.Text(1)}; });
}

Result<std::vector<GoldenGrade>> ListGoldenGrades(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT g.task_id, g.user_id, u.username, g.revision_id, g.score, g.correct,"
                " g.created_at FROM golden_grades g JOIN users u ON u.id = g.user_id"
                " WHERE g.project_id = ? ORDER BY g.task_id, g.user_id"));
  s.Bind(project_id);
  return ReadAll<GoldenGrade>(s, [](const Statement& r) {
    return GoldenGrade{
        r.Int(0),      r.Int(1), r.Text(2), r.Int(3), ParseScore(r.Text(4)).value_or(0),
        r.Int(5) != 0, r.Int(6)};
  });
}

// --- review ------------------------------------------------------------------------------

Result<std::optional<Claim>> ClaimReview(Connection& c, int64_t project_id, int64_t user_id,
                                         std::optional<TaskState> stage, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, project_id));
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("UPDATE review_leases SET active = 0 WHERE project_id = ?"
                                     " AND active = 1 AND expires_at <= ?"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(project_id, now_ms).Run());
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT l.id, l.expires_at, " PLUMB_TASK_COLS
                                     " FROM review_leases l JOIN tasks t ON t.id = l.task_id"
                                     " WHERE l.project_id = ? AND l.user_id = ? AND l.active = 1"
                                     " AND t.state IN (3, 4) ORDER BY l.id LIMIT 1"));
    s.BindAll(project_id, user_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      Task task = ReadTask(s, 2);
      Lease lease{s.Int(0), task.id, user_id, s.Int(1)};
      return std::optional<Claim>(
          Claim{std::move(task), lease, /*existing_lease=*/true, ClaimRule::kExistingLease});
    }
  }
  std::vector<TaskState> stages;
  if (stage) {
    stages.push_back(*stage);
  } else {
    stages = {TaskState::kAdjudicating, TaskState::kReviewing};
  }
  for (TaskState state : stages) {
    // The state as a literal, so SQLite can tell the partial index applies.
#define PLUMB_REVIEW_QUEUE(INDEX, STATE)                       \
  "SELECT " PLUMB_TASK_COLS " FROM tasks t INDEXED BY " INDEX  \
  " WHERE t.project_id = ?1 AND t.state = " STATE              \
  " AND NOT EXISTS (SELECT 1 FROM review_leases l"             \
  " WHERE l.task_id = t.id AND l.active = 1)"                  \
  " AND NOT EXISTS (SELECT 1 FROM annotations a"               \
  " WHERE a.task_id = t.id AND a.user_id = ?2 AND a.kind = 0)" \
  " ORDER BY t.priority DESC, t.id LIMIT 1"
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare(state == TaskState::kAdjudicating ? PLUMB_REVIEW_QUEUE("tasks_adjudicating", "4")
                                                    : PLUMB_REVIEW_QUEUE("tasks_reviewing", "3")));
#undef PLUMB_REVIEW_QUEUE
    s.BindAll(project_id, user_id);
    PLUMB_ASSIGN_OR_RETURN(std::optional<Task> task,
                           QueryOptional(s, [](const Statement& r) { return ReadTask(r, 0); }));
    if (!task) continue;
    s.Reset();
    const int64_t expires = now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000;
    PLUMB_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare("INSERT INTO review_leases (project_id, task_id, user_id, expires_at)"
                  " VALUES (?, ?, ?, ?) RETURNING id"));
    ins.BindAll(project_id, task->id, user_id, expires);
    PLUMB_ASSIGN_OR_RETURN(bool row, ins.Step());
    if (!row) return Status::Internal("review lease insert returned no id");
    Lease lease{ins.Int(0), task->id, user_id, expires};
    return std::optional<Claim>(
        Claim{std::move(*task), lease, /*existing_lease=*/false, ClaimRule::kPriority});
  }
  return std::optional<Claim>();
}

Status RecordReview(Connection& c, const Store::Review& review, int64_t now_ms) {
  using Decision = Store::Decision;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT task_id, user_id, project_id, expires_at, active"
                                     " FROM review_leases WHERE id = ?"));
    s.Bind(review.lease_id);
    PLUMB_ASSIGN_OR_RETURN(auto lease, QueryOptional(s, [](const Statement& r) {
                             return StoredLease{r.Int(0), r.Int(1),      r.Int(2),
                                                r.Int(3), r.Int(4) != 0, false};
                           }));
    PLUMB_ASSIGN_OR_RETURN(
        StoredLease own, CheckOwnLease(lease, review.lease_id, review.task_id, review.reviewer_id));
    if (!own.active || own.expires_at_ms <= now_ms) {
      return Status::LeaseExpired("review lease " + std::to_string(review.lease_id) +
                                  " has expired");
    }
  }
  PLUMB_ASSIGN_OR_RETURN(Task task, LoadTask(c, review.task_id));
  if (task.state != TaskState::kReviewing && task.state != TaskState::kAdjudicating) {
    return Status::Conflict("task " + std::to_string(task.id) + " is not in review");
  }
  const bool adjudicating = task.state == TaskState::kAdjudicating;
  if (review.decision == Decision::kAccept && adjudicating) {
    return Status::InvalidArgument("a task in adjudication is resolved, fixed or rejected",
                                   "decision");
  }
  if (review.decision == Decision::kResolve && !adjudicating) {
    return Status::InvalidArgument("only a task in adjudication is resolved", "decision");
  }
  if (review.decision == Decision::kReject && review.comment.empty()) {
    return Status::InvalidArgument("a rejection needs a comment for the annotators", "comment");
  }
  if ((review.decision == Decision::kFix || review.decision == Decision::kResolve) &&
      !review.label) {
    return Status::InvalidArgument("the final label is missing", "result");
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("UPDATE review_leases SET active = 0 WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.Bind(review.lease_id).Run());
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("INSERT INTO reviews (task_id, reviewer_id, decision, comment,"
                                     " created_at) VALUES (?, ?, ?, ?, ?)"));
    PLUMB_RETURN_IF_ERROR(
        s.BindAll(task.id, review.reviewer_id, review.decision, review.comment, now_ms).Run());
  }
  // The authors whose labels the decision was about.
  std::vector<int64_t> authors;
  bool resent = false;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT user_id FROM annotations WHERE task_id = ?"
                                     " AND kind = 0 ORDER BY id"));
    s.Bind(task.id);
    PLUMB_ASSIGN_OR_RETURN(authors,
                           ReadAll<int64_t>(s, [](const Statement& r) { return r.Int(0); }));
    PLUMB_ASSIGN_OR_RETURN(int64_t flag,
                           QueryInt(c, "SELECT resent FROM tasks WHERE id = ?", task.id));
    resent = flag != 0;
  }
  PLUMB_RETURN_IF_ERROR(
      AddStat(c, task.project_id, review.reviewer_id, stats::kReviews, 1, 0, now_ms));
  for (int64_t author : authors) {
    PLUMB_RETURN_IF_ERROR(AddStat(c, task.project_id, author, stats::kReviewed, 1, 0, now_ms));
    if (review.decision == Decision::kReject) {
      PLUMB_RETURN_IF_ERROR(AddStat(c, task.project_id, author, stats::kRejected, 1, 0, now_ms));
    } else if (review.decision == Decision::kAccept && !resent) {
      PLUMB_RETURN_IF_ERROR(AddStat(c, task.project_id, author, stats::kAccepted, 1, 0, now_ms));
    }
  }
  if (review.decision == Decision::kReject) {
    int64_t rejected = 0;
    {
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("UPDATE annotations SET rejected = 1"
                                       " WHERE task_id = ? AND kind = 0 RETURNING id"));
      s.Bind(task.id);
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        ++rejected;
      }
    }
    PLUMB_ASSIGN_OR_RETURN(
        Statement s, c.Prepare("UPDATE tasks SET state = 1, rejected_count = ?, open_slots = 0"
                               " WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(rejected, task.id).Run());
    return WriteEvent(
        c, task.project_id, "review.rejected", task.id, task.batch_id,
        [&] { return ReviewRejectedData(task.id, review.reviewer_id, review.comment); },
        std::nullopt, now_ms);
  }
  PLUMB_ASSIGN_OR_RETURN(std::optional<FinalLabel> label, LoadFinalLabel(c, task.id));
  if (!label) label = FinalLabel{task.id, "[]", "", "single", 1, std::nullopt, now_ms};
  if (review.decision == Decision::kFix || review.decision == Decision::kResolve) {
    const RevisionSource source = review.decision == Decision::kFix ? RevisionSource::kReviewFix
                                                                    : RevisionSource::kAdjudication;
    // The reviewer's own annotation keeps the label's history.
    int64_t annotation_id = 0;
    std::optional<int64_t> parent_id;
    int32_t number = 1;
    {
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("SELECT a.id, a.current_revision_id, r.revision"
                                       " FROM annotations a"
                                       " LEFT JOIN revisions r ON r.id = a.current_revision_id"
                                       " WHERE a.task_id = ? AND a.user_id = ?"));
      s.BindAll(task.id, review.reviewer_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        annotation_id = s.Int(0);
        parent_id = s.OptionalInt(1);
        number = static_cast<int32_t>(s.Int(2)) + 1;
      }
    }
    if (annotation_id == 0) {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("INSERT INTO annotations (project_id, task_id, user_id, created_at, kind)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id"));
      s.BindAll(task.project_id, task.id, review.reviewer_id, now_ms, kReviewerAnnotation);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Internal("annotation insert returned no id");
      annotation_id = s.Int(0);
    }
    NewRevision rev;
    rev.task_id = task.id;
    rev.user_id = review.reviewer_id;
    rev.result_json = review.label->result_json;
    rev.media_json = review.label->media_json;
    rev.source = source;
    PLUMB_RETURN_IF_ERROR(
        InsertRevision(c, rev, annotation_id, number, parent_id, now_ms).status());
    label->result_json = review.label->result_json;
    label->media_json = review.label->media_json;
    label->method = review.decision == Decision::kFix ? "review_fix" : "adjudication";
    label->decided_by = review.reviewer_id;
  }
  label->updated_at_ms = now_ms;
  PLUMB_RETURN_IF_ERROR(UpsertFinalLabel(c, *label));
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE tasks SET state = 2 WHERE id = ?"));
  PLUMB_RETURN_IF_ERROR(s.Bind(task.id).Run());
  if (!resent) PLUMB_RETURN_IF_ERROR(CountDone(c, task, now_ms));
  return OnTaskDone(c, task, *label, now_ms);
}

Result<std::vector<Store::ReviewNote>> ListReviews(Connection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT v.task_id, v.reviewer_id, u.username, v.decision, v.comment, v.created_at"
                " FROM reviews v JOIN users u ON u.id = v.reviewer_id WHERE v.task_id = ?"
                " ORDER BY v.id"));
  s.Bind(task_id);
  return ReadAll<Store::ReviewNote>(s, [](const Statement& r) {
    return Store::ReviewNote{r.Int(0),  r.Int(1), r.Text(2), static_cast<Store::Decision>(r.Int(3)),
                             r.Text(4), r.Int(5)};
  });
}

Result<std::vector<FinalLabel>> FinalLabels(Connection& c, const std::vector<int64_t>& task_ids) {
  std::vector<int64_t> ids = task_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<FinalLabel> labels;
  for (int64_t id : ids) {
    PLUMB_ASSIGN_OR_RETURN(std::optional<FinalLabel> label, LoadFinalLabel(c, id));
    if (label) labels.push_back(std::move(*label));
  }
  return labels;
}

// --- workforces ---------------------------------------------------------------------------

Result<Workforce> CreateWorkforce(Connection& c, const Workforce& workforce, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckPricing(workforce));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO workforces (name, kind, pricing_model, rate, currency, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(workforce.name, workforce.kind, workforce.pricing.model,
            ScoreText(workforce.pricing.rate), workforce.pricing.currency, now_ms);
  auto row = s.Step();
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists("a workforce named '" + workforce.name + "' exists", "name");
    }
    return row.status();
  }
  Workforce created = workforce;
  created.id = s.Int(0);
  created.created_at_ms = now_ms;
  return created;
}

Result<Workforce> GetWorkforce(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT " PLUMB_WORKFORCE_COLS " FROM workforces w WHERE w.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto w,
                         QueryOptional(s, [](const Statement& r) { return ReadWorkforce(r, 0); }));
  if (!w) return Status::NotFound("workforce " + std::to_string(id) + " not found");
  return *w;
}

Result<std::vector<Workforce>> ListWorkforces(Connection& c, std::optional<int64_t> member_id) {
  std::string_view sql = member_id ? "SELECT " PLUMB_WORKFORCE_COLS
                                     " FROM workforce_members m JOIN workforces w"
                                     " ON w.id = m.workforce_id WHERE m.user_id = ? ORDER BY w.id"
                                   : "SELECT " PLUMB_WORKFORCE_COLS
                                     " FROM workforces w ORDER BY w.id";
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
  if (member_id) s.Bind(*member_id);
  return ReadAll<Workforce>(s, [](const Statement& r) { return ReadWorkforce(r, 0); });
}

Result<Workforce> UpdateWorkforce(Connection& c, const Workforce& workforce) {
  PLUMB_RETURN_IF_ERROR(CheckPricing(workforce));
  PLUMB_ASSIGN_OR_RETURN(Workforce old, GetWorkforce(c, workforce.id));
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("UPDATE workforces SET name = ?, kind = ?, pricing_model = ?,"
                                   " rate = ?, currency = ? WHERE id = ?"));
  s.BindAll(workforce.name, workforce.kind, workforce.pricing.model,
            ScoreText(workforce.pricing.rate), workforce.pricing.currency, workforce.id);
  Status status = s.Run();
  if (status.code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("a workforce named '" + workforce.name + "' exists", "name");
  }
  PLUMB_RETURN_IF_ERROR(status);
  Workforce updated = workforce;
  updated.created_at_ms = old.created_at_ms;
  return updated;
}

Status AddWorkforceMember(Connection& c, int64_t workforce_id, int64_t user_id) {
  PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, workforce_id));
  PLUMB_RETURN_IF_ERROR(CheckExists(c, "SELECT COUNT(*) FROM users WHERE id = ?", user_id, "user"));
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("INSERT OR IGNORE INTO workforce_members (workforce_id, user_id)"
                                   " VALUES (?, ?)"));
  return s.BindAll(workforce_id, user_id).Run();
}

Status RemoveWorkforceMember(Connection& c, int64_t workforce_id, int64_t user_id) {
  PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, workforce_id));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("DELETE FROM workforce_members WHERE workforce_id = ? AND user_id = ?"));
  return s.BindAll(workforce_id, user_id).Run();
}

Result<std::vector<User>> ListWorkforceMembers(Connection& c, int64_t workforce_id) {
  PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, workforce_id));
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_USER_COLS
                                   " FROM workforce_members m JOIN users u ON u.id = m.user_id"
                                   " WHERE m.workforce_id = ? ORDER BY u.id"));
  s.Bind(workforce_id);
  return ReadAll<User>(s, [](const Statement& r) { return ReadUser(r, 0); });
}

Status GrantProjectAccess(Connection& c, int64_t project_id, int64_t workforce_id) {
  PLUMB_RETURN_IF_ERROR(CheckProject(c, project_id));
  PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, workforce_id));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("INSERT OR IGNORE INTO project_workforces (project_id, workforce_id)"
                             " VALUES (?, ?)"));
  return s.BindAll(project_id, workforce_id).Run();
}

Status RevokeProjectAccess(Connection& c, int64_t project_id, int64_t workforce_id) {
  PLUMB_RETURN_IF_ERROR(CheckProject(c, project_id));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("DELETE FROM project_workforces WHERE project_id = ? AND workforce_id = ?"));
  return s.BindAll(project_id, workforce_id).Run();
}

Result<std::vector<Workforce>> ListProjectWorkforces(Connection& c, int64_t project_id) {
  PLUMB_RETURN_IF_ERROR(CheckProject(c, project_id));
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_WORKFORCE_COLS
                                                " FROM project_workforces pw JOIN workforces w"
                                                " ON w.id = pw.workforce_id WHERE pw.project_id = ?"
                                                " ORDER BY w.id"));
  s.Bind(project_id);
  return ReadAll<Workforce>(s, [](const Statement& r) { return ReadWorkforce(r, 0); });
}

Result<std::vector<int64_t>> ListWorkforceProjects(Connection& c, int64_t workforce_id) {
  PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, workforce_id));
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT pw.project_id FROM project_workforces pw"
                                                " JOIN projects p ON p.id = pw.project_id"
                                                " WHERE pw.workforce_id = ? AND p.deleted = 0"
                                                " ORDER BY pw.project_id"));
  s.Bind(workforce_id);
  return ReadAll<int64_t>(s, [](const Statement& r) { return r.Int(0); });
}

// --- batches ------------------------------------------------------------------------------

Result<Batch> InsertBatch(Connection& c, int64_t project_id, const NewBatch& batch,
                          int64_t now_ms) {
  for (int64_t w : batch.workforce_ids) PLUMB_RETURN_IF_ERROR(CheckWorkforce(c, w));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO batches (project_id, name, callback_url, callback_secret, deadline,"
                " routed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(project_id, batch.name, batch.callback_url, batch.callback_secret, batch.deadline_ms,
            batch.workforce_ids.empty() ? 0 : 1, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("batch insert returned no id");
  Batch out;
  out.id = s.Int(0);
  out.project_id = project_id;
  out.name = batch.name;
  out.callback_url = batch.callback_url;
  out.deadline_ms = batch.deadline_ms;
  out.workforce_ids = batch.workforce_ids;
  std::sort(out.workforce_ids.begin(), out.workforce_ids.end());
  out.workforce_ids.erase(std::unique(out.workforce_ids.begin(), out.workforce_ids.end()),
                          out.workforce_ids.end());
  out.created_at_ms = now_ms;
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(
      Statement w,
      c.Prepare("INSERT INTO batch_workforces (batch_id, workforce_id) VALUES (?, ?)"));
  for (int64_t id : out.workforce_ids) {
    PLUMB_RETURN_IF_ERROR(w.BindAll(out.id, id).Run());
    w.Reset();
  }
  return out;
}

Result<Batch> GetBatch(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_BATCH_COLS " FROM batches b WHERE b.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto batch,
                         QueryOptional(s, [](const Statement& r) { return ReadBatch(r, 0); }));
  if (!batch) return Status::NotFound("batch " + std::to_string(id) + " not found");
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(batch->workforce_ids, BatchWorkforces(c, id));
  return *batch;
}

Result<std::vector<Batch>> ListBatches(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_BATCH_COLS
                                   " FROM batches b WHERE b.project_id = ? ORDER BY b.id DESC"));
  s.Bind(project_id);
  PLUMB_ASSIGN_OR_RETURN(std::vector<Batch> batches,
                         ReadAll<Batch>(s, [](const Statement& r) { return ReadBatch(r, 0); }));
  for (Batch& b : batches) {
    PLUMB_ASSIGN_OR_RETURN(b.workforce_ids, BatchWorkforces(c, b.id));
  }
  return batches;
}

// --- webhooks and deliveries --------------------------------------------------------------

Result<Store::Webhook> CreateWebhook(Connection& c, const Store::Webhook& webhook,
                                     std::string_view secret, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckProject(c, webhook.project_id));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("INSERT INTO webhooks (project_id, url, secret, events, created_at)"
                             " VALUES (?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(webhook.project_id, webhook.url, secret, JoinEvents(webhook.events), now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("webhook insert returned no id");
  Store::Webhook out = webhook;
  out.id = s.Int(0);
  out.created_at_ms = now_ms;
  return out;
}

Result<Store::Webhook> GetWebhook(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT id, project_id, url, events, created_at FROM webhooks WHERE id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto w, QueryOptional(s, ReadWebhook));
  if (!w) return Status::NotFound("webhook " + std::to_string(id) + " not found");
  return *w;
}

Result<std::vector<Store::Webhook>> ListWebhooks(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT id, project_id, url, events, created_at FROM webhooks"
                                   " WHERE project_id = ? ORDER BY id"));
  s.Bind(project_id);
  return ReadAll<Store::Webhook>(s, ReadWebhook);
}

Status DeleteWebhook(Connection& c, int64_t id) {
  PLUMB_RETURN_IF_ERROR(
      CheckExists(c, "SELECT COUNT(*) FROM webhooks WHERE id = ?", id, "webhook"));
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("DELETE FROM webhooks WHERE id = ?"));
  return s.Bind(id).Run();
}

Result<std::vector<Store::Delivery>> ListDeliveries(Connection& c,
                                                    std::optional<int64_t> webhook_id,
                                                    std::optional<int64_t> batch_id,
                                                    int32_t limit) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_DELIVERY_COLS
                " FROM deliveries d JOIN events e ON e.id = d.event_id"
                " WHERE (?1 IS NULL OR d.webhook_id = ?1) AND (?2 IS NULL OR d.batch_id = ?2)"
                " ORDER BY d.id DESC LIMIT ?3"));
  s.BindAll(webhook_id, batch_id, std::clamp(limit, 1, 1000));
  return ReadAll<Store::Delivery>(s, [](const Statement& r) { return ReadDelivery(r, 0); });
}

Result<bool> AnyDeliveryDue(Connection& c, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT 1 FROM deliveries WHERE state = 0 AND next_attempt_at <= ? LIMIT 1"));
  s.Bind(now_ms);
  return s.Step();
}

Result<std::vector<Store::Delivery>> ClaimDueDeliveries(Connection& c, int64_t now_ms,
                                                        int32_t limit, int64_t lock_ms) {
  std::vector<int64_t> ids;
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("UPDATE deliveries SET next_attempt_at = ?1 + ?2 WHERE id IN"
                  " (SELECT id FROM deliveries WHERE state = 0 AND next_attempt_at <= ?1"
                  " ORDER BY next_attempt_at, id LIMIT ?3) RETURNING id"));
    s.BindAll(now_ms, lock_ms, std::clamp(limit, 1, 1000));
    PLUMB_ASSIGN_OR_RETURN(ids, ReadAll<int64_t>(s, [](const Statement& r) { return r.Int(0); }));
  }
  std::sort(ids.begin(), ids.end());
  std::vector<Store::Delivery> out;
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_DELIVERY_COLS ", d.secret, e.project_id,"
                                   " e.created_at, e.data"
                                   " FROM deliveries d JOIN events e ON e.id = d.event_id"
                                   " WHERE d.id = ?"));
  for (int64_t id : ids) {
    s.Bind(id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      Store::Delivery d = ReadDelivery(s, 0);
      d.secret = s.Text(12);
      d.body_json = EventBody(d.event_id, d.event_type, s.Int(13), s.Int(14), s.Text(15));
      out.push_back(std::move(d));
    }
    s.Reset();
  }
  return out;
}

Status RecordDeliveryAttempt(Connection& c, const Store::DeliveryAttempt& attempt) {
  const int state = attempt.delivered ? 1 : attempt.next_attempt_at_ms ? 0 : 2;
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE deliveries SET attempts = attempts + 1, last_status = ?2,"
                " last_error = ?3, state = ?4, next_attempt_at = coalesce(?5, next_attempt_at),"
                " delivered_at = ?6 WHERE id = ?1 RETURNING id"));
  s.BindAll(attempt.delivery_id, attempt.status, attempt.error, state, attempt.next_attempt_at_ms,
            attempt.delivered ? std::optional<int64_t>(attempt.at_ms) : std::nullopt);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row)
    return Status::NotFound("delivery " + std::to_string(attempt.delivery_id) + " not found");
  s.Reset();
  return Status::Ok();
}

Result<int64_t> CountTasksDueBefore(Connection& c, int64_t project_id, int64_t before_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT COUNT(*) FROM tasks INDEXED BY tasks_by_deadline WHERE project_id = ?"
                " AND deadline IS NOT NULL AND deadline < ? AND state != 2 AND golden = 0"));
  s.BindAll(project_id, before_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.Int(0) : 0;
}

}  // namespace plumb::store::sqlite
