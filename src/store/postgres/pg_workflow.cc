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
// - Running statistics (stat_counters) are added to in the transaction of
//   the write they count, after everything else it locks (StatBatch), so a
//   counter is exactly as durable as what it counts.
// - SendToReview locks its task rows in id order, then batch rows (rule 5).
//   AddPredictions and SetDisagreements take KEY SHARE locks on the task
//   rows first (in id order), so they wait for a completion under way
//   rather than cross it: the completion sees the predictions, or the
//   caller sees the task complete.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/core.h"
#include "core/stats.h"
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
// An event is stored only when it has a receiver (a webhook of the project
// subscribed to its type, or the batch's callback), as on SQLite: nothing
// reads an event but its deliveries. `data()` builds the event's JSON.
template <typename DataFn>
Status WriteEvent(PgConnection& c, int64_t project_id, std::string_view type,
                  std::optional<int64_t> task_id, std::optional<int64_t> batch_id, DataFn&& data,
                  const std::optional<Callback>& callback, int64_t now_ms) {
  if (!callback || callback->url.empty()) {
    PLUMB_ASSIGN_OR_RETURN(PgResult subscribed,
                           c.Query("SELECT 1 FROM webhooks w WHERE w.project_id = $1"
                                   " AND $2 = ANY (string_to_array(w.events, ',')) LIMIT 1",
                                   project_id, type));
    if (subscribed.empty()) return Status::Ok();
  }
  PLUMB_ASSIGN_OR_RETURN(PgResult event,
                         c.Query("INSERT INTO events (project_id, type, task_id, batch_id, data,"
                                 " created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                                 project_id, type, task_id, batch_id, data(), now_ms));
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
                                   [&] { return TaskCompletedData(task, label); }, std::nullopt,
                                   now_ms));
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
                    [&] { return BatchCompletedData(*task.batch_id, row.Int(1)); },
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

// A text[] literal, {"a","b"}, to bind as one parameter.
std::string TextArray(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (std::string_view v : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : v) {
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
    }
    out += '"';
  }
  out += '}';
  return out;
}

// Whether SendToReview moved the task (it was done once before).
Result<bool> WasResent(PgConnection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT resent FROM tasks WHERE id = $1", task_id));
  return !r.empty() && r.front().Int(0) != 0;
}

// The project's counters of a task that just became done.
void CountDone(StatBatch& counters, const Task& task, int64_t now_ms) {
  const int64_t turnaround = now_ms - task.created_at_ms;
  counters.Add(0, stats::kDone, 1, static_cast<double>(turnaround));
  counters.Add(0, stats::kTurnPrefix + std::to_string(stats::DurationBucket(turnaround)), 1);
}

// kInvalidArgument (fields prefixed with `at`) unless `d` can be stored: a
// finite score, and labels a JSON array of strings that jsonb can hold (the
// label filter of ListDisagreements reads them as jsonb).
Status CheckDisagreement(const Disagreement& d, const std::string& at) {
  if (!std::isfinite(d.score)) {
    return Status::InvalidArgument("a disagreement score must be a finite number", at + "score");
  }
  const auto labels = nlohmann::json::parse(d.labels_json, nullptr, /*allow_exceptions=*/false);
  const bool strings =
      labels.is_array() && std::all_of(labels.begin(), labels.end(),
                                       [](const nlohmann::json& l) { return l.is_string(); });
  if (!strings) {
    return Status::InvalidArgument("labels must be a JSON array of strings", at + "labels");
  }
  return CheckJsonbStorable(d.labels_json, (at + "labels").c_str());
}

// Stores (or replaces) the disagreement of prediction `d.prediction_id`, of
// task `task_id` in project `project_id`.
Status UpsertDisagreement(PgConnection& c, const Disagreement& d, int64_t project_id,
                          int64_t task_id, int64_t computed_at_ms) {
  return c
      .Query(
          "INSERT INTO disagreements (prediction_id, project_id, task_id, score, controls,"
          " labels, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
          " ON CONFLICT (prediction_id) DO UPDATE SET project_id = EXCLUDED.project_id,"
          " task_id = EXCLUDED.task_id, score = EXCLUDED.score, controls = EXCLUDED.controls,"
          " labels = EXCLUDED.labels, computed_at = EXCLUDED.computed_at",
          d.prediction_id, project_id, task_id, ScoreText(d.score), d.controls_json, d.labels_json,
          computed_at_ms)
      .status();
}

// The disagreements a completion of `task` computed, each of one of the
// task's `predictions`; anything else is a bug of the workflow (kInternal).
Status WriteCompletionDisagreements(PgConnection& c, const Task& task,
                                    const std::vector<Prediction>& predictions,
                                    const std::vector<Disagreement>& disagreements,
                                    int64_t now_ms) {
  for (const Disagreement& d : disagreements) {
    const bool of_task = std::any_of(predictions.begin(), predictions.end(),
                                     [&](const Prediction& p) { return p.id == d.prediction_id; });
    if (!of_task) {
      return Status::Internal("the completion of task " + std::to_string(task.id) +
                              " scores prediction " + std::to_string(d.prediction_id) +
                              ", which is not the task's");
    }
    Status valid = CheckDisagreement(d, "");
    if (!valid.ok()) {
      return Status::Internal("the completion of task " + std::to_string(task.id) +
                              " gave a disagreement that cannot be stored: " + valid.message());
    }
    PLUMB_RETURN_IF_ERROR(UpsertDisagreement(c, d, task.project_id, task.id, now_ms));
  }
  return Status::Ok();
}

}  // namespace

Status WriteReviewRejected(PgConnection& c, const Task& task, int64_t reviewer_id,
                           std::string_view comment, int64_t now_ms) {
  return WriteEvent(c, task.project_id, "review.rejected", task.id, task.batch_id,
                    [&] { return ReviewRejectedData(task.id, reviewer_id, comment); }, std::nullopt,
                    now_ms);
}

// --- running statistics ----------------------------------------------------------------

StatBatch::StatBatch(int64_t project_id, int64_t now_ms)
    : project_id_(project_id), day_(stats::DayOf(now_ms)) {}

void StatBatch::Add(int64_t user_id, std::string_view metric, int64_t count, double sum) {
  auto& [n, total] = deltas_[{user_id, std::string(metric)}];
  n += count;
  total += sum;
}

Status StatBatch::Flush(PgConnection& c) {
  if (deltas_.empty()) return Status::Ok();
  std::vector<int64_t> users, counts;
  std::vector<std::string_view> metrics;
  std::string sums = "{";
  for (const auto& [key, delta] : deltas_) {
    if (!std::isfinite(delta.second)) {
      return Status::Internal("counter " + key.second + " of user " + std::to_string(key.first) +
                              " would add a sum that is not a finite number");
    }
    users.push_back(key.first);
    metrics.push_back(key.second);
    counts.push_back(delta.first);
    if (sums.size() > 1) sums += ',';
    sums += *ScoreText(delta.second);
  }
  sums += '}';
  // One row per (user, metric): the map has merged repeats, which one
  // INSERT ... ON CONFLICT could not update twice.
  PLUMB_RETURN_IF_ERROR(
      c.Query("INSERT INTO stat_counters AS s (project_id, user_id, day, metric, n, total)"
              " SELECT $1, d.u, $2, d.m, d.n, d.t"
              " FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::float8[]) AS d(u, m, n, t)"
              " ON CONFLICT (project_id, day, user_id, metric)"
              " DO UPDATE SET n = s.n + EXCLUDED.n, total = s.total + EXCLUDED.total",
              project_id_, day_, BigintArray(users), TextArray(metrics), BigintArray(counts), sums)
          .status());
  deltas_.clear();
  return Status::Ok();
}

// --- completion ----------------------------------------------------------------------

Status CompleteTask(PgConnection& c, const Task& task, const ProjectSettings& settings,
                    bool after_rework, const RevisionHooks* hooks, StatBatch& counters,
                    int64_t now_ms) {
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
  {
    PLUMB_ASSIGN_OR_RETURN(PgResult p, c.Query("SELECT " PLUMB_PREDICTION_COLS
                                               " FROM predictions p WHERE p.task_id = $1"
                                               " ORDER BY p.id",
                                               task.id));
    PLUMB_ASSIGN_OR_RETURN(input.predictions, ReadAll<Prediction>(p, [](const PgRow& row) {
                             return ReadPrediction(row, 0);
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
    return Status::Internal("a completion must leave task " + std::to_string(task.id) +
                            " done, reviewing or adjudicating");
  }
  FinalLabel label = std::move(completion.label);
  label.task_id = task.id;
  label.decided_by = std::nullopt;
  label.updated_at_ms = now_ms;
  PLUMB_RETURN_IF_ERROR(UpsertFinalLabel(c, label));
  PLUMB_RETURN_IF_ERROR(SetTaskState(c, task.id, completion.state));
  PLUMB_RETURN_IF_ERROR(
      WriteCompletionDisagreements(c, task, input.predictions, completion.disagreements, now_ms));
  for (const StatDelta& d : completion.stats) counters.Add(d.user_id, d.metric, d.count, d.sum);
  if (completion.state != TaskState::kDone) return Status::Ok();
  // A task sent back to review after it was done, then reworked, was
  // counted done (and its labels accepted) the first time.
  PLUMB_ASSIGN_OR_RETURN(bool resent, WasResent(c, task.id));
  if (!resent) {
    CountDone(counters, task, now_ms);
    for (const Revision& rev : input.current) counters.Add(rev.user_id, stats::kAccepted, 1);
  }
  Task done = task;
  done.state = TaskState::kDone;
  return TaskDone(c, done, label, now_ms);
}

Status WritePlainEvent(PgConnection& c, int64_t project_id, std::string_view type,
                       const std::string& data_json, int64_t now_ms) {
  return WriteEvent(c, project_id, type, std::nullopt, std::nullopt, [&] { return data_json; },
                    std::nullopt, now_ms);
}

Status GradeGolden(PgConnection& c, int64_t task_id, int64_t project_id, const Revision& rev,
                   const RevisionHooks* hooks, const std::optional<PauseRule>& pause,
                   StatBatch& counters, int64_t now_ms) {
  if (hooks == nullptr || !hooks->grade) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(
      PgResult a, c.Query("SELECT result, media FROM golden_answers WHERE task_id = $1", task_id));
  if (a.empty()) return Status::Ok();
  const GoldenAnswer answer{a.front().Json(0), a.front().Json(1)};
  PLUMB_ASSIGN_OR_RETURN(GoldenGrade grade, hooks->grade(answer, rev));
  PLUMB_ASSIGN_OR_RETURN(
      PgResult stored,
      c.Query("INSERT INTO golden_grades (task_id, user_id, project_id, revision_id, score,"
              " correct, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
              task_id, rev.user_id, project_id, rev.id, ScoreText(grade.score),
              grade.correct ? 1 : 0, now_ms));
  if (stored.affected() == 0) return Status::Ok();
  if (pause) PLUMB_RETURN_IF_ERROR(CheckPause(c, project_id, rev.user_id, *pause, now_ms));
  counters.Add(rev.user_id, stats::kGolden, 1, grade.score);
  counters.Add(rev.user_id, stats::ByVersion(stats::kGolden, rev.instructions_version), 1,
               grade.score);
  if (grade.correct) {
    counters.Add(rev.user_id, stats::kGoldenCorrect, 1);
    counters.Add(rev.user_id, stats::ByVersion(stats::kGoldenCorrect, rev.instructions_version), 1);
  }
  return Status::Ok();
}

// --- golden tasks ----------------------------------------------------------------------

Status SetGoldenIn(PgConnection& c, int64_t task_id, const std::optional<GoldenAnswer>& answer) {
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
  PLUMB_RETURN_IF_ERROR(c.Query("DELETE FROM golden_answers WHERE task_id = $1", task_id).status());
  return c
      .Query(
          "UPDATE tasks SET golden = 0, open_slots = CASE WHEN state IN (0, 1)"
          " AND rejected_count = 0 THEN GREATEST($2 - annotation_count - lease_count, 0)"
          " ELSE 0 END"
          " WHERE id = $1",
          task_id, settings.overlap)
      .status();
}

Status PgStore::SetGoldenAnswer(int64_t task_id, const std::optional<GoldenAnswer>& answer) {
  if (answer) {
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer->result_json, "result"));
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer->media_json, "media"));
  }
  return Transact(Mode::kWrite,
                  [&](PgConnection& c) -> Status { return SetGoldenIn(c, task_id, answer); });
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
  auto record = [&](PgConnection& c) -> Status {
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
    // The decision's counters: every counting annotation's author was
    // reviewed (and rejected, or accepted), the reviewer made a review.
    StatBatch counters(project_id, now_ms);
    std::vector<int64_t> authors;
    {
      PLUMB_ASSIGN_OR_RETURN(PgResult a, c.Query("SELECT user_id FROM annotations"
                                                 " WHERE task_id = $1 AND kind = 0 ORDER BY id",
                                                 task.id));
      for (int i = 0; i < a.rows(); ++i) authors.push_back(a.row(i).Int(0));
    }
    counters.Add(review.reviewer_id, stats::kReviews, 1);
    for (int64_t author : authors) {
      counters.Add(author, stats::kReviewed, 1);
      if (review.decision == Decision::kReject) counters.Add(author, stats::kRejected, 1);
    }
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
      PLUMB_RETURN_IF_ERROR(WriteEvent(
          c, project_id, "review.rejected", task.id, task.batch_id,
          [&] { return ReviewRejectedData(task.id, review.reviewer_id, review.comment); },
          std::nullopt, now_ms));
      return counters.Flush(c);
    }
    // A task SendToReview took from done was counted done (with its labels
    // accepted) then; deciding it again counts only the review.
    PLUMB_ASSIGN_OR_RETURN(bool resent, WasResent(c, task.id));
    if (!resent) {
      CountDone(counters, task, now_ms);
      if (review.decision == Decision::kAccept) {
        for (int64_t author : authors) counters.Add(author, stats::kAccepted, 1);
      }
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
    PLUMB_RETURN_IF_ERROR(TaskDone(c, task, *label, now_ms));
    return counters.Flush(c);
  };
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(record(c));
    return review.queue_train ? QueueTrainIfDone(c, review.task_id, now_ms) : Status::Ok();
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

// --- predictions, disagreements, statistics, review on demand --------------------------

namespace {

// Status `s` with its field (or none) named under item `i` of a list: "[i].field".
Status AtItem(const Status& s, size_t i) {
  const std::string at = "[" + std::to_string(i) + "]";
  const std::string field = s.field().empty() ? at : at + "." + s.field();
  return s.code() == StatusCode::kNotFound ? Status::NotFound(s.message(), field)
                                           : Status::InvalidArgument(s.message(), field);
}

}  // namespace

Result<std::vector<Prediction>> PgStore::AddPredictions(
    int64_t project_id, const std::vector<TaskPrediction>& predictions, int64_t now_ms) {
  std::vector<int64_t> task_ids;
  for (const TaskPrediction& p : predictions) task_ids.push_back(p.task_id);
  const std::string ids = BigintArray(task_ids);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::vector<Prediction>> {
    // Rule 2: the project stays until the predictions are in. Rule 4, in
    // KEY SHARE: a completion of one of the tasks under way finishes first
    // (and this call then sees it done), or waits and reads these too.
    PLUMB_RETURN_IF_ERROR(LockSettings(c, project_id).status());
    std::set<int64_t> of_project;
    {
      PLUMB_ASSIGN_OR_RETURN(PgResult r,
                             c.Query("SELECT id FROM tasks WHERE id = ANY ($1::bigint[])"
                                     " AND project_id = $2 ORDER BY id FOR KEY SHARE",
                                     ids, project_id));
      for (int i = 0; i < r.rows(); ++i) of_project.insert(r.row(i).Int(0));
    }
    // The first bad item is the one reported, whatever is wrong with it.
    for (size_t i = 0; i < predictions.size(); ++i) {
      const TaskPrediction& p = predictions[i];
      Status valid = CheckPrediction(p.prediction);
      if (valid.ok()) valid = CheckJsonbStorable(p.prediction.result_json, "result");
      if (valid.ok()) valid = CheckJsonbStorable(p.prediction.media_json, "media");
      if (valid.ok() && of_project.count(p.task_id) == 0) {
        valid = Status::NotFound("task " + std::to_string(p.task_id) +
                                     " is not a task of project " + std::to_string(project_id),
                                 "task_id");
      }
      if (!valid.ok()) return AtItem(valid, i);
    }
    std::vector<int64_t> once_ids;
    for (const TaskPrediction& p : predictions) {
      if (p.once) once_ids.push_back(p.task_id);
    }
    if (!once_ids.empty()) {
      // Two transactions storing one model version's prediction of a task
      // would both see none under READ COMMITTED: one transaction-scoped
      // advisory lock per task, in id order, makes the second wait and see
      // the first's. Single-key locks on negated ids: apart from the two-key
      // per-user locks and from the migration lock (a positive key).
      PLUMB_RETURN_IF_ERROR(c.Query("SELECT pg_advisory_xact_lock(-u.id) FROM"
                                    " (SELECT DISTINCT unnest($1::bigint[]) AS id ORDER BY 1) u",
                                    BigintArray(once_ids))
                                .status());
    }
    std::vector<Prediction> stored;
    stored.reserve(predictions.size());
    for (const TaskPrediction& tp : predictions) {
      const NewPrediction& p = tp.prediction;
      if (tp.once) {
        PLUMB_ASSIGN_OR_RETURN(PgResult seen,
                               c.Query("SELECT 1 FROM predictions WHERE task_id = $1"
                                       " AND model_name = $2 AND model_version = $3 LIMIT 1",
                                       tp.task_id, p.model_name, p.model_version));
        if (!seen.empty()) continue;
      }
      PLUMB_ASSIGN_OR_RETURN(
          PgResult r,
          c.Query("INSERT INTO predictions AS p (project_id, task_id, model_name, model_version,"
                  " score, result_json, media, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                  " RETURNING " PLUMB_PREDICTION_COLS,
                  project_id, tp.task_id, p.model_name, p.model_version, ScoreText(p.score),
                  p.result_json, UnlessEmpty(p.media_json), now_ms));
      stored.push_back(ReadPrediction(r.front(), 0));
    }
    return stored;
  });
}

Status PgStore::SetDisagreements(const std::vector<Disagreement>& disagreements) {
  std::vector<int64_t> prediction_ids;
  for (size_t i = 0; i < disagreements.size(); ++i) {
    PLUMB_RETURN_IF_ERROR(CheckDisagreement(disagreements[i], "[" + std::to_string(i) + "]."));
    prediction_ids.push_back(disagreements[i].prediction_id);
  }
  if (disagreements.empty()) return Status::Ok();
  const std::string ids = BigintArray(prediction_ids);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    // The tasks first, in KEY SHARE and id order (as AddPredictions): a
    // completion under way, which writes these rows too, finishes first.
    std::map<int64_t, std::pair<int64_t, int64_t>> owner;  // prediction -> (project, task)
    {
      PLUMB_ASSIGN_OR_RETURN(
          PgResult r, c.Query("SELECT p.id, p.project_id, p.task_id FROM predictions p"
                              " JOIN tasks t ON t.id = p.task_id"
                              " WHERE p.id = ANY ($1::bigint[]) ORDER BY t.id FOR KEY SHARE OF t",
                              ids));
      for (int i = 0; i < r.rows(); ++i) {
        owner[r.row(i).Int(0)] = {r.row(i).Int(1), r.row(i).Int(2)};
      }
    }
    for (size_t i = 0; i < disagreements.size(); ++i) {
      if (owner.count(disagreements[i].prediction_id) == 0) {
        return Status::NotFound(
            "prediction " + std::to_string(disagreements[i].prediction_id) + " not found",
            "[" + std::to_string(i) + "].prediction_id");
      }
    }
    for (const Disagreement& d : disagreements) {
      const auto& [project_id, task_id] = owner[d.prediction_id];
      PLUMB_RETURN_IF_ERROR(UpsertDisagreement(c, d, project_id, task_id, d.computed_at_ms));
    }
    return Status::Ok();
  });
}

Result<DisagreementPage> PgStore::ListDisagreements(const DisagreementQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be from 1 to 1000", "limit");
  }
  // $1 project, $2 model name or NULL, $3 label or NULL, $4 min score. The
  // label is an element of the labels array, compared as jsonb reads it, so
  // escapes (quotes, backslashes, \u sequences) in either never matter.
#define PLUMB_DISAGREEMENT_FILTER                                        \
  " FROM disagreements d JOIN predictions p ON p.id = d.prediction_id"   \
  " JOIN tasks t ON t.id = d.task_id"                                    \
  " WHERE d.project_id = $1 AND ($2::text IS NULL OR p.model_name = $2)" \
  " AND ($3::text IS NULL OR jsonb_exists(d.labels::jsonb, $3)) AND d.score >= $4::float8"
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<DisagreementPage> {
    const std::optional<std::string> after_score =
        query.after ? ScoreText(query.after->first) : std::nullopt;
    const int64_t after_id = query.after ? query.after->second : 0;  // read only with $5
    // The cursor's `score <= ` bounds the range of disagreements_ranked a
    // page reads, so a later page starts where the last one ended rather
    // than skipping the rows before it.
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT d.prediction_id, d.task_id, d.score, d.controls, d.labels, d.computed_at,"
                " p.model_name, p.model_version, t.state" PLUMB_DISAGREEMENT_FILTER
                " AND d.score <= COALESCE($5::float8, 'Infinity')"
                " AND ($5::float8 IS NULL OR d.score < $5::float8"
                " OR (d.score = $5::float8 AND d.prediction_id > $6::bigint))"
                " ORDER BY d.score DESC, d.prediction_id LIMIT $7",
                query.project_id, query.model_name, query.label, ScoreText(query.min_score),
                after_score, after_id, query.limit + 1));
    // The count needs predictions only for the model filter, and never the
    // tasks: joining them for every row is most of its cost.
    PLUMB_ASSIGN_OR_RETURN(
        PgResult total,
        c.Query("SELECT COUNT(*) FROM disagreements d WHERE d.project_id = $1"
                " AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM predictions p"
                " WHERE p.id = d.prediction_id AND p.model_name = $2))"
                " AND ($3::text IS NULL OR jsonb_exists(d.labels::jsonb, $3))"
                " AND d.score >= $4::float8",
                query.project_id, query.model_name, query.label, ScoreText(query.min_score)));
    DisagreementPage page;
    for (int i = 0; i < r.rows() && i < query.limit; ++i) {
      const PgRow row = r.row(i);
      Disagreement d;
      d.prediction_id = row.Int(0);
      d.task_id = row.Int(1);
      d.score = ParseScore(row.View(2)).value_or(0);
      d.controls_json = row.Text(3);
      d.labels_json = row.Text(4);
      d.computed_at_ms = row.Int(5);
      d.model_name = row.Text(6);
      d.model_version = row.Text(7);
      d.state = static_cast<TaskState>(row.Int(8));
      page.items.push_back(std::move(d));
    }
    page.more = r.rows() > query.limit;
    page.total = total.front().Int(0);
    return page;
  });
#undef PLUMB_DISAGREEMENT_FILTER
}

Result<std::vector<StatRow>> PgStore::ReadStats(const StatQuery& query) {
  return Read([&](PgConnection& c) -> Result<std::vector<StatRow>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT user_id, day, metric, n, total FROM stat_counters"
                                   " WHERE project_id = $1 AND day >= $2 AND day < $3"
                                   " ORDER BY day, user_id, metric",
                                   query.project_id, query.from_day, query.to_day));
    return ReadAll<StatRow>(r, [](const PgRow& row) {
      return StatRow{row.Int(0), row.Int(1), row.Text(2), row.Int(3),
                     ParseScore(row.View(4)).value_or(0)};
    });
  });
}

Result<std::vector<AnnotationRef>> PgStore::ListAnnotationRefs(const AnnotationQuery& query) {
  const std::optional<std::string> users =
      query.user_ids.empty() ? std::nullopt : std::optional(BigintArray(query.user_ids));
  return Read([&](PgConnection& c) -> Result<std::vector<AnnotationRef>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT id, task_id, user_id FROM annotations"
                                   " WHERE project_id = $1 AND created_at >= $2 AND created_at < $3"
                                   " AND kind = 0 AND ($4::bigint[] IS NULL OR user_id = ANY ($4))"
                                   " ORDER BY id",
                                   query.project_id, query.from_ms, query.to_ms, users));
    return ReadAll<AnnotationRef>(r, [](const PgRow& row) {
      return AnnotationRef{row.Int(0), row.Int(1), row.Int(2)};
    });
  });
}

Result<std::vector<int64_t>> PgStore::SendToReview(const std::vector<int64_t>& task_ids,
                                                   int64_t now_ms) {
  if (task_ids.empty()) return std::vector<int64_t>();
  const std::string ids = BigintArray(task_ids);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::vector<int64_t>> {
    // Rule 4 in id order; a row another transaction is changing is waited
    // for and checked again as it committed (READ COMMITTED re-reads it).
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("UPDATE tasks t SET state = 3, open_slots = 0, resent = 1"
                                   " FROM (SELECT id FROM tasks WHERE id = ANY ($1::bigint[])"
                                   " AND state = 2 AND golden = 0"
                                   " AND project_id IN (SELECT id FROM projects WHERE deleted = 0)"
                                   " ORDER BY id FOR UPDATE OF tasks) picked"
                                   " WHERE t.id = picked.id RETURNING t.id, t.batch_id",
                                   ids));
    std::set<int64_t> moved;
    std::map<int64_t, int64_t> per_batch;  // batch id -> its tasks moved
    for (int i = 0; i < r.rows(); ++i) {
      moved.insert(r.row(i).Int(0));
      if (!r.row(i).IsNull(1)) ++per_batch[r.row(i).Int(1)];
    }
    // A batch's done counts its tasks in state done: these are no longer.
    // Deciding them again counts them back (TaskDone), and the batch's last
    // one writes batch.completed again, with the labels the review left.
    for (const auto& [batch_id, n] : per_batch) {
      PLUMB_RETURN_IF_ERROR(
          c.Query("UPDATE batches SET done = GREATEST(done - $2, 0) WHERE id = $1", batch_id, n)
              .status());
    }
    std::vector<int64_t> out;
    for (int64_t id : task_ids) {
      if (moved.erase(id) > 0) out.push_back(id);
    }
    return out;
  });
}

}  // namespace plumb::store::postgres
