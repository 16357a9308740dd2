#include "store/sqlite/analytics_sql.h"

#include <string>

#include <sqlite3.h>

#include "core/stats.h"
#include "store/backend_common.h"
#include "store/sqlite/queries.h"

namespace plumb::store::sqlite {

Status AddStat(Connection& c, int64_t project_id, int64_t user_id, std::string_view metric,
               int64_t count, double sum, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO stat_counters (project_id, user_id, day, metric, n, total)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, day, user_id, metric)"
                " DO UPDATE SET n = n + excluded.n, total = total + excluded.total"));
  return s.BindAll(project_id, user_id, stats::DayOf(now_ms), metric, count, ScoreText(sum))
      .Run();
}

Status AddStats(Connection& c, int64_t project_id, const std::vector<StatDelta>& deltas,
                int64_t now_ms) {
  for (const StatDelta& d : deltas) {
    PLUMB_RETURN_IF_ERROR(AddStat(c, project_id, d.user_id, d.metric, d.count, d.sum, now_ms));
  }
  return Status::Ok();
}

Status CountRevision(Connection& c, int64_t project_id, const NewRevision& rev, bool first,
                     int64_t now_ms) {
  const auto lead = static_cast<double>(rev.lead_time_ms);
  if (!first) return AddStat(c, project_id, rev.user_id, stats::kRevisions, 1, lead, now_ms);
  PLUMB_RETURN_IF_ERROR(AddStat(c, project_id, rev.user_id, stats::kLabels, 1, lead, now_ms));
  // The revision just inserted took the same version, in this transaction.
  PLUMB_ASSIGN_OR_RETURN(int64_t version,
                         QueryInt(c,
                                  "SELECT COALESCE(MAX(version), 0) FROM instructions_versions"
                                  " WHERE project_id = ?",
                                  project_id));
  PLUMB_RETURN_IF_ERROR(AddStat(c, project_id, rev.user_id, stats::ByVersion(stats::kLabels, version),
                                1, lead, now_ms));
  return AddStat(c, project_id, rev.user_id,
                 stats::kLeadPrefix + std::to_string(stats::DurationBucket(rev.lead_time_ms)), 1,
                 0, now_ms);
}

Status CountDone(Connection& c, const Task& task, int64_t now_ms) {
  const int64_t turnaround = now_ms > task.created_at_ms ? now_ms - task.created_at_ms : 0;
  PLUMB_RETURN_IF_ERROR(AddStat(c, task.project_id, 0, stats::kDone, 1,
                                static_cast<double>(turnaround), now_ms));
  return AddStat(c, task.project_id, 0,
                 stats::kTurnPrefix + std::to_string(stats::DurationBucket(turnaround)), 1, 0,
                 now_ms);
}

Status UpsertDisagreements(Connection& c, const std::vector<Disagreement>& items,
                           std::optional<int64_t> now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO disagreements (prediction_id, project_id, task_id, score, controls,"
                " labels, computed_at) SELECT id, project_id, task_id, ?2, ?3, ?4, ?5"
                " FROM predictions WHERE id = ?1"
                " ON CONFLICT (prediction_id) DO UPDATE SET score = excluded.score,"
                " controls = excluded.controls, labels = excluded.labels,"
                " computed_at = excluded.computed_at"));
  for (size_t i = 0; i < items.size(); ++i) {
    const Disagreement& d = items[i];
    s.BindAll(d.prediction_id, ScoreText(d.score), d.controls_json, d.labels_json,
              now_ms.value_or(d.computed_at_ms));
    PLUMB_RETURN_IF_ERROR(s.Run());
    s.Reset();
    if (sqlite3_changes(c.handle()) == 0) {
      return Status::NotFound("prediction " + std::to_string(d.prediction_id) + " not found",
                              "[" + std::to_string(i) + "].prediction_id");
    }
  }
  return Status::Ok();
}

Result<std::vector<Prediction>> AddPredictions(Connection& c, int64_t project_id,
                                               const std::vector<TaskPrediction>& items,
                                               int64_t now_ms) {
  std::vector<Prediction> out;
  out.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string at = "[" + std::to_string(i) + "]";
    const NewPrediction& p = items[i].prediction;
    if (Status st = CheckPrediction(p); !st.ok()) {
      return Status::InvalidArgument(st.message(), at + "." + st.field());
    }
    if (items[i].once) {
      // The writer is held, so nothing comes between this look and the insert.
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM predictions WHERE task_id = ?"
                                                    " AND model_name = ? AND model_version = ?"));
      s.BindAll(items[i].task_id, p.model_name, p.model_version);
      PLUMB_ASSIGN_OR_RETURN(bool exists, s.Step());
      if (exists) continue;
    }
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO predictions (project_id, task_id, model_name, model_version, score,"
                  " result_json, media, created_at)"
                  " SELECT project_id, id, ?, ?, ?, ?, ?, ? FROM tasks WHERE id = ? AND"
                  " project_id = ? RETURNING id"));
    s.BindAll(p.model_name, p.model_version, ScoreText(p.score), p.result_json,
              UnlessEmpty(p.media_json), now_ms, items[i].task_id, project_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return Status::NotFound("task " + std::to_string(items[i].task_id) +
                                  " is not a task of project " + std::to_string(project_id),
                              at + ".task_id");
    }
    out.push_back(Prediction{s.Int(0), items[i].task_id, p.model_name, p.model_version, p.score,
                             p.result_json, p.media_json, now_ms});
  }
  return out;
}

Result<DisagreementPage> ListDisagreements(Connection& c, const DisagreementQuery& q) {
  // A label matches a whole element of the labels list (a substring of its
  // JSON text would also match inside other labels and miss escaped ones).
  const std::string filters =
      " FROM disagreements d JOIN predictions p ON p.id = d.prediction_id"
      " JOIN tasks t ON t.id = d.task_id"
      " WHERE d.project_id = ?1 AND d.score >= ?2 AND (?3 IS NULL OR p.model_name = ?3)"
      " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(d.labels) WHERE value = ?4))";
  auto bind = [&](Statement& s) {
    s.BindAll(q.project_id, ScoreText(q.min_score), q.model_name, q.label);
  };
  if (q.limit < 1 || q.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be 1 to 1000", "limit");
  }
  DisagreementPage page;
  {
    // The count needs predictions only for the model filter, and never the
    // tasks: joining them for every row is most of its cost.
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT count(*) FROM disagreements d WHERE d.project_id = ?1"
                  " AND d.score >= ?2 AND (?3 IS NULL OR EXISTS (SELECT 1 FROM predictions p"
                  " WHERE p.id = d.prediction_id AND p.model_name = ?3))"
                  " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(d.labels) WHERE value = ?4))"));
    bind(s);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    page.total = row ? s.Int(0) : 0;
  }
  const int32_t limit = q.limit;
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT d.prediction_id, d.task_id, d.score, d.controls, d.labels, d.computed_at,"
                " p.model_name, p.model_version, t.state" +
                filters +
                " AND (?5 IS NULL OR d.score < ?5 OR (d.score = ?5 AND d.prediction_id > ?6))"
                " ORDER BY d.score DESC, d.prediction_id LIMIT ?7"));
  bind(s);
  s.BindAll(q.after ? ScoreText(q.after->first) : std::nullopt, q.after ? q.after->second : 0,
            limit + 1);
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    if (static_cast<int32_t>(page.items.size()) == limit) {
      page.more = true;
      break;
    }
    Disagreement d;
    d.prediction_id = s.Int(0);
    d.task_id = s.Int(1);
    d.score = ParseScore(s.Text(2)).value_or(0);
    d.controls_json = s.Text(3);
    d.labels_json = s.Text(4);
    d.computed_at_ms = s.Int(5);
    d.model_name = s.Text(6);
    d.model_version = s.Text(7);
    d.state = static_cast<TaskState>(s.Int(8));
    page.items.push_back(std::move(d));
  }
  return page;
}

Result<std::vector<StatRow>> ReadStats(Connection& c, const StatQuery& q) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT user_id, day, metric, n, total FROM stat_counters"
                                   " WHERE project_id = ? AND day >= ? AND day < ?"
                                   " ORDER BY day, user_id, metric"));
  s.BindAll(q.project_id, q.from_day, q.to_day);
  std::vector<StatRow> rows;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    rows.push_back(StatRow{s.Int(0), s.Int(1), s.Text(2), s.Int(3), s.Double(4)});
  }
  return rows;
}

Result<std::vector<AnnotationRef>> ListAnnotationRefs(Connection& c, const AnnotationQuery& q) {
  std::string users;
  for (int64_t id : q.user_ids) users += (users.empty() ? "" : ",") + std::to_string(id);
  // The user ids are integers formatted here, never caller text.
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT id, task_id, user_id FROM annotations"
                " WHERE project_id = ? AND created_at >= ? AND created_at < ? AND kind = 0" +
                (users.empty() ? std::string() : " AND user_id IN (" + users + ")") +
                " ORDER BY id"));
  s.BindAll(q.project_id, q.from_ms, q.to_ms);
  std::vector<AnnotationRef> refs;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    refs.push_back(AnnotationRef{s.Int(0), s.Int(1), s.Int(2)});
  }
  return refs;
}

Result<std::vector<int64_t>> SendToReview(Connection& c, const std::vector<int64_t>& task_ids) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("UPDATE tasks SET state = 3, open_slots = 0, resent = 1"
                             " WHERE id = ? AND state = 2 AND golden = 0 RETURNING id, batch_id"));
  // A batch's done counts its tasks in state done: these are no longer;
  // deciding them again counts them back.
  PLUMB_ASSIGN_OR_RETURN(Statement batch,
                         c.Prepare("UPDATE batches SET done = max(done - 1, 0), completed_at = NULL"
                                   " WHERE id = ?"));
  std::vector<int64_t> moved;
  for (int64_t id : task_ids) {
    s.Bind(id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    std::optional<int64_t> batch_id = row ? s.OptionalInt(1) : std::nullopt;
    s.Reset();
    if (!row) continue;
    moved.push_back(id);
    if (batch_id) {
      PLUMB_RETURN_IF_ERROR(batch.Bind(*batch_id).Run());
      batch.Reset();
    }
  }
  return moved;
}

}  // namespace plumb::store::sqlite
