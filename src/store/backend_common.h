#pragma once
// What the store's backends share below the Store interface: reading domain
// types from result rows, query checks, and the table list that DumpTables
// and DatabaseLoader follow. Internal to src/store.

#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/core.h"
#include "store/store.h"

// Column lists in the order the Read* functions below expect, for pasting
// into SQL literals of either backend.
#define PLUMB_USER_COLS "u.id, u.username, u.role, u.created_at"
#define PLUMB_PROJECT_COLS \
  "p.id, p.name, p.schema_json, p.settings_json, p.created_by, p.created_at"
#define PLUMB_TASK_COLS \
  "t.id, t.project_id, t.priority, t.state, t.created_at, t.data, t.deadline, t.batch_id, t.golden"
#define PLUMB_REVISION_COLS                                                                  \
  "r.id, r.annotation_id, r.task_id, r.user_id, u.username, r.revision, r.result, r.media, " \
  "r.lead_time_ms, r.source, r.parent_id, r.created_at, r.instructions_version"
#define PLUMB_PREDICTION_COLS \
  "p.id, p.task_id, p.model_name, p.model_version, p.score, p.result_json, p.media, p.created_at"

#define PLUMB_ML_BACKEND_COLS                                                                   \
  "b.id, b.project_id, b.name, b.url, b.protocol, b.auth_header, b.enabled, b.on_import,"       \
  " b.continuous, b.train, b.batch_size, b.concurrency, b.timeout_ms, b.health, b.last_error,"  \
  " b.checked_at, b.model_version, b.created_at"
#define PLUMB_JOB_COLS                                                                         \
  "j.id, j.project_id, j.backend_id, j.origin, j.scope, j.state, j.cursor, j.total,"         \
  " j.processed, j.predicted, j.failed, j.last_error, j.created_by, j.created_at, j.updated_at," \
  " j.finished_at, j.held_until"

namespace plumb::store {

// The pre-label counters a revision adds when it creates an annotation
// (NewRevision::track_prelabel); empty when it does not track them.
std::vector<StatDelta> PrelabelStats(const NewRevision& rev);

// Tasks per export batch: large enough to amortize the annotation query,
// small enough to keep a batch's payloads in memory.
inline constexpr int kExportBatch = 1000;
inline constexpr int32_t kMaxPageSize = 1000;

// A result row of either backend: Int(col), Text(col), Json(col) (JSON text
// as the Store hands it out), OptionalInt(col).
template <typename Row>
concept ResultRow = requires(const Row& r, int col) {
  { r.Int(col) } -> std::convertible_to<int64_t>;
  { r.Text(col) } -> std::convertible_to<std::string>;
  { r.Json(col) } -> std::convertible_to<std::string>;
  { r.OptionalInt(col) } -> std::convertible_to<std::optional<int64_t>>;
};

template <ResultRow Row>
User ReadUser(const Row& r, int col) {
  return User{r.Int(col), r.Text(col + 1), static_cast<Role>(r.Int(col + 2)), r.Int(col + 3)};
}

Result<ProjectSettings> ParseStoredSettings(int64_t project_id, std::string_view json);

// A double (a prediction's score, an agreement, a rate) as the backends store it: bound and read as decimal
// text (neither backend's binding layer takes doubles), exact for round trips.
std::optional<std::string> ScoreText(const std::optional<double>& score);
// nullopt for NULL ("") or text that is not a number.
std::optional<double> ParseScore(std::string_view text);

template <ResultRow Row>
Result<Project> ReadProject(const Row& r, int col) {
  Project project;
  project.id = r.Int(col);
  project.name = r.Text(col + 1);
  project.schema_json = r.Json(col + 2);
  PLUMB_ASSIGN_OR_RETURN(project.settings, ParseStoredSettings(project.id, r.Text(col + 3)));
  project.created_by = r.Int(col + 4);
  project.created_at_ms = r.Int(col + 5);
  return project;
}

template <ResultRow Row>
Task ReadTask(const Row& r, int col) {
  Task task;
  task.id = r.Int(col);
  task.project_id = r.Int(col + 1);
  task.priority = static_cast<int32_t>(r.Int(col + 2));
  task.state = static_cast<TaskState>(r.Int(col + 3));
  task.created_at_ms = r.Int(col + 4);
  task.data_json = r.Json(col + 5);
  task.deadline_ms = r.OptionalInt(col + 6);
  task.batch_id = r.OptionalInt(col + 7);
  task.golden = r.Int(col + 8) != 0;
  return task;
}

#define PLUMB_FINAL_LABEL_COLS \
  "f.task_id, f.result, f.media, f.method, f.agreement, f.decided_by, f.updated_at"

template <ResultRow Row>
FinalLabel ReadFinalLabel(const Row& r, int col) {
  FinalLabel f;
  f.task_id = r.Int(col);
  f.result_json = r.Json(col + 1);
  f.media_json = r.Json(col + 2);
  f.method = r.Text(col + 3);
  f.agreement = ParseScore(r.Text(col + 4)).value_or(0);
  f.decided_by = r.OptionalInt(col + 5);
  f.updated_at_ms = r.Int(col + 6);
  return f;
}

#define PLUMB_WORKFORCE_COLS \
  "w.id, w.name, w.kind, w.pricing_model, w.rate, w.currency, w.created_at"

template <ResultRow Row>
Workforce ReadWorkforce(const Row& r, int col) {
  Workforce w;
  w.id = r.Int(col);
  w.name = r.Text(col + 1);
  w.kind = static_cast<WorkforceKind>(r.Int(col + 2));
  w.pricing.model = static_cast<PricingModel>(r.Int(col + 3));
  w.pricing.rate = ParseScore(r.Text(col + 4)).value_or(0);
  w.pricing.currency = r.Text(col + 5);
  w.created_at_ms = r.Int(col + 6);
  return w;
}

// Batch columns without workforce_ids, which come from batch_workforces.
#define PLUMB_BATCH_COLS                                                                   \
  "b.id, b.project_id, b.name, b.callback_url, b.deadline, b.created_at, b.completed_at, " \
  "b.total, b.done"

template <ResultRow Row>
Batch ReadBatch(const Row& r, int col) {
  Batch b;
  b.id = r.Int(col);
  b.project_id = r.Int(col + 1);
  b.name = r.Text(col + 2);
  b.callback_url = r.Text(col + 3);
  b.deadline_ms = r.OptionalInt(col + 4);
  b.created_at_ms = r.Int(col + 5);
  b.completed_at_ms = r.OptionalInt(col + 6);
  b.total = r.Int(col + 7);
  b.done = r.Int(col + 8);
  return b;
}

#define PLUMB_DELIVERY_COLS                                                                  \
  "d.id, d.webhook_id, d.batch_id, d.event_id, e.type, d.url, d.state, d.attempts, "         \
  "d.last_status, d.last_error, d.next_attempt_at, d.delivered_at"

template <ResultRow Row>
Store::Delivery ReadDelivery(const Row& r, int col) {
  Store::Delivery d;
  d.id = r.Int(col);
  d.webhook_id = r.OptionalInt(col + 1);
  d.batch_id = r.OptionalInt(col + 2);
  d.event_id = r.Int(col + 3);
  d.event_type = r.Text(col + 4);
  d.url = r.Text(col + 5);
  d.state = static_cast<Store::DeliveryState>(r.Int(col + 6));
  d.attempts = static_cast<int32_t>(r.Int(col + 7));
  d.last_status = static_cast<int32_t>(r.Int(col + 8));
  d.last_error = r.Text(col + 9);
  d.next_attempt_at_ms = r.Int(col + 10);
  d.delivered_at_ms = r.OptionalInt(col + 11);
  return d;
}

// The body of a delivery: {id, type, project_id, created_at, data}, with
// `data_json` (the event's JSON object) pasted in verbatim.
std::string EventBody(int64_t event_id, std::string_view type, int64_t project_id,
                      int64_t created_at_ms, std::string_view data_json);

// The data of a task.completed event.
std::string TaskCompletedData(const Task& task, const FinalLabel& label);
// The data of a batch.completed event.
std::string BatchCompletedData(int64_t batch_id, int64_t total);
// The data of a review.rejected event.
std::string ReviewRejectedData(int64_t task_id, int64_t reviewer_id, std::string_view comment);

// Webhook event names as stored: a comma-joined list, and back.
std::string JoinEvents(const std::vector<std::string>& events);
std::vector<std::string> SplitEvents(std::string_view joined);

template <ResultRow Row>
Revision ReadRevision(const Row& r, int col) {
  Revision rev;
  rev.id = r.Int(col);
  rev.annotation_id = r.Int(col + 1);
  rev.task_id = r.Int(col + 2);
  rev.user_id = r.Int(col + 3);
  rev.username = r.Text(col + 4);
  rev.revision = static_cast<int32_t>(r.Int(col + 5));
  rev.result_json = r.Json(col + 6);
  rev.media_json = r.Json(col + 7);
  rev.lead_time_ms = r.Int(col + 8);
  rev.source = static_cast<RevisionSource>(r.Int(col + 9));
  rev.parent_id = r.OptionalInt(col + 10);
  rev.created_at_ms = r.Int(col + 11);
  rev.instructions_version = r.Int(col + 12);
  return rev;
}


template <ResultRow Row>
Prediction ReadPrediction(const Row& r, int col) {
  Prediction p;
  p.id = r.Int(col);
  p.task_id = r.Int(col + 1);
  p.model_name = r.Text(col + 2);
  p.model_version = r.Text(col + 3);
  p.score = ParseScore(r.Text(col + 4));
  p.result_json = r.Json(col + 5);
  p.media_json = r.Json(col + 6);
  p.created_at_ms = r.Int(col + 7);
  return p;
}

// The queue bookkeeping of a newly imported task (see the tasks table): an
// imported annotation takes one of the overlap's slots.
struct ImportedTaskCounters {
  TaskState state = TaskState::kNew;
  int32_t annotation_count = 0;
  int32_t open_slots = 0;
};
ImportedTaskCounters CountersForImport(int32_t overlap, bool annotated);
// The first revision of an imported annotation on task `task_id`.
NewRevision ImportedRevision(int64_t task_id, const NewImportedAnnotation& annotation);

// kInvalidArgument unless a prediction's model name and version are at most
// kMaxModelNameBytes and its score is finite.
inline constexpr size_t kMaxModelNameBytes = 200;
Status CheckPrediction(const NewPrediction& prediction);

void AddToCounts(TaskCounts& counts, TaskState state, int64_t n);

// NULL for an empty optional JSON column (media) or key.
inline std::optional<std::string_view> UnlessEmpty(const std::string& v) {
  return v.empty() ? std::nullopt : std::optional<std::string_view>(v);
}

// One batch of ForEachTaskWithAnnotations: calls `fn` for each of `tasks` (in
// id order) with its revisions out of `revisions` (the batch's, ordered by
// task id); stops at the first error `fn` returns and returns it.
Status VisitBatch(const std::vector<Task>& tasks, std::vector<Revision> revisions,
                  const std::function<Status(const Task&, const std::vector<Revision>&)>& fn);

// kInvalidArgument (field "limit") unless the page size is 1..kMaxPageSize.
Status CheckTaskQuery(const TaskQuery& query);

// The lease `lease_id` as stored, for the checks of AppendRevision/SkipTask.
struct StoredLease {
  int64_t task_id = 0;
  int64_t user_id = 0;
  int64_t project_id = 0;
  int64_t expires_at_ms = 0;
  bool active = false;
  bool counted = true;  // holds one of the task's slots (not a rework or golden lease)
};

// `lease` if it is `user_id`'s lease on `task_id`; kConflict otherwise (also
// when it is unknown), without telling whose lease it is.
Result<StoredLease> CheckOwnLease(const std::optional<StoredLease>& lease, int64_t lease_id,
                                  int64_t task_id, int64_t user_id);

// --- dataset versions and the audit log --------------------------------------------

// kInvalidArgument (field "name") unless `name` is [A-Za-z0-9._-]{1,64} and not
// "diff" (which the API's diff route takes).
Status CheckVersionName(std::string_view name);

// SHA-256 of `bytes` as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view bytes);

// A final label as a version stores it: result and media as compact JSON with
// keys sorted (so both backends, whose JSON columns hand out different text,
// give the same bytes), and the hash of the canonical label text
// {"media":…,"method":…,"result":…}.
struct CanonicalLabel {
  std::string hash;
  std::string result_json;
  std::string media_json;  // "" when none
  std::string method;
};
// kInternal for stored JSON that does not parse.
Result<CanonicalLabel> CanonicalizeLabel(int64_t task_id, std::string_view result_json,
                                         std::string_view media_json, std::string_view method);

// The label hashes one snapshot has already put in label_blobs: a label that
// many tasks share (most labels, in a choice project) is written once per
// snapshot instead of probed once per task. Bounded; past the bound it starts
// over, and the store probes again (INSERT OR IGNORE, ON CONFLICT DO NOTHING).
class SnapshotBlobs {
 public:
  // True the first time this snapshot sees `hash` (since it last started over).
  bool IsNew(const std::string& hash) {
    if (seen_.size() >= kMaxKnown) seen_.clear();
    return seen_.insert(hash).second;
  }

 private:
  static constexpr size_t kMaxKnown = size_t{1} << 16;
  std::unordered_set<std::string> seen_;
};

// The hash of a version: SHA-256 over "<task id> <label hash>\n" per label, in
// task id order.
class VersionHasher {
 public:
  VersionHasher();
  void Add(int64_t task_id, std::string_view label_hash);
  std::string Finish();  // hex; call once

 private:
  alignas(64) unsigned char state_[256];  // crypto_hash_sha256_state
};

// Builds a VersionDiff from the tasks whose labels differ between the two
// versions, in task id order; `from_result`/`to_result` are the label's result
// in that version, nullopt when the task is not in it.
class VersionDiffBuilder {
 public:
  void AddChange(int64_t task_id, const std::optional<std::string>& from_result,
                 const std::optional<std::string>& to_result);
  // `from_tasks`: the number of labels of the `from` version.
  VersionDiff Finish(int64_t from_tasks);

 private:
  VersionDiff diff_;
  std::map<std::string, std::pair<int64_t, int64_t>> classes_;
};

// kInvalidArgument unless the action is set and details are "" or a JSON
// object; returns the details to store ("{}" for "").
Result<std::string> CheckAuditEntry(const AuditEntry& entry);
// kInvalidArgument (field "limit") unless the page size is 1..kMaxPageSize.
Status CheckAuditQuery(const AuditQuery& query);

// --- the whole database ----------------------------------------------------------

// One table of a dump: its columns in dump order, and what orders its rows.
struct DumpTable {
  std::string_view name;
  std::vector<std::string_view> columns;
  std::string_view order_by;
  // The column that takes generated ids, "" when none: load moves its
  // sequence past the loaded rows.
  std::string_view id_column;
  // A column of bytes (BLOB, bytea), "" when none. Dumps carry it as
  // lowercase hex, which loads decode.
  std::string_view binary_column = {};
};

// Lowercase hex of bytes, and back (nullopt for odd length or a non-hex digit).
std::string EncodeHex(std::string_view bytes);
std::optional<std::string> DecodeHex(std::string_view hex);

// Dataset versions and audit entries of docs/datasets.md, shared by both
// backends. PLUMB_VERSION_COLS needs "JOIN users u ON u.id = v.created_by",
// PLUMB_AUDIT_COLS "JOIN users u ON u.id = a.user_id".
#define PLUMB_VERSION_COLS                                                          \
  "v.id, v.project_id, v.name, v.note, v.hash, v.tasks, v.created_by, u.username, " \
  "v.created_at"

template <ResultRow Row>
DatasetVersion ReadVersion(const Row& r, int col) {
  DatasetVersion v;
  v.id = r.Int(col);
  v.project_id = r.Int(col + 1);
  v.name = r.Text(col + 2);
  v.note = r.Text(col + 3);
  v.hash = r.Text(col + 4);
  v.tasks = r.Int(col + 5);
  v.created_by = r.Int(col + 6);
  v.created_by_name = r.Text(col + 7);
  v.created_at_ms = r.Int(col + 8);
  return v;
}

#define PLUMB_AUDIT_COLS \
  "a.id, a.at, a.user_id, u.username, a.action, a.project_id, a.target, a.details"

template <ResultRow Row>
AuditEntry ReadAuditEntry(const Row& r, int col) {
  AuditEntry e;
  e.id = r.Int(col);
  e.at_ms = r.Int(col + 1);
  e.user_id = r.Int(col + 2);
  e.username = r.Text(col + 3);
  e.action = r.Text(col + 4);
  e.project_id = r.OptionalInt(col + 5);
  e.target = r.Text(col + 6);
  e.details_json = r.Text(col + 7);
  return e;
}

// The instructions of docs/instructions.md, shared by both backends.
#define PLUMB_INSTRUCTIONS_COLS \
  "i.project_id, i.version, i.body, i.examples, i.note, i.author_id, u.username, i.created_at"

template <ResultRow Row>
InstructionsVersion ReadInstructions(const Row& r, int col) {
  InstructionsVersion v;
  v.project_id = r.Int(col);
  v.version = r.Int(col + 1);
  v.body = r.Text(col + 2);
  v.examples_json = r.Text(col + 3);
  v.note = r.Text(col + 4);
  v.author_id = r.Int(col + 5);
  v.author_username = r.Text(col + 6);
  v.created_at_ms = r.Int(col + 7);
  return v;
}
// GetInstructions' kNotFound: no such version, or (nullopt) none at all.
Status InstructionsNotFound(int64_t project_id, std::optional<int64_t> version);

// kInvalidArgument unless at most 1000 task ids.
Status CheckReworkIds(const std::vector<int64_t>& task_ids);

// --- golden sets and bake-offs (docs/bakeoffs.md) ------------------------------

#define PLUMB_GOLDEN_SET_COLS \
  "g.id, g.project_id, g.name, g.version, g.note, g.tasks, g.created_by, u.username, g.created_at"

template <ResultRow Row>
GoldenSet ReadGoldenSet(const Row& r, int col) {
  GoldenSet g;
  g.id = r.Int(col);
  g.project_id = r.Int(col + 1);
  g.name = r.Text(col + 2);
  g.version = r.Int(col + 3);
  g.note = r.Text(col + 4);
  g.tasks = r.Int(col + 5);
  g.created_by = r.Int(col + 6);
  g.created_by_name = r.Text(col + 7);
  g.created_at_ms = r.Int(col + 8);
  return g;
}

#define PLUMB_BAKEOFF_COLS                                                                        \
  "b.id, b.project_id, b.name, b.golden_set_id, b.instructions_version, b.closed, b.w_accuracy, " \
  "b.w_speed, b.w_cost, b.created_by, u.username, b.created_at, b.closed_at"

template <ResultRow Row>
Bakeoff ReadBakeoff(const Row& r, int col) {
  Bakeoff b;
  b.id = r.Int(col);
  b.project_id = r.Int(col + 1);
  b.name = r.Text(col + 2);
  b.golden_set_id = r.Int(col + 3);
  b.instructions_version = r.Int(col + 4);
  b.closed = r.Int(col + 5) != 0;
  b.weights.accuracy = static_cast<int32_t>(r.Int(col + 6));
  b.weights.speed = static_cast<int32_t>(r.Int(col + 7));
  b.weights.cost = static_cast<int32_t>(r.Int(col + 8));
  b.created_by = r.Int(col + 9);
  b.created_by_name = r.Text(col + 10);
  b.created_at_ms = r.Int(col + 11);
  b.closed_at_ms = r.OptionalInt(col + 12);
  return b;
}

// With the candidate's label count last.
#define PLUMB_CANDIDATE_COLS                                                                \
  "c.id, c.bakeoff_id, c.name, c.kind, c.workforce_id, c.format, c.pricing_model, c.rate, " \
  "c.currency, c.sent_at, c.returned_at, (SELECT COUNT(*) FROM bakeoff_labels l WHERE "     \
  "l.candidate_id = c.id)"

template <ResultRow Row>
BakeoffCandidate ReadCandidate(const Row& r, int col) {
  BakeoffCandidate c;
  c.id = r.Int(col);
  c.bakeoff_id = r.Int(col + 1);
  c.name = r.Text(col + 2);
  c.kind = static_cast<CandidateKind>(r.Int(col + 3));
  c.workforce_id = r.OptionalInt(col + 4);
  c.format = r.Text(col + 5);
  c.pricing_model = static_cast<CandidatePricing>(r.Int(col + 6));
  c.rate = ParseScore(r.Text(col + 7)).value_or(0);
  c.currency = r.Text(col + 8);
  c.sent_at_ms = r.OptionalInt(col + 9);
  c.returned_at_ms = r.OptionalInt(col + 10);
  c.labels = r.Int(col + 11);
  return c;
}

// Needs "LEFT JOIN revisions r ON r.id = l.revision_id".
#define PLUMB_BAKEOFF_LABEL_COLS                                                             \
  "l.candidate_id, l.task_id, l.user_id, l.revision_id, l.result, l.media, l.lead_time_ms, " \
  "l.created_at, COALESCE(r.instructions_version, 0)"

template <ResultRow Row>
BakeoffLabel ReadBakeoffLabel(const Row& r, int col) {
  BakeoffLabel l;
  l.candidate_id = r.Int(col);
  l.task_id = r.Int(col + 1);
  l.user_id = r.OptionalInt(col + 2);
  l.revision_id = r.OptionalInt(col + 3);
  l.result_json = r.Json(col + 4);
  l.media_json = r.Json(col + 5);
  l.lead_time_ms = r.Int(col + 6);
  l.created_at_ms = r.Int(col + 7);
  l.instructions_version = r.Int(col + 8);
  return l;
}

// kInvalidArgument (field "name") for an empty golden set name or one over
// 200 bytes; (field "task_ids[i]") for a task id given twice.
Status CheckNewGoldenSet(std::string_view name, const std::vector<int64_t>& task_ids);
// kInvalidArgument (field "candidates[i].name") for a candidate name used twice.
Status CheckNewBakeoff(const Bakeoff& bakeoff);
// kInvalidArgument (field "[i].task_id") for a task given twice.
Status CheckVendorLabels(const std::vector<BakeoffLabel>& labels);
// Puts each candidate (by bakeoff_id) into its bake-off, in order.
void AttachCandidates(std::vector<Bakeoff>& bakeoffs, std::vector<BakeoffCandidate> candidates);

// Every table of the schema, parents first (the order of store.h's
// DumpTables contract). Both backends have exactly these columns.
std::span<const DumpTable> SchemaTables();

// Where a loaded row goes: names from a DumpTable, the ones to paste into SQL
// (never the caller's strings).
struct LoadTarget {
  const DumpTable* table = nullptr;
  std::vector<std::string_view> columns;

  bool operator==(const LoadTarget&) const = default;
};

// The table named `name`, with `columns` all its own and distinct, and as many
// values as columns. kInvalidArgument otherwise.
Result<LoadTarget> CheckLoadRow(std::string_view name, const std::vector<std::string>& columns,
                                size_t value_count);

// "a, b, c".
std::string JoinColumns(std::span<const std::string_view> columns);

template <ResultRow Row>
MlBackend ReadMlBackend(const Row& r, int col) {
  MlBackend b;
  b.id = r.Int(col);
  b.project_id = r.Int(col + 1);
  b.name = r.Text(col + 2);
  b.url = r.Text(col + 3);
  b.protocol = r.Text(col + 4);
  b.auth_header = r.Text(col + 5);
  b.enabled = r.Int(col + 6) != 0;
  b.on_import = r.Int(col + 7) != 0;
  b.continuous = r.Int(col + 8) != 0;
  b.train = r.Int(col + 9) != 0;
  b.batch_size = static_cast<int32_t>(r.Int(col + 10));
  b.concurrency = static_cast<int32_t>(r.Int(col + 11));
  b.timeout_ms = static_cast<int32_t>(r.Int(col + 12));
  b.health = r.Text(col + 13);
  b.last_error = r.Text(col + 14);
  b.checked_at_ms = r.OptionalInt(col + 15);
  b.model_version = r.Text(col + 16);
  b.created_at_ms = r.Int(col + 17);
  return b;
}

template <ResultRow Row>
PredictionJob ReadPredictionJob(const Row& r, int col) {
  PredictionJob j;
  j.id = r.Int(col);
  j.project_id = r.Int(col + 1);
  j.backend_id = r.Int(col + 2);
  j.trigger = r.Text(col + 3);
  j.filter_json = r.Json(col + 4);
  j.state = static_cast<JobState>(r.Int(col + 5));
  j.cursor = r.Int(col + 6);
  j.total = r.Int(col + 7);
  j.processed = r.Int(col + 8);
  j.predicted = r.Int(col + 9);
  j.failed = r.Int(col + 10);
  j.last_error = r.Text(col + 11);
  j.created_by = r.Int(col + 12);
  j.created_at_ms = r.Int(col + 13);
  j.updated_at_ms = r.Int(col + 14);
  j.finished_at_ms = r.OptionalInt(col + 15);
  j.held_until_ms = r.Int(col + 16);
  return j;
}

// kInvalidArgument for a backend the store must not hold (the HTTP layer
// checks more and names fields first): an empty name or url, a protocol
// other than "plumb"/"label_studio", limits outside their ranges.
Status CheckMlBackend(const MlBackend& backend);

// --- training and qualification (docs/training.md) ---------------------------------

#define PLUMB_PRACTICE_COLS "p.task_id, p.position, p.explanation, p.anchor"

template <ResultRow Row>
PracticeItem ReadPracticeItem(const Row& r, int col) {
  return PracticeItem{r.Int(col), static_cast<int32_t>(r.Int(col + 1)), r.Text(col + 2),
                      r.Text(col + 3)};
}

#define PLUMB_TRAINING_ANSWER_COLS                                                              \
  "a.id, a.project_id, a.user_id, a.task_id, a.attempt_id, a.result, a.media, a.lead_time_ms, " \
  "a.score, a.correct, a.created_at"

template <ResultRow Row>
TrainingAnswer ReadTrainingAnswer(const Row& r, int col) {
  TrainingAnswer a;
  a.id = r.Int(col);
  a.project_id = r.Int(col + 1);
  a.user_id = r.Int(col + 2);
  a.task_id = r.Int(col + 3);
  a.attempt_id = r.OptionalInt(col + 4);
  a.result_json = r.Json(col + 5);
  a.media_json = r.Json(col + 6);
  a.lead_time_ms = r.Int(col + 7);
  a.score = ParseScore(r.Text(col + 8)).value_or(0);
  a.correct = r.Int(col + 9) != 0;
  a.created_at_ms = r.Int(col + 10);
  return a;
}

#define PLUMB_ATTEMPT_COLS                                                                \
  "q.id, q.project_id, q.user_id, q.golden_set_id, q.instructions_version, q.pass_mark, " \
  "q.tasks, q.answered, q.score, q.passed, q.started_at, q.finished_at"

template <ResultRow Row>
QualificationAttempt ReadAttempt(const Row& r, int col) {
  QualificationAttempt q;
  q.id = r.Int(col);
  q.project_id = r.Int(col + 1);
  q.user_id = r.Int(col + 2);
  q.golden_set_id = r.Int(col + 3);
  q.instructions_version = r.Int(col + 4);
  q.pass_mark = ParseScore(r.Text(col + 5)).value_or(0);
  q.tasks = r.Int(col + 6);
  q.answered = r.Int(col + 7);
  q.score = ParseScore(r.Text(col + 8));
  if (auto passed = r.OptionalInt(col + 9)) q.passed = *passed != 0;
  q.started_at_ms = r.Int(col + 10);
  q.finished_at_ms = r.OptionalInt(col + 11);
  return q;
}

// Needs "JOIN users u ON u.id = l.user_id".
#define PLUMB_LABELER_TRAINING_COLS                                                        \
  "l.project_id, l.user_id, u.username, l.first_at, l.practice_done, l.practice_correct, " \
  "l.practice_since_fail, l.attempts, l.last_score, l.best_score, l.last_failed_at, "      \
  "l.passed_at, l.passed_version, l.first_passed_at, l.paused_at, l.pause, l.checked_since"

template <ResultRow Row>
LabelerTraining ReadLabelerTraining(const Row& r, int col) {
  LabelerTraining t;
  t.project_id = r.Int(col);
  t.user_id = r.Int(col + 1);
  t.username = r.Text(col + 2);
  t.first_at_ms = r.Int(col + 3);
  t.practice_done = r.Int(col + 4);
  t.practice_correct = r.Int(col + 5);
  t.practice_since_fail = r.Int(col + 6);
  t.attempts = r.Int(col + 7);
  t.last_score = ParseScore(r.Text(col + 8));
  t.best_score = ParseScore(r.Text(col + 9));
  t.last_failed_at_ms = r.OptionalInt(col + 10);
  t.passed_at_ms = r.OptionalInt(col + 11);
  t.passed_version = r.Int(col + 12);
  t.first_passed_at_ms = r.OptionalInt(col + 13);
  t.paused_at_ms = r.OptionalInt(col + 14);
  t.pause_json = r.Json(col + 15);
  t.checked_since_ms = r.Int(col + 16);
  return t;
}

// kInvalidArgument (field "items[i].task_id") for a task listed twice.
Status CheckPracticeItems(const std::vector<PracticeItem>& items);

// A golden grade in the ongoing check's window.
struct WindowGrade {
  int64_t task_id = 0;
  double score = 0;
  bool correct = false;
};
// The labeler.paused event's data when `window` (a labeler's newest grades,
// newest first) is full and its accuracy is below the rule's threshold;
// nullopt otherwise. The data names the wrong tasks.
std::optional<std::string> PauseEventData(int64_t project_id, int64_t user_id,
                                          std::string_view username, const PauseRule& rule,
                                          const std::vector<WindowGrade>& window);

// An attempt's score and outcome from the scores of all its answers.
struct AttemptOutcome {
  double score = 0;
  bool passed = false;
};
AttemptOutcome ScoreAttempt(const std::vector<double>& scores, int64_t tasks, double pass_mark);

// The training record after a finished attempt (`outcome` at `now_ms` under
// `instructions_version`).
void ApplyAttemptOutcome(LabelerTraining& t, const AttemptOutcome& outcome,
                         int64_t instructions_version, int64_t now_ms);

}  // namespace plumb::store
