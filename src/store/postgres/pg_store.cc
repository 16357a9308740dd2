// The PostgreSQL backend of store::Store, for several `plumb serve` processes
// on one database.
//
// Every call borrows a pooled connection for its duration and runs in its own
// READ COMMITTED transaction (reads of one statement run without one).
// Correctness across servers comes from locks, taken in one order so that
// transactions wait rather than deadlock:
//
//   1. pg_advisory_xact_lock(project, user): one user's claims (of tasks,
//      golden tasks and reviews), submits, skips and review decisions in a
//      project run one at a time, on whatever server. A claim then sees all
//      of that user's annotations, skips and leases, so nobody holds two
//      leases or gets a task twice.
//   2. the project row: FOR KEY SHARE by claims, submits, skips and imports,
//      which compute open slots from the overlap; FOR UPDATE by UpdateProject
//      and DeleteProject. The overlap cannot change under a running claim.
//   3. lease rows (and review leases): FOR UPDATE by submit, skip and a
//      review decision; expired leases are
//      released by `UPDATE ... WHERE active = 1 RETURNING`, which a second
//      server running it at once re-checks after the first commits, so each
//      lease is released (and its slot given back) exactly once.
//   4. task rows: a claim picks its task with FOR UPDATE SKIP LOCKED, so
//      concurrent claims take different tasks instead of queueing on the head
//      of the queue (and waits for locked ones only when that finds nothing);
//      task counters change only under the row lock, so no update of
//      annotation_count/lease_count/open_slots is lost, and a completion
//      (pg_workflow.cc) runs once.
//   5. batch rows, by the completion of one of their tasks.
//
// Deadlocks and serialization failures (which these rules should prevent)
// and a connection lost before COMMIT roll the transaction back; the call is
// then run again on a fresh connection.

#include "store/postgres/pg_store.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/core.h"
#include "core/stats.h"
#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/postgres/pg_migrations.h"
#include "store/store.h"

// A project's tasks in id order from after_id ($2), at most $3 of them: each
// arm reads one tasks_by_state range in id order and stops at the limit, so a
// page costs at most five short index ranges whatever the project's size.
// There is one arm per TaskState value.
#define PLUMB_TASKS_OF_STATE(state) \
  "(SELECT " PLUMB_TASK_COLS        \
  " FROM tasks t"                   \
  " WHERE t.project_id = $1 AND t.state = " state " AND t.id > $2 ORDER BY t.id LIMIT $3)"
#define PLUMB_TASKS_IN_ID_ORDER \
  "SELECT * FROM (" PLUMB_TASKS_OF_STATE("0") " UNION ALL " PLUMB_TASKS_OF_STATE("1")       \
  " UNION ALL " PLUMB_TASKS_OF_STATE("2") " UNION ALL " PLUMB_TASKS_OF_STATE("3")           \
  " UNION ALL " PLUMB_TASKS_OF_STATE("4") ") page ORDER BY id LIMIT $3"

// The tasks of project $1 that user $2 may still be handed: a free slot (so
// not golden, done or sent back), not annotated or skipped by them, and, in a
// batch routed to workforces, one of theirs. The literal open_slots > 0 lets
// the planner use the partial index tasks_queue.
#define PLUMB_QUEUE_TASKS                                                                   \
  " FROM tasks t WHERE t.project_id = $1 AND t.open_slots > 0 AND t.golden = 0"             \
  " AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.user_id = $2)" \
  " AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.task_id = t.id AND k.user_id = $2)"       \
  " AND (t.routed = 0 OR EXISTS (SELECT 1 FROM batch_workforces bw"                         \
  " JOIN workforce_members wm ON wm.workforce_id = bw.workforce_id"                         \
  " WHERE bw.batch_id = t.batch_id AND wm.user_id = $2))"

// The queue's order; matches tasks_queue.
#define PLUMB_QUEUE_ORDER " ORDER BY t.priority DESC, t.deadline ASC NULLS LAST, t.id"

// Takes a slot of the first such task in queue order. `lock` is the row lock clause.
#define PLUMB_CLAIM_TASK(lock)                                                         \
  "WITH pick AS (SELECT t.id" PLUMB_QUEUE_TASKS PLUMB_QUEUE_ORDER " LIMIT 1 " lock     \
  ")"                                                                                  \
  " UPDATE tasks t SET lease_count = t.lease_count + 1, open_slots = t.open_slots - 1" \
  " FROM pick WHERE t.id = pick.id RETURNING " PLUMB_TASK_COLS

// Whether any such task is left (a fresh snapshot, no locks).
#define PLUMB_ANY_TASK_LEFT "SELECT EXISTS (SELECT 1" PLUMB_QUEUE_TASKS ")"

// The queue order "uncertainty" (settings.queue_order): the ranked tasks
// only (uncertainty IS NOT NULL lets the planner use the partial index
// tasks_queue_uncertain), least certain first after priority and deadline.
// The import order's statements above stay as they are.
#define PLUMB_UNCERTAIN_TASKS PLUMB_QUEUE_TASKS " AND t.uncertainty IS NOT NULL"
#define PLUMB_UNCERTAIN_ORDER \
  " ORDER BY t.priority DESC, t.deadline ASC NULLS LAST, t.uncertainty DESC, t.id"
#define PLUMB_CLAIM_UNCERTAIN_TASK(lock)                                                   \
  "WITH pick AS (SELECT t.id" PLUMB_UNCERTAIN_TASKS PLUMB_UNCERTAIN_ORDER " LIMIT 1 " lock \
  ")"                                                                                      \
  " UPDATE tasks t SET lease_count = t.lease_count + 1, open_slots = t.open_slots - 1"     \
  " FROM pick WHERE t.id = pick.id RETURNING " PLUMB_TASK_COLS
#define PLUMB_ANY_UNCERTAIN_TASK_LEFT "SELECT EXISTS (SELECT 1" PLUMB_UNCERTAIN_TASKS ")"

// A task's open slots for overlap `overlap` with `annotations` counting
// annotations and `leases` counted live leases (SQL expressions): none unless
// it is new or annotating, not golden and not waiting for rework.
#define PLUMB_OPEN_SLOTS(overlap, annotations, leases)                                     \
  "CASE WHEN state IN (0, 1) AND golden = 0 AND rejected_count = 0 THEN GREATEST(" overlap \
  " - " annotations " - " leases ", 0) ELSE 0 END"

namespace plumb::store {
namespace postgres {

// jsonb has no \u0000 (PostgreSQL text cannot hold NUL), and would refuse
// such JSON with an error naming nothing; refuse it up front, naming the
// field, so that an import reports it at the task rather than at COMMIT.
Status CheckJsonbStorable(std::string_view json, const char* field) {
  // Escapes are read left to right, so "\\u0000" (a backslash, then text) is fine.
  for (size_t i = json.find('\\'); i != std::string_view::npos; i = json.find('\\', i + 2)) {
    if (json.substr(i + 1, 5) == "u0000") {
      return Status::InvalidArgument(
          std::string(field) + " contains \\u0000, which PostgreSQL cannot store", field);
    }
  }
  if (json.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(std::string(field) + " contains a NUL byte", field);
  }
  return Status::Ok();
}

// Advisory lock keys are 32-bit pairs; ids that collide modulo 2^32 only
// share a lock, which serializes a little more and is still correct.
int32_t LockKey(int64_t id) { return static_cast<int32_t>(static_cast<uint32_t>(id)); }

// A bigint[] literal, {1,2,3}, to bind as one parameter.
std::string BigintArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (int64_t id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  out += '}';
  return out;
}

// Rule 1 of the header.
Status LockUserInProject(PgConnection& c, int64_t project_id, int64_t user_id) {
  return c
      .Query("SELECT pg_advisory_xact_lock($1::integer, $2::integer)", LockKey(project_id),
             LockKey(user_id))
      .status();
}

// The project's settings, with rule 2's KEY SHARE lock on its row.
Result<ProjectSettings> LockSettings(PgConnection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT settings_json FROM projects"
                                             " WHERE id = $1 AND deleted = 0 FOR KEY SHARE",
                                             project_id));
  if (r.empty()) return Status::NotFound("project " + std::to_string(project_id) + " not found");
  return ParseStoredSettings(project_id, r.front().View(0));
}

Result<Project> LoadProject(PgConnection& c, int64_t id, bool for_update) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query(for_update ? "SELECT " PLUMB_PROJECT_COLS
                           " FROM projects p WHERE p.id = $1 AND p.deleted = 0 FOR UPDATE"
                         : "SELECT " PLUMB_PROJECT_COLS
                           " FROM projects p WHERE p.id = $1 AND p.deleted = 0",
              id));
  if (r.empty()) return Status::NotFound("project " + std::to_string(id) + " not found");
  return ReadProject(r.front(), 0);
}

Result<Revision> LoadRevision(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_REVISION_COLS
                                             " FROM revisions r JOIN users u ON u.id = r.user_id"
                                             " WHERE r.id = $1",
                                             id));
  if (r.empty()) return Status::NotFound("revision " + std::to_string(id) + " not found");
  return ReadRevision(r.front(), 0);
}

// Gives the slot of one released counted lease back to its task; `overlap`
// is the project's current one (see rule 2).
Status ReturnLeaseSlot(PgConnection& c, int64_t task_id, int32_t overlap) {
  return c
      .Query("UPDATE tasks SET lease_count = lease_count - 1, open_slots = " PLUMB_OPEN_SLOTS(
                 "$2", "annotation_count", "(lease_count - 1)") " WHERE id = $1",
             task_id, overlap)
      .status();
}

// Marks the project's expired leases released and gives the slots of the
// counted ones back, in one statement (rule 3).
Status ReleaseExpiredLeases(PgConnection& c, int64_t project_id, int32_t overlap, int64_t now_ms) {
  return c
      .Query(
          "WITH released AS (UPDATE leases SET active = 0"
          " WHERE project_id = $1 AND active = 1 AND expires_at <= $2 RETURNING task_id, counted),"
          " per_task AS (SELECT task_id, COUNT(*)::integer AS n FROM released"
          " WHERE counted = 1 GROUP BY task_id)"
          " UPDATE tasks t SET lease_count = t.lease_count - p.n, open_slots = " PLUMB_OPEN_SLOTS(
              "$3", "t.annotation_count", "(t.lease_count - p.n)") " FROM per_task p"
                                                                   " WHERE t.id = p.task_id",
          project_id, now_ms, overlap)
      .status();
}

// Lease `lease_id` locked for the caller's change, if it exists.
// Whether it holds a slot: see leases.counted.
Result<std::optional<StoredLease>> LockLease(PgConnection& c, int64_t lease_id,
                                             bool* counted = nullptr) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r,
                         c.Query("SELECT task_id, user_id, project_id, expires_at, active, counted"
                                 " FROM leases WHERE id = $1 FOR UPDATE",
                                 lease_id));
  if (r.empty()) return std::optional<StoredLease>();
  const PgRow row = r.front();
  if (counted != nullptr) *counted = row.Int(5) != 0;
  return std::optional(
      StoredLease{row.Int(0), row.Int(1), row.Int(2), row.Int(3), row.Int(4) != 0});
}

Result<int64_t> InsertRevision(PgConnection& c, const NewRevision& rev, int64_t annotation_id,
                               int32_t number, std::optional<int64_t> parent_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("WITH r AS (INSERT INTO revisions (annotation_id, task_id, user_id, revision,"
              " result, media, lead_time_ms, source, parent_id, idempotency_key, created_at,"
              " instructions_version)"
              " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
              " (SELECT COALESCE(MAX(i.version), 0) FROM instructions_versions i"
              " WHERE i.project_id = (SELECT project_id FROM tasks WHERE id = $2)))"
              " RETURNING id)"
              " UPDATE annotations a SET current_revision_id = r.id FROM r"
              " WHERE a.id = $1 RETURNING r.id",
              annotation_id, rev.task_id, rev.user_id, number, rev.result_json,
              UnlessEmpty(rev.media_json), rev.lead_time_ms, rev.source, parent_id,
              UnlessEmpty(rev.idempotency_key), now_ms));
  if (r.empty()) return Status::Internal("revision insert returned no id");
  return r.front().Int(0);
}

// COMMIT, unless a failed command already doomed the transaction (whose
// COMMIT would quietly roll back).
Status CommitTransaction(PgConnection& c) {
  if (c.transaction_failed()) return Status::Internal("the transaction was aborted by an error");
  return c.Exec("COMMIT");
}

bool IsTransient(const PgConnection& c) {
  const std::string& state = c.last_sqlstate();
  // Two first submits with one idempotency key (same user, two projects at
  // once): run again, the loser finds the winner's revision.
  return state == kSerializationFailure || state == kDeadlockDetected ||
         (state == kUniqueViolation && c.last_constraint() == "revisions_idempotency");
}

namespace {
// Picks tried by one claim before it answers "nothing left" (see ClaimNextTask).
constexpr int kMaxClaimRounds = 20;

// Tasks deleted per transaction when purging a deleted project: keeps each
// transaction (and the WAL it writes before committing) short.
constexpr int kPurgeBatch = 5000;
// COPY data is sent in chunks of this size: large enough that libpq's
// per-call cost vanishes, small enough to keep an import's memory flat.
constexpr size_t kCopyChunkBytes = 256 * 1024;
// Rows per FETCH of a dump.
constexpr int kDumpFetchRows = 2000;
// jsonb's type oid (pg_type.dat), to tell JSON columns in a dump.
constexpr Oid kJsonbOid = 3802;
// A pooled connection in an open transaction that a TaskWriter or
// DatabaseLoader holds across calls, with at most one COPY FROM STDIN running
// in it. Rolled back unless committed. Move-only.
class HeldTransaction {
 public:
  static Result<HeldTransaction> Begin(ConnectionPool& pool) {
    PLUMB_ASSIGN_OR_RETURN(ConnectionPool::Handle conn, pool.Acquire());
    PLUMB_RETURN_IF_ERROR(conn->Exec("BEGIN"));
    return HeldTransaction(std::move(conn));
  }
  HeldTransaction(HeldTransaction&& other) noexcept
      : conn_(std::exchange(other.conn_, std::nullopt)),
        copy_sql_(std::move(other.copy_sql_)),
        buffer_(std::move(other.buffer_)) {}
  HeldTransaction& operator=(HeldTransaction&&) = delete;
  ~HeldTransaction() { Release(); }

  bool open() const { return conn_.has_value(); }
  PgConnection& conn() { return **conn_; }

  // Makes `copy_sql` the running COPY, ending another one first.
  Status Copy(const std::string& copy_sql) {
    if (copy_sql == copy_sql_) return Status::Ok();
    PLUMB_RETURN_IF_ERROR(EndCopy());
    PLUMB_RETURN_IF_ERROR(conn().CopyStart(copy_sql));
    copy_sql_ = copy_sql;
    return Status::Ok();
  }
  // Rows (each ending in \n) for the running COPY.
  Status Put(std::string_view rows) {
    buffer_.append(rows);
    if (buffer_.size() < kCopyChunkBytes) return Status::Ok();
    return Flush();
  }
  // Sends what is buffered and ends the running COPY, if any. The server
  // reports rows it refuses here.
  Status EndCopy() {
    if (copy_sql_.empty()) return Status::Ok();
    PLUMB_RETURN_IF_ERROR(Flush());
    copy_sql_.clear();
    return conn().CopyEnd();
  }
  // Ends the transaction either way: committed, or rolled back on failure.
  Status Commit() {
    Status status = EndCopy();
    if (status.ok()) status = CommitTransaction(conn());
    Release(/*committed=*/status.ok());
    return status;
  }

 private:
  explicit HeldTransaction(ConnectionPool::Handle conn) : conn_(std::move(conn)) {}

  Status Flush() {
    Status status = conn().CopyPut(buffer_);
    buffer_.clear();
    return status;
  }

  void Release(bool committed = false) {
    if (!conn_) return;
    if (!copy_sql_.empty()) conn().CopyAbort();
    // A failed ROLLBACK means a lost connection, which the pool reconnects.
    if (!committed && !conn().broken()) (void)conn().Exec("ROLLBACK");
    conn_.reset();
  }

  std::optional<ConnectionPool::Handle> conn_;
  std::string copy_sql_;  // the running COPY, "" when none
  std::string buffer_;
};

class PgTaskWriter final : public TaskWriter {
 public:
  PgTaskWriter(HeldTransaction txn, int64_t project_id, int32_t overlap, int64_t now_ms)
      : txn_(std::move(txn)), project_id_(project_id), overlap_(overlap), now_ms_(now_ms) {
    // The columns every row shares, up to data: project_id, priority (filled
    // in per task), state, open_slots, created_at.
    fixed_ = std::to_string(project_id) + "\t";
    after_priority_ = "\t0\t" + std::to_string(overlap) + "\t" + std::to_string(now_ms) + "\t";
  }

  Status Add(const NewTask& task) override {
    if (!txn_.open()) return Status::Internal("import already committed");
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(task.data_json, "data"));
    BatchCount* batch = nullptr;
    if (task.batch_id) {
      auto it = batches_.find(*task.batch_id);
      if (it == batches_.end()) {
        return Status::InvalidArgument(
            "batch " + std::to_string(*task.batch_id) + " is not one of this import", "batch_id");
      }
      batch = &it->second;
    }
    const bool routed = batch != nullptr && batch->routed;
    if (task.annotation || !task.predictions.empty() || task.golden) {
      PLUMB_RETURN_IF_ERROR(AddLabeled(task, routed, batch));
      ++count_;
      return Status::Ok();
    }
    PLUMB_RETURN_IF_ERROR(txn_.Copy(kTaskCopy));
    row_ = fixed_;
    row_ += std::to_string(task.priority);
    row_ += after_priority_;
    AppendCopyField(row_, task.data_json);
    row_ += '\t';
    row_ += task.deadline_ms ? std::to_string(*task.deadline_ms) : "\\N";
    row_ += '\t';
    row_ += task.batch_id ? std::to_string(*task.batch_id) : "\\N";
    row_ += routed ? "\t1\n" : "\t0\n";
    PLUMB_RETURN_IF_ERROR(txn_.Put(row_));
    if (batch != nullptr) ++batch->total;
    ++count_;
    return Status::Ok();
  }

  Result<Batch> AddBatch(const NewBatch& batch) override {
    if (!txn_.open()) return Status::Internal("import already committed");
    PLUMB_RETURN_IF_ERROR(txn_.EndCopy());
    PgConnection& c = txn_.conn();
    std::vector<int64_t> workforce_ids = batch.workforce_ids;
    std::sort(workforce_ids.begin(), workforce_ids.end());
    workforce_ids.erase(std::unique(workforce_ids.begin(), workforce_ids.end()),
                        workforce_ids.end());
    const std::string ids = BigintArray(workforce_ids);
    if (!workforce_ids.empty()) {
      // KEY SHARE: the workforces stay until the import commits.
      PLUMB_ASSIGN_OR_RETURN(
          PgResult found,
          c.Query("SELECT id FROM workforces WHERE id = ANY ($1::bigint[]) FOR KEY SHARE", ids));
      if (found.rows() != static_cast<int>(workforce_ids.size())) {
        return Status::NotFound("a workforce of the batch does not exist");
      }
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO batches AS b (project_id, name, callback_url, callback_secret,"
                " deadline, routed, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                " RETURNING " PLUMB_BATCH_COLS,
                project_id_, batch.name, batch.callback_url, batch.callback_secret,
                batch.deadline_ms, workforce_ids.empty() ? 0 : 1, now_ms_));
    Batch added = ReadBatch(r.front(), 0);
    if (!workforce_ids.empty()) {
      PLUMB_RETURN_IF_ERROR(c.Query("INSERT INTO batch_workforces (batch_id, workforce_id)"
                                    " SELECT $1, unnest($2::bigint[])",
                                    added.id, ids)
                                .status());
    }
    added.workforce_ids = std::move(workforce_ids);
    batches_[added.id] = BatchCount{!added.workforce_ids.empty()};
    return added;
  }

  Result<int64_t> Commit() override {
    if (!txn_.open()) return Status::Internal("import already committed");
    PLUMB_RETURN_IF_ERROR(txn_.EndCopy());
    for (const auto& [id, batch] : batches_) {
      PLUMB_RETURN_IF_ERROR(txn_.conn()
                                .Query("UPDATE batches SET total = total + $2, done = done + $3"
                                       " WHERE id = $1",
                                       id, batch.total, batch.done)
                                .status());
    }
    if (rank_) {
      PLUMB_RETURN_IF_ERROR(txn_.conn()
                                .Query("UPDATE tasks SET uncertainty = 1 WHERE id > $1"
                                       " AND project_id = $2 AND uncertainty IS NULL",
                                       ids_after_, project_id_)
                                .status());
    }
    PLUMB_RETURN_IF_ERROR(txn_.Commit());
    return count_;
  }

  int64_t ids_after() const override { return ids_after_; }
  // The newest task id visible at the start; with `rank`, the tasks added
  // get uncertainty 1 at Commit (queue order "uncertainty").
  void IdsAfter(int64_t id, bool rank) {
    ids_after_ = id;
    rank_ = rank;
  }

 private:
  // The tasks this import adds to one of its batches.
  struct BatchCount {
    bool routed = false;
    int64_t total = 0;
    int64_t done = 0;  // imported done (an annotation with overlap 1)
  };

  // A task with its annotation, predictions or golden answer goes in by
  // INSERTs, which give its id back (COPY cannot), after ending the running
  // COPY; the next plain task starts a new one. Imports of labeled tasks are
  // rarer and smaller than those of bare tasks, which keep COPY's speed.
  Status AddLabeled(const NewTask& task, bool routed, BatchCount* batch) {
    if (task.annotation) {
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(task.annotation->result_json, "result"));
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(task.annotation->media_json, "media"));
    }
    if (task.golden) {
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(task.golden->result_json, "golden.result"));
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(task.golden->media_json, "golden.media"));
    }
    for (const NewPrediction& p : task.predictions) {
      PLUMB_RETURN_IF_ERROR(CheckPrediction(p));
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(p.result_json, "predictions.result"));
      PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(p.media_json, "predictions.media"));
    }
    PLUMB_RETURN_IF_ERROR(txn_.EndCopy());
    PgConnection& c = txn_.conn();
    ImportedTaskCounters counters = CountersForImport(overlap_, task.annotation.has_value());
    // A golden task is out of the queue: no slots.
    if (task.golden) counters.open_slots = 0;
    PLUMB_ASSIGN_OR_RETURN(
        PgResult t, c.Query("INSERT INTO tasks (project_id, priority, state, annotation_count,"
                            " open_slots, created_at, data, deadline, batch_id, routed, golden)"
                            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                            project_id_, task.priority, counters.state, counters.annotation_count,
                            counters.open_slots, now_ms_, task.data_json, task.deadline_ms,
                            task.batch_id, routed ? 1 : 0, task.golden ? 1 : 0));
    const int64_t task_id = t.front().Int(0);
    if (task.annotation) {
      const NewImportedAnnotation& a = *task.annotation;
      PLUMB_ASSIGN_OR_RETURN(
          PgResult r,
          c.Query("INSERT INTO annotations (project_id, task_id, user_id, created_at, kind)"
                  " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                  project_id_, task_id, a.user_id, now_ms_, task.golden ? 1 : 0));
      const NewRevision rev = ImportedRevision(task_id, a);
      PLUMB_RETURN_IF_ERROR(
          InsertRevision(c, rev, r.front().Int(0), /*number=*/1, std::nullopt, now_ms_).status());
    }
    if (task.golden) {
      PLUMB_RETURN_IF_ERROR(
          c.Query("INSERT INTO golden_answers (task_id, result, media) VALUES ($1, $2, $3)",
                  task_id, task.golden->result_json, UnlessEmpty(task.golden->media_json))
              .status());
    }
    for (const NewPrediction& p : task.predictions) {
      PLUMB_RETURN_IF_ERROR(
          c.Query("INSERT INTO predictions (project_id, task_id, model_name, model_version,"
                  " score, result_json, media, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                  project_id_, task_id, p.model_name, p.model_version, ScoreText(p.score),
                  p.result_json, UnlessEmpty(p.media_json), now_ms_)
              .status());
    }
    if (batch != nullptr) {
      ++batch->total;
      if (counters.state == TaskState::kDone) ++batch->done;
    }
    return Status::Ok();
  }

  static constexpr const char* kTaskCopy =
      "COPY tasks (project_id, priority, state, open_slots, created_at, data, deadline,"
      " batch_id, routed) FROM STDIN";

  HeldTransaction txn_;
  int64_t project_id_;
  int32_t overlap_;
  int64_t now_ms_;
  std::string fixed_;
  std::string after_priority_;
  std::string row_;  // reused: one allocation for the whole import
  int64_t count_ = 0;
  int64_t ids_after_ = 0;
  bool rank_ = false;
  std::map<int64_t, BatchCount> batches_;  // added by AddBatch, by id
};

// Rows go in by COPY, one per table and column list, ended when the next
// row names another (a dump gives each table's rows together).
class PgLoader final : public DatabaseLoader {
 public:
  explicit PgLoader(HeldTransaction txn) : txn_(std::move(txn)) {}

  Status Add(std::string_view table, const std::vector<std::string>& columns,
             const std::vector<std::optional<std::string>>& values) override {
    if (!txn_.open()) return Status::Internal("load already committed");
    PLUMB_RETURN_IF_ERROR(failed_);
    auto target = CheckLoadRow(table, columns, values.size());
    if (!target.ok()) return failed_ = target.status();
    row_.clear();
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) row_ += '\t';
      if (!values[i]) {
        row_ += "\\N";
      } else if (values[i]->find('\0') != std::string::npos) {
        return failed_ =
                   Status::InvalidArgument("a value of " + std::string(table) + " has a NUL byte");
      } else if (target->columns[i] == target->table->binary_column) {
        // bytea's hex input form; the hex is checked here, not by the server,
        // so that a bad dump names the column.
        if (!DecodeHex(*values[i])) {
          return failed_ = Status::InvalidArgument("a value of " + std::string(table) + "." +
                                                   std::string(target->columns[i]) +
                                                   " is not hex");
        }
        AppendCopyField(row_, "\\x" + *values[i]);
      } else {
        AppendCopyField(row_, *values[i]);
      }
    }
    row_ += '\n';
    if (!(*target == target_)) {
      PLUMB_RETURN_IF_ERROR(Check(txn_.Copy("COPY " + std::string(target->table->name) + " (" +
                                            JoinColumns(target->columns) + ") FROM STDIN")));
      target_ = std::move(target).value();
    }
    return Check(txn_.Put(row_));
  }

  Status Commit() override {
    if (!txn_.open()) return Status::Internal("load already committed");
    PLUMB_RETURN_IF_ERROR(failed_);
    PLUMB_RETURN_IF_ERROR(Check(txn_.EndCopy()));
    // The references without a foreign key (see the migrations).
    PLUMB_ASSIGN_OR_RETURN(PgResult orphans,
                           txn_.conn().Query("SELECT t.id FROM tasks t WHERE NOT EXISTS"
                                             " (SELECT 1 FROM projects p WHERE p.id = t.project_id)"
                                             " LIMIT 1"));
    if (!orphans.empty()) {
      return failed_ = Status::InvalidArgument("task " + orphans.front().Text(0) +
                                               " names a project that is not loaded");
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult unbatched,
        txn_.conn().Query("SELECT t.id FROM tasks t WHERE t.batch_id IS NOT NULL AND NOT EXISTS"
                          " (SELECT 1 FROM batches b WHERE b.id = t.batch_id) LIMIT 1"));
    if (!unbatched.empty()) {
      return failed_ = Status::InvalidArgument("task " + unbatched.front().Text(0) +
                                               " names a batch that is not loaded");
    }
    // ListDisagreements reads labels as jsonb: a row it could not read would
    // fail every query filtering by label. (A value that is no JSON at all
    // fails the cast here, which Check reports as bad input.)
    {
      auto labels = txn_.conn().Query(
          "SELECT prediction_id FROM disagreements"
          " WHERE jsonb_typeof(labels::jsonb) <> 'array' LIMIT 1");
      PLUMB_RETURN_IF_ERROR(Check(labels.status()));
      if (!labels->empty()) {
        return failed_ = Status::InvalidArgument("the labels of the disagreement of prediction " +
                                                 labels->front().Text(0) + " are not a JSON array");
      }
    }
    // Sequences move forward only: past the loaded ids, never back.
    for (const DumpTable& table : SchemaTables()) {
      if (table.id_column.empty()) continue;
      const std::string name(table.name);
      const std::string id(table.id_column);
      PLUMB_RETURN_IF_ERROR(
          txn_.conn()
              .Query("SELECT setval(s.seq, m.max_id) FROM"
                     " (SELECT pg_get_serial_sequence($1, $2)::regclass AS seq) s,"
                     " (SELECT MAX(" +
                         id + ") AS max_id FROM " + name +
                         ") m"
                         " WHERE m.max_id > COALESCE(pg_sequence_last_value(s.seq), 0)",
                     name, id)
              .status());
    }
    return txn_.Commit();
  }

 private:
  // Keeps the first failure: the transaction is then aborted and can only be
  // rolled back. Rows the schema refuses (bad values, dangling keys,
  // duplicate ids) are bad input.
  Status Check(Status status) {
    if (status.ok()) return status;
    const std::string& state = txn_.conn().last_sqlstate();
    if (state.starts_with("22") || state.starts_with("23")) {
      status = Status::InvalidArgument("the load was refused: " + status.message());
    }
    failed_ = status;
    return status;
  }

  HeldTransaction txn_;
  LoadTarget target_;  // what the running COPY loads
  std::string row_;
  Status failed_;
};
}  // namespace

Result<std::unique_ptr<Store>> PgStore::Open(const std::string& url,
                                             const PostgresOptions& options) {
  auto store = std::make_unique<PgStore>(url, std::max(1, options.connections));
  std::vector<int64_t> unpurged;
  {
    PLUMB_ASSIGN_OR_RETURN(ConnectionPool::Handle conn, store->pool_.Acquire());
    PLUMB_RETURN_IF_ERROR(ApplyMigrations(*conn));
    PLUMB_ASSIGN_OR_RETURN(PgResult r, conn->Query("SELECT id FROM projects WHERE deleted = 1"));
    for (int i = 0; i < r.rows(); ++i) unpurged.push_back(r.row(i).Int(0));
  }
  // Finish deletions a server did not get to complete.
  for (int64_t id : unpurged) PLUMB_RETURN_IF_ERROR(store->PurgeProject(id));
  return std::unique_ptr<Store>(std::move(store));
}

// --- users -------------------------------------------------------------------

Result<User> PgStore::CreateUser(std::string_view username, std::string_view password_hash,
                                 Role role, int64_t now_ms) {
  auto user = Transact(Mode::kWrite, [&](PgConnection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("INSERT INTO users (username, password_hash, role, created_at)"
                                   " VALUES ($1, $2, $3, $4) RETURNING id",
                                   username, password_hash, role, now_ms));
    return User{r.front().Int(0), std::string(username), role, now_ms};
  });
  if (!user.ok() && user.status().code() == StatusCode::kAlreadyExists) {
    return Status::AlreadyExists("username '" + std::string(username) + "' is taken", "username");
  }
  return user;
}

Result<User> PgStore::GetUser(int64_t id) {
  return Read([&](PgConnection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_USER_COLS " FROM users u WHERE u.id = $1", id));
    if (r.empty()) return Status::NotFound("user " + std::to_string(id) + " not found");
    return ReadUser(r.front(), 0);
  });
}

Result<UserWithHash> PgStore::FindUserByName(std::string_view username) {
  return Read([&](PgConnection& c) -> Result<UserWithHash> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_USER_COLS ", u.password_hash FROM users u WHERE u.username = $1",
                username));
    if (r.empty()) return Status::NotFound("user '" + std::string(username) + "' not found");
    return UserWithHash{ReadUser(r.front(), 0), r.front().Text(4)};
  });
}

Result<std::vector<User>> PgStore::ListUsers() {
  return Read([&](PgConnection& c) -> Result<std::vector<User>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_USER_COLS " FROM users u ORDER BY u.id"));
    return ReadAll<User>(r, [](const PgRow& row) { return ReadUser(row, 0); });
  });
}

Result<int64_t> PgStore::CountUsers() {
  return Read([&](PgConnection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT COUNT(*) FROM users"));
    return r.front().Int(0);
  });
}

// --- sessions and tokens -------------------------------------------------------

Status PgStore::CreateSession(std::string_view secret_hash, int64_t user_id,
                              int64_t expires_at_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c
        .Query("INSERT INTO sessions (secret_hash, user_id, expires_at) VALUES ($1, $2, $3)",
               secret_hash, user_id, expires_at_ms)
        .status();
  });
}

Result<User> PgStore::UserForSession(std::string_view secret_hash, int64_t now_ms) {
  return Read([&](PgConnection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_USER_COLS
                                               " FROM sessions s JOIN users u ON u.id = s.user_id"
                                               " WHERE s.secret_hash = $1 AND s.expires_at > $2",
                                               secret_hash, now_ms));
    if (r.empty()) return Status::Unauthenticated("session unknown or expired");
    return ReadUser(r.front(), 0);
  });
}

Status PgStore::DeleteSession(std::string_view secret_hash) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    return c.Query("DELETE FROM sessions WHERE secret_hash = $1", secret_hash).status();
  });
}

Result<int64_t> PgStore::CreateApiToken(std::string_view secret_hash, int64_t user_id,
                                        std::string_view name, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("INSERT INTO api_tokens (secret_hash, user_id, name, created_at)"
                                   " VALUES ($1, $2, $3, $4) RETURNING id",
                                   secret_hash, user_id, name, now_ms));
    return r.front().Int(0);
  });
}

Result<User> PgStore::UserForApiToken(std::string_view secret_hash) {
  return Read([&](PgConnection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_USER_COLS
                                               " FROM api_tokens k JOIN users u ON u.id = k.user_id"
                                               " WHERE k.secret_hash = $1",
                                               secret_hash));
    if (r.empty()) return Status::Unauthenticated("unknown API token");
    return ReadUser(r.front(), 0);
  });
}

// --- projects ------------------------------------------------------------------

// Projects come back as stored (jsonb's key order), like every later read.
Result<Project> PgStore::CreateProject(const NewProject& project, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(project.schema_json, "schema"));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Project> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO projects AS p (name, schema_json, settings_json, created_by,"
                " created_at) VALUES ($1, $2, $3, $4, $5) RETURNING " PLUMB_PROJECT_COLS,
                project.name, project.schema_json, SettingsToJson(project.settings),
                project.created_by, now_ms));
    return ReadProject(r.front(), 0);
  });
}

Result<Project> PgStore::GetProject(int64_t id) {
  return Read([&](PgConnection& c) { return LoadProject(c, id, /*for_update=*/false); });
}

Result<std::vector<Project>> PgStore::ListProjects(std::optional<int64_t> member_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Project>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, member_id
                        ? c.Query("SELECT " PLUMB_PROJECT_COLS " FROM projects p"
                                  " WHERE p.deleted = 0 AND p.id IN (SELECT m.project_id"
                                  " FROM project_members m WHERE m.user_id = $1"
                                  " UNION SELECT pw.project_id FROM workforce_members wm"
                                  " JOIN project_workforces pw ON pw.workforce_id = wm.workforce_id"
                                  " WHERE wm.user_id = $1) ORDER BY p.id",
                                  *member_id)
                        : c.Query("SELECT " PLUMB_PROJECT_COLS
                                  " FROM projects p WHERE p.deleted = 0 ORDER BY p.id"));
    std::vector<Project> projects;
    for (int i = 0; i < r.rows(); ++i) {
      PLUMB_ASSIGN_OR_RETURN(Project project, ReadProject(r.row(i), 0));
      projects.push_back(std::move(project));
    }
    return projects;
  });
}

Result<Project> PgStore::UpdateProject(int64_t id, const ProjectUpdate& update) {
  if (update.schema_json) PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(*update.schema_json, "schema"));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Project> {
    PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(c, id, /*for_update=*/true));
    const int32_t old_overlap = project.settings.overlap;
    const QueueOrder old_order = project.settings.queue_order;
    if (update.name) project.name = *update.name;
    if (update.schema_json) project.schema_json = *update.schema_json;
    if (update.settings) project.settings = *update.settings;
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE projects p SET name = $2, schema_json = $3, settings_json = $4"
                " WHERE p.id = $1 RETURNING " PLUMB_PROJECT_COLS,
                id, project.name, project.schema_json, SettingsToJson(project.settings)));
    if (project.settings.overlap != old_overlap) {
      // As in SQLite: a task in the queue with enough annotations for the
      // new overlap is done; the others get the slots it leaves them. Tasks
      // in review, adjudication or rework, and golden ones, keep their state.
      PLUMB_RETURN_IF_ERROR(
          c.Query(
               "UPDATE tasks SET"
               " state = CASE WHEN annotation_count >= $2 THEN 2"
               " WHEN annotation_count > 0 THEN 1 ELSE 0 END,"
               " open_slots = CASE WHEN annotation_count >= $2 THEN 0"
               " ELSE $2 - annotation_count - lease_count END"
               " WHERE project_id = $1 AND state IN (0, 1) AND golden = 0 AND rejected_count = 0",
               id, project.settings.overlap)
              .status());
    }
    if (project.settings.queue_order != old_order) {
      // As in SQLite: ranked at 1, or out of tasks_queue_uncertain again.
      PLUMB_RETURN_IF_ERROR(
          c.Query(project.settings.queue_order == QueueOrder::kUncertainty
                      ? "UPDATE tasks SET uncertainty = 1 WHERE project_id = $1"
                        " AND uncertainty IS NULL"
                      : "UPDATE tasks SET uncertainty = NULL WHERE project_id = $1"
                        " AND uncertainty IS NOT NULL",
                  id)
              .status());
    }
    return ReadProject(r.front(), 0);
  });
}

Status PgStore::DeleteProject(int64_t id) {
  // The project disappears for every caller at once: lookups skip deleted
  // projects, and without leases or members nobody can act on its tasks.
  PLUMB_RETURN_IF_ERROR(Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_RETURN_IF_ERROR(LoadProject(c, id, /*for_update=*/true).status());
    PLUMB_RETURN_IF_ERROR(c.Query("UPDATE projects SET deleted = 1 WHERE id = $1", id).status());
    PLUMB_RETURN_IF_ERROR(
        c.Query("DELETE FROM project_members WHERE project_id = $1", id).status());
    return c.Query("DELETE FROM leases WHERE project_id = $1", id).status();
  }));
  return PurgeProject(id);
}

Status PgStore::PurgeProject(int64_t id) {
  // Small transactions: one huge DELETE (with its cascades) would hold back
  // vacuum and write all its WAL before anything is released.
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(
        bool done, Transact(Mode::kWrite, [&](PgConnection& c) -> Result<bool> {
          PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("DELETE FROM tasks WHERE id IN (SELECT id"
                                                     " FROM tasks WHERE project_id = $1 LIMIT $2)",
                                                     id, kPurgeBatch));
          if (r.affected() > 0) return false;
          PLUMB_RETURN_IF_ERROR(c.Query("DELETE FROM projects WHERE id = $1", id).status());
          return true;
        }));
    if (done) return Status::Ok();
  }
}

Status PgStore::AddMember(int64_t project_id, int64_t user_id) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND deleted = 0),"
                            " EXISTS (SELECT 1 FROM users WHERE id = $2)",
                            project_id, user_id));
    if (r.front().View(0) != "t") {
      return Status::NotFound("project " + std::to_string(project_id) + " not found");
    }
    if (r.front().View(1) != "t") {
      return Status::NotFound("user " + std::to_string(user_id) + " not found");
    }
    return c
        .Query(
            "INSERT INTO project_members (project_id, user_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING",
            project_id, user_id)
        .status();
  });
}

Result<bool> PgStore::IsMember(int64_t project_id, int64_t user_id) {
  return Read([&](PgConnection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT 1 FROM project_members WHERE project_id = $1 AND user_id = $2"
                " UNION ALL SELECT 1 FROM project_workforces pw JOIN workforce_members wm"
                " ON wm.workforce_id = pw.workforce_id"
                " WHERE pw.project_id = $1 AND wm.user_id = $2 LIMIT 1",
                project_id, user_id));
    return !r.empty();
  });
}

Result<std::vector<User>> PgStore::ListMembers(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<User>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_USER_COLS " FROM project_members m JOIN users u ON u.id = m.user_id"
                " WHERE m.project_id = $1 ORDER BY u.id",
                project_id));
    return ReadAll<User>(r, [](const PgRow& row) { return ReadUser(row, 0); });
  });
}

Result<TaskCounts> PgStore::CountTasks(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<TaskCounts> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT state, COUNT(*) FROM tasks WHERE project_id = $1 GROUP BY state",
                project_id));
    TaskCounts counts;
    for (int i = 0; i < r.rows(); ++i) {
      AddToCounts(counts, static_cast<TaskState>(r.row(i).Int(0)), r.row(i).Int(1));
    }
    return counts;
  });
}

Result<std::vector<TaskStateCount>> PgStore::CountTasksByState() {
  return Read([&](PgConnection& c) -> Result<std::vector<TaskStateCount>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT project_id, state, COUNT(*) FROM tasks"
                            " WHERE project_id IN (SELECT id FROM projects WHERE deleted = 0)"
                            " GROUP BY project_id, state ORDER BY project_id, state"));
    return ReadAll<TaskStateCount>(r, [](const PgRow& row) {
      return TaskStateCount{row.Int(0), static_cast<TaskState>(row.Int(1)), row.Int(2)};
    });
  });
}

// --- tasks -----------------------------------------------------------------------

// The import holds a KEY SHARE lock on the project row until it ends, so the
// overlap its rows are given stays the project's (rule 2).
Result<std::unique_ptr<TaskWriter>> PgStore::BeginImport(int64_t project_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(HeldTransaction txn, HeldTransaction::Begin(pool_));
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LockSettings(txn.conn(), project_id));
  // A project in the queue order "uncertainty" ranks its new tasks at
  // commit: their ids come from the sequence after this, so they are all
  // above the newest id visible now (tasks of imports running beside it
  // may be ranked too, which they should be anyway).
  PLUMB_ASSIGN_OR_RETURN(PgResult newest,
                         txn.conn().Query("SELECT COALESCE(MAX(id), 0) FROM tasks"));
  auto writer =
      std::make_unique<PgTaskWriter>(std::move(txn), project_id, settings.overlap, now_ms);
  writer->IdsAfter(newest.front().Int(0), settings.queue_order == QueueOrder::kUncertainty);
  return std::unique_ptr<TaskWriter>(std::move(writer));
}

namespace {

// The filters of `query` in the order the ListTasks/CountMatchingTasks SQL
// variants below number them.
Params FilterParams(const TaskQuery& query) {
  Params params;
  params.Add(query.project_id);
  if (query.annotator_id) params.Add(*query.annotator_id);
  if (query.state) params.Add(*query.state);
  return params;
}

// A batch's tasks are few next to a project's: the query reads the batch's
// range of tasks_by_batch and filters the rest. Returns the FROM and WHERE
// clauses for `query` (which has a batch_id) and fills `params`.
std::string BatchFilter(const TaskQuery& query, Params& params) {
  params.Add(*query.batch_id).Add(query.project_id);
  std::string sql = " FROM tasks t WHERE t.batch_id = $1 AND t.project_id = $2";
  if (query.state) {
    params.Add(*query.state);
    sql += " AND t.state = $" + std::to_string(params.size());
  }
  if (query.annotator_id) {
    params.Add(*query.annotator_id);
    sql += " AND EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id AND a.user_id = $" +
           std::to_string(params.size()) + ")";
  }
  return sql;
}

}  // namespace

Result<TaskPage> PgStore::ListTasks(const TaskQuery& query) {
  PLUMB_RETURN_IF_ERROR(CheckTaskQuery(query));
  // One row more than asked tells whether another page follows.
  std::string sql;
  Params params;
  if (query.batch_id) {
    sql = "SELECT " PLUMB_TASK_COLS + BatchFilter(query, params);
    params.Add(query.after_id);
    sql += " AND t.id > $" + std::to_string(params.size());
    params.Add(query.limit + 1);
    sql += " ORDER BY t.id LIMIT $" + std::to_string(params.size());
  } else if (query.annotator_id) {
    sql = query.state ? "SELECT " PLUMB_TASK_COLS
                        " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = $1 AND a.user_id = $2 AND t.state = $3"
                        " AND a.task_id > $4 ORDER BY a.task_id LIMIT $5"
                      : "SELECT " PLUMB_TASK_COLS
                        " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = $1 AND a.user_id = $2"
                        " AND a.task_id > $3 ORDER BY a.task_id LIMIT $4";
  } else {
    sql = query.state ? "SELECT " PLUMB_TASK_COLS
                        " FROM tasks t"
                        " WHERE t.project_id = $1 AND t.state = $2 AND t.id > $3"
                        " ORDER BY t.id LIMIT $4"
                      : PLUMB_TASKS_IN_ID_ORDER;
  }
  if (!query.batch_id) {
    params = FilterParams(query);
    params.Add(query.after_id).Add(query.limit + 1);
  }
  return Read([&](PgConnection& c) -> Result<TaskPage> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query(sql, params));
    TaskPage page;
    for (int i = 0; i < r.rows() && i < query.limit; ++i)
      page.items.push_back(ReadTask(r.row(i), 0));
    if (r.rows() > query.limit) page.next_after_id = page.items.back().id;
    return page;
  });
}

Result<int64_t> PgStore::CountMatchingTasks(const TaskQuery& query) {
  std::string sql;
  Params params;
  if (query.batch_id) {
    sql = "SELECT COUNT(*)" + BatchFilter(query, params);
  } else if (query.annotator_id) {
    sql = query.state ? "SELECT COUNT(*) FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = $1 AND a.user_id = $2 AND t.state = $3"
                      : "SELECT COUNT(*) FROM annotations a"
                        " WHERE a.project_id = $1 AND a.user_id = $2";
  } else {
    sql = query.state ? "SELECT COUNT(*) FROM tasks WHERE project_id = $1 AND state = $2"
                      : "SELECT COUNT(*) FROM tasks WHERE project_id = $1";
  }
  if (!query.batch_id) params = FilterParams(query);
  return Read([&](PgConnection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query(sql, params));
    return r.front().Int(0);
  });
}

Result<Task> PgStore::GetTask(int64_t id) {
  return Read([&](PgConnection& c) -> Result<Task> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.id = $1", id));
    if (r.empty()) return Status::NotFound("task " + std::to_string(id) + " not found");
    return ReadTask(r.front(), 0);
  });
}

// --- the queue ---------------------------------------------------------------------

namespace {

// The caller's active lease in the project, if any (rule kExistingLease).
// Called after ReleaseExpiredLeases under the caller's lock (rule 1), so an
// active lease is live and stays so.
Result<std::optional<Claim>> FindHeldLease(PgConnection& c, int64_t project_id, int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r,
                         c.Query("SELECT l.id, l.expires_at, " PLUMB_TASK_COLS
                                 " FROM leases l JOIN tasks t ON t.id = l.task_id"
                                 " WHERE l.project_id = $1 AND l.user_id = $2 AND l.active = 1"
                                 " ORDER BY l.id LIMIT 1",
                                 project_id, user_id));
  if (r.empty()) return std::optional<Claim>();
  Task task = ReadTask(r.front(), 2);
  Lease lease{r.front().Int(0), task.id, user_id, r.front().Int(1)};
  return std::optional<Claim>(
      Claim{std::move(task), lease, /*existing_lease=*/true, ClaimRule::kExistingLease});
}

// What every claim starts with: rules 1 and 2, the project's expired leases
// released, and the caller's held lease, if any, to hand out again.
Result<std::optional<Claim>> BeginClaim(PgConnection& c, int64_t project_id, int64_t user_id,
                                        int64_t now_ms, ProjectSettings& settings) {
  PLUMB_RETURN_IF_ERROR(LockUserInProject(c, project_id, user_id));
  PLUMB_ASSIGN_OR_RETURN(settings, LockSettings(c, project_id));
  PLUMB_RETURN_IF_ERROR(ReleaseExpiredLeases(c, project_id, settings.overlap, now_ms));
  return FindHeldLease(c, project_id, user_id);
}

// BeginClaim for the golden and bake-off rules: true when the caller holds a
// live lease or has a rework, which come first (ClaimNextTask hands them out).
Result<bool> BeginExtraClaim(PgConnection& c, int64_t project_id, int64_t user_id, int64_t now_ms,
                             ProjectSettings& settings) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<Claim> held,
                         BeginClaim(c, project_id, user_id, now_ms, settings));
  if (held) return true;
  PLUMB_ASSIGN_OR_RETURN(PgResult rework, c.Query("SELECT 1 FROM annotations WHERE project_id = $1"
                                                  " AND user_id = $2 AND rejected = 1 LIMIT 1",
                                                  project_id, user_id));
  return !rework.empty();
}

// A new lease on `task` for the caller; `counted` when it takes a slot.
Result<Claim> NewLease(PgConnection& c, Task task, int64_t user_id, const ProjectSettings& settings,
                       bool counted, ClaimRule rule, int64_t now_ms) {
  Lease lease{0, task.id, user_id, now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000};
  PLUMB_ASSIGN_OR_RETURN(
      PgResult id,
      c.Query("INSERT INTO leases (project_id, task_id, user_id, expires_at, counted)"
              " VALUES ($1, $2, $3, $4, $5) RETURNING id",
              task.project_id, task.id, user_id, lease.expires_at_ms, counted ? 1 : 0));
  lease.id = id.front().Int(0);
  return Claim{std::move(task), lease, /*existing_lease=*/false, rule};
}

}  // namespace

Result<std::optional<Claim>> PgStore::ClaimNextTask(int64_t project_id, int64_t user_id,
                                                    int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::optional<Claim>> {
    ProjectSettings settings;
    PLUMB_ASSIGN_OR_RETURN(std::optional<Claim> held,
                           BeginClaim(c, project_id, user_id, now_ms, settings));
    if (held) return held;
    {
      // Rework needs no slot (the rejected annotation holds it) and no task
      // lock: only this user, under rule 1, ever works on their annotation.
      PLUMB_ASSIGN_OR_RETURN(
          PgResult r,
          c.Query("SELECT " PLUMB_TASK_COLS " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                  " WHERE a.project_id = $1 AND a.user_id = $2 AND a.rejected = 1"
                  " ORDER BY t.priority DESC, t.id LIMIT 1",
                  project_id, user_id));
      if (!r.empty()) {
        PLUMB_ASSIGN_OR_RETURN(Claim claim,
                               NewLease(c, ReadTask(r.front(), 0), user_id, settings,
                                        /*counted=*/false, ClaimRule::kRework, now_ms));
        return std::optional<Claim>(std::move(claim));
      }
    }
    // SKIP LOCKED passes over tasks other transactions are changing. If that
    // leaves nothing, wait for them instead: a task whose lock is released
    // with a slot still open is the caller's, and "nothing left" must be true.
    // The waiting pick can come back empty while other locked tasks still
    // have a slot (LIMIT 1 waited on a task that then filled up), so ask
    // again while any task still qualifies.
    PgResult r;
    ClaimRule rule = ClaimRule::kPriority;
    if (settings.queue_order == QueueOrder::kUncertainty) {
      // The same rounds over the ranked tasks (tasks_queue_uncertain) in
      // uncertainty order; the import order's below only for a task left
      // unranked.
      for (int round = 0; round < kMaxClaimRounds; ++round) {
        PLUMB_ASSIGN_OR_RETURN(r, c.Query(PLUMB_CLAIM_UNCERTAIN_TASK("FOR UPDATE OF t SKIP LOCKED"),
                                          project_id, user_id));
        if (!r.empty()) break;
        PLUMB_ASSIGN_OR_RETURN(
            r, c.Query(PLUMB_CLAIM_UNCERTAIN_TASK("FOR UPDATE OF t"), project_id, user_id));
        if (!r.empty()) break;
        PLUMB_ASSIGN_OR_RETURN(PgResult left,
                               c.Query(PLUMB_ANY_UNCERTAIN_TASK_LEFT, project_id, user_id));
        if (left.front().View(0) != "t") break;
      }
      if (!r.empty()) rule = ClaimRule::kUncertainty;
    }
    for (int round = 0; r.empty() && round < kMaxClaimRounds; ++round) {
      PLUMB_ASSIGN_OR_RETURN(
          r, c.Query(PLUMB_CLAIM_TASK("FOR UPDATE OF t SKIP LOCKED"), project_id, user_id));
      if (!r.empty()) break;
      PLUMB_ASSIGN_OR_RETURN(r, c.Query(PLUMB_CLAIM_TASK("FOR UPDATE OF t"), project_id, user_id));
      if (!r.empty()) break;
      PLUMB_ASSIGN_OR_RETURN(PgResult left, c.Query(PLUMB_ANY_TASK_LEFT, project_id, user_id));
      if (left.front().View(0) != "t") break;  // libpq's text form of a boolean
    }
    if (r.empty()) return std::optional<Claim>();
    PLUMB_ASSIGN_OR_RETURN(Claim claim, NewLease(c, ReadTask(r.front(), 0), user_id, settings,
                                                 /*counted=*/true, rule, now_ms));
    return std::optional<Claim>(std::move(claim));
  });
}

// Golden tasks have no slots, so the claim takes no task lock: the lease
// holds none, and rule 1 keeps one user from getting a golden task twice.
// A held lease or a rework comes first (ClaimNextTask hands those out): then
// there is no golden task for the caller.
Result<std::optional<Claim>> PgStore::ClaimGoldenTask(int64_t project_id, int64_t user_id,
                                                      int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::optional<Claim>> {
    ProjectSettings settings;
    PLUMB_ASSIGN_OR_RETURN(bool first, BeginExtraClaim(c, project_id, user_id, now_ms, settings));
    if (first) return std::optional<Claim>();
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.project_id = $1 AND t.golden = 1"
                " AND NOT EXISTS (SELECT 1 FROM annotations a"
                " WHERE a.task_id = t.id AND a.user_id = $2)"
                " AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.task_id = t.id AND k.user_id = $2)"
                " ORDER BY t.id LIMIT 1",
                project_id, user_id));
    if (r.empty()) return std::optional<Claim>();
    PLUMB_ASSIGN_OR_RETURN(Claim claim, NewLease(c, ReadTask(r.front(), 0), user_id, settings,
                                                 /*counted=*/false, ClaimRule::kGolden, now_ms));
    return std::optional<Claim>(std::move(claim));
  });
}

// The bake-off rule. The candidate rows the caller may label for are locked
// (FOR NO KEY UPDATE: labels' foreign keys only take KEY SHARE), so two
// members of one workforce claiming at once are handed different tasks.
Result<std::optional<Claim>> PgStore::ClaimBakeoffTask(int64_t project_id, int64_t user_id,
                                                       int64_t now_ms) {
  // Most callers are in no bake-off: a read says so without the locks.
  PLUMB_ASSIGN_OR_RETURN(
      bool candidate, Read([&](PgConnection& c) -> Result<bool> {
        PLUMB_ASSIGN_OR_RETURN(
            PgResult r,
            c.Query("SELECT EXISTS (SELECT 1 FROM bakeoffs b JOIN bakeoff_candidates c ON "
                    "c.bakeoff_id = b.id"
                    " AND c.kind = 0 JOIN workforce_members m ON m.workforce_id = c.workforce_id"
                    " AND m.user_id = $2 WHERE b.project_id = $1 AND b.closed = 0)",
                    project_id, user_id));
        return !r.empty() && r.front().Text(0) == "t";
      }));
  if (!candidate) return std::optional<Claim>();
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<std::optional<Claim>> {
    ProjectSettings settings;
    PLUMB_ASSIGN_OR_RETURN(bool first, BeginExtraClaim(c, project_id, user_id, now_ms, settings));
    if (first) return std::optional<Claim>();
    PLUMB_ASSIGN_OR_RETURN(
        PgResult mine,
        c.Query("SELECT c.id FROM bakeoffs b JOIN bakeoff_candidates c ON c.bakeoff_id = b.id"
                " AND c.kind = 0 JOIN workforce_members m ON m.workforce_id = c.workforce_id"
                " AND m.user_id = $2 WHERE b.project_id = $1 AND b.closed = 0"
                " ORDER BY c.id FOR NO KEY UPDATE OF c",
                project_id, user_id));
    if (mine.empty()) return std::optional<Claim>();
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT c.id, " PLUMB_TASK_COLS " FROM bakeoffs b"
                " JOIN bakeoff_candidates c ON c.bakeoff_id = b.id AND c.kind = 0"
                " JOIN workforce_members m ON m.workforce_id = c.workforce_id AND m.user_id = $2"
                " JOIN golden_set_tasks g ON g.golden_set_id = b.golden_set_id"
                " JOIN tasks t ON t.id = g.task_id AND t.golden = 1"
                " WHERE b.project_id = $1 AND b.closed = 0"
                " AND NOT EXISTS (SELECT 1 FROM bakeoff_labels l"
                " WHERE l.candidate_id = c.id AND l.task_id = t.id)"
                " AND NOT EXISTS (SELECT 1 FROM bakeoff_assignments x JOIN leases e"
                " ON e.id = x.lease_id AND e.active = 1 AND e.expires_at > $3"
                " WHERE x.candidate_id = c.id AND x.task_id = t.id)"
                " AND NOT EXISTS (SELECT 1 FROM annotations a"
                " WHERE a.task_id = t.id AND a.user_id = $2)"
                " AND NOT EXISTS (SELECT 1 FROM skips k WHERE k.task_id = t.id AND k.user_id = $2)"
                " ORDER BY b.id, c.id, t.id LIMIT 1",
                project_id, user_id, now_ms));
    if (r.empty()) return std::optional<Claim>();
    const int64_t candidate_id = r.front().Int(0);
    PLUMB_ASSIGN_OR_RETURN(Claim claim, NewLease(c, ReadTask(r.front(), 1), user_id, settings,
                                                 /*counted=*/false, ClaimRule::kBakeoff, now_ms));
    PLUMB_RETURN_IF_ERROR(
        c.Query("INSERT INTO bakeoff_assignments (candidate_id, task_id, user_id, lease_id)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (candidate_id, task_id) DO UPDATE SET"
                " user_id = EXCLUDED.user_id, lease_id = EXCLUDED.lease_id",
                candidate_id, claim.task.id, user_id, claim.lease.id)
            .status());
    return std::optional<Claim>(std::move(claim));
  });
}

Result<std::optional<Lease>> PgStore::FindLiveLease(int64_t task_id, int64_t user_id,
                                                    int64_t now_ms) {
  return Read([&](PgConnection& c) -> Result<std::optional<Lease>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT id, expires_at FROM leases"
                                               " WHERE task_id = $1 AND user_id = $2 AND active = 1"
                                               " AND expires_at > $3 ORDER BY id DESC LIMIT 1",
                                               task_id, user_id, now_ms));
    if (r.empty()) return std::optional<Lease>();
    return std::optional(Lease{r.front().Int(0), task_id, user_id, r.front().Int(1)});
  });
}

Result<Task> LockTask(PgConnection& c, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.id = $1 FOR UPDATE", task_id));
  if (r.empty()) return Status::NotFound("task " + std::to_string(task_id) + " not found");
  return ReadTask(r.front(), 0);
}

namespace {

// A new revision of the caller's own annotation (row `own`: id, current
// revision id and number, rejected), counted in `revisions`. A rework lease
// has done its job; on an annotation a reviewer sent back, it counts again,
// and the task completes once no rejected annotation is left.
Result<int64_t> ReviseOwnAnnotation(PgConnection& c, const NewRevision& rev, const PgRow& own,
                                    int64_t project_id, StatBatch& counters, int64_t now_ms) {
  const int64_t annotation_id = own.Int(0);
  const int32_t number = static_cast<int32_t>(own.Int(2)) + 1;
  const bool rejected = own.Int(3) != 0;
  std::optional<ProjectSettings> settings;
  std::optional<Task> task;
  if (rejected) {
    // Rules 2 and 4, in their order: the overlap stays, and the task's
    // counters change under its row lock.
    PLUMB_ASSIGN_OR_RETURN(settings, LockSettings(c, project_id));
    PLUMB_ASSIGN_OR_RETURN(task, LockTask(c, rev.task_id));
  }
  PLUMB_ASSIGN_OR_RETURN(int64_t id,
                         InsertRevision(c, rev, annotation_id, number, own.Int(1), now_ms));
  counters.Add(rev.user_id, stats::kRevisions, 1, static_cast<double>(rev.lead_time_ms));
  PLUMB_RETURN_IF_ERROR(c.Query("DELETE FROM leases WHERE task_id = $1 AND user_id = $2"
                                " AND counted = 0",
                                rev.task_id, rev.user_id)
                            .status());
  if (!rejected) return id;
  PLUMB_RETURN_IF_ERROR(
      c.Query("UPDATE annotations SET rejected = 0 WHERE id = $1", annotation_id).status());
  PLUMB_ASSIGN_OR_RETURN(PgResult left,
                         c.Query("UPDATE tasks SET rejected_count = GREATEST(rejected_count - 1, 0)"
                                 " WHERE id = $1 RETURNING rejected_count, annotation_count",
                                 rev.task_id));
  if (left.front().Int(0) == 0 && left.front().Int(1) >= settings->overlap) {
    PLUMB_RETURN_IF_ERROR(
        CompleteTask(c, *task, *settings, /*after_rework=*/true, rev.hooks, counters, now_ms));
  }
  return id;
}

}  // namespace

Result<Revision> PgStore::AppendRevision(const NewRevision& rev, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(rev.result_json, "result"));
  PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(rev.media_json, "media"));
  auto append = [&](PgConnection& c) -> Result<Revision> {
    int64_t project_id = 0;
    {
      PLUMB_ASSIGN_OR_RETURN(PgResult r,
                             c.Query("SELECT project_id FROM tasks WHERE id = $1", rev.task_id));
      if (r.empty()) return Status::NotFound("task " + std::to_string(rev.task_id) + " not found");
      project_id = r.front().Int(0);
    }
    // From here on this user's claims, submits and skips in the project wait
    // for us, so the checks below stay true until COMMIT.
    PLUMB_RETURN_IF_ERROR(LockUserInProject(c, project_id, rev.user_id));
    if (!rev.idempotency_key.empty()) {
      PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT id FROM revisions"
                                                 " WHERE user_id = $1 AND idempotency_key = $2",
                                                 rev.user_id, rev.idempotency_key));
      if (!r.empty()) return LoadRevision(c, r.front().Int(0));
    }
    // What this submit counts (docs/analytics.md), written last: see StatBatch.
    StatBatch counters(project_id, now_ms);
    {
      // Editing one's own annotation needs no lease: it adds a revision and
      // leaves the task's counts alone (unless it was sent back).
      PLUMB_ASSIGN_OR_RETURN(PgResult r,
                             c.Query("SELECT a.id, r.id, r.revision, a.rejected FROM annotations a"
                                     " JOIN revisions r ON r.id = a.current_revision_id"
                                     " WHERE a.task_id = $1 AND a.user_id = $2",
                                     rev.task_id, rev.user_id));
      if (!r.empty()) {
        PLUMB_ASSIGN_OR_RETURN(
            int64_t id, ReviseOwnAnnotation(c, rev, r.front(), project_id, counters, now_ms));
        PLUMB_RETURN_IF_ERROR(counters.Flush(c));
        return LoadRevision(c, id);
      }
    }
    if (!rev.lease_id) {
      return Status::Conflict("a lease on task " + std::to_string(rev.task_id) +
                              " is needed to annotate it");
    }
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LockSettings(c, project_id));
    bool counted = false;
    PLUMB_ASSIGN_OR_RETURN(auto stored, LockLease(c, *rev.lease_id, &counted));
    PLUMB_ASSIGN_OR_RETURN(StoredLease lease,
                           CheckOwnLease(stored, *rev.lease_id, rev.task_id, rev.user_id));
    if (!lease.active || lease.expires_at_ms <= now_ms) {
      return Status::LeaseExpired("lease " + std::to_string(*rev.lease_id) + " has expired");
    }
    PLUMB_ASSIGN_OR_RETURN(Task task, LockTask(c, rev.task_id));
    PLUMB_RETURN_IF_ERROR(c.Query("DELETE FROM leases WHERE id = $1", *rev.lease_id).status());
    PLUMB_ASSIGN_OR_RETURN(
        PgResult annotation,
        c.Query("INSERT INTO annotations (project_id, task_id, user_id, created_at, kind)"
                " VALUES ($1, $2, $3, $4, $5) RETURNING id",
                project_id, rev.task_id, rev.user_id, now_ms, task.golden ? 1 : 0));
    PLUMB_ASSIGN_OR_RETURN(int64_t id, InsertRevision(c, rev, annotation.front().Int(0),
                                                      /*number=*/1, std::nullopt, now_ms));
    // A new label, golden ones included (they are paid for).
    counters.Add(rev.user_id, stats::kLabels, 1, static_cast<double>(rev.lead_time_ms));
    {
      PLUMB_ASSIGN_OR_RETURN(
          PgResult v, c.Query("SELECT instructions_version FROM revisions WHERE id = $1", id));
      counters.Add(rev.user_id, stats::ByVersion(stats::kLabels, v.empty() ? 0 : v.front().Int(0)),
                   1, static_cast<double>(rev.lead_time_ms));
    }
    counters.Add(rev.user_id,
                 stats::kLeadPrefix + std::to_string(stats::DurationBucket(rev.lead_time_ms)), 1);
    PLUMB_RETURN_IF_ERROR(RecordPrelabelUse(c, project_id, rev, id, counters, now_ms));
    const int leases_used = counted ? 1 : 0;
    if (task.golden) {
      // A lease from before the task turned golden still held a slot.
      if (counted) {
        PLUMB_RETURN_IF_ERROR(
            c.Query("UPDATE tasks SET lease_count = lease_count - 1 WHERE id = $1", rev.task_id)
                .status());
      }
      PLUMB_ASSIGN_OR_RETURN(Revision stored, LoadRevision(c, id));
      PLUMB_RETURN_IF_ERROR(
          GradeGolden(c, rev.task_id, project_id, stored, rev.hooks, rev.pause, counters, now_ms));
      PLUMB_RETURN_IF_ERROR(RecordBakeoffLabel(c, rev.task_id, stored, now_ms));
      PLUMB_RETURN_IF_ERROR(counters.Flush(c));
      return stored;
    }
    // A counted lease turns into an annotation: lease_count - 1,
    // annotation_count + 1, so the open slots stay as they were unless the
    // task is now complete.
    PLUMB_ASSIGN_OR_RETURN(
        PgResult counts,
        c.Query("UPDATE tasks SET annotation_count = annotation_count + 1,"
                " lease_count = lease_count - $3,"
                " state = CASE WHEN state = 0 THEN 1 ELSE state END,"
                " open_slots = " PLUMB_OPEN_SLOTS(
                    "$2", "(annotation_count + 1)",
                    "(lease_count - $3)") " WHERE id = $1"
                                          " RETURNING annotation_count, rejected_count",
                rev.task_id, settings.overlap, leases_used));
    const int64_t annotations = counts.front().Int(0);
    const bool sent_back = counts.front().Int(1) > 0;
    const bool in_queue = task.state == TaskState::kNew || task.state == TaskState::kAnnotating;
    if (in_queue && !sent_back && annotations >= settings.overlap) {
      task.state = TaskState::kAnnotating;
      PLUMB_RETURN_IF_ERROR(
          CompleteTask(c, task, settings, /*after_rework=*/false, rev.hooks, counters, now_ms));
    }
    PLUMB_RETURN_IF_ERROR(counters.Flush(c));
    return LoadRevision(c, id);
  };
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Revision> {
    PLUMB_ASSIGN_OR_RETURN(Revision revision, append(c));
    if (rev.queue_train) PLUMB_RETURN_IF_ERROR(QueueTrainIfDone(c, rev.task_id, now_ms));
    return revision;
  });
}

Status PgStore::SkipTask(int64_t task_id, int64_t user_id, int64_t lease_id, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    // The lease names the project whose locks to take; it is read again
    // under its row lock below.
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT project_id FROM leases WHERE id = $1", lease_id));
    if (r.empty()) return CheckOwnLease(std::nullopt, lease_id, task_id, user_id).status();
    const int64_t project_id = r.front().Int(0);
    PLUMB_RETURN_IF_ERROR(LockUserInProject(c, project_id, user_id));
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LockSettings(c, project_id));
    bool counted = false;
    PLUMB_ASSIGN_OR_RETURN(auto stored, LockLease(c, lease_id, &counted));
    PLUMB_ASSIGN_OR_RETURN(StoredLease lease, CheckOwnLease(stored, lease_id, task_id, user_id));
    {
      // Skipping a rework would leave the task waiting for it for good.
      PLUMB_ASSIGN_OR_RETURN(PgResult rework, c.Query("SELECT 1 FROM annotations WHERE task_id = $1"
                                                      " AND user_id = $2 AND rejected = 1",
                                                      task_id, user_id));
      if (!rework.empty()) {
        return Status::Conflict("task " + std::to_string(task_id) +
                                " was sent back to you by a reviewer: submit a new revision");
      }
    }
    PLUMB_RETURN_IF_ERROR(c.Query("DELETE FROM leases WHERE id = $1", lease_id).status());
    if (lease.active && counted) {
      PLUMB_RETURN_IF_ERROR(ReturnLeaseSlot(c, task_id, settings.overlap));
    }
    return c
        .Query("INSERT INTO skips (task_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
               task_id, user_id)
        .status();
  });
}

// --- annotations ---------------------------------------------------------------------

Result<std::vector<Revision>> PgStore::ListRevisions(int64_t task_id,
                                                     std::optional<int64_t> user_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<Revision>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_REVISION_COLS " FROM revisions r JOIN users u ON u.id = r.user_id"
                " WHERE r.annotation_id IN (SELECT id FROM annotations"
                " WHERE task_id = $1 AND ($2::bigint IS NULL OR user_id = $2))"
                " ORDER BY r.id",
                task_id, user_id));
    return ReadAll<Revision>(r, [](const PgRow& row) { return ReadRevision(row, 0); });
  });
}

Result<std::vector<Revision>> PgStore::CurrentRevisions(const std::vector<int64_t>& task_ids) {
  if (task_ids.empty()) return std::vector<Revision>();
  const std::string ids = BigintArray(task_ids);
  return Read([&](PgConnection& c) -> Result<std::vector<Revision>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_REVISION_COLS
                            " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                            " JOIN users u ON u.id = r.user_id"
                            " WHERE a.task_id = ANY ($1::bigint[]) ORDER BY a.task_id, a.id",
                            ids));
    return ReadAll<Revision>(r, [](const PgRow& row) { return ReadRevision(row, 0); });
  });
}

Result<std::vector<Prediction>> PgStore::ListPredictions(const std::vector<int64_t>& task_ids) {
  if (task_ids.empty()) return std::vector<Prediction>();
  const std::string ids = BigintArray(task_ids);
  return Read([&](PgConnection& c) -> Result<std::vector<Prediction>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_PREDICTION_COLS " FROM predictions p"
                                               " WHERE p.task_id = ANY ($1::bigint[])"
                                               " ORDER BY p.task_id, p.id",
                                               ids));
    return ReadAll<Prediction>(r, [](const PgRow& row) { return ReadPrediction(row, 0); });
  });
}

Result<Progress> PgStore::GetProgress(int64_t project_id, int64_t user_id) {
  return Read([&](PgConnection& c) -> Result<Progress> {
    // One statement, one snapshot.
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT (SELECT COUNT(*) FROM tasks WHERE project_id = $1),"
                " (SELECT COUNT(*) FROM tasks WHERE project_id = $1 AND state = 2),"
                " (SELECT COUNT(*) FROM annotations WHERE project_id = $1 AND user_id = $2)",
                project_id, user_id));
    return Progress{r.front().Int(0), r.front().Int(1), r.front().Int(2)};
  });
}

// --- export --------------------------------------------------------------------------

Status PgStore::ForEachTaskWithAnnotations(
    int64_t project_id,
    const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) {
  return Transact(
      Mode::kSnapshot,
      [&](PgConnection& c) -> Status {
        int64_t after_id = 0;
        while (true) {
          PLUMB_ASSIGN_OR_RETURN(PgResult task_rows, c.Query(PLUMB_TASKS_IN_ID_ORDER, project_id,
                                                             after_id, kExportBatch));
          if (task_rows.empty()) return Status::Ok();
          PLUMB_ASSIGN_OR_RETURN(
              std::vector<Task> tasks,
              ReadAll<Task>(task_rows, [](const PgRow& row) { return ReadTask(row, 0); }));
          after_id = tasks.back().id;

          // The batch's annotations in one range read, grouped by task below.
          PLUMB_ASSIGN_OR_RETURN(
              PgResult rev_rows,
              c.Query("SELECT " PLUMB_REVISION_COLS
                      " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                      " JOIN users u ON u.id = r.user_id"
                      " WHERE a.task_id BETWEEN $1 AND $2 AND a.project_id = $3"
                      " ORDER BY a.task_id, a.id",
                      tasks.front().id, tasks.back().id, project_id));
          PLUMB_ASSIGN_OR_RETURN(
              std::vector<Revision> revisions,
              ReadAll<Revision>(rev_rows, [](const PgRow& row) { return ReadRevision(row, 0); }));
          PLUMB_RETURN_IF_ERROR(VisitBatch(tasks, std::move(revisions), fn));
          if (static_cast<int>(tasks.size()) < kExportBatch) return Status::Ok();
        }
      },
      Rerun::kNever);
}

// --- the whole database ----------------------------------------------------------------

Status PgStore::DumpTables(const DumpRowFn& fn) {
  return Transact(
      Mode::kSnapshot,
      [&](PgConnection& c) -> Status {
        for (const DumpTable& table : SchemaTables()) {
          const std::vector<std::string> columns(table.columns.begin(), table.columns.end());
          // A cursor streams big tables (tasks) in pieces of one snapshot.
          std::string select;
          for (std::string_view column : table.columns) {
            if (!select.empty()) select += ", ";
            select += column == table.binary_column
                          ? "encode(" + std::string(column) + ", 'hex')"
                          : std::string(column);
          }
          PLUMB_RETURN_IF_ERROR(c.Exec(
              "DECLARE plumb_dump NO SCROLL CURSOR FOR SELECT " + select +
              " FROM " + std::string(table.name) + " ORDER BY " + std::string(table.order_by)));
          std::vector<std::optional<std::string>> values(columns.size());
          while (true) {
            PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("FETCH " + std::to_string(kDumpFetchRows) +
                                                       " FROM plumb_dump"));
            for (int i = 0; i < r.rows(); ++i) {
              const PgRow row = r.row(i);
              for (int col = 0; col < static_cast<int>(values.size()); ++col) {
                if (row.IsNull(col)) {
                  values[col] = std::nullopt;
                } else if (PQftype(r.get(), col) == kJsonbOid) {
                  values[col] = row.Json(col);
                } else {
                  values[col] = row.Text(col);
                }
              }
              PLUMB_RETURN_IF_ERROR(fn(table.name, columns, values));
            }
            if (r.rows() < kDumpFetchRows) break;
          }
          PLUMB_RETURN_IF_ERROR(c.Exec("CLOSE plumb_dump"));
        }
        return Status::Ok();
      },
      Rerun::kNever);
}

Result<std::unique_ptr<DatabaseLoader>> PgStore::BeginLoad() {
  PLUMB_ASSIGN_OR_RETURN(HeldTransaction txn, HeldTransaction::Begin(pool_));
  PgConnection& c = txn.conn();
  // Keeps rows out of users and projects until the load ends, and makes a
  // second load wait for this one (and then find the database not empty).
  PLUMB_RETURN_IF_ERROR(c.Exec("LOCK TABLE users, projects IN SHARE ROW EXCLUSIVE MODE"));
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM projects)"));
  if (r.front().View(0) == "t") {
    return Status::Conflict("the database is not empty: load into a new one");
  }
  return std::unique_ptr<DatabaseLoader>(std::make_unique<PgLoader>(std::move(txn)));
}

}  // namespace postgres

Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options) {
  return postgres::PgStore::Open(url, options);
}

}  // namespace plumb::store
