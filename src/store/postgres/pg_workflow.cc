// The workflow half of the PostgreSQL store: completion (final labels and
// the events it writes), golden tasks, review and adjudication, workforces,
// batches, webhooks and their deliveries. The locking rules are pg_store.cc's;
// what this file adds to them:
//
// - A completion runs under the task's row lock (rule 4), taken before the
//   counters are read, so of two annotators submitting a task's last slots
//   at once exactly one completes it; the other waits and finds it complete.
// - Batch rows are locked after task rows, by the `UPDATE batches SET done =
//   done + 1` of a completion: the counter is exact, and the one transaction
//   that takes it to `total` writes batch.completed.
// - A review claim locks the task row (SKIP LOCKED, as claims do) and then
//   checks again, in a fresh snapshot, that no other reviewer holds it: the
//   row lock alone does not make the pick see a review lease committed after
//   it started.
// - Deliveries are claimed with FOR UPDATE SKIP LOCKED and pushed to a later
//   next_attempt_at in the same statement, so servers polling at once take
//   different ones.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"
#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"

namespace plumb::store::postgres {
namespace {

// Review claims tried before answering "nothing left" (see ClaimReviewTask).
constexpr int kMaxReviewRounds = 20;

bool IsTrue(const PgRow& row, int col) { return row.View(col) == "t"; }

// Writes an event of the project, with a delivery for each of the project's
// webhooks subscribed to `type`, and one to `callback` (a batch's
// callback_url) when given.
struct Callback {
  int64_t batch_id = 0;
  std::string url;
  std::string secret;
};
Status WriteEvent(PgConnection& c, int64_t project_id, std::string_view type,
                  std::optional<int64_t> task_id, std::optional<int64_t> batch_id,
                  const std::string& data_json, const std::optional<Callback>& callback,
                  int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(PgResult event,
                         c.Query("INSERT INTO events (project_id, type, task_id, batch_id, data,"
                                 " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                                 project_id, type, task_id, batch_id, data_json, now_ms));
  const int64_t event_id = event.front().Int(0);
  PLUMB_RETURN_IF_ERROR(
      c.Query("INSERT INTO deliveries (event_id, webhook_id, url, secret, next_attempt_at)"
              " SELECT $1, w.id, w.url, w.secret, $4 FROM webhooks w"
              " WHERE w.project_id = $2 AND $3 = ANY (string_to_array(w.events, ','))"
              " ORDER BY w.id",
              event_id, project_id, type, now_ms)
          .status());
  if (!callback || callback->url.empty()) return Status::Ok();
  return c
      .Query(
          "INSERT INTO deliveries (event_id, batch_id, url, secret, next_attempt_at)"
          " VALUES ($1, $2, $3, $4, $5)",
          event_id, callback->batch_id, callback->url, callback->secret, now_ms)
      .status();
}

// What follows a task reaching done: task.completed, its batch's done
// counter, and batch.completed when it was the batch's last task.
Status TaskDone(PgConnection& c, const Task& task, const FinalLabel& label, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(WriteEvent(c, task.project_id, "task.completed", task.id, task.batch_id,
                                   TaskCompletedData(task, label), std::nullopt, now_ms));
  if (!task.batch_id) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(
      PgResult b,
      c.Query("UPDATE batches SET done = done + 1,"
              " completed_at = CASE WHEN done + 1 >= total THEN $2 ELSE completed_at END"
              " WHERE id = $1 RETURNING done, total, callback_url, callback_secret",
              *task.batch_id, now_ms));
  if (b.empty()) return Status::Ok();
  const PgRow row = b.front();
  if (row.Int(0) != row.Int(1)) return Status::Ok();
  return WriteEvent(c, task.project_id, "batch.completed", std::nullopt, task.batch_id,
                    BatchCompletedData(*task.batch_id, row.Int(1)),
                    Callback{*task.batch_id, row.Text(2), row.Text(3)}, now_ms);
}

Status UpsertFinalLabel(PgConnection& c, const FinalLabel& label) {
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(label.result_json, "final label result"));
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(label.media_json, "final label media"));
  return c
      .Query(
          "INSERT INTO final_labels (task_id, result, media, method, agreement, decided_by,"
          " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (task_id) DO UPDATE"
          " SET result = EXCLUDED.result, media = EXCLUDED.media, method = EXCLUDED.method,"
          " agreement = EXCLUDED.agreement, decided_by = EXCLUDED.decided_by,"
          " updated_at = EXCLUDED.updated_at",
          label.task_id, label.result_json, UnlessEmpty(label.media_json), label.method,
          ScoreText(label.agreement), label.decided_by, label.updated_at_ms)
      .status();
}

Result<std::optional<FinalLabel>> LoadFinalLabel(PgConnection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_FINAL_LABEL_COLS
                                             " FROM final_labels f WHERE f.task_id = $1",
                                             task_id));
  if (r.empty()) return std::optional<FinalLabel>();
  return std::optional(ReadFinalLabel(r.front(), 0));
}

Status SetTaskState(PgConnection& c, int64_t task_id, TaskState state) {
  return c.Query("UPDATE tasks SET state = $2, open_slots = 0 WHERE id = $1", task_id, state)
      .status();
}

// The reviewer's label kept as a revision of their own annotation (kind 2,
// which never counts).
Status KeepReviewerLabel(PgConnection& c, const Store::Review& review, int64_t project_id,
                         RevisionSource source, int64_t now_ms) {
  NewRevision rev;
  rev.task_id = review.task_id;
  rev.user_id = review.reviewer_id;
  rev.result_json = review.label->result_json;
  rev.media_json = review.label->media_json;
  rev.source = source;
  PLUMB_ASSIGN_OR_RETURN(PgResult own, c.Query("SELECT a.id, r.id, r.revision FROM annotations a"
                                               " JOIN revisions r ON r.id = a.current_revision_id"
                                               " WHERE a.task_id = $1 AND a.user_id = $2",
                                               review.task_id, review.reviewer_id));
  if (!own.empty()) {
    const PgRow row = own.front();
    return InsertRevision(c, rev, row.Int(0), static_cast<int32_t>(row.Int(2)) + 1, row.Int(1),
                          now_ms)
        .status();
  }
  PLUMB_ASSIGN_OR_RETURN(
      PgResult a, c.Query("INSERT INTO annotations (project_id, task_id, user_id, created_at, kind)"
                          " VALUES ($1, $2, $3, $4, 2) RETURNING id",
                          project_id, review.task_id, review.reviewer_id, now_ms));
  return InsertRevision(c, rev, a.front().Int(0), /*number=*/1, std::nullopt, now_ms).status();
}

Result<Store::Webhook> ReadWebhook(const PgRow& row) {
  return Store::Webhook{row.Int(0), row.Int(1), row.Text(2), SplitEvents(row.View(3)), row.Int(4)};
}

// Workforce ids as string_agg gives them ("3,5"; "" for none).
std::vector<int64_t> ParseIds(std::string_view joined) {
  std::vector<int64_t> ids;
  for (const std::string& id : SplitEvents(joined)) ids.push_back(std::stoll(id));
  return ids;
}

#define PLUMB_BATCH_WITH_WORKFORCES                                           \
  "SELECT " PLUMB_BATCH_COLS                                                  \
  ", (SELECT string_agg(bw.workforce_id::text, ',' ORDER BY bw.workforce_id)" \
  " FROM batch_workforces bw WHERE bw.batch_id = b.id)"                       \
  " FROM batches b"

Batch ReadBatchWithWorkforces(const PgRow& row) {
  Batch b = ReadBatch(row, 0);
  b.workforce_ids = ParseIds(row.View(9));
  return b;
}

}  // namespace

// --- completion ----------------------------------------------------------------------

Status CompleteTask(PgConnection& c, const Task& task, const ProjectSettings& settings,
                    bool after_rework, const RevisionHooks* hooks, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r, c.Query("SELECT " PLUMB_REVISION_COLS
                          " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                          " JOIN users u ON u.id = r.user_id"
                          " WHERE a.task_id = $1 AND a.kind = 0 ORDER BY a.id",
                          task.id));
  CompletionInput input;
  input.task = task;
  input.settings = settings;
  PLUMB_ASSIGN_OR_RETURN(
      input.current, ReadAll<Revision>(r, [](const PgRow& row) { return ReadRevision(row, 0); }));
  input.after_rework = after_rework;
  Completion completion;
  if (hooks != nullptr && hooks->complete) {
    PLUMB_ASSIGN_OR_RETURN(completion, hooks->complete(input));
  } else {
    completion = DefaultCompletion(input);
  }
  if (completion.state != TaskState::kDone && completion.state != TaskState::kReviewing &&
      completion.state != TaskState::kAdjudicating) {
    return Status::Internal("a completion must leave task " + std::to_string(task.id) +
                            " done, reviewing or adjudicating");
  }
  FinalLabel label = std::move(completion.label);
  label.task_id = task.id;
  label.decided_by = std::nullopt;
  label.updated_at_ms = now_ms;
  PLUMB_RETURN_IF_ERROR(UpsertFinalLabel(c, label));
  PLUMB_RETURN_IF_ERROR(SetTaskState(c, task.id, completion.state));
  if (completion.state != TaskState::kDone) return Status::Ok();
  Task done = task;
  done.state = TaskState::kDone;
  return TaskDone(c, done, label, now_ms);
}

Status GradeGolden(PgConnection& c, int64_t task_id, int64_t project_id, const Revision& rev,
                   const RevisionHooks* hooks, int64_t now_ms) {
  if (hooks == nullptr || !hooks->grade) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(
      PgResult a, c.Query("SELECT result, media FROM golden_answers WHERE task_id = $1", task_id));
  if (a.empty()) return Status::Ok();
  const GoldenAnswer answer{a.front().Json(0), a.front().Json(1)};
  PLUMB_ASSIGN_OR_RETURN(GoldenGrade grade, hooks->grade(answer, rev));
  return c
      .Query(
          "INSERT INTO golden_grades (task_id, user_id, project_id, revision_id, score, correct,"
          " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
          task_id, rev.user_id, project_id, rev.id, ScoreText(grade.score), grade.correct ? 1 : 0,
          now_ms)
      .status();
}

// --- golden tasks ----------------------------------------------------------------------

Status PgStore::SetGoldenAnswer(int64_t task_id, const std::optional<GoldenAnswer>& answer) {
  if (answer) {
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer->result_json, "result"));
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer->media_json, "media"));
  }
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT project_id FROM tasks WHERE id = $1", task_id));
    if (r.empty()) return Status::NotFound("task " + std::to_string(task_id) + " not found");
    // Rules 2 and 4: the slots are computed from the overlap under the task's lock.
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LockSettings(c, r.front().Int(0)));
    PLUMB_RETURN_IF_ERROR(LockTask(c, task_id).status());
    if (answer) {
      PLUMB_RETURN_IF_ERROR(
          c.Query("INSERT INTO golden_answers (task_id, result, media) VALUES ($1, $2, $3)"
                  " ON CONFLICT (task_id) DO UPDATE SET result = EXCLUDED.result,"
                  " media = EXCLUDED.media",
                  task_id, answer->result_json, UnlessEmpty(answer->media_json))
              .status());
      return c.Query("UPDATE tasks SET golden = 1, open_slots = 0 WHERE id = $1", task_id).status();
    }
    PLUMB_RETURN_IF_ERROR(
        c.Query("DELETE FROM golden_answers WHERE task_id = $1", task_id).status());
    return c
        .Query(
            "UPDATE tasks SET golden = 0, open_slots = CASE WHEN state IN (0, 1)"
            " AND rejected_count = 0 THEN GREATEST($2 - annotation_count - lease_count, 0)"
            " ELSE 0 END"
            " WHERE id = $1",
            task_id, settings.overlap)
        .status();
  });
}

Result<std::optional<GoldenAnswer>> PgStore::GetGoldenAnswer(int64_t task_id) {
  return Read([&](PgConnection& c) -> Result<std::optional<GoldenAnswer>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT result, media FROM golden_answers WHERE task_id = $1", task_id));
    if (r.empty()) return std::optional<GoldenAnswer>();
    return std::optional(GoldenAnswer{r.front().Json(0), r.front().Json(1)});
  });
}

Result<std::vector<GoldenGrade>> PgStore::ListGoldenGrades(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<GoldenGrade>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT g.task_id, g.user_id, u.username, g.revision_id, g.score, g.correct,"
                " g.created_at FROM golden_grades g JOIN users u ON u.id = g.user_id"
                " WHERE g.project_id = $1 ORDER BY g.task_id, g.user_id",
                project_id));
    return ReadAll<GoldenGrade>(r, [](const PgRow& row) {
      return GoldenGrade{
          row.Int(0),      row.Int(1), row.Text(2), row.Int(3), ParseScore(row.View(4)).value_or(0),
          row.Int(5) != 0, row.Int(6)};
    });
  });
}

// --- review and adjudication --------------------------------------------------------------

Result<std::optional<Claim>> PgStore::ClaimReviewTask(int64_t project_id, int64_t user_id,
                                                      std::optional<TaskState> stage,
                                                      int64_t now_ms) {
  if (stage && *stage != TaskState::kReviewing && *stage != TaskState::kAdjudicating) {
    return Status::InvalidArgument("a review stage is reviewing or adjudicating", "stage");
  }
  // Without a stage, adjudication (state 4) comes first.
  const int32_t min_state = stage ? static_cast<int32_t>(*stage) : 3;
  const int32_t max_state = stage ? static_cast<int32_t>(*stage) : 4;
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::optional<Claim>> {
    PLUMB_RETURN_IF_ERROR(LockUserInProject(c, project_id, user_id));
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LockSettings(c, project_id));
    PLUMB_RETURN_IF_ERROR(c.Query("UPDATE review_leases SET active = 0 WHERE project_id = $1"
                                  " AND active = 1 AND expires_at <= $2",
                                  project_id, now_ms)
                              .status());
    {
      PLUMB_ASSIGN_OR_RETURN(PgResult r,
                             c.Query("SELECT l.id, l.expires_at, " PLUMB_TASK_COLS
                                     " FROM review_leases l JOIN tasks t ON t.id = l.task_id"
                                     " WHERE l.project_id = $1 AND l.user_id = $2 AND l.active = 1"
                                     " AND t.state IN (3, 4) ORDER BY l.id LIMIT 1",
                                     project_id, user_id));
      if (!r.empty()) {
        Task task = ReadTask(r.front(), 2);
        Lease lease{r.front().Int(0), task.id, user_id, r.front().Int(1)};
        return std::optional<Claim>(
            Claim{std::move(task), lease, /*existing_lease=*/true, ClaimRule::kExistingLease});
      }
    }
#define PLUMB_REVIEW_PICK(lock)                                                               \
  "SELECT " PLUMB_TASK_COLS                                                                   \
  " FROM tasks t WHERE t.project_id = $1 AND t.state IN (3, 4) AND t.state BETWEEN $3 AND $4" \
  " AND NOT EXISTS (SELECT 1 FROM review_leases l WHERE l.task_id = t.id AND l.active = 1)"   \
  " AND NOT EXISTS (SELECT 1 FROM annotations a"                                              \
  " WHERE a.task_id = t.id AND a.user_id = $2 AND a.kind = 0)"                                \
  " ORDER BY t.state DESC, t.priority DESC, t.id LIMIT 1 FOR UPDATE OF t " lock
    std::optional<Task> picked;
    for (int round = 0; round < kMaxReviewRounds && !picked; ++round) {
      PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query(PLUMB_REVIEW_PICK("SKIP LOCKED"), project_id,
                                                 user_id, min_state, max_state));
      if (r.empty()) {
        // As in ClaimNextTask: wait for locked tasks rather than miss one.
        PLUMB_ASSIGN_OR_RETURN(
            r, c.Query(PLUMB_REVIEW_PICK(""), project_id, user_id, min_state, max_state));
        if (r.empty()) break;
      }
      Task task = ReadTask(r.front(), 0);
      // A fresh snapshot under the row lock sees a review lease another
      // reviewer committed after the pick's snapshot was taken.
      PLUMB_ASSIGN_OR_RETURN(
          PgResult free,
          c.Query("SELECT t.state IN (3, 4) AND NOT EXISTS (SELECT 1 FROM review_leases l"
                  " WHERE l.task_id = t.id AND l.active = 1) FROM tasks t WHERE t.id = $1",
                  task.id));
      if (!free.empty() && IsTrue(free.front(), 0)) picked = std::move(task);
    }
#undef PLUMB_REVIEW_PICK
    if (!picked) return std::optional<Claim>();
    Lease lease{0, picked->id, user_id,
                now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000};
    PLUMB_ASSIGN_OR_RETURN(PgResult id,
                           c.Query("INSERT INTO review_leases (project_id, task_id, user_id,"
                                   " expires_at) VALUES ($1, $2, $3, $4) RETURNING id",
                                   project_id, picked->id, user_id, lease.expires_at_ms));
    lease.id = id.front().Int(0);
    return std::optional<Claim>(
        Claim{std::move(*picked), lease, /*existing_lease=*/false, ClaimRule::kPriority});
  });
}

Status PgStore::RecordReview(const Review& review, int64_t now_ms) {
  const bool labels = review.decision == Decision::kFix || review.decision == Decision::kResolve;
  if (review.decision == Decision::kReject && review.comment.empty()) {
    return Status::InvalidArgument("a rejection needs a comment for the annotators", "comment");
  }
  if (labels) {
    if (!review.label) {
      return Status::InvalidArgument("a fix or resolution needs a result", "result");
    }
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(review.label->result_json, "result"));
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(review.label->media_json, "media"));
  }
  const std::string not_yours = "review lease " + std::to_string(review.lease_id) +
                                " is not yours for task " + std::to_string(review.task_id);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT project_id FROM review_leases WHERE id = $1", review.lease_id));
    if (r.empty()) return Status::Conflict(not_yours);
    const int64_t project_id = r.front().Int(0);
    PLUMB_RETURN_IF_ERROR(LockUserInProject(c, project_id, review.reviewer_id));
    PLUMB_RETURN_IF_ERROR(LockSettings(c, project_id).status());
    PLUMB_ASSIGN_OR_RETURN(PgResult l,
                           c.Query("SELECT task_id, user_id, expires_at, active FROM review_leases"
                                   " WHERE id = $1 FOR UPDATE",
                                   review.lease_id));
    if (l.front().Int(0) != review.task_id || l.front().Int(1) != review.reviewer_id) {
      return Status::Conflict(not_yours);
    }
    if (l.front().Int(3) == 0 || l.front().Int(2) <= now_ms) {
      return Status::LeaseExpired("review lease " + std::to_string(review.lease_id) +
                                  " has expired");
    }
    PLUMB_ASSIGN_OR_RETURN(Task task, LockTask(c, review.task_id));
    if (task.state != TaskState::kReviewing && task.state != TaskState::kAdjudicating) {
      return Status::Conflict("task " + std::to_string(task.id) +
                              " is not in review or adjudication");
    }
    if ((review.decision == Decision::kAccept && task.state != TaskState::kReviewing) ||
        (review.decision == Decision::kResolve && task.state != TaskState::kAdjudicating)) {
      return Status::InvalidArgument(
          std::string(review.decision == Decision::kAccept ? "accept" : "resolve") +
              " does not apply to a task in " + TaskStateName(task.state),
          "decision");
    }
    PLUMB_RETURN_IF_ERROR(
        c.Query("UPDATE review_leases SET active = 0 WHERE id = $1", review.lease_id).status());
    PLUMB_RETURN_IF_ERROR(c.Query("INSERT INTO reviews (task_id, reviewer_id, decision, comment,"
                                  " created_at) VALUES ($1, $2, $3, $4, $5)",
                                  review.task_id, review.reviewer_id, review.decision,
                                  review.comment, now_ms)
                              .status());
    if (review.decision == Decision::kReject) {
      // Every counting annotation goes back to its annotator; the task waits
      // for all of them (AppendRevision completes it again).
      PLUMB_ASSIGN_OR_RETURN(PgResult sent, c.Query("UPDATE annotations SET rejected = 1"
                                                    " WHERE task_id = $1 AND kind = 0",
                                                    task.id));
      PLUMB_RETURN_IF_ERROR(c.Query("UPDATE tasks SET state = 1, open_slots = 0,"
                                    " rejected_count = $2 WHERE id = $1",
                                    task.id, sent.affected())
                                .status());
      return WriteEvent(c, project_id, "review.rejected", task.id, task.batch_id,
                        ReviewRejectedData(task.id, review.reviewer_id, review.comment),
                        std::nullopt, now_ms);
    }
    PLUMB_ASSIGN_OR_RETURN(std::optional<FinalLabel> label, LoadFinalLabel(c, task.id));
    if (!label) label = FinalLabel{task.id, "[]", "", "single", 1, std::nullopt, now_ms};
    if (labels) {
      const RevisionSource source = review.decision == Decision::kFix
                                        ? RevisionSource::kReviewFix
                                        : RevisionSource::kAdjudication;
      PLUMB_RETURN_IF_ERROR(KeepReviewerLabel(c, review, project_id, source, now_ms));
      label->result_json = review.label->result_json;
      label->media_json = review.label->media_json;
      label->method = review.decision == Decision::kFix ? "review_fix" : "adjudication";
      label->decided_by = review.reviewer_id;
    }
    label->updated_at_ms = now_ms;
    PLUMB_RETURN_IF_ERROR(UpsertFinalLabel(c, *label));
    PLUMB_RETURN_IF_ERROR(SetTaskState(c, task.id, TaskState::kDone));
    task.state = TaskState::kDone;
    return TaskDone(c, task, *label, now_ms);
  });
}

Result<std::vector<Store::ReviewNote>> PgStore::ListReviews(int64_t task_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<ReviewNote>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT v.task_id, v.reviewer_id, u.username, v.decision, v.comment,"
                            " v.created_at FROM reviews v JOIN users u ON u.id = v.reviewer_id"
                            " WHERE v.task_id = $1 ORDER BY v.id",
                            task_id));
    return ReadAll<ReviewNote>(r, [](const PgRow& row) {
      return ReviewNote{row.Int(0),  row.Int(1), row.Text(2), static_cast<Decision>(row.Int(3)),
                        row.Text(4), row.Int(5)};
    });
  });
}

Result<std::vector<FinalLabel>> PgStore::FinalLabels(const std::vector<int64_t>& task_ids) {
  if (task_ids.empty()) return std::vector<FinalLabel>();
  const std::string ids = BigintArray(task_ids);
  return Read([&](PgConnection& c) -> Result<std::vector<FinalLabel>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_FINAL_LABEL_COLS " FROM final_labels f"
                                   " WHERE f.task_id = ANY ($1::bigint[])"
                                   " ORDER BY f.task_id",
                                   ids));
    return ReadAll<FinalLabel>(r, [](const PgRow& row) { return ReadFinalLabel(row, 0); });
  });
}

// --- workforces ----------------------------------------------------------------------------

namespace {

Status CheckPricing(const Workforce& w) {
  if (!std::isfinite(w.pricing.rate) || w.pricing.rate < 0) {
    return Status::InvalidArgument("pricing.rate must be a number of at least 0", "pricing.rate");
  }
  return Status::Ok();
}

}  // namespace

Result<Workforce> PgStore::CreateWorkforce(const Workforce& workforce, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckPricing(workforce));
  auto created = Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Workforce> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("INSERT INTO workforces AS w (name, kind, pricing_model, rate,"
                            " currency, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
                            " RETURNING " PLUMB_WORKFORCE_COLS,
                            workforce.name, workforce.kind, workforce.pricing.model,
                            ScoreText(workforce.pricing.rate), workforce.pricing.currency, now_ms));
    return ReadWorkforce(r.front(), 0);
  });
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("workforce '" + workforce.name + "' exists", "name");
  }
  return created;
}

Result<Workforce> PgStore::GetWorkforce(int64_t id) {
  return Read([&](PgConnection& c) -> Result<Workforce> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_WORKFORCE_COLS " FROM workforces w WHERE w.id = $1", id));
    if (r.empty()) return Status::NotFound("workforce " + std::to_string(id) + " not found");
    return ReadWorkforce(r.front(), 0);
  });
}

Result<std::vector<Workforce>> PgStore::ListWorkforces(std::optional<int64_t> member_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Workforce>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        member_id ? c.Query("SELECT " PLUMB_WORKFORCE_COLS " FROM workforce_members m"
                            " JOIN workforces w ON w.id = m.workforce_id WHERE m.user_id = $1"
                            " ORDER BY w.id",
                            *member_id)
                  : c.Query("SELECT " PLUMB_WORKFORCE_COLS " FROM workforces w ORDER BY w.id"));
    return ReadAll<Workforce>(r, [](const PgRow& row) { return ReadWorkforce(row, 0); });
  });
}

Result<Workforce> PgStore::UpdateWorkforce(const Workforce& workforce) {
  PLUMB_RETURN_IF_ERROR(CheckPricing(workforce));
  auto updated = Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Workforce> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("UPDATE workforces w SET name = $2, kind = $3, pricing_model = $4,"
                            " rate = $5, currency = $6 WHERE w.id = $1"
                            " RETURNING " PLUMB_WORKFORCE_COLS,
                            workforce.id, workforce.name, workforce.kind, workforce.pricing.model,
                            ScoreText(workforce.pricing.rate), workforce.pricing.currency));
    if (r.empty()) {
      return Status::NotFound("workforce " + std::to_string(workforce.id) + " not found");
    }
    return ReadWorkforce(r.front(), 0);
  });
  if (!updated.ok() && updated.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("workforce '" + workforce.name + "' exists", "name");
  }
  return updated;
}

namespace {

// kNotFound unless each of the given workforce, project and user exists.
Status CheckExists(PgConnection& c, std::optional<int64_t> workforce_id,
                   std::optional<int64_t> project_id, std::optional<int64_t> user_id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query(
          "SELECT $1::bigint IS NULL OR EXISTS (SELECT 1 FROM workforces WHERE id = $1),"
          " $2::bigint IS NULL OR EXISTS (SELECT 1 FROM projects WHERE id = $2 AND deleted = 0),"
          " $3::bigint IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $3)",
          workforce_id, project_id, user_id));
  if (!IsTrue(r.front(), 0)) {
    return Status::NotFound("workforce " + std::to_string(*workforce_id) + " not found");
  }
  if (!IsTrue(r.front(), 1)) {
    return Status::NotFound("project " + std::to_string(*project_id) + " not found");
  }
  if (!IsTrue(r.front(), 2)) {
    return Status::NotFound("user " + std::to_string(*user_id) + " not found");
  }
  return Status::Ok();
}

}  // namespace

Status PgStore::AddWorkforceMember(int64_t workforce_id, int64_t user_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, workforce_id, std::nullopt, user_id));
    return c
        .Query(
            "INSERT INTO workforce_members (workforce_id, user_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            workforce_id, user_id)
        .status();
  });
}

Status PgStore::RemoveWorkforceMember(int64_t workforce_id, int64_t user_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, workforce_id, std::nullopt, std::nullopt));
    return c
        .Query("DELETE FROM workforce_members WHERE workforce_id = $1 AND user_id = $2",
               workforce_id, user_id)
        .status();
  });
}

Result<std::vector<User>> PgStore::ListWorkforceMembers(int64_t workforce_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<User>> {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, workforce_id, std::nullopt, std::nullopt));
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_USER_COLS " FROM workforce_members m"
                                               " JOIN users u ON u.id = m.user_id"
                                               " WHERE m.workforce_id = $1 ORDER BY u.id",
                                               workforce_id));
    return ReadAll<User>(r, [](const PgRow& row) { return ReadUser(row, 0); });
  });
}

Status PgStore::GrantProjectAccess(int64_t project_id, int64_t workforce_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, workforce_id, project_id, std::nullopt));
    return c
        .Query(
            "INSERT INTO project_workforces (project_id, workforce_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            project_id, workforce_id)
        .status();
  });
}

Status PgStore::RevokeProjectAccess(int64_t project_id, int64_t workforce_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, std::nullopt, project_id, std::nullopt));
    return c
        .Query("DELETE FROM project_workforces WHERE project_id = $1 AND workforce_id = $2",
               project_id, workforce_id)
        .status();
  });
}

Result<std::vector<Workforce>> PgStore::ListProjectWorkforces(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Workforce>> {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, std::nullopt, project_id, std::nullopt));
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_WORKFORCE_COLS " FROM project_workforces pw"
                                   " JOIN workforces w ON w.id = pw.workforce_id"
                                   " WHERE pw.project_id = $1 ORDER BY w.id",
                                   project_id));
    return ReadAll<Workforce>(r, [](const PgRow& row) { return ReadWorkforce(row, 0); });
  });
}

Result<std::vector<int64_t>> PgStore::ListWorkforceProjects(int64_t workforce_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<int64_t>> {
    PLUMB_RETURN_IF_ERROR(CheckExists(c, workforce_id, std::nullopt, std::nullopt));
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT pw.project_id FROM project_workforces pw"
                                               " JOIN projects p ON p.id = pw.project_id"
                                               " WHERE pw.workforce_id = $1 AND p.deleted = 0"
                                               " ORDER BY pw.project_id",
                                               workforce_id));
    return ReadAll<int64_t>(r, [](const PgRow& row) { return row.Int(0); });
  });
}

// --- batches ---------------------------------------------------------------------------------

Result<Batch> PgStore::GetBatch(int64_t id) {
  return Read([&](PgConnection& c) -> Result<Batch> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query(PLUMB_BATCH_WITH_WORKFORCES " WHERE b.id = $1", id));
    if (r.empty()) return Status::NotFound("batch " + std::to_string(id) + " not found");
    return ReadBatchWithWorkforces(r.front());
  });
}

Result<std::vector<Batch>> PgStore::ListBatches(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Batch>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query(PLUMB_BATCH_WITH_WORKFORCES
                                               " WHERE b.project_id = $1 ORDER BY b.id DESC",
                                               project_id));
    return ReadAll<Batch>(r, ReadBatchWithWorkforces);
  });
}

// --- events and webhooks -------------------------------------------------------------------------

Result<Store::Webhook> PgStore::CreateWebhook(const Webhook& webhook, std::string_view secret,
                                              int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Webhook> {
    // KEY SHARE: the project cannot go away before the webhook is in.
    PLUMB_RETURN_IF_ERROR(LockSettings(c, webhook.project_id).status());
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO webhooks (project_id, url, secret, events, created_at)"
                " VALUES ($1, $2, $3, $4, $5)"
                " RETURNING id, project_id, url, events, created_at",
                webhook.project_id, webhook.url, secret, JoinEvents(webhook.events), now_ms));
    return ReadWebhook(r.front());
  });
}

Result<Store::Webhook> PgStore::GetWebhook(int64_t id) {
  return Read([&](PgConnection& c) -> Result<Webhook> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT id, project_id, url, events, created_at"
                                               " FROM webhooks WHERE id = $1",
                                               id));
    if (r.empty()) return Status::NotFound("webhook " + std::to_string(id) + " not found");
    return ReadWebhook(r.front());
  });
}

Result<std::vector<Store::Webhook>> PgStore::ListWebhooks(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Webhook>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT id, project_id, url, events, created_at"
                                               " FROM webhooks WHERE project_id = $1 ORDER BY id",
                                               project_id));
    std::vector<Webhook> out;
    for (int i = 0; i < r.rows(); ++i) {
      PLUMB_ASSIGN_OR_RETURN(Webhook w, ReadWebhook(r.row(i)));
      out.push_back(std::move(w));
    }
    return out;
  });
}

Status PgStore::DeleteWebhook(int64_t id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("DELETE FROM webhooks WHERE id = $1", id));
    if (r.affected() == 0) return Status::NotFound("webhook " + std::to_string(id) + " not found");
    return Status::Ok();
  });
}

Result<std::vector<Store::Delivery>> PgStore::ListDeliveries(std::optional<int64_t> webhook_id,
                                                             std::optional<int64_t> batch_id,
                                                             int32_t limit) {
  return Read([&](PgConnection& c) -> Result<std::vector<Delivery>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_DELIVERY_COLS
                                   " FROM deliveries d JOIN events e ON e.id = d.event_id"
                                   " WHERE ($1::bigint IS NULL OR d.webhook_id = $1)"
                                   " AND ($2::bigint IS NULL OR d.batch_id = $2)"
                                   " ORDER BY d.id DESC LIMIT $3",
                                   webhook_id, batch_id, std::clamp(limit, 1, kMaxPageSize)));
    return ReadAll<Delivery>(r, [](const PgRow& row) { return ReadDelivery(row, 0); });
  });
}

Result<std::vector<Store::Delivery>> PgStore::ClaimDueDeliveries(int64_t now_ms, int32_t limit,
                                                                 int64_t lock_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::vector<Delivery>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("WITH due AS (SELECT id FROM deliveries"
                " WHERE state = 0 AND next_attempt_at <= $1"
                " ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
                " UPDATE deliveries d SET next_attempt_at = $1 + $3 FROM due, events e"
                " WHERE d.id = due.id AND e.id = d.event_id"
                " RETURNING " PLUMB_DELIVERY_COLS ", d.secret, e.project_id, e.created_at, e.data",
                now_ms, std::clamp(limit, 1, kMaxPageSize), lock_ms));
    std::vector<Delivery> out;
    out.reserve(r.rows());
    for (int i = 0; i < r.rows(); ++i) {
      const PgRow row = r.row(i);
      Delivery d = ReadDelivery(row, 0);
      d.secret = row.Text(12);
      d.body_json = EventBody(d.event_id, d.event_type, row.Int(13), row.Int(14), row.Json(15));
      out.push_back(std::move(d));
    }
    // RETURNING keeps no order: oldest first, as the contract says.
    std::sort(out.begin(), out.end(),
              [](const Delivery& a, const Delivery& b) { return a.id < b.id; });
    return out;
  });
}

Status PgStore::RecordDeliveryAttempt(const DeliveryAttempt& attempt) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE deliveries SET attempts = attempts + 1, last_status = $2,"
                " last_error = $3,"
                " state = CASE WHEN $4 = 1 THEN 1 WHEN $5::bigint IS NULL THEN 2 ELSE 0 END,"
                " next_attempt_at = COALESCE($5::bigint, next_attempt_at),"
                " delivered_at = CASE WHEN $4 = 1 THEN $6 ELSE delivered_at END"
                " WHERE id = $1",
                attempt.delivery_id, attempt.status, attempt.error, attempt.delivered ? 1 : 0,
                attempt.delivered ? std::nullopt : attempt.next_attempt_at_ms, attempt.at_ms));
    if (r.affected() == 0) {
      return Status::NotFound("delivery " + std::to_string(attempt.delivery_id) + " not found");
    }
    return Status::Ok();
  });
}

Result<int64_t> PgStore::CountTasksDueBefore(int64_t project_id, int64_t before_ms) {
  return Read([&](PgConnection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT COUNT(*) FROM tasks WHERE project_id = $1"
                                               " AND deadline IS NOT NULL AND deadline < $2"
                                               " AND state <> 2 AND golden = 0",
                                               project_id, before_ms));
    return r.front().Int(0);
  });
}

}  // namespace plumb::store::postgres
