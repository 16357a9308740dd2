#include "store/sqlite/migrations.h"

#include <string>

namespace plumb::store::sqlite {
namespace {

// Version 1: the initial schema.
//
// Times are milliseconds since the epoch. Enums (role, task state, revision
// source) are stored as the integers of their C++ enums. AUTOINCREMENT keeps
// ids of deleted rows from being handed out again, so a stale lease or project
// id can never name a newer row. tasks goes without it: SQLite rewrites
// sqlite_sequence on every INSERT, which costs an import about a quarter of
// its speed; task ids can then recur only after the project holding the
// newest tasks is deleted.
//
// tasks carries its queue bookkeeping so a claim is one index probe:
//   open_slots = overlap - annotation_count - lease_count   (0 once done)
// where lease_count counts active leases; expired ones are released (and
// their slots given back) by the next claim in the project.
constexpr const char* kV1 = R"sql(
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
  secret_hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  secret_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- deleted = 1: the project is gone for every caller while its tasks are
-- being purged in small transactions (see DeleteProject); the row itself
-- goes last.
CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  schema_json TEXT NOT NULL,
  settings_json TEXT NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE project_members (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
-- ListProjects(member_id).
CREATE INDEX project_members_by_user ON project_members(user_id, project_id);

-- data comes last: the counters before it are rewritten on every claim and
-- submit, and reading them should not need to walk past the payload.
CREATE TABLE tasks (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  priority INTEGER NOT NULL,
  state INTEGER NOT NULL,
  annotation_count INTEGER NOT NULL DEFAULT 0,
  lease_count INTEGER NOT NULL DEFAULT 0,
  open_slots INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  data TEXT NOT NULL
);
-- The queue: a claim reads the first entry of its project. DESC must match
-- the claim's ORDER BY priority DESC, or SQLite walks the index backwards
-- through the partial-index filter (40x slower). Partial, so tasks without a
-- free slot (most of them, late in a project) cost nothing here.
CREATE INDEX tasks_queue ON tasks(project_id, priority DESC, id) WHERE open_slots > 0;
-- Everything else by project: counts, the state filter, and (by merging the
-- ranges of the three states) unfiltered listing and export in id order. The
-- index holds the rowid after state, so (project_id, state, id > ?) is one
-- range. Every index on tasks slows imports by a fifth to a third, hence no
-- separate (project_id) index.
CREATE INDEX tasks_by_state ON tasks(project_id, state);

-- active = 0 marks a lease released because it expired; the row stays so a
-- late submit with it is answered kLeaseExpired rather than kConflict.
-- Consumed and skipped leases are deleted.
CREATE TABLE leases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX leases_by_task ON leases(task_id, user_id);
-- Releasing a project's expired leases at claim time.
CREATE INDEX leases_expiry ON leases(project_id, expires_at) WHERE active = 1;
-- "Does this user already hold a lease in the project?"
CREATE INDEX leases_holder ON leases(project_id, user_id) WHERE active = 1;

-- One annotation per person and task; its revisions hold the content.
-- current_revision_id is the one column ever updated here.
CREATE TABLE annotations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  current_revision_id INTEGER,
  created_at INTEGER NOT NULL,
  UNIQUE (task_id, user_id)
);
-- The annotator filter of ListTasks and the "mine" of GetProgress.
CREATE INDEX annotations_by_annotator ON annotations(project_id, user_id, task_id);

-- Append-only: rows are inserted, never updated.
CREATE TABLE revisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  annotation_id INTEGER NOT NULL REFERENCES annotations(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  revision INTEGER NOT NULL,
  result TEXT NOT NULL,
  media TEXT,
  lead_time_ms INTEGER NOT NULL,
  source INTEGER NOT NULL,
  parent_id INTEGER,
  idempotency_key TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX revisions_by_annotation ON revisions(annotation_id);
CREATE UNIQUE INDEX revisions_idempotency ON revisions(user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE skips (
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  PRIMARY KEY (task_id, user_id)
) WITHOUT ROWID;
)sql";

// Version 2: model predictions, brought in by imports (Label Studio's
// `predictions`). Read back by task, in batches of an export, hence the
// (task_id, id) index; project_id lets a batch read one range of its project,
// like annotations. score is NULL when the model gave none; media (as in
// revisions) is the natural size the result's geometry is in.
constexpr const char* kV2 = R"sql(
CREATE TABLE predictions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  score REAL,
  result_json TEXT NOT NULL,
  media TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX predictions_by_task ON predictions(task_id, id);
)sql";

// Version 3: the workflow engine (docs/workflow.md): workforces and project
// access, batches, deadlines, golden tasks, final labels, review, events and
// webhook deliveries.
//
// New task columns land after `data` (ALTER TABLE appends); the claim reads
// none of them from the row: `routed` rides in tasks_queue, and golden tasks
// have no open slots. annotations.kind: 0 counts toward the overlap, 1 is on
// a golden task, 2 is a reviewer's fix. leases.counted = 0 for rework and
// golden leases, which hold no slot. Doubles (rate, score, agreement) are
// stored as their shortest decimal text, as predictions' scores are.
constexpr const char* kV3 = R"sql(
CREATE TABLE workforces (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  kind INTEGER NOT NULL,
  pricing_model INTEGER NOT NULL,
  rate TEXT NOT NULL,
  currency TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE workforce_members (
  workforce_id INTEGER NOT NULL REFERENCES workforces(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  PRIMARY KEY (workforce_id, user_id)
) WITHOUT ROWID;
CREATE INDEX workforce_members_by_user ON workforce_members(user_id, workforce_id);
CREATE TABLE project_workforces (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  workforce_id INTEGER NOT NULL REFERENCES workforces(id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, workforce_id)
) WITHOUT ROWID;
CREATE INDEX project_workforces_by_workforce ON project_workforces(workforce_id, project_id);

-- total and done are kept by imports and completions, so progress is one row.
CREATE TABLE batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  callback_secret TEXT NOT NULL,
  deadline INTEGER,
  routed INTEGER NOT NULL DEFAULT 0,
  total INTEGER NOT NULL DEFAULT 0,
  done INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  completed_at INTEGER
);
CREATE INDEX batches_by_project ON batches(project_id, id);
CREATE TABLE batch_workforces (
  batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
  workforce_id INTEGER NOT NULL REFERENCES workforces(id) ON DELETE CASCADE,
  PRIMARY KEY (batch_id, workforce_id)
) WITHOUT ROWID;

ALTER TABLE tasks ADD COLUMN deadline INTEGER;
ALTER TABLE tasks ADD COLUMN batch_id INTEGER REFERENCES batches(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN routed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN golden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN rejected_count INTEGER NOT NULL DEFAULT 0;
-- The queue now orders by deadline after priority, tasks without one last.
DROP INDEX tasks_queue;
CREATE INDEX tasks_queue ON tasks(project_id, priority DESC, deadline IS NULL, deadline, id, routed)
  WHERE open_slots > 0;
-- The review and adjudication queues, one partial index each: a query names
-- its state as a literal so SQLite can tell the index applies.
CREATE INDEX tasks_reviewing ON tasks(project_id, priority DESC, id) WHERE state = 3;
CREATE INDEX tasks_adjudicating ON tasks(project_id, priority DESC, id) WHERE state = 4;
CREATE INDEX tasks_by_batch ON tasks(batch_id, state) WHERE batch_id IS NOT NULL;
CREATE INDEX tasks_by_deadline ON tasks(project_id, deadline) WHERE deadline IS NOT NULL;
CREATE INDEX tasks_golden ON tasks(project_id, id) WHERE golden = 1;

ALTER TABLE leases ADD COLUMN counted INTEGER NOT NULL DEFAULT 1;
ALTER TABLE annotations ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
ALTER TABLE annotations ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
CREATE INDEX annotations_rejected ON annotations(project_id, user_id) WHERE rejected = 1;

CREATE TABLE golden_answers (
  task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  result TEXT NOT NULL,
  media TEXT
);
CREATE TABLE golden_grades (
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  project_id INTEGER NOT NULL,
  revision_id INTEGER NOT NULL,
  score TEXT NOT NULL,
  correct INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (task_id, user_id)
) WITHOUT ROWID;
CREATE INDEX golden_grades_by_project ON golden_grades(project_id, task_id, user_id);

CREATE TABLE final_labels (
  task_id INTEGER PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
  result TEXT NOT NULL,
  media TEXT,
  method TEXT NOT NULL,
  agreement TEXT NOT NULL,
  decided_by INTEGER REFERENCES users(id),
  updated_at INTEGER NOT NULL
);

CREATE TABLE reviews (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  reviewer_id INTEGER NOT NULL REFERENCES users(id),
  decision INTEGER NOT NULL,
  comment TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX reviews_by_task ON reviews(task_id, id);
-- active = 0: expired (kept so a late decision is kLeaseExpired) or used.
CREATE TABLE review_leases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX review_leases_by_task ON review_leases(task_id) WHERE active = 1;
CREATE INDEX review_leases_holder ON review_leases(project_id, user_id) WHERE active = 1;

CREATE TABLE webhooks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  events TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX webhooks_by_project ON webhooks(project_id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  task_id INTEGER,
  batch_id INTEGER,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX events_by_project ON events(project_id, id);
-- url and secret are copied from the webhook (or the batch's callback), so a
-- delivery is sent as it was when its event happened.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  webhook_id INTEGER REFERENCES webhooks(id) ON DELETE CASCADE,
  batch_id INTEGER REFERENCES batches(id) ON DELETE CASCADE,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  next_attempt_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE state = 0;
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, id);
CREATE INDEX deliveries_by_batch ON deliveries(batch_id, id) WHERE batch_id IS NOT NULL;
)sql";

// Version 4: analytics (docs/analytics.md): running counters, the
// disagreement of predictions with final labels, and the annotations' time
// index for the sample gallery.
constexpr const char* kV4 = R"sql(
CREATE TABLE stat_counters (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL,  -- 0: the project as a whole
  day INTEGER NOT NULL,      -- days since 1970-01-01 UTC
  metric TEXT NOT NULL,
  n INTEGER NOT NULL,
  total REAL NOT NULL,
  PRIMARY KEY (project_id, day, user_id, metric)
) WITHOUT ROWID;
CREATE TABLE disagreements (
  prediction_id INTEGER PRIMARY KEY REFERENCES predictions(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  score REAL NOT NULL,
  controls TEXT NOT NULL,
  labels TEXT NOT NULL,
  computed_at INTEGER NOT NULL
);
CREATE INDEX disagreements_ranked ON disagreements(project_id, score DESC, prediction_id);
CREATE INDEX annotations_by_time ON annotations(project_id, created_at);
-- Set by SendToReview: the task was done once, so deciding it again does not
-- count it done (or its labels accepted) a second time.
ALTER TABLE tasks ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 5: versioned labeling instructions (docs/instructions.md). A
// version's number is max + 1 per project; examples are JSON text kept byte
// for byte. Images are stored once by the SHA-256 of their bytes; an ack row
// holds a user's newest acknowledged version. Each revision records the
// instructions version in force when it was made (0: none).
constexpr const char* kV5 = R"sql(
CREATE TABLE instructions_versions (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  examples TEXT NOT NULL,
  note TEXT NOT NULL,
  author_id INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, version)
) WITHOUT ROWID;
CREATE TABLE instruction_images (
  hash TEXT PRIMARY KEY,
  content_type TEXT NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE instruction_acks (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  version INTEGER NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
ALTER TABLE revisions ADD COLUMN instructions_version INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 6: dataset versions, and the audit log (docs/datasets.md).
// label_blobs holds each distinct final label once, by the SHA-256 of its
// canonical text; a version is its (task, label hash) pairs.
// dataset_version_labels.task_id has no foreign key: a version outlives no
// task (it goes with its project), and the check would cost the snapshot of
// a large project an index probe per label. audit_log.project_id has none
// either: a project's entries (its deletion among them) outlive it.
constexpr const char* kV6 = R"sql(
CREATE TABLE label_blobs (
  hash TEXT PRIMARY KEY,
  result TEXT NOT NULL,
  media TEXT,
  method TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE dataset_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  note TEXT NOT NULL,
  hash TEXT NOT NULL,
  tasks INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE dataset_version_labels (
  version_id INTEGER NOT NULL REFERENCES dataset_versions(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  label_hash TEXT NOT NULL,
  PRIMARY KEY (version_id, task_id)
) WITHOUT ROWID;
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  action TEXT NOT NULL,
  project_id INTEGER,
  target TEXT NOT NULL,
  details TEXT NOT NULL
);
CREATE INDEX audit_by_project ON audit_log(project_id, id);
)sql";

// Version 7: golden sets and bake-offs (docs/bakeoffs.md). A golden set
// freezes its tasks' answers (golden_set_tasks.result/media), so later edits
// of a golden answer do not change what an earlier bake-off was scored
// against. bakeoff_assignments says which workforce candidate a golden task
// was handed to (one per candidate and task, with the lease that holds it);
// a submit on it copies the result into bakeoff_labels, where vendor imports
// land too. Weights are integer percents; rates text, as workforces' are.
// golden_set_tasks.task_id and the bake-off tables' task_id have no foreign
// key, like dataset_version_labels: a task only goes with its project.
constexpr const char* kV7 = R"sql(
CREATE TABLE golden_sets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  note TEXT NOT NULL,
  tasks INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name, version)
);
CREATE TABLE golden_set_tasks (
  golden_set_id INTEGER NOT NULL REFERENCES golden_sets(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  result TEXT NOT NULL,
  media TEXT,
  PRIMARY KEY (golden_set_id, task_id)
) WITHOUT ROWID;
CREATE TABLE bakeoffs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  golden_set_id INTEGER NOT NULL REFERENCES golden_sets(id),
  instructions_version INTEGER NOT NULL,
  closed INTEGER NOT NULL,
  w_accuracy INTEGER NOT NULL,
  w_speed INTEGER NOT NULL,
  w_cost INTEGER NOT NULL,
  created_by INTEGER NOT NULL REFERENCES users(id),
  created_at INTEGER NOT NULL,
  closed_at INTEGER
);
CREATE INDEX bakeoffs_by_project ON bakeoffs(project_id, id);
CREATE TABLE bakeoff_candidates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bakeoff_id INTEGER NOT NULL REFERENCES bakeoffs(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind INTEGER NOT NULL,
  workforce_id INTEGER REFERENCES workforces(id),
  format TEXT NOT NULL,
  pricing_model INTEGER NOT NULL,
  rate TEXT NOT NULL,
  currency TEXT NOT NULL,
  sent_at INTEGER,
  returned_at INTEGER,
  UNIQUE (bakeoff_id, name)
);
CREATE INDEX bakeoff_candidates_by_workforce ON bakeoff_candidates(workforce_id);
CREATE TABLE bakeoff_assignments (
  candidate_id INTEGER NOT NULL REFERENCES bakeoff_candidates(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  lease_id INTEGER NOT NULL,
  PRIMARY KEY (candidate_id, task_id)
) WITHOUT ROWID;
CREATE INDEX bakeoff_assignments_by_task ON bakeoff_assignments(task_id, user_id);
CREATE TABLE bakeoff_labels (
  candidate_id INTEGER NOT NULL REFERENCES bakeoff_candidates(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  user_id INTEGER,
  revision_id INTEGER,
  result TEXT NOT NULL,
  media TEXT,
  lead_time_ms INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (candidate_id, task_id)
) WITHOUT ROWID;
)sql";

// Version 8: ML backends, prediction jobs, pre-label outcomes and the
// built-in learner's models (docs/automation.md). prelabel_uses is one row
// per annotation started from a pre-label (by its first revision);
// prediction_id has no foreign key: the record of what was shown outlives a
// prediction deleted later.
constexpr const char* kV8 = R"sql(
CREATE TABLE ml_backends (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  protocol TEXT NOT NULL,
  auth_header TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  on_import INTEGER NOT NULL,
  continuous INTEGER NOT NULL,
  train INTEGER NOT NULL,
  batch_size INTEGER NOT NULL,
  concurrency INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  health TEXT NOT NULL,
  last_error TEXT NOT NULL,
  checked_at INTEGER,
  model_version TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
);
CREATE TABLE prediction_jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  backend_id INTEGER NOT NULL REFERENCES ml_backends(id) ON DELETE CASCADE,
  origin TEXT NOT NULL,
  scope TEXT NOT NULL,
  state INTEGER NOT NULL,
  cursor INTEGER NOT NULL,
  total INTEGER NOT NULL,
  processed INTEGER NOT NULL,
  predicted INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  last_error TEXT NOT NULL,
  created_by INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  finished_at INTEGER,
  held_until INTEGER NOT NULL
);
CREATE INDEX prediction_jobs_by_project ON prediction_jobs(project_id, id);
CREATE INDEX prediction_jobs_due ON prediction_jobs(held_until, id) WHERE state IN (0, 1);
CREATE TABLE prelabel_uses (
  revision_id INTEGER PRIMARY KEY REFERENCES revisions(id) ON DELETE CASCADE,
  project_id INTEGER NOT NULL,
  task_id INTEGER NOT NULL,
  prediction_id INTEGER NOT NULL,
  model_name TEXT NOT NULL,
  model_version TEXT NOT NULL,
  outcome INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX prelabel_uses_by_task ON prelabel_uses(task_id);
CREATE TABLE learner_models (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  control TEXT NOT NULL,
  model BLOB NOT NULL,
  updates INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, control)
) WITHOUT ROWID;
)sql";

// Version 9: training and qualification (docs/training.md). Practice and test
// answers live in training_answers, never in annotations, so nothing that
// reads labels (consensus, final labels, exports, bake-offs, dataset
// versions, label counters) can see them. labeler_training is one row per
// project and labeler, read by primary key when a project gates its queue.
// golden_grades_by_user serves the ongoing check's window of a labeler's
// newest grades. Scores are text, as golden_grades' are; task_id has no
// foreign key in training_answers (answers outlive a task made ordinary).
constexpr const char* kV9 = R"sql(
CREATE TABLE practice_items (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  position integer NOT NULL,
  explanation TEXT NOT NULL,
  anchor TEXT NOT NULL,
  PRIMARY KEY (project_id, task_id)
) WITHOUT ROWID;
CREATE TABLE qualification_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  golden_set_id INTEGER NOT NULL REFERENCES golden_sets(id) ON DELETE CASCADE,
  instructions_version INTEGER NOT NULL,
  pass_mark TEXT NOT NULL,
  tasks INTEGER NOT NULL,
  answered INTEGER NOT NULL,
  score TEXT,
  passed integer,
  started_at INTEGER NOT NULL,
  finished_at INTEGER
);
CREATE INDEX qualification_attempts_by_user ON qualification_attempts(project_id, user_id, id);
CREATE UNIQUE INDEX qualification_attempts_open ON qualification_attempts(project_id, user_id)
  WHERE finished_at IS NULL;
CREATE TABLE training_answers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL,
  attempt_id INTEGER REFERENCES qualification_attempts(id) ON DELETE CASCADE,
  result TEXT NOT NULL,
  media TEXT,
  lead_time_ms INTEGER NOT NULL,
  score TEXT NOT NULL,
  correct integer NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX training_answers_by_user ON training_answers(project_id, user_id, id);
CREATE UNIQUE INDEX training_answers_by_attempt ON training_answers(attempt_id, task_id)
  WHERE attempt_id IS NOT NULL;
CREATE TABLE labeler_training (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  first_at INTEGER NOT NULL,
  practice_done INTEGER NOT NULL,
  practice_correct INTEGER NOT NULL,
  practice_since_fail INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  last_score TEXT,
  best_score TEXT,
  last_failed_at INTEGER,
  passed_at INTEGER,
  passed_version INTEGER NOT NULL,
  first_passed_at INTEGER,
  paused_at INTEGER,
  pause TEXT,
  checked_since INTEGER NOT NULL,
  PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX golden_grades_by_user ON golden_grades(project_id, user_id, created_at);
)sql";

// Version 10: automation settings (docs/automation.md). tasks.uncertainty is
// the built-in learner's uncertainty of an open task, for the queue order
// "uncertainty": NULL in every project that does not use that order, so
// tasks_queue_uncertain, partial on it, holds only those projects' tasks and
// the claims and submits of other projects never touch it. Unranked tasks
// of an uncertainty-ordered project hold 1 (nothing known). The span
// pre-labeler's configuration per project; its version names its
// predictions.
constexpr const char* kV10 = R"sql(
ALTER TABLE tasks ADD COLUMN uncertainty REAL;
CREATE INDEX tasks_queue_uncertain ON tasks(project_id, priority DESC, deadline IS NULL, deadline,
  uncertainty DESC, id, routed) WHERE open_slots > 0 AND uncertainty IS NOT NULL;
CREATE TABLE span_prelabelers (
  project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
  control TEXT NOT NULL,
  config TEXT NOT NULL,
  version TEXT NOT NULL,
  updated_by INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- Accepted labels the project's learning backends are still to be told of,
-- so that a server that stops tells them at its next start.
CREATE TABLE train_queue (
  project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  queued_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, task_id)
) WITHOUT ROWID;
)sql";

constexpr const char* kMigrations[] = {kV1, kV2, kV3, kV4, kV5, kV6, kV7, kV8, kV9, kV10};

}  // namespace

std::span<const char* const> Migrations() { return kMigrations; }

Status ApplyMigrations(Connection& conn) {
  PLUMB_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(conn, Transaction::Kind::kImmediate));
  PLUMB_RETURN_IF_ERROR(
      conn.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)"));
  int64_t applied = 0;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement stmt,
                           conn.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    PLUMB_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) applied = stmt.Int(0);
  }
  const int64_t known = static_cast<int64_t>(Migrations().size());
  if (applied > known) {
    return Status::Internal("database schema version " + std::to_string(applied) +
                            " is newer than this build's " + std::to_string(known));
  }
  for (int64_t version = applied + 1; version <= known; ++version) {
    PLUMB_RETURN_IF_ERROR(conn.Exec(Migrations()[version - 1]));
    PLUMB_ASSIGN_OR_RETURN(Statement stmt,
                           conn.Prepare("INSERT INTO schema_migrations (version) VALUES (?)"));
    PLUMB_RETURN_IF_ERROR(stmt.Bind(version).Run());
  }
  return txn.Commit();
}

}  // namespace plumb::store::sqlite
