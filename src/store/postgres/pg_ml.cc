// ML backends, prediction jobs, pre-label uses and the built-in learner's
// models on PostgreSQL (docs/automation.md). Locks, in the order of
// pg_store.cc's rules: creating a backend or job takes the project row FOR
// KEY SHARE (rule 2), so the project cannot go away under it; a job is
// claimed with FOR UPDATE SKIP LOCKED, so servers running at once take
// different jobs. Models travel as hex (the connection binds text only).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/core.h"
#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_store.h"
#include "store/store.h"

namespace plumb::store::postgres {
namespace {

Status BackendNameTaken(const MlBackend& b) {
  return Status::AlreadyExists("the project has a backend named '" + b.name + "'", "name");
}

Status BackendNotFound(int64_t id) {
  return Status::NotFound("ML backend " + std::to_string(id) + " not found");
}

Result<PredictionJob> LoadJob(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r, c.Query("SELECT " PLUMB_JOB_COLS " FROM prediction_jobs j WHERE j.id = $1", id));
  if (r.empty()) return Status::NotFound("prediction job " + std::to_string(id) + " not found");
  return ReadPredictionJob(r.front(), 0);
}

Result<MlBackend> LoadBackend(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT " PLUMB_ML_BACKEND_COLS " FROM ml_backends b WHERE b.id = $1", id));
  if (r.empty()) return BackendNotFound(id);
  return ReadMlBackend(r.front(), 0);
}

}  // namespace

Result<MlBackend> PgStore::CreateMlBackend(const MlBackend& b, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckMlBackend(b));
  auto created = Transact(Mode::kWrite, [&](PgConnection& c) -> Result<MlBackend> {
    PLUMB_RETURN_IF_ERROR(LockSettings(c, b.project_id).status());
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO ml_backends AS b (project_id, name, url, protocol, auth_header,"
                " enabled, on_import, continuous, train, batch_size, concurrency, timeout_ms,"
                " health, last_error, checked_at, model_version, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'unknown', '', NULL,"
                " '', $13) RETURNING " PLUMB_ML_BACKEND_COLS,
                b.project_id, b.name, b.url, b.protocol, b.auth_header, b.enabled, b.on_import,
                b.continuous, b.train, b.batch_size, b.concurrency, b.timeout_ms, now_ms));
    return ReadMlBackend(r.front(), 0);
  });
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists) {
    return BackendNameTaken(b);
  }
  return created;
}

Result<MlBackend> PgStore::GetMlBackend(int64_t id) {
  return Read([&](PgConnection& c) { return LoadBackend(c, id); });
}

Result<std::vector<MlBackend>> PgStore::ListMlBackends(std::optional<int64_t> project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<MlBackend>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_ML_BACKEND_COLS " FROM ml_backends b"
                                   " WHERE $1::bigint IS NULL OR b.project_id = $1 ORDER BY b.id",
                                   project_id));
    return ReadAll<MlBackend>(r, [](const PgRow& row) { return ReadMlBackend(row, 0); });
  });
}

Result<MlBackend> PgStore::UpdateMlBackend(const MlBackend& b) {
  PLUMB_RETURN_IF_ERROR(CheckMlBackend(b));
  auto updated = Transact(Mode::kWrite, [&](PgConnection& c) -> Result<MlBackend> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE ml_backends AS b SET name = $1, url = $2, protocol = $3,"
                " auth_header = $4, enabled = $5, on_import = $6, continuous = $7, train = $8,"
                " batch_size = $9, concurrency = $10, timeout_ms = $11 WHERE b.id = $12"
                " RETURNING " PLUMB_ML_BACKEND_COLS,
                b.name, b.url, b.protocol, b.auth_header, b.enabled, b.on_import, b.continuous,
                b.train, b.batch_size, b.concurrency, b.timeout_ms, b.id));
    if (r.empty()) return BackendNotFound(b.id);
    return ReadMlBackend(r.front(), 0);
  });
  if (!updated.ok() && updated.status().code() == StatusCode::kAlreadyExists) {
    return BackendNameTaken(b);
  }
  return updated;
}

Status PgStore::DeleteMlBackend(int64_t id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("DELETE FROM ml_backends WHERE id = $1", id));
    if (r.affected() == 0) return BackendNotFound(id);
    return Status::Ok();
  });
}

Status PgStore::RecordMlBackendHealth(int64_t id, std::string_view health, std::string_view error,
                                      std::string_view model_version, int64_t at_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE ml_backends SET health = $1, last_error = $2, checked_at = $3,"
                " model_version = CASE WHEN $4 = '' THEN model_version ELSE $4 END"
                " WHERE id = $5",
                health, error, at_ms, model_version, id));
    if (r.affected() == 0) return BackendNotFound(id);
    return Status::Ok();
  });
}

Result<PredictionJob> PgStore::CreatePredictionJob(const PredictionJob& job, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(job.filter_json, "filter"));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<PredictionJob> {
    PLUMB_RETURN_IF_ERROR(LockSettings(c, job.project_id).status());
    PLUMB_ASSIGN_OR_RETURN(
        PgResult b, c.Query("SELECT project_id FROM ml_backends WHERE id = $1 FOR KEY SHARE",
                            job.backend_id));
    if (b.empty() || b.front().Int(0) != job.project_id) {
      return Status::NotFound("ML backend " + std::to_string(job.backend_id) +
                              " is not the project's");
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO prediction_jobs AS j (project_id, backend_id, origin, scope, state,"
                " cursor, total, processed, predicted, failed, last_error, created_by, created_at,"
                " updated_at, finished_at, held_until)"
                " VALUES ($1, $2, $3, $4::jsonb, 0, $5, $6, 0, 0, 0, '', $7, $8, $8, NULL, 0)"
                " RETURNING " PLUMB_JOB_COLS,
                job.project_id, job.backend_id, job.trigger,
                job.filter_json.empty() ? std::string("{}") : job.filter_json, job.cursor,
                job.total, job.created_by, now_ms));
    return ReadPredictionJob(r.front(), 0);
  });
}

Result<PredictionJob> PgStore::GetPredictionJob(int64_t id) {
  return Read([&](PgConnection& c) { return LoadJob(c, id); });
}

Result<std::vector<PredictionJob>> PgStore::ListPredictionJobs(int64_t project_id, int32_t limit) {
  return Read([&](PgConnection& c) -> Result<std::vector<PredictionJob>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_JOB_COLS " FROM prediction_jobs j"
                            " WHERE j.project_id = $1 ORDER BY j.id DESC LIMIT $2",
                            project_id, std::clamp(limit, 1, kMaxPageSize)));
    return ReadAll<PredictionJob>(r, [](const PgRow& row) { return ReadPredictionJob(row, 0); });
  });
}

Result<std::optional<PredictionJob>> PgStore::ClaimPredictionJob(int64_t now_ms, int64_t hold_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::optional<PredictionJob>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE prediction_jobs AS j SET state = 1, held_until = $2, updated_at = $1"
                " WHERE j.id = (SELECT id FROM prediction_jobs WHERE state IN (0, 1)"
                " AND held_until <= $1 ORDER BY held_until, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " RETURNING " PLUMB_JOB_COLS,
                now_ms, now_ms + hold_ms));
    if (r.empty()) return std::optional<PredictionJob>();
    return std::optional<PredictionJob>(ReadPredictionJob(r.front(), 0));
  });
}

Result<bool> PgStore::UpdatePredictionJob(int64_t id, const JobProgress& p, int64_t now_ms) {
  const bool ended = p.state == JobState::kDone || p.state == JobState::kFailed;
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE prediction_jobs SET cursor = $1, processed = $2, predicted = $3,"
                " failed = $4, last_error = $5, state = $6, held_until = $7, updated_at = $8,"
                " finished_at = $9 WHERE id = $10 AND state IN (0, 1)",
                p.cursor, p.processed, p.predicted, p.failed, p.last_error, p.state,
                p.held_until_ms, now_ms, ended ? std::optional<int64_t>(now_ms) : std::nullopt,
                id));
    if (r.affected() > 0) return true;
    PLUMB_RETURN_IF_ERROR(LoadJob(c, id).status());
    return false;
  });
}

Result<PredictionJob> PgStore::CancelPredictionJob(int64_t id, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<PredictionJob> {
    PLUMB_RETURN_IF_ERROR(c.Query("UPDATE prediction_jobs SET state = 4, updated_at = $1,"
                                  " finished_at = $1 WHERE id = $2 AND state IN (0, 1)",
                                  now_ms, id)
                              .status());
    return LoadJob(c, id);
  });
}

Result<std::optional<LearnerModel>> PgStore::GetLearnerModel(int64_t project_id,
                                                             std::string_view control) {
  return Read([&](PgConnection& c) -> Result<std::optional<LearnerModel>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT project_id, control, encode(model, 'hex'), updates, updated_at"
                            " FROM learner_models WHERE project_id = $1 AND control = $2",
                            project_id, control));
    if (r.empty()) return std::optional<LearnerModel>();
    std::optional<std::string> bytes = DecodeHex(r.front().View(2));
    if (!bytes) return Status::Internal("stored learner model is unreadable");
    return std::optional<LearnerModel>(LearnerModel{r.front().Int(0), r.front().Text(1),
                                                    std::move(*bytes), r.front().Int(3),
                                                    r.front().Int(4)});
  });
}

Status PgStore::PutLearnerModel(const LearnerModel& m) {
  const std::string hex = EncodeHex(m.model);
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(LockSettings(c, m.project_id).status());
    return c
        .Query("INSERT INTO learner_models (project_id, control, model, updates, updated_at)"
               " VALUES ($1, $2, decode($3, 'hex'), $4, $5) ON CONFLICT (project_id, control)"
               " DO UPDATE SET model = EXCLUDED.model, updates = EXCLUDED.updates,"
               " updated_at = EXCLUDED.updated_at",
               m.project_id, m.control, hex, m.updates, m.updated_at_ms)
        .status();
  });
}

Status PgStore::SetTaskUncertainty(int64_t project_id, const std::vector<TaskUncertainty>& values) {
  if (values.empty()) return Status::Ok();
  // One statement for the batch, rows in id order (as other multi-row
  // updates of tasks lock them); only ranked tasks, as in SQLite.
  std::vector<TaskUncertainty> sorted = values;
  std::sort(sorted.begin(), sorted.end(), [](const TaskUncertainty& a, const TaskUncertainty& b) {
    return a.task_id < b.task_id;
  });
  std::vector<int64_t> ids;
  std::string us = "{";
  for (const TaskUncertainty& v : sorted) {
    ids.push_back(v.task_id);
    if (us.size() > 1) us += ',';
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", std::isfinite(v.uncertainty) ? v.uncertainty : 1.0);
    us += buf;
  }
  us += '}';
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c
        .Query(
            "UPDATE tasks t SET uncertainty = v.u"
            " FROM unnest($1::bigint[], $2::double precision[]) AS v(id, u)"
            " WHERE t.id = v.id AND t.project_id = $3 AND t.uncertainty IS NOT NULL",
            BigintArray(ids), us, project_id)
        .status();
  });
}

Result<std::optional<SpanPrelabelerRow>> PgStore::GetSpanPrelabeler(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::optional<SpanPrelabelerRow>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT project_id, control, config, version, updated_by, updated_at"
                            " FROM span_prelabelers WHERE project_id = $1",
                            project_id));
    if (r.empty()) return std::optional<SpanPrelabelerRow>();
    const PgRow& row = r.front();
    return std::optional<SpanPrelabelerRow>(SpanPrelabelerRow{row.Int(0), row.Text(1), row.Text(2),
                                                              row.Text(3), row.Int(4), row.Int(5)});
  });
}

Status PgStore::PutSpanPrelabeler(const SpanPrelabelerRow& row) {
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(row.config_json, "config"));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(LockSettings(c, row.project_id).status());
    return c
        .Query(
            "INSERT INTO span_prelabelers (project_id, control, config, version, updated_by,"
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (project_id) DO UPDATE"
            " SET control = EXCLUDED.control, config = EXCLUDED.config,"
            " version = EXCLUDED.version, updated_by = EXCLUDED.updated_by,"
            " updated_at = EXCLUDED.updated_at",
            row.project_id, row.control, row.config_json, row.version, row.updated_by,
            row.updated_at_ms)
        .status();
  });
}

Status PgStore::DeleteSpanPrelabeler(int64_t project_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c.Query("DELETE FROM span_prelabelers WHERE project_id = $1", project_id).status();
  });
}

Status QueueTrainIfDone(PgConnection& c, int64_t task_id, int64_t now_ms) {
  return c
      .Query("INSERT INTO train_queue (project_id, task_id, queued_at)"
             " SELECT project_id, id, $1 FROM tasks WHERE id = $2 AND state = $3"
             " ON CONFLICT DO NOTHING",
             now_ms, task_id, TaskState::kDone)
      .status();
}

Status PgStore::QueueTrain(int64_t project_id, int64_t task_id, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c
        .Query("INSERT INTO train_queue (project_id, task_id, queued_at)"
               " SELECT project_id, id, $1 FROM tasks WHERE id = $2 AND project_id = $3"
               " ON CONFLICT DO NOTHING",
               now_ms, task_id, project_id)
        .status();
  });
}

Result<std::vector<TrainQueueItem>> PgStore::PendingTrains(int64_t queued_before_ms,
                                                           int32_t limit) {
  return Read([&](PgConnection& c) -> Result<std::vector<TrainQueueItem>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT project_id, task_id FROM train_queue"
                                   " WHERE queued_at < $1 ORDER BY queued_at, task_id LIMIT $2",
                                   queued_before_ms, static_cast<int64_t>(limit)));
    return ReadAll<TrainQueueItem>(
        r, [](const PgRow& row) { return TrainQueueItem{row.Int(0), row.Int(1)}; });
  });
}

Status PgStore::DeleteTrain(int64_t project_id, int64_t task_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c.Query("DELETE FROM train_queue WHERE project_id = $1 AND task_id = $2", project_id,
                   task_id)
        .status();
  });
}

Status RecordPrelabelUse(PgConnection& c, int64_t project_id, const NewRevision& rev,
                         int64_t revision_id, StatBatch& counters, int64_t now_ms) {
  if (!rev.track_prelabel) return Status::Ok();
  for (const StatDelta& d : PrelabelStats(rev)) counters.Add(d.user_id, d.metric, d.count, d.sum);
  if (!rev.prelabel) return Status::Ok();
  return c
      .Query("INSERT INTO prelabel_uses (revision_id, project_id, task_id, prediction_id,"
             " model_name, model_version, outcome, created_at)"
             " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
             revision_id, project_id, rev.task_id, rev.prelabel->prediction_id,
             rev.prelabel->model_name, rev.prelabel->model_version, rev.prelabel->outcome, now_ms)
      .status();
}

}  // namespace plumb::store::postgres
