#include "store/sqlite/ml_sql.h"

#include <algorithm>
#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/sqlite/analytics_sql.h"
#include "store/sqlite/queries.h"

namespace plumb::store::sqlite {
namespace {

Status BackendNameTaken(const MlBackend& b) {
  return Status::AlreadyExists("the project has a backend named '" + b.name + "'", "name");
}

Status JobNotFound(int64_t id) {
  return Status::NotFound("prediction job " + std::to_string(id) + " not found");
}

}  // namespace

Result<MlBackend> CreateMlBackend(Connection& c, const MlBackend& b, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckMlBackend(b));
  PLUMB_RETURN_IF_ERROR(LoadProject(c, b.project_id).status());
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO ml_backends (project_id, name, url, protocol, auth_header, enabled,"
                " on_import, continuous, train, batch_size, concurrency, timeout_ms, health,"
                " last_error, checked_at, model_version, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'unknown', '', NULL, '', ?)"
                " RETURNING id"));
  s.BindAll(b.project_id, b.name, b.url, b.protocol, b.auth_header, b.enabled ? 1 : 0,
            b.on_import ? 1 : 0, b.continuous ? 1 : 0, b.train ? 1 : 0, b.batch_size,
            b.concurrency, b.timeout_ms, now_ms);
  auto row = s.Step();
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kAlreadyExists) return BackendNameTaken(b);
    return row.status();
  }
  const int64_t id = s.Int(0);
  s.Reset();
  return GetMlBackend(c, id);
}

Result<MlBackend> GetMlBackend(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT " PLUMB_ML_BACKEND_COLS " FROM ml_backends b WHERE b.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto found, QueryOptional(s, [](const Statement& r) {
                           return ReadMlBackend(r, 0);
                         }));
  if (!found) return Status::NotFound("ML backend " + std::to_string(id) + " not found");
  return std::move(*found);
}

Result<std::vector<MlBackend>> ListMlBackends(Connection& c, std::optional<int64_t> project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_ML_BACKEND_COLS " FROM ml_backends b"
                                   " WHERE ?1 IS NULL OR b.project_id = ?1 ORDER BY b.id"));
  s.Bind(project_id);
  std::vector<MlBackend> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadMlBackend(s, 0));
  }
}

Result<MlBackend> UpdateMlBackend(Connection& c, const MlBackend& b) {
  PLUMB_RETURN_IF_ERROR(CheckMlBackend(b));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE ml_backends SET name = ?, url = ?, protocol = ?, auth_header = ?,"
                " enabled = ?, on_import = ?, continuous = ?, train = ?, batch_size = ?,"
                " concurrency = ?, timeout_ms = ? WHERE id = ? RETURNING id"));
  s.BindAll(b.name, b.url, b.protocol, b.auth_header, b.enabled ? 1 : 0, b.on_import ? 1 : 0,
            b.continuous ? 1 : 0, b.train ? 1 : 0, b.batch_size, b.concurrency, b.timeout_ms,
            b.id);
  auto row = s.Step();
  if (!row.ok()) {
    if (row.status().code() == StatusCode::kAlreadyExists) return BackendNameTaken(b);
    return row.status();
  }
  if (!*row) return Status::NotFound("ML backend " + std::to_string(b.id) + " not found");
  s.Reset();
  return GetMlBackend(c, b.id);
}

Status DeleteMlBackend(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("DELETE FROM ml_backends WHERE id = ? RETURNING id"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  s.Reset();
  if (!row) return Status::NotFound("ML backend " + std::to_string(id) + " not found");
  return Status::Ok();
}

Status RecordMlBackendHealth(Connection& c, int64_t id, std::string_view health,
                             std::string_view error, std::string_view model_version,
                             int64_t at_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE ml_backends SET health = ?1, last_error = ?2, checked_at = ?3,"
                " model_version = CASE WHEN ?4 = '' THEN model_version ELSE ?4 END"
                " WHERE id = ?5 RETURNING id"));
  s.BindAll(health, error, at_ms, model_version, id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  s.Reset();
  if (!row) return Status::NotFound("ML backend " + std::to_string(id) + " not found");
  return Status::Ok();
}

Result<PredictionJob> CreatePredictionJob(Connection& c, const PredictionJob& job, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(MlBackend backend, GetMlBackend(c, job.backend_id));
  if (backend.project_id != job.project_id) {
    return Status::NotFound("ML backend " + std::to_string(job.backend_id) +
                            " is not the project's");
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO prediction_jobs (project_id, backend_id, origin, scope, state, cursor,"
                " total, processed, predicted, failed, last_error, created_by, created_at,"
                " updated_at, finished_at, held_until)"
                " VALUES (?, ?, ?, ?, 0, ?, ?, 0, 0, 0, '', ?, ?, ?, NULL, 0) RETURNING id"));
  s.BindAll(job.project_id, job.backend_id, job.trigger,
            job.filter_json.empty() ? std::string("{}") : job.filter_json, job.cursor, job.total,
            job.created_by, now_ms, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("job insert returned no id");
  const int64_t id = s.Int(0);
  s.Reset();
  return GetPredictionJob(c, id);
}

Result<PredictionJob> GetPredictionJob(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT " PLUMB_JOB_COLS " FROM prediction_jobs j WHERE j.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto found, QueryOptional(s, [](const Statement& r) {
                           return ReadPredictionJob(r, 0);
                         }));
  if (!found) return JobNotFound(id);
  return std::move(*found);
}

Result<std::vector<PredictionJob>> ListPredictionJobs(Connection& c, int64_t project_id,
                                                      int32_t limit) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_JOB_COLS " FROM prediction_jobs j"
                                                " WHERE j.project_id = ? ORDER BY j.id DESC LIMIT ?"));
  s.BindAll(project_id, std::clamp(limit, 1, kMaxPageSize));
  std::vector<PredictionJob> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadPredictionJob(s, 0));
  }
}

Result<std::optional<PredictionJob>> ClaimPredictionJob(Connection& c, int64_t now_ms,
                                                        int64_t hold_ms) {
  // One writer runs at a time, so the pick and the hold cannot interleave.
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE prediction_jobs SET state = 1, held_until = ?2, updated_at = ?1"
                " WHERE id = (SELECT id FROM prediction_jobs WHERE state IN (0, 1)"
                " AND held_until <= ?1 ORDER BY held_until, id LIMIT 1) RETURNING id"));
  s.BindAll(now_ms, now_ms + hold_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<PredictionJob>();
  const int64_t id = s.Int(0);
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(PredictionJob job, GetPredictionJob(c, id));
  return std::optional<PredictionJob>(std::move(job));
}

Result<bool> UpdatePredictionJob(Connection& c, int64_t id, const JobProgress& p, int64_t now_ms) {
  const bool ended = p.state == JobState::kDone || p.state == JobState::kFailed;
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE prediction_jobs SET cursor = ?, processed = ?, predicted = ?, failed = ?,"
                " last_error = ?, state = ?, held_until = ?, updated_at = ?, finished_at = ?"
                " WHERE id = ? AND state IN (0, 1) RETURNING id"));
  s.BindAll(p.cursor, p.processed, p.predicted, p.failed, p.last_error, p.state, p.held_until_ms,
            now_ms, ended ? std::optional<int64_t>(now_ms) : std::nullopt, id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  s.Reset();
  if (row) return true;
  PLUMB_RETURN_IF_ERROR(GetPredictionJob(c, id).status());
  return false;
}

Result<PredictionJob> CancelPredictionJob(Connection& c, int64_t id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE prediction_jobs SET state = 4, updated_at = ?1, finished_at = ?1"
                " WHERE id = ?2 AND state IN (0, 1)"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(now_ms, id).Run());
  s.Reset();
  return GetPredictionJob(c, id);
}

Result<std::optional<LearnerModel>> GetLearnerModel(Connection& c, int64_t project_id,
                                                    std::string_view control) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT project_id, control, model, updates, updated_at"
                                   " FROM learner_models WHERE project_id = ? AND control = ?"));
  s.BindAll(project_id, control);
  return QueryOptional(s, [](const Statement& r) {
    return LearnerModel{r.Int(0), r.Text(1), r.Blob(2), r.Int(3), r.Int(4)};
  });
}

Status PutLearnerModel(Connection& c, const LearnerModel& m) {
  PLUMB_RETURN_IF_ERROR(LoadProject(c, m.project_id).status());
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO learner_models (project_id, control, model, updates, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (project_id, control) DO UPDATE SET"
                " model = excluded.model, updates = excluded.updates,"
                " updated_at = excluded.updated_at"));
  s.BindAll(m.project_id, m.control);
  s.BindBlob(m.model);
  return s.BindAll(m.updates, m.updated_at_ms).Run();
}

Status SetTaskUncertainty(Connection& c, int64_t project_id,
                          const std::vector<TaskUncertainty>& values) {
  // "uncertainty IS NOT NULL": only ranked tasks, so a late job cannot put
  // the tasks of a project back in order "import" into the partial index.
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE tasks SET uncertainty = ? WHERE id = ?"
                                                " AND project_id = ? AND uncertainty IS NOT NULL"));
  for (const TaskUncertainty& v : values) {
    PLUMB_RETURN_IF_ERROR(s.BindAll(v.uncertainty, v.task_id, project_id).Run());
    s.Reset();
  }
  return Status::Ok();
}

Result<std::optional<SpanPrelabelerRow>> GetSpanPrelabeler(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT project_id, control, config, version, updated_by,"
                                   " updated_at FROM span_prelabelers WHERE project_id = ?"));
  s.Bind(project_id);
  return QueryOptional(s, [](const Statement& r) {
    return SpanPrelabelerRow{r.Int(0), r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.Int(5)};
  });
}

Status PutSpanPrelabeler(Connection& c, const SpanPrelabelerRow& row) {
  PLUMB_RETURN_IF_ERROR(LoadProject(c, row.project_id).status());
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO span_prelabelers (project_id, control, config, version, updated_by,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET"
                " control = excluded.control, config = excluded.config,"
                " version = excluded.version, updated_by = excluded.updated_by,"
                " updated_at = excluded.updated_at"));
  return s
      .BindAll(row.project_id, row.control, row.config_json, row.version, row.updated_by,
               row.updated_at_ms)
      .Run();
}

Status DeleteSpanPrelabeler(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("DELETE FROM span_prelabelers WHERE project_id = ?"));
  return s.BindAll(project_id).Run();
}

Status QueueTrain(Connection& c, int64_t project_id, int64_t task_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("INSERT INTO train_queue (project_id, task_id, queued_at)"
                                   " SELECT project_id, id, ? FROM tasks"
                                   " WHERE id = ? AND project_id = ? ON CONFLICT DO NOTHING"));
  return s.BindAll(now_ms, task_id, project_id).Run();
}

Status QueueTrainIfDone(Connection& c, int64_t task_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("INSERT INTO train_queue (project_id, task_id, queued_at)"
                                   " SELECT project_id, id, ? FROM tasks"
                                   " WHERE id = ? AND state = ? ON CONFLICT DO NOTHING"));
  return s.BindAll(now_ms, task_id, TaskState::kDone).Run();
}

Result<std::vector<TrainQueueItem>> PendingTrains(Connection& c, int64_t queued_before_ms,
                                                  int32_t limit) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT project_id, task_id FROM train_queue WHERE queued_at < ?"
                                   " ORDER BY queued_at, task_id LIMIT ?"));
  s.BindAll(queued_before_ms, limit);
  return ReadAll<TrainQueueItem>(
      s, [](const Statement& r) { return TrainQueueItem{r.Int(0), r.Int(1)}; });
}

Status DeleteTrain(Connection& c, int64_t project_id, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("DELETE FROM train_queue WHERE project_id = ? AND task_id = ?"));
  return s.BindAll(project_id, task_id).Run();
}

Status RecordPrelabelUse(Connection& c, int64_t project_id, const NewRevision& rev,
                         int64_t revision_id, int64_t now_ms) {
  if (!rev.track_prelabel) return Status::Ok();
  if (rev.prelabel) {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO prelabel_uses (revision_id, project_id, task_id, prediction_id,"
                  " model_name, model_version, outcome, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(revision_id, project_id, rev.task_id,
                                    rev.prelabel->prediction_id, rev.prelabel->model_name,
                                    rev.prelabel->model_version, rev.prelabel->outcome, now_ms)
                              .Run());
  }
  return AddStats(c, project_id, PrelabelStats(rev), now_ms);
}

}  // namespace plumb::store::sqlite
