#pragma once
// store: persistence of users, sessions, projects, tasks, leases, annotation
// revisions and model predictions behind one interface. SQL lives only below this folder.
// Backends: SQLite (store/sqlite) and PostgreSQL (store/postgres), with the
// same tables and columns. Callers never see SQL or a backend type; OpenStore
// picks the backend from the --db location.
//
// Every method is thread-safe. Every write is durable once the method returns
// OK (committed with a synced WAL). Methods that take `now_ms` use it for
// lease expiry and timestamps; the store never reads a clock itself.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/core.h"

namespace plumb::store {

struct UserWithHash {
  User user;
  std::string password_hash;  // libsodium crypto_pwhash_str (Argon2id) string
};

struct NewProject {
  std::string name;
  std::string schema_json;  // already validated and normalized
  ProjectSettings settings;
  int64_t created_by = 0;
};

// Fields of a project to change; unset ones stay.
struct ProjectUpdate {
  std::optional<std::string> name;
  std::optional<std::string> schema_json;
  std::optional<ProjectSettings> settings;
};

// An annotation that comes with an imported task (e.g. from Label Studio or
// COCO). It is stored as the importing user's annotation with one revision
// (source kImport) and counts toward the task's overlap like any other.
struct NewImportedAnnotation {
  int64_t user_id = 0;      // the importing user
  std::string result_json;  // already validated against the schema
  std::string media_json;   // "" when none
  int64_t lead_time_ms = 0;
};

// A model's result for a task (a pre-label), as imported.
struct NewPrediction {
  std::string model_name;
  std::string model_version;
  std::optional<double> score;  // nullopt when the model gave none
  std::string result_json;      // already validated against the schema
  std::string media_json;       // "" when none
};

// A golden task's expert answer, already validated against the schema.
struct GoldenAnswer {
  std::string result_json;
  std::string media_json;  // "" when none
};

struct NewTask {
  std::string data_json;  // a JSON object, already validated
  int32_t priority = 0;
  std::optional<int64_t> deadline_ms;
  // A batch added by TaskWriter::AddBatch in the same import.
  std::optional<int64_t> batch_id;
  // Makes the task golden (see Store::SetGoldenAnswer).
  std::optional<GoldenAnswer> golden;
  // At most one: annotations are one per person and task, and an import has
  // one author.
  std::optional<NewImportedAnnotation> annotation;
  std::vector<NewPrediction> predictions;
};

// A stored prediction.
struct Prediction {
  int64_t id = 0;
  int64_t task_id = 0;
  std::string model_name;
  std::string model_version;
  std::optional<double> score;
  std::string result_json;
  std::string media_json;  // "" when none
  int64_t created_at_ms = 0;
};

// Adds the tasks of one import, with their annotations and predictions, in one transaction: nothing
// is visible to other callers until Commit(); destroying the writer without Commit() rolls
// everything back. Not thread-safe; must not outlive its Store. While open it
// holds SQLite's write lock (other writes wait), or on PostgreSQL a pooled
// connection and a lock that keeps the project from changing or going away.
// On PostgreSQL a task the server refuses may only be reported by a later
// Add() or by Commit().
struct NewBatch {
  std::string name;
  std::string callback_url;     // "" when none
  std::string callback_secret;  // signs the callback; "" when no callback_url
  std::optional<int64_t> deadline_ms;
  std::vector<int64_t> workforce_ids;  // route the batch's tasks to these only
};

class TaskWriter {
 public:
  virtual ~TaskWriter() = default;
  virtual Status Add(const NewTask& task) = 0;
  // Adds a batch of the import's project, for later tasks to name. kNotFound
  // when a workforce does not exist.
  virtual Result<Batch> AddBatch(const NewBatch& batch) = 0;
  // Returns the number of tasks added.
  virtual Result<int64_t> Commit() = 0;
  // Every task this import adds has an id above this (the newest task id
  // when it began), so a job for the imported tasks can start there.
  virtual int64_t ids_after() const { return 0; }
};

struct TaskQuery {
  int64_t project_id = 0;
  std::optional<TaskState> state;
  // Only tasks that this user has an annotation on.
  std::optional<int64_t> annotator_id;
  std::optional<int64_t> batch_id;
  int32_t limit = 50;  // 1..1000
  // Tasks with id > after_id (keyset pagination in import order).
  int64_t after_id = 0;
};

struct TaskPage {
  std::vector<Task> items;
  // The id to pass as after_id for the next page; nullopt on the last page.
  std::optional<int64_t> next_after_id;
};

// An addition to a running counter (project, user, UTC day of the write,
// metric) of docs/analytics.md; names in core/stats.h.
struct StatDelta {
  int64_t user_id = 0;  // 0: the project as a whole
  std::string metric;
  int64_t count = 0;
  double sum = 0;
};

struct StatRow {
  int64_t user_id = 0;
  int64_t day = 0;  // days since 1970-01-01 UTC (stats::DayOf)
  std::string metric;
  int64_t count = 0;
  double sum = 0;
};

struct StatQuery {
  int64_t project_id = 0;
  int64_t from_day = 0;  // inclusive
  int64_t to_day = 0;    // exclusive
};

// How far a prediction is from its task's final label (docs/analytics.md).
struct Disagreement {
  int64_t prediction_id = 0;
  int64_t task_id = 0;
  double score = 0;           // 0..1
  std::string controls_json;  // [{"control", "score"}]
  std::string labels_json;    // the final label's classes, a JSON list of strings
  int64_t computed_at_ms = 0;
  // Filled in by ListDisagreements.
  std::string model_name;
  std::string model_version;
  TaskState state = TaskState::kDone;
};

struct DisagreementQuery {
  int64_t project_id = 0;
  std::optional<std::string> model_name;
  std::optional<std::string> label;  // one of the final label's classes
  double min_score = 0;
  int32_t limit = 50;  // 1..1000
  // Keyset pagination in (score descending, prediction id) order: rows after
  // this (score, prediction_id).
  std::optional<std::pair<double, int64_t>> after;
};

struct DisagreementPage {
  std::vector<Disagreement> items;
  bool more = false;  // rows are left after the last item
  int64_t total = 0;  // rows matching the filters (after ignored)
};

// A prediction for an existing task.
struct TaskPrediction {
  int64_t task_id = 0;
  NewPrediction prediction;
  // Stored only when the task has no prediction of this model name and
  // version yet (prediction jobs: two runners, or two jobs, predicting one
  // task store it once).
  bool once = false;
};

// Counting annotations of a project (not golden, not a reviewer's).
struct AnnotationQuery {
  int64_t project_id = 0;
  std::vector<int64_t> user_ids;  // only these authors; empty: everyone
  int64_t from_ms = 0;            // created in [from_ms, to_ms)
  int64_t to_ms = 0;
};

struct AnnotationRef {
  int64_t annotation_id = 0;
  int64_t task_id = 0;
  int64_t user_id = 0;
};

// Which rule of ClaimNextTask / ClaimGoldenTask handed out a task.
enum class ClaimRule : int8_t {
  kExistingLease = 0,
  kRework,
  kGolden,
  kPriority,
  kBakeoff,
  kUncertainty,
};

struct Claim {
  Task task;
  Lease lease;
  // True when the caller already held a live lease on this task in the project.
  bool existing_lease = false;
  ClaimRule rule = ClaimRule::kPriority;
};

// What the workflow decides when a task's last annotation arrives (or the
// last rework after a rejection): the task's final label and next state
// (done, reviewing or adjudicating).
struct Completion {
  TaskState state = TaskState::kDone;
  FinalLabel label;  // task_id, decided_by and updated_at are filled in by the store
  // Counters the workflow computes from the annotations (agreement with the
  // final label, κ/α sums; docs/analytics.md), added with the completion.
  std::vector<StatDelta> stats;
  // The disagreement of each of the task's predictions with the final label.
  std::vector<Disagreement> disagreements;
};

// Facts the workflow decides a completion from.
struct CompletionInput {
  Task task;
  ProjectSettings settings;
  // The current revision of every annotation that counts (not golden, not a
  // reviewer's), by annotation id; includes the one just written.
  std::vector<Revision> current;
  bool after_rework = false;  // the task was sent back by a reviewer before
  std::vector<Prediction> predictions;  // the task's, in import order
};

// A golden task's grade, computed by the workflow from the answer.
struct GoldenGrade {
  int64_t task_id = 0;
  int64_t user_id = 0;
  std::string username;  // filled in by ListGoldenGrades
  int64_t revision_id = 0;
  double score = 0;
  bool correct = false;
  int64_t created_at_ms = 0;
};

// Called inside AppendRevision's transaction, so that the state change, the
// final label, the grade and the events commit (or not) with the revision.
// They must not call the store. Either may be empty: without `complete` the
// task is done with the newest annotation as its final label (method
// "single"); without `grade` golden submissions are not graded.
// The completion the store applies when RevisionHooks::complete is empty:
// done, with the newest revision of `current` as the final label ("single").
Completion DefaultCompletion(const CompletionInput& input);

struct RevisionHooks {
  std::function<Result<Completion>(const CompletionInput&)> complete;
  std::function<Result<GoldenGrade>(const GoldenAnswer&, const Revision&)> grade;
};

// How an annotation's first revision relates to the pre-label the editor
// started from (docs/automation.md, "Measuring").
enum class PrelabelOutcome : int8_t {
  kUnchanged = 0,  // submitted as the model proposed it
  kEdited = 1,     // some of the pre-label kept, some changed
  kDiscarded = 2,  // nothing of the pre-label kept
};
const char* PrelabelOutcomeName(PrelabelOutcome outcome);  // "unchanged", "edited", "discarded"

struct PrelabelUse {
  int64_t prediction_id = 0;
  std::string model_name;
  std::string model_version;
  PrelabelOutcome outcome = PrelabelOutcome::kUnchanged;
};

// The ongoing check (docs/training.md) a golden grade runs in its
// transaction: the labeler is paused when fewer than `threshold` of their
// newest `window` golden grades (since the last unpause) are correct.
struct PauseRule {
  double threshold = 0;
  int32_t window = 0;
};

struct NewRevision {
  int64_t task_id = 0;
  int64_t user_id = 0;
  std::optional<int64_t> lease_id;
  std::string idempotency_key;  // "" when none
  std::string result_json;      // already validated
  std::string media_json;       // "" when none
  int64_t lead_time_ms = 0;
  RevisionSource source = RevisionSource::kHuman;
  const RevisionHooks* hooks = nullptr;  // not owned; may be null
  // When set, a revision that creates a new annotation records whether it
  // started from a pre-label (prelabel, stored in prelabel_uses) or not, and
  // adds the pre-label counters of stats.h (kPrelabelPrefix + outcome + "." +
  // model key, or kPrelabelNone) with its active time, in its transaction.
  bool track_prelabel = false;
  std::optional<PrelabelUse> prelabel;
  // When set and this revision writes a new golden grade, the ongoing check
  // runs in its transaction; a pause writes a labeler.paused event.
  std::optional<PauseRule> pause;
  // When set and the task is done once this revision is in, the task joins
  // the train queue (QueueTrain) in the revision's transaction: a stop
  // between the two cannot lose the accepted label for the learners.
  bool queue_train = false;
};

struct Progress {
  int64_t total = 0;
  int64_t done = 0;
  int64_t mine = 0;  // tasks of the project the user has an annotation on
};

struct TaskStateCount {
  int64_t project_id = 0;
  TaskState state = TaskState::kNew;
  int64_t count = 0;
};

// A dataset version (docs/datasets.md): an immutable snapshot of a project's
// final labels.
struct DatasetVersion {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;  // [A-Za-z0-9._-]{1,64}, unique in the project, not "diff"
  std::string note;
  std::string hash;    // SHA-256 hex over its (task id, label hash) pairs in id order
  int64_t tasks = 0;   // labels in it
  int64_t created_by = 0;
  std::string created_by_name;  // the author's username
  int64_t created_at_ms = 0;
};

// One label of a version with its task's data. result_json and media_json
// are the label's canonical text (compact JSON, keys sorted), byte for byte
// the same on both backends.
struct VersionLabel {
  int64_t task_id = 0;
  std::string label_hash;  // SHA-256 hex of the canonical label text
  std::string data_json;   // the task's data
  std::string result_json;
  std::string media_json;  // "" when none
  std::string method;      // how the final label was decided
};

// What changed from one version to another (docs/datasets.md, "diff").
struct VersionDiff {
  int64_t added = 0;      // tasks only in `to`
  int64_t removed = 0;    // tasks only in `from`
  int64_t relabeled = 0;  // in both, with different labels
  int64_t unchanged = 0;  // in both, with the same label
  struct ClassCount {
    std::string name;
    int64_t added = 0;    // labels that gained the class going from `from` to `to`
    int64_t removed = 0;  // labels that lost it
  };
  std::vector<ClassCount> classes;  // by class name
  // Task ids, ascending, at most kMaxDiffIds each.
  std::vector<int64_t> added_ids;
  std::vector<int64_t> removed_ids;
  std::vector<int64_t> relabeled_ids;
};
inline constexpr size_t kMaxDiffIds = 1000;

// One entry of the audit log (docs/datasets.md, "Audit log").
struct AuditEntry {
  int64_t id = 0;  // set by the store
  int64_t at_ms = 0;
  int64_t user_id = 0;
  std::string username;  // filled in by ListAudit
  std::string action;    // "project.create", ...
  std::optional<int64_t> project_id;
  std::string target;        // what the action was on ("task 12", a name), may be ""
  std::string details_json;  // a JSON object; "" is stored as {}
};

struct AuditQuery {
  std::optional<int64_t> project_id;  // only this project's entries
  bool projects_only = false;         // only entries that name a project
  int32_t limit = 50;                 // 1..1000
  std::optional<int64_t> before_id;   // keyset: entries with id < before_id
};

struct AuditPage {
  std::vector<AuditEntry> items;  // newest (highest id) first
  // The before_id for the next page; nullopt on the last page.
  std::optional<int64_t> next_before_id;
};

// A version of a project's labeling instructions (docs/instructions.md).
struct InstructionsVersion {
  int64_t project_id = 0;
  int64_t version = 0;         // from 1 per project
  std::string body;            // Markdown
  std::string examples_json;   // a JSON list, already validated; kept byte for byte
  std::string note;
  int64_t author_id = 0;
  std::string author_username;  // filled in by reads
  int64_t created_at_ms = 0;
};

struct NewInstructions {
  int64_t project_id = 0;
  int64_t author_id = 0;
  std::string body;
  std::string examples_json = "[]";
  std::string note;
};

// The project's current instructions version and a user's newest acknowledged one (0: none).
struct InstructionsStatus {
  int64_t current = 0;
  int64_t acknowledged = 0;
};

// An image of the instructions, stored once by the SHA-256 of its bytes.
struct InstructionImage {
  std::string hash;  // 64 lowercase hex digits
  std::string content_type;
  std::string data;  // the bytes
};

// A member's newest acknowledgement of a project's instructions.
struct InstructionAck {
  int64_t user_id = 0;
  std::string username;
  int64_t version = 0;              // 0: none
  std::optional<int64_t> at_ms;     // nullopt: none
};

// Done or reviewing tasks with a counting annotation whose current revision
// was made under an instructions version below `before`.
struct OutdatedQuery {
  int64_t project_id = 0;
  int64_t before = 0;
  int32_t limit = 50;    // 1..1000
  int64_t after_id = 0;  // keyset pagination in id order
};

struct OutdatedPage {
  std::vector<Task> items;
  std::optional<int64_t> next_after_id;  // nullopt on the last page
  int64_t total = 0;                     // matching tasks (after_id ignored)
};

// --- ML backends and prediction jobs (docs/automation.md) ---------------------------------

// An HTTP service that predicts for a project's tasks and may learn from its
// accepted labels.
struct MlBackend {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;      // unique in the project; the model_name of its predictions
  std::string url;       // base URL; routes are appended ("/predict", ...)
  std::string protocol;  // "plumb" or "label_studio"
  std::string auth_header;  // the Authorization header value sent, "" for none
  bool enabled = true;
  bool on_import = false;   // predict for newly imported tasks
  bool continuous = false;  // keep predicting for tasks without a prediction
  bool train = false;       // tell it of accepted labels
  int32_t batch_size = 8;   // tasks per predict call
  int32_t concurrency = 2;  // calls in flight at once
  int32_t timeout_ms = 10000;
  // Set by RecordMlBackendHealth:
  std::string health = "unknown";  // "unknown", "ok", "error"
  std::string last_error;
  std::optional<int64_t> checked_at_ms;
  std::string model_version;  // as the backend last reported it
  int64_t created_at_ms = 0;
};

enum class JobState : int8_t { kQueued = 0, kRunning = 1, kDone = 2, kFailed = 3, kCancelled = 4 };
const char* JobStateName(JobState state);  // "queued", "running", ...

// A background run of an ML backend over a project's tasks.
struct PredictionJob {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t backend_id = 0;
  std::string trigger;      // "import", "manual", "continuous"
  std::string filter_json;  // {"state"?, "task_ids"?, "only_missing"}: which tasks
  JobState state = JobState::kQueued;
  int64_t cursor = 0;     // the last task id handled (tasks go in id order)
  int64_t total = 0;      // tasks in scope when the job was made
  int64_t processed = 0;  // tasks handled (predicted, failed or skipped)
  int64_t predicted = 0;  // predictions stored
  int64_t failed = 0;     // tasks left without a prediction by an error
  std::string last_error;
  int64_t created_by = 0;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
  int64_t held_until_ms = 0;  // a runner holds it until then; also the next run of a continuous job
};

// A runner's report on a job it holds.
struct JobProgress {
  int64_t cursor = 0;
  int64_t processed = 0;  // totals so far, not increments
  int64_t predicted = 0;
  int64_t failed = 0;
  std::string last_error;
  JobState state = JobState::kRunning;  // kRunning, kDone or kFailed
  int64_t held_until_ms = 0;
};

// The built-in learner's model of one control (docs/automation.md).
struct LearnerModel {
  int64_t project_id = 0;
  std::string control;
  std::string model;  // the serialized model, bytes
  int64_t updates = 0;
  int64_t updated_at_ms = 0;
};

// A project's span pre-labeler (docs/automation.md): the span control it
// labels and its configuration (automation/span_prelabeler.h's JSON, checked
// by the caller); `version` names its predictions.
struct SpanPrelabelerRow {
  int64_t project_id = 0;
  std::string control;
  std::string config_json;
  std::string version;
  int64_t updated_by = 0;
  int64_t updated_at_ms = 0;
};

// An accepted label waiting in the train queue.
struct TrainQueueItem {
  int64_t project_id = 0;
  int64_t task_id = 0;
};

// One open task's uncertainty under the project's learner, in [0, 1].
struct TaskUncertainty {
  int64_t task_id = 0;
  double uncertainty = 1;
};

// --- golden sets and bake-offs (docs/bakeoffs.md) ----------------------------

// A named, versioned group of a project's golden tasks with their expert
// answers as they were when the version was made.
struct GoldenSet {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  int64_t version = 0;  // from 1 per (project, name)
  std::string note;
  int64_t tasks = 0;
  int64_t created_by = 0;
  std::string created_by_name;  // filled in by reads
  int64_t created_at_ms = 0;
};

// One task of a golden set: its data and the answer the set froze.
struct GoldenSetItem {
  int64_t task_id = 0;
  std::string data_json;
  GoldenAnswer answer;
};

// An internal candidate labels in Plumb through a workforce; a vendor gets a
// file of the golden tasks and returns one.
enum class CandidateKind : int8_t { kWorkforce = 0, kVendor = 1 };
// Per label, per hour of active labeling time, or a quoted total.
enum class CandidatePricing : int8_t { kPerLabel = 0, kPerHour = 1, kQuote = 2 };

struct BakeoffCandidate {
  int64_t id = 0;
  int64_t bakeoff_id = 0;
  std::string name;
  CandidateKind kind = CandidateKind::kWorkforce;
  std::optional<int64_t> workforce_id;
  std::string format;  // a vendor's file format ("json", "coco", "csv", "label_studio")
  CandidatePricing pricing_model = CandidatePricing::kPerLabel;
  double rate = 0;  // per label, per hour, or the quoted total
  std::string currency = "USD";
  std::optional<int64_t> sent_at_ms;      // workforce: at creation; vendor: first export
  std::optional<int64_t> returned_at_ms;  // vendor: the last import
  int64_t labels = 0;                     // filled in by reads
};

// Percent weights of the ranking (each 0..100, not all 0).
struct BakeoffWeights {
  int32_t accuracy = 60;
  int32_t speed = 20;
  int32_t cost = 20;
};

struct Bakeoff {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  int64_t golden_set_id = 0;
  int64_t instructions_version = 0;  // 0: the project had none
  bool closed = false;
  BakeoffWeights weights;
  int64_t created_by = 0;
  std::string created_by_name;  // filled in by reads
  int64_t created_at_ms = 0;
  std::optional<int64_t> closed_at_ms;
  std::vector<BakeoffCandidate> candidates;  // by id
};

// A candidate's answer to one golden task.
struct BakeoffLabel {
  int64_t candidate_id = 0;
  int64_t task_id = 0;
  std::optional<int64_t> user_id;      // the labeler (workforce) or the importer (vendor)
  std::optional<int64_t> revision_id;  // workforce: the revision
  std::string result_json;             // already validated
  std::string media_json;              // "" when none
  int64_t lead_time_ms = 0;            // active time; 0 when unknown
  int64_t created_at_ms = 0;
  int64_t instructions_version = 0;  // filled in by reads (workforce labels; 0 for vendors)
};

// --- training and qualification (docs/training.md) ----------------------------

// A golden task of a project's practice set, with the explanation shown after
// a practice answer and the part of the instructions it points to.
struct PracticeItem {
  int64_t task_id = 0;
  int32_t position = 0;     // order in the set, from 0
  std::string explanation;  // plain text, may be ""
  std::string anchor;       // a heading anchor of the instructions ("" for none)
};

// A labeler's practice or qualification answer. Kept apart from annotations:
// it never counts as a label, never enters consensus, final labels, exports,
// bake-offs, dataset versions or the label counters.
struct TrainingAnswer {
  int64_t id = 0;  // set by the store
  int64_t project_id = 0;
  int64_t user_id = 0;
  int64_t task_id = 0;
  std::optional<int64_t> attempt_id;  // nullopt: practice
  std::string result_json;            // already validated
  std::string media_json;             // "" when none
  int64_t lead_time_ms = 0;
  double score = 0;  // graded against the expert answer (0..1)
  bool correct = false;
  int64_t created_at_ms = 0;
};

// One qualification test taken by a labeler, over a golden set's frozen answers.
struct QualificationAttempt {
  int64_t id = 0;
  int64_t project_id = 0;
  int64_t user_id = 0;
  int64_t golden_set_id = 0;
  int64_t instructions_version = 0;  // in force when it started
  double pass_mark = 0;
  int64_t tasks = 0;  // in the set
  int64_t answered = 0;
  std::optional<double> score;  // the mean grade, once every task is answered
  std::optional<bool> passed;
  int64_t started_at_ms = 0;
  std::optional<int64_t> finished_at_ms;
};

// A labeler's training record in a project: practice and tests so far, the
// pass that qualifies them, and an ongoing-check pause.
struct LabelerTraining {
  int64_t project_id = 0;
  int64_t user_id = 0;
  std::string username;     // filled in by ListLabelerTraining
  int64_t first_at_ms = 0;  // first practice answer or test
  int64_t practice_done = 0;
  int64_t practice_correct = 0;
  int64_t practice_since_fail = 0;  // practice answers since the last failed test
  int64_t attempts = 0;             // finished tests
  std::optional<double> last_score;
  std::optional<double> best_score;
  std::optional<int64_t> last_failed_at_ms;
  std::optional<int64_t> passed_at_ms;  // the newest pass
  int64_t passed_version = 0;           // instructions version of the newest pass
  std::optional<int64_t> first_passed_at_ms;
  std::optional<int64_t> paused_at_ms;
  std::string pause_json;        // the labeler.paused event's data while paused, else ""
  int64_t checked_since_ms = 0;  // golden grades before this do not count toward a pause
};

// Loads a whole database dumped by DumpTables (of either backend) into an
// empty one, in one transaction: nothing is visible until Commit(), and
// destroying the loader without Commit() rolls everything back. Rows come
// parents first, as DumpTables gives them. Not thread-safe; must not outlive
// its Store; holds the database like a TaskWriter.
class DatabaseLoader {
 public:
  virtual ~DatabaseLoader() = default;
  // One row; `columns` (a subset of the table's, any order) and `values` as
  // DumpTables gives them. kInvalidArgument for an unknown table or column,
  // a column given twice, or as many values as columns; also for a row the
  // schema refuses (a duplicate id, a dangling reference, a bad value), which
  // PostgreSQL may only report at a later Add() or at Commit(). The first
  // error ends the load: every later call returns it and nothing is committed.
  virtual Status Add(std::string_view table, const std::vector<std::string>& columns,
                     const std::vector<std::optional<std::string>>& values) = 0;
  // Commits, after moving id sequences past the loaded ids (never back), so
  // new rows never take a loaded id.
  virtual Status Commit() = 0;
};

// One row of a dump: column values as text (integers in decimal, JSON as
// compact JSON text); nullopt is NULL.
using DumpRowFn =
    std::function<Status(std::string_view table, const std::vector<std::string>& columns,
                         const std::vector<std::optional<std::string>>& values)>;

class Store {
 public:
  virtual ~Store() = default;

  // --- users ---------------------------------------------------------------
  // kAlreadyExists (field "username") when the name is taken.
  virtual Result<User> CreateUser(std::string_view username, std::string_view password_hash,
                                  Role role, int64_t now_ms) = 0;
  virtual Result<User> GetUser(int64_t id) = 0;                                // kNotFound
  virtual Result<UserWithHash> FindUserByName(std::string_view username) = 0;  // kNotFound
  virtual Result<std::vector<User>> ListUsers() = 0;                           // by id
  virtual Result<int64_t> CountUsers() = 0;

  // --- sessions and API tokens, stored by a hash of their secret -----------
  virtual Status CreateSession(std::string_view secret_hash, int64_t user_id,
                               int64_t expires_at_ms) = 0;
  // kUnauthenticated when unknown or expired at now_ms.
  virtual Result<User> UserForSession(std::string_view secret_hash, int64_t now_ms) = 0;
  virtual Status DeleteSession(std::string_view secret_hash) = 0;  // OK if unknown
  // Returns the token's id.
  virtual Result<int64_t> CreateApiToken(std::string_view secret_hash, int64_t user_id,
                                         std::string_view name, int64_t now_ms) = 0;
  virtual Result<User> UserForApiToken(std::string_view secret_hash) = 0;  // kUnauthenticated

  // --- projects --------------------------------------------------------------
  virtual Result<Project> CreateProject(const NewProject& project, int64_t now_ms) = 0;
  virtual Result<Project> GetProject(int64_t id) = 0;  // kNotFound (also when deleted)
  // All projects when member_id is nullopt, else those the user is a member of. By id.
  virtual Result<std::vector<Project>> ListProjects(std::optional<int64_t> member_id) = 0;
  // Changing settings.overlap re-opens or closes task slots accordingly; tasks
  // already done stay done. Changing settings.queue_order to kUncertainty
  // ranks every task of the project at uncertainty 1 (unranked: first), back
  // to kImport clears the ranks; imports into a project ordered by
  // uncertainty rank their tasks at 1 when they commit.
  virtual Result<Project> UpdateProject(int64_t id, const ProjectUpdate& update) = 0;
  // Deletes the project with its tasks, leases and annotations. kNotFound.
  virtual Status DeleteProject(int64_t id) = 0;
  virtual Status AddMember(int64_t project_id, int64_t user_id) = 0;  // idempotent; kNotFound
  virtual Result<bool> IsMember(int64_t project_id, int64_t user_id) = 0;
  virtual Result<std::vector<User>> ListMembers(int64_t project_id) = 0;
  virtual Result<TaskCounts> CountTasks(int64_t project_id) = 0;
  // Counts for every project, for /metrics.
  virtual Result<std::vector<TaskStateCount>> CountTasksByState() = 0;

  // --- tasks -------------------------------------------------------------------
  // kNotFound when the project does not exist.
  virtual Result<std::unique_ptr<TaskWriter>> BeginImport(int64_t project_id, int64_t now_ms) = 0;
  virtual Result<TaskPage> ListTasks(const TaskQuery& query) = 0;
  // The number of tasks matching the query's filters (limit/after_id ignored).
  virtual Result<int64_t> CountMatchingTasks(const TaskQuery& query) = 0;
  virtual Result<Task> GetTask(int64_t id) = 0;  // kNotFound

  // --- the queue -------------------------------------------------------------
  // Atomically hands the caller a task of the project, or nullopt when none is
  // left for them, by the first rule that applies (Claim::rule):
  //  kExistingLease: the caller's live lease in the project, returned again
  //    with its lease unchanged (existing_lease = true);
  //  kRework: a task a reviewer sent back whose rejected annotation is the
  //    caller's, with a new lease (that holds no slot);
  //  kPriority: the first task, by priority (higher first), then deadline
  //    (sooner first, none last), then id, that still has an open slot
  //    (annotations + live leases < overlap), is not golden, that the caller
  //    has not annotated or skipped, and, when its batch is routed to
  //    workforces, whose batch the caller's workforces may label; it gets a
  //    new lease expiring at now_ms + lease_seconds.
  //  kUncertainty: with settings.queue_order kUncertainty, the same but
  //    ranked tasks first, by priority, then deadline, then uncertainty
  //    (higher first, SetTaskUncertainty), then id; a task left unranked
  //    (none should be: UpdateProject and imports rank them at 1) comes
  //    after them by rule kPriority. The import order's claim is untouched.
  // Expired leases count as gone.
  virtual Result<std::optional<Claim>> ClaimNextTask(int64_t project_id, int64_t user_id,
                                                     int64_t now_ms) = 0;
  // The caller's live lease on a task, if any.
  virtual Result<std::optional<Lease>> FindLiveLease(int64_t task_id, int64_t user_id,
                                                     int64_t now_ms) = 0;
  // Appends a revision. If the caller has an annotation on the task, it gets a
  // new revision (parent = the previous one) and no lease is needed; if that
  // annotation was rejected by a reviewer it counts again, and once no
  // rejected one is left the task completes again (after_rework).
  // Otherwise lease_id must name the caller's lease on this task: kConflict if
  // it is not theirs or unknown, kLeaseExpired if it expired at now_ms; a new
  // annotation is created and the lease is consumed. On a golden task nothing
  // else changes but the grade (hooks->grade) being stored. On another task
  // with `overlap` counting annotations now, the task completes: hooks->complete
  // gives its final label and state; a task done this way writes a
  // task.completed event (and batch.completed for its batch's last task).
  // Otherwise the task is annotating.
  // With a non-empty idempotency_key that the caller used before, returns that
  // earlier revision and writes nothing.
  // Every new revision records the project's current instructions version,
  // read inside the transaction (Revision::instructions_version).
  virtual Result<Revision> AppendRevision(const NewRevision& revision, int64_t now_ms) = 0;
  // Releases the caller's lease and records that they skipped the task, so it
  // is never handed to them again. kConflict when lease_id is not theirs.
  virtual Status SkipTask(int64_t task_id, int64_t user_id, int64_t lease_id, int64_t now_ms) = 0;

  // A golden task of the project that the caller has not annotated or
  // skipped, with a lease (rule kGolden), or nullopt. Golden tasks have no
  // overlap: each annotator may get each once. Lowest id first.
  virtual Result<std::optional<Claim>> ClaimGoldenTask(int64_t project_id, int64_t user_id,
                                                       int64_t now_ms) = 0;
  // Makes a task golden with `answer`, or ordinary again with nullopt. A
  // golden task leaves the normal queue (and its live leases stay valid);
  // made ordinary it re-enters it with its slots recomputed. kNotFound.
  virtual Status SetGoldenAnswer(int64_t task_id, const std::optional<GoldenAnswer>& answer) = 0;
  virtual Result<std::optional<GoldenAnswer>> GetGoldenAnswer(int64_t task_id) = 0;
  // Makes each listed task of the project golden with its answer, all in one
  // transaction (an expert's file, docs/bakeoffs.md). kNotFound (field
  // "[i].task_id") when a task is not the project's; then nothing changes.
  virtual Status SetGoldenAnswers(int64_t project_id,
                                  const std::vector<std::pair<int64_t, GoldenAnswer>>& answers) = 0;
  // Every grade in the project, by task id then user id.
  virtual Result<std::vector<GoldenGrade>> ListGoldenGrades(int64_t project_id) = 0;

  // --- review and adjudication (docs/workflow.md) -----------------------------
  // The caller's live review lease in the project if any (existing_lease), else
  // a task in `stage` (kReviewing or kAdjudicating; nullopt: adjudicating
  // first) with no live review lease and none of the caller's annotations, by
  // priority then id, with a new review lease of `lease_seconds`; or nullopt.
  virtual Result<std::optional<Claim>> ClaimReviewTask(int64_t project_id, int64_t user_id,
                                                       std::optional<TaskState> stage,
                                                       int64_t now_ms) = 0;
  // A reviewer's decision on a task they hold a live review lease on
  // (kConflict when the lease is not theirs or the task is not in review or
  // adjudication; kLeaseExpired when it ran out). kAccept: done. kFix and
  // kResolve: `label` becomes the final label and is kept as a revision of
  // the reviewer's own annotation (source kReviewFix / kAdjudication); done.
  // kReject: every counting annotation of the task is marked rejected and
  // goes back to its annotator (ClaimRule kRework) with the comment; the task
  // is annotating until each has a new revision, then completes again with
  // after_rework. Writes task.completed (and batch.completed when it was the
  // batch's last task) or review.rejected events. kInstructionsRework is
  // never a reviewer's: ReworkOutdated records it, a reject for a changed
  // instructions version, so the history can say why the task came back.
  enum class Decision : int8_t { kAccept = 0, kReject, kFix, kResolve, kInstructionsRework };
  struct Review {
    int64_t task_id = 0;
    int64_t reviewer_id = 0;
    int64_t lease_id = 0;
    Decision decision = Decision::kAccept;
    std::string comment;
    std::optional<GoldenAnswer> label;  // kFix, kResolve: result and media, validated
    // As NewRevision::queue_train: the task joins the train queue in the
    // review's transaction when it is done after it.
    bool queue_train = false;
  };
  virtual Status RecordReview(const Review& review, int64_t now_ms) = 0;
  struct ReviewNote {
    int64_t task_id = 0;
    int64_t reviewer_id = 0;
    std::string reviewer;  // username
    Decision decision = Decision::kAccept;
    std::string comment;
    int64_t created_at_ms = 0;
  };
  // The reviews of a task, oldest first.
  virtual Result<std::vector<ReviewNote>> ListReviews(int64_t task_id) = 0;
  // The final labels of these tasks (those that have one), by task id.
  virtual Result<std::vector<FinalLabel>> FinalLabels(const std::vector<int64_t>& task_ids) = 0;

  // --- annotations -----------------------------------------------------------
  // Every revision of the task, oldest first; only the user's when user_id is set.
  virtual Result<std::vector<Revision>> ListRevisions(int64_t task_id,
                                                      std::optional<int64_t> user_id) = 0;
  // The current (newest) revision of each annotation on each task, by task id
  // then annotation id.
  virtual Result<std::vector<Revision>> CurrentRevisions(const std::vector<int64_t>& task_ids) = 0;
  virtual Result<Progress> GetProgress(int64_t project_id, int64_t user_id) = 0;

  // --- predictions -----------------------------------------------------------
  // The predictions of each task, by task id then prediction id (import order).
  virtual Result<std::vector<Prediction>> ListPredictions(const std::vector<int64_t>& task_ids) = 0;
  // Adds predictions to tasks of the project in one transaction, returning
  // them stored, in order. kNotFound (field "[i].task_id") when a task is not
  // the project's or is gone; then nothing is stored. An item marked `once`
  // whose task already has a prediction of its model name and version is
  // left out of the answer and not stored again.
  virtual Result<std::vector<Prediction>> AddPredictions(
      int64_t project_id, const std::vector<TaskPrediction>& predictions, int64_t now_ms) = 0;
  // Stores (or replaces, by prediction_id) disagreement scores. kNotFound
  // when a prediction is gone; then nothing is stored.
  virtual Status SetDisagreements(const std::vector<Disagreement>& disagreements) = 0;
  virtual Result<DisagreementPage> ListDisagreements(const DisagreementQuery& query) = 0;

  // --- running statistics (docs/analytics.md) ----------------------------------
  // The store adds to them in the transaction of the write they count: labels
  // and revisions (with active time), golden grades, reviews, acceptance, done
  // tasks with their turnaround; Completion::stats adds the workflow's.
  // Every counter of the project in the day range, by day, user and metric
  // (the primary key's order, so neither backend sorts).
  virtual Result<std::vector<StatRow>> ReadStats(const StatQuery& query) = 0;

  // --- trust but verify ---------------------------------------------------------
  // The project's counting annotations created in the range, by id.
  virtual Result<std::vector<AnnotationRef>> ListAnnotationRefs(const AnnotationQuery& query) = 0;
  // Sends done tasks (not golden) to review: each becomes reviewing with its
  // final label kept. Returns the ids moved, in the order given; others are
  // left alone.
  virtual Result<std::vector<int64_t>> SendToReview(const std::vector<int64_t>& task_ids,
                                                    int64_t now_ms) = 0;

  // --- labeling instructions (docs/instructions.md) ---------------------------
  // Stores a new version of the project's instructions, numbered one past the
  // newest (1 for the first), atomically: concurrent saves get distinct
  // numbers. Returns it as stored. kNotFound for the project.
  virtual Result<InstructionsVersion> SaveInstructions(const NewInstructions& instructions,
                                                       int64_t now_ms) = 0;
  // Version `version` of the project's instructions, or the current (newest)
  // one when nullopt. kNotFound when there is no such version (or none at all).
  virtual Result<InstructionsVersion> GetInstructions(int64_t project_id,
                                                      std::optional<int64_t> version) = 0;
  // Every version of the project, newest first, without body and examples
  // (empty strings). Empty when the project has none.
  virtual Result<std::vector<InstructionsVersion>> ListInstructionVersions(int64_t project_id) = 0;
  // The project's current version (0: none) and the user's newest
  // acknowledged one (0: none). Unknown projects and users read as 0, 0.
  virtual Result<InstructionsStatus> GetInstructionsStatus(int64_t project_id,
                                                           int64_t user_id) = 0;
  // Stores an image under its hash; returns false (storing nothing) when that
  // hash is stored already. The caller computes the hash and checks the type.
  virtual Result<bool> PutInstructionImage(const InstructionImage& image) = 0;
  virtual Result<InstructionImage> GetInstructionImage(std::string_view hash) = 0;  // kNotFound
  // Whether an image with this hash is stored.
  virtual Result<bool> HasInstructionImage(std::string_view hash) = 0;
  // Records that the user acknowledged `version` of the project's
  // instructions at now_ms, replacing an older acknowledgement. kConflict
  // unless `version` is the current one (so also when there are none);
  // acknowledging the current version again is OK and moves `at`.
  virtual Status Acknowledge(int64_t project_id, int64_t user_id, int64_t version,
                             int64_t now_ms) = 0;
  // Every member of the project and every member of a workforce with access
  // to it, each once, by user id, with their newest acknowledgement.
  virtual Result<std::vector<InstructionAck>> ListAcks(int64_t project_id) = 0;
  // A page of the project's outdated tasks (OutdatedQuery), by id.
  // kInvalidArgument (field "limit") for a page size outside 1..1000.
  virtual Result<OutdatedPage> ListOutdatedTasks(const OutdatedQuery& query) = 0;
  // Sends up to 1,000 of the listed tasks that are the project's and outdated
  // (as ListOutdatedTasks, under `before`) back to their annotators, in one
  // transaction, like a reviewer's rejection by `manager_id` (RecordReview's
  // kReject): each counting annotation is marked rejected, the task is
  // annotating until each has a new revision, a reviews row with `comment`
  // and a review.rejected event are written; a live review lease on the task
  // is ended. A done task is no longer counted done by its batch and is not
  // counted done a second time (as SendToReview). No review counters are
  // added: the labels were not judged wrong. Returns the ids sent, in the
  // order given; others are left alone. kInvalidArgument (field "task_ids")
  // for more than 1,000.
  virtual Result<std::vector<int64_t>> ReworkOutdated(int64_t project_id, int64_t manager_id,
                                                      int64_t before,
                                                      const std::vector<int64_t>& task_ids,
                                                      std::string_view comment,
                                                      int64_t now_ms) = 0;

  // --- workforces -------------------------------------------------------------
  // kAlreadyExists (field "name") when the name is taken.
  virtual Result<Workforce> CreateWorkforce(const Workforce& workforce, int64_t now_ms) = 0;
  virtual Result<Workforce> GetWorkforce(int64_t id) = 0;  // kNotFound
  // All, or those the user is a member of. By id.
  virtual Result<std::vector<Workforce>> ListWorkforces(std::optional<int64_t> member_id) = 0;
  // Replaces name, kind and pricing. kNotFound, kAlreadyExists.
  virtual Result<Workforce> UpdateWorkforce(const Workforce& workforce) = 0;
  // Idempotent; kNotFound for an unknown workforce or user.
  virtual Status AddWorkforceMember(int64_t workforce_id, int64_t user_id) = 0;
  virtual Status RemoveWorkforceMember(int64_t workforce_id, int64_t user_id) = 0;
  virtual Result<std::vector<User>> ListWorkforceMembers(int64_t workforce_id) = 0;
  // Project access for a workforce's members (IsMember and ListProjects count
  // it). Idempotent; kNotFound.
  virtual Status GrantProjectAccess(int64_t project_id, int64_t workforce_id) = 0;
  virtual Status RevokeProjectAccess(int64_t project_id, int64_t workforce_id) = 0;
  virtual Result<std::vector<Workforce>> ListProjectWorkforces(int64_t project_id) = 0;
  virtual Result<std::vector<int64_t>> ListWorkforceProjects(int64_t workforce_id) = 0;

  // --- batches -------------------------------------------------------------------
  virtual Result<Batch> GetBatch(int64_t id) = 0;  // with total/done; kNotFound
  virtual Result<std::vector<Batch>> ListBatches(int64_t project_id) = 0;  // newest first

  // --- events and webhooks ---------------------------------------------------------
  struct Webhook {
    int64_t id = 0;
    int64_t project_id = 0;
    std::string url;
    std::vector<std::string> events;  // "task.completed", "batch.completed", "review.rejected"
    int64_t created_at_ms = 0;
  };
  // `secret` signs its deliveries. kNotFound for the project.
  virtual Result<Webhook> CreateWebhook(const Webhook& webhook, std::string_view secret,
                                        int64_t now_ms) = 0;
  virtual Result<Webhook> GetWebhook(int64_t id) = 0;  // kNotFound
  virtual Result<std::vector<Webhook>> ListWebhooks(int64_t project_id) = 0;
  // Deletes it; its pending deliveries are dropped. kNotFound.
  virtual Status DeleteWebhook(int64_t id) = 0;
  enum class DeliveryState : int8_t { kPending = 0, kDelivered = 1, kFailed = 2 };
  struct Delivery {
    int64_t id = 0;
    std::optional<int64_t> webhook_id;  // nullopt: a batch callback
    std::optional<int64_t> batch_id;
    int64_t event_id = 0;
    std::string event_type;
    std::string url;
    std::string secret;     // only from ClaimDueDeliveries
    std::string body_json;  // only from ClaimDueDeliveries: {id, type, project_id, created_at, data}
    DeliveryState state = DeliveryState::kPending;
    int32_t attempts = 0;
    int32_t last_status = 0;
    std::string last_error;
    int64_t next_attempt_at_ms = 0;
    std::optional<int64_t> delivered_at_ms;
  };
  // The newest `limit` deliveries of a webhook (or of a batch's callback), newest first.
  virtual Result<std::vector<Delivery>> ListDeliveries(std::optional<int64_t> webhook_id,
                                                       std::optional<int64_t> batch_id,
                                                       int32_t limit) = 0;
  // Up to `limit` pending deliveries due at now_ms (oldest first), each moved
  // to now_ms + lock_ms so a concurrent caller does not take it too.
  virtual Result<std::vector<Delivery>> ClaimDueDeliveries(int64_t now_ms, int32_t limit,
                                                           int64_t lock_ms) = 0;
  struct DeliveryAttempt {
    int64_t delivery_id = 0;
    int64_t at_ms = 0;
    int32_t status = 0;  // HTTP status, 0 when none
    std::string error;
    bool delivered = false;
    std::optional<int64_t> next_attempt_at_ms;  // not delivered and nullopt: failed for good
  };
  virtual Status RecordDeliveryAttempt(const DeliveryAttempt& attempt) = 0;  // kNotFound
  // Tasks of the project, not done and not golden, whose deadline is before `before_ms`.
  virtual Result<int64_t> CountTasksDueBefore(int64_t project_id, int64_t before_ms) = 0;

  // --- export ------------------------------------------------------------------
  // Calls `fn` for each task of the project in id order with the current
  // revisions of its annotations, reading in batches from one consistent
  // snapshot; stops at the first non-OK status `fn` returns and returns it.
  virtual Status ForEachTaskWithAnnotations(
      int64_t project_id,
      const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) = 0;

  // --- dataset versions (docs/datasets.md) ---------------------------------------
  // Snapshots every final label of the project's tasks in one transaction:
  // each label is stored once by the SHA-256 of its canonical text (shared
  // with earlier versions and other tasks), the version as its (task, label
  // hash) pairs; the version's hash covers them in task id order, so two
  // versions of the same labels have the same hash. kNotFound for the project
  // or user, kInvalidArgument (field "name") for a name outside
  // [A-Za-z0-9._-]{1,64} or "diff", kAlreadyExists (field "name") when the
  // project has a version of that name. On SQLite it holds the write lock
  // for its duration (about a second per 1,000,000 labels).
  virtual Result<DatasetVersion> CreateDatasetVersion(int64_t project_id, std::string_view name,
                                                      std::string_view note, int64_t user_id,
                                                      int64_t now_ms) = 0;
  // The project's versions, newest first.
  virtual Result<std::vector<DatasetVersion>> ListDatasetVersions(int64_t project_id) = 0;
  // kNotFound when the project has no version of that name.
  virtual Result<DatasetVersion> GetDatasetVersion(int64_t project_id, std::string_view name) = 0;
  // Calls `fn` for each label of the version in task id order, reading in
  // batches from one consistent snapshot; stops at the first non-OK status
  // `fn` returns and returns it. kNotFound for an unknown version. On
  // PostgreSQL it holds a connection throughout, like an export.
  virtual Status ForEachVersionLabel(int64_t version_id,
                                     const std::function<Status(const VersionLabel&)>& fn) = 0;
  // What changed going from version `from_id` to `to_id` (of any project),
  // from one snapshot. kNotFound for an unknown version.
  virtual Result<VersionDiff> DiffVersions(int64_t from_id, int64_t to_id) = 0;

  // --- the audit log (docs/datasets.md) -------------------------------------------
  // Appends an entry (its id is assigned; at_ms is taken as given) and returns
  // the id. kInvalidArgument for an empty action or details that are not a
  // JSON object; kNotFound for an unknown user.
  virtual Result<int64_t> AppendAudit(const AuditEntry& entry) = 0;
  // Entries newest first, keyset-paged by id. kInvalidArgument (field
  // "limit") unless the limit is 1..1000.
  virtual Result<AuditPage> ListAudit(const AuditQuery& query) = 0;

  // --- ML backends and prediction jobs (docs/automation.md) -------------------------
  // kNotFound for the project, kAlreadyExists (field "name") when the project
  // has a backend of that name. The health fields are stored as "unknown".
  virtual Result<MlBackend> CreateMlBackend(const MlBackend& backend, int64_t now_ms) = 0;
  virtual Result<MlBackend> GetMlBackend(int64_t id) = 0;  // kNotFound
  // The project's backends, or every project's when nullopt; by id.
  virtual Result<std::vector<MlBackend>> ListMlBackends(std::optional<int64_t> project_id) = 0;
  // Replaces name, url, protocol, auth_header, enabled, the triggers and the
  // limits; the health fields stay. kNotFound, kAlreadyExists (field "name").
  virtual Result<MlBackend> UpdateMlBackend(const MlBackend& backend) = 0;
  // Deletes it with its jobs; its predictions stay. kNotFound.
  virtual Status DeleteMlBackend(int64_t id) = 0;
  // Stores a health check's or a call's outcome: health "ok" or "error",
  // the error ("" clears it), and the model version when not "". kNotFound.
  virtual Status RecordMlBackendHealth(int64_t id, std::string_view health, std::string_view error,
                                       std::string_view model_version, int64_t at_ms) = 0;
  // Adds a queued job (held_until 0: due now). kNotFound for the project or backend.
  virtual Result<PredictionJob> CreatePredictionJob(const PredictionJob& job, int64_t now_ms) = 0;
  virtual Result<PredictionJob> GetPredictionJob(int64_t id) = 0;  // kNotFound
  // The project's newest `limit` (1..1000) jobs, newest first.
  virtual Result<std::vector<PredictionJob>> ListPredictionJobs(int64_t project_id,
                                                                int32_t limit) = 0;
  // Atomically takes the queued or running job whose hold ended longest ago
  // (held_until <= now_ms) and holds it until now_ms + hold_ms (state
  // running), or nullopt: two runners never hold one job.
  virtual Result<std::optional<PredictionJob>> ClaimPredictionJob(int64_t now_ms,
                                                                  int64_t hold_ms) = 0;
  // Stores a runner's progress on a job that is still queued or running and
  // returns true; returns false, storing nothing, when it was cancelled (or
  // ended) meanwhile. kNotFound.
  virtual Result<bool> UpdatePredictionJob(int64_t id, const JobProgress& progress,
                                           int64_t now_ms) = 0;
  // Cancels a queued or running job (others stay as they are) and returns it. kNotFound.
  virtual Result<PredictionJob> CancelPredictionJob(int64_t id, int64_t now_ms) = 0;
  // The built-in learner's stored model, or nullopt.
  virtual Result<std::optional<LearnerModel>> GetLearnerModel(int64_t project_id,
                                                              std::string_view control) = 0;
  // Stores (replaces) it. kNotFound for the project.
  virtual Status PutLearnerModel(const LearnerModel& model) = 0;
  // The queue order "uncertainty" (docs/workflow.md): stores each task's
  // uncertainty, the claim's order after priority and deadline (higher
  // first). Only tasks of the project that are ranked are changed: a
  // project whose settings turned the order off (UpdateProject cleared its
  // ranks) stays unranked, and unknown or other projects' tasks are ignored.
  virtual Status SetTaskUncertainty(int64_t project_id,
                                    const std::vector<TaskUncertainty>& values) = 0;
  // The project's span pre-labeler, or nullopt.
  virtual Result<std::optional<SpanPrelabelerRow>> GetSpanPrelabeler(int64_t project_id) = 0;
  // Stores (replaces) it. kNotFound for the project.
  virtual Status PutSpanPrelabeler(const SpanPrelabelerRow& row) = 0;
  // Removes it (no-op when there is none).
  virtual Status DeleteSpanPrelabeler(int64_t project_id) = 0;

  // The train queue: accepted labels the project's learning backends are
  // still to be told of, kept so a restart tells them. A revision or review
  // with queue_train queues its task in its own transaction. Queueing a task
  // already queued changes nothing; Pending is oldest first, of those
  // queued before `queued_before_ms`.
  virtual Status QueueTrain(int64_t project_id, int64_t task_id, int64_t now_ms) = 0;
  virtual Result<std::vector<TrainQueueItem>> PendingTrains(int64_t queued_before_ms,
                                                            int32_t limit) = 0;
  virtual Status DeleteTrain(int64_t project_id, int64_t task_id) = 0;
  // --- golden sets and bake-offs (docs/bakeoffs.md) ------------------------------
  // Freezes golden tasks of the project with their current answers as the
  // next version of the set `name` (1 for a new name), atomically. `task_ids`
  // empty: every golden task of the project. kNotFound for the project or
  // user; kInvalidArgument (field "task_ids[i]") for a task that is not a
  // golden task of the project or is given twice, (field "task_ids") when no
  // task is left, (field "name") for an empty name or one over 200 bytes.
  virtual Result<GoldenSet> CreateGoldenSet(int64_t project_id, std::string_view name,
                                            std::string_view note,
                                            const std::vector<int64_t>& task_ids, int64_t user_id,
                                            int64_t now_ms) = 0;
  // The project's golden sets, newest first.
  virtual Result<std::vector<GoldenSet>> ListGoldenSets(int64_t project_id) = 0;
  virtual Result<GoldenSet> GetGoldenSet(int64_t id) = 0;  // kNotFound
  // The set's tasks with their data and frozen answers, by task id. kNotFound.
  virtual Result<std::vector<GoldenSetItem>> ListGoldenSetItems(int64_t golden_set_id) = 0;
  // Stores a bake-off and its candidates (ids, sent_at of workforce
  // candidates = now_ms, and the author's name assigned). kNotFound for the
  // project or a workforce; kInvalidArgument (field "golden_set_id") for a
  // golden set of another project, (field "candidates[i].name") for a
  // candidate name used twice.
  virtual Result<Bakeoff> CreateBakeoff(const Bakeoff& bakeoff, int64_t now_ms) = 0;
  virtual Result<Bakeoff> GetBakeoff(int64_t id) = 0;  // with candidates; kNotFound
  // The project's bake-offs with their candidates, newest first.
  virtual Result<std::vector<Bakeoff>> ListBakeoffs(int64_t project_id) = 0;
  // Sets the weights and/or closes the bake-off (closing twice keeps the
  // first time). A closed bake-off hands out no more tasks and records no
  // labels. kNotFound.
  virtual Result<Bakeoff> UpdateBakeoff(int64_t id, const std::optional<BakeoffWeights>& weights,
                                        bool close, int64_t now_ms) = 0;
  // A vendor candidate's golden tasks went out (its first export): sets
  // sent_at unless set. kNotFound.
  virtual Status MarkCandidateSent(int64_t candidate_id, int64_t now_ms) = 0;
  // Replaces every label of vendor candidate `candidate_id` with `labels`
  // (tasks of its golden set, each once) and sets returned_at and, when
  // unset, sent_at to now_ms, in one transaction. kNotFound for the
  // candidate; kConflict when it is not a vendor or its bake-off is closed;
  // kInvalidArgument (field "[i].task_id") for a task not in the set.
  virtual Status ReplaceVendorLabels(int64_t candidate_id, const std::vector<BakeoffLabel>& labels,
                                     int64_t now_ms) = 0;
  // Every label of every candidate of the bake-off, by candidate then task.
  virtual Result<std::vector<BakeoffLabel>> ListBakeoffLabels(int64_t bakeoff_id) = 0;
  // The queue's bake-off rule (ClaimRule::kBakeoff): when the caller holds
  // no live lease and has no rework in the project, a golden task of an open
  // bake-off of the project for which the caller is a member of a workforce
  // candidate that has no label of it yet, nobody of that candidate holds it
  // leased, and the caller has not annotated or skipped it; oldest bake-off,
  // candidate and task first. It gets a lease (holding no slot) and the
  // candidate's assignment; the caller's submit on it (AppendRevision)
  // records the candidate's label in the same transaction. nullopt when none.
  virtual Result<std::optional<Claim>> ClaimBakeoffTask(int64_t project_id, int64_t user_id,
                                                        int64_t now_ms) = 0;

  // --- training and qualification (docs/training.md) -------------------------------
  // The project's practice set, by position.
  virtual Result<std::vector<PracticeItem>> ListPracticeItems(int64_t project_id) = 0;
  // Replaces the practice set (positions are assigned in list order), in one
  // transaction. kNotFound for the project; kInvalidArgument (field
  // "items[i].task_id") for a task that is not a golden task of the project or
  // is listed twice.
  virtual Status SetPracticeItems(int64_t project_id, const std::vector<PracticeItem>& items) = 0;
  // The labeler's training record, nullopt when they have none. One primary-key read.
  virtual Result<std::optional<LabelerTraining>> GetLabelerTraining(int64_t project_id,
                                                                    int64_t user_id) = 0;
  // Every training record of the project with usernames, by user id.
  virtual Result<std::vector<LabelerTraining>> ListLabelerTraining(int64_t project_id) = 0;
  // Stores a practice answer (attempt_id must be nullopt) and counts it in the
  // labeler's record (created when missing), in one transaction. Returns it with its id.
  virtual Result<TrainingAnswer> RecordPracticeAnswer(const TrainingAnswer& answer) = 0;
  // The labeler's practice answers (attempt nullopt) or one attempt's answers, by id.
  virtual Result<std::vector<TrainingAnswer>> ListTrainingAnswers(
      int64_t project_id, int64_t user_id, std::optional<int64_t> attempt_id) = 0;
  // Starts a test (id, answered 0 and started_at assigned) and creates the
  // labeler's record when missing. kConflict when the labeler has an
  // unfinished attempt in the project; kNotFound for the project or set.
  virtual Result<QualificationAttempt> StartQualification(const QualificationAttempt& attempt) = 0;
  virtual Result<QualificationAttempt> GetQualificationAttempt(int64_t id) = 0;  // kNotFound
  // The labeler's attempts in the project (all labelers' when user_id is nullopt), newest first.
  virtual Result<std::vector<QualificationAttempt>> ListQualificationAttempts(
      int64_t project_id, std::optional<int64_t> user_id) = 0;
  // Stores an answer of attempt `answer.attempt_id` and, when it is the
  // attempt's last, finishes the attempt (score: the mean grade over its
  // tasks; passed when at least pass_mark) and records the outcome in the
  // labeler's record, in one transaction. Returns the attempt after it.
  // kConflict when the attempt is finished; kAlreadyExists (field "task_id")
  // when the task was answered in it already; kNotFound for the attempt.
  virtual Result<QualificationAttempt> RecordQualificationAnswer(const TrainingAnswer& answer) = 0;
  // Ends a labeler's pause: golden grades from now on start a new window.
  // Returns false (nothing changed) when they were not paused.
  virtual Result<bool> UnpauseLabeler(int64_t project_id, int64_t user_id, int64_t now_ms) = 0;

  // --- the whole database, for `plumb migrate` --------------------------------
  // Calls `fn` for every row of every table (not the migrations bookkeeping),
  // tables parents first (users, sessions, api_tokens, projects,
  // project_members, workforces, workforce_members, project_workforces,
  // batches, batch_workforces, tasks, leases, annotations, revisions, skips,
  // predictions, golden_answers, golden_grades, final_labels, reviews,
  // review_leases, webhooks, events, deliveries, stat_counters,
  // disagreements, label_blobs, dataset_versions, dataset_version_labels,
  // audit_log, instructions_versions, instruction_images, instruction_acks,
  // ml_backends, prediction_jobs, prelabel_uses, learner_models, span_prelabelers,
  // golden_sets, golden_set_tasks, bakeoffs, bakeoff_candidates,
  // bakeoff_assignments, bakeoff_labels, practice_items,
  // qualification_attempts, training_answers, labeler_training),
  // rows by
  // primary key, all from one consistent snapshot; stops at the first non-OK
  // status `fn` returns and returns it.
  virtual Status DumpTables(const DumpRowFn& fn) = 0;
  // kConflict unless the database is empty (no users, no projects).
  virtual Result<std::unique_ptr<DatabaseLoader>> BeginLoad() = 0;
};

struct SqliteOptions {
  // Readers run on their own connections (WAL lets them run beside the writer).
  int reader_connections = 8;
  // The WAL is checkpointed beside the writer once commits add this many
  // pages to it (SQLite's own default), and starts over once it holds
  // wal_restart_pages (~62 MB of 4 KiB pages, within the 64 MB the store
  // lets a WAL keep).
  int checkpoint_pages = 1000;
  int wal_restart_pages = 15000;
};

// Opens (creating if needed) a SQLite database in WAL mode and applies the
// numbered migrations. kInternal with SQLite's message on failure.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options = {});

struct PostgresOptions {
  // Connections in the pool, opened as needed. Each call holds one for its
  // duration; an open TaskWriter or DatabaseLoader, and an export or dump
  // with its callback, hold one throughout (so a callback that calls the
  // store needs a second).
  int connections = 16;
};

// Connects to a PostgreSQL database given as a libpq URL
// (postgresql://user@host:port/dbname) and applies the numbered migrations
// (serialized across servers starting at once). kInternal with the server's
// message on failure. Several servers may share the database: claims stay
// correct across them. JSON is stored as jsonb and comes back equal in
// content, not in bytes (keys reordered, no blanks); JSON with \u0000, which
// jsonb cannot hold, is kInvalidArgument naming the field. A connection the
// server dropped is replaced by the next call.
Result<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                 const PostgresOptions& options = {});

// Whether a --db value names a PostgreSQL database ("postgresql://..." or
// "postgres://...").
bool IsPostgresUrl(std::string_view location);

// Opens the store a --db value names: "postgresql://..." or "postgres://..." is
// PostgreSQL; "sqlite:PATH" or a plain PATH is a SQLite file.
Result<std::unique_ptr<Store>> OpenStore(const std::string& location);

}  // namespace plumb::store
