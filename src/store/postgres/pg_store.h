#pragma once
// Internal to the PostgreSQL backend: the PgStore class, split over
// pg_store.cc (users, projects, tasks, the queue, annotations, dumps) and
// pg_workflow.cc (golden tasks, review, workforces, batches, events and
// webhooks, predictions added later, disagreements and running statistics),
// and the helpers both use. See pg_store.cc's top comment for the
// locking rules every write follows.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/core.h"
#include "store/backend_common.h"
#include "store/postgres/pg_conn.h"
#include "store/store.h"

namespace plumb::store::postgres {

// Runs of one call after deadlocks or serialization failures.
inline constexpr int kMaxAttempts = 5;

// kInvalidArgument naming `field` for JSON that jsonb cannot hold (\u0000).
Status CheckJsonbStorable(std::string_view json, const char* field);
// The advisory lock key of an id (see LockUserInProject).
int32_t LockKey(int64_t id);
// A bigint[] literal, {1,2,3}, to bind as one parameter.
std::string BigintArray(const std::vector<int64_t>& ids);
// Rule 1 of pg_store.cc's locks: one user's queue calls in a project, one at a time.
Status LockUserInProject(PgConnection& c, int64_t project_id, int64_t user_id);
// The project's settings, with rule 2's KEY SHARE lock on its row. kNotFound.
Result<ProjectSettings> LockSettings(PgConnection& c, int64_t project_id);
Result<Revision> LoadRevision(PgConnection& c, int64_t id);
// Task `task_id` with rule 4's row lock. kNotFound.
Result<Task> LockTask(PgConnection& c, int64_t task_id);
// Inserts a revision of annotation `annotation_id` and makes it current.
Result<int64_t> InsertRevision(PgConnection& c, const NewRevision& rev, int64_t annotation_id,
                               int32_t number, std::optional<int64_t> parent_id, int64_t now_ms);
Status CommitTransaction(PgConnection& c);
bool IsTransient(const PgConnection& c);

template <typename T, typename Read>
Result<std::vector<T>> ReadAll(const PgResult& r, Read&& read) {
  std::vector<T> out;
  out.reserve(r.rows());
  for (int i = 0; i < r.rows(); ++i) out.push_back(read(r.row(i)));
  return out;
}

// --- running statistics (pg_workflow.cc) -------------------------------------------

// The additions one transaction makes to a project's stat_counters
// (docs/analytics.md), all on the UTC day of `now_ms`, gathered while it runs
// and written by Flush at its end. Counter rows are shared by every
// transaction of the project (its `done`, say), so they are locked last,
// held only until COMMIT, and in one order (user, metric): transactions
// adding to the same counters queue briefly and never deadlock on them.
class StatBatch {
 public:
  StatBatch(int64_t project_id, int64_t now_ms);
  void Add(int64_t user_id, std::string_view metric, int64_t count, double sum = 0);
  // Upserts every addition (n += count, total += sum) in one statement.
  // kInternal for a sum that is not finite (a bug of the workflow's stats).
  Status Flush(PgConnection& c);

 private:
  int64_t project_id_;
  int64_t day_;
  std::map<std::pair<int64_t, std::string>, std::pair<int64_t, double>> deltas_;
};

// The pre-label row and counters of a revision that created an annotation
// (NewRevision::track_prelabel), in the submit's transaction (pg_ml.cc).
Status RecordPrelabelUse(PgConnection& c, int64_t project_id, const NewRevision& rev,
                         int64_t revision_id, StatBatch& counters, int64_t now_ms);
// Queues the task for training (as Store::QueueTrain) if it is done, in the
// caller's transaction: NewRevision/Review::queue_train (pg_ml.cc).
Status QueueTrainIfDone(PgConnection& c, int64_t task_id, int64_t now_ms);


// --- completion (pg_workflow.cc) ---------------------------------------------------

// The review.rejected event of `task` (and its deliveries), by `reviewer_id`.
Status WriteReviewRejected(PgConnection& c, const Task& task, int64_t reviewer_id,
                           std::string_view comment, int64_t now_ms);

// Completes task `task` (locked FOR UPDATE by the caller, in project
// `settings`): asks hooks->complete (DefaultCompletion without one) for its
// final label and state, given the task's predictions, stores both with the
// completion's disagreements, and when it is done writes its events. Adds the
// completion's stats to `stats`, and when the task is done (and was not done
// before, see tasks.resent) the project's `done`/`turn.B` and each
// annotator's `accepted`.
Status CompleteTask(PgConnection& c, const Task& task, const ProjectSettings& settings,
                    bool after_rework, const RevisionHooks* hooks, StatBatch& counters,
                    int64_t now_ms);
// Grades the first submission of golden task `task_id` with hooks->grade
// (nothing without one); a user's grade of a task is never replaced. A
// stored grade adds to `golden` (and `golden_correct`) in `stats`.
// With `pause`, a stored grade runs the ongoing check (CheckPause).
Status GradeGolden(PgConnection& c, int64_t task_id, int64_t project_id, const Revision& rev,
                   const RevisionHooks* hooks, const std::optional<PauseRule>& pause,
                   StatBatch& counters, int64_t now_ms);
// The first submission `rev` of golden task `task_id`, when the task is
// assigned to its author for a workforce candidate of an open bake-off,
// becomes that candidate's label (pg_bakeoffs.cc).
Status RecordBakeoffLabel(PgConnection& c, int64_t task_id, const Revision& rev, int64_t now_ms);
// Makes task `task_id` golden with `answer`, or ordinary again with nullopt,
// under rules 2 and 4 (pg_workflow.cc). kNotFound.
Status SetGoldenIn(PgConnection& c, int64_t task_id, const std::optional<GoldenAnswer>& answer);
// An event of the project without task or batch, with its webhook deliveries (pg_workflow.cc).
Status WritePlainEvent(PgConnection& c, int64_t project_id, std::string_view type,
                       const std::string& data_json, int64_t now_ms);
// The ongoing check after a new golden grade of `user_id` (pg_training.cc):
// pauses them, with a labeler.paused event, when their window fails `rule`.
Status CheckPause(PgConnection& c, int64_t project_id, int64_t user_id, const PauseRule& rule,
                  int64_t now_ms);

class PgStore final : public Store {
 public:
  PgStore(const std::string& url, int connections) : pool_(url, connections) {}

  static Result<std::unique_ptr<Store>> Open(const std::string& url,
                                             const PostgresOptions& options);

  Result<User> CreateUser(std::string_view username, std::string_view password_hash, Role role,
                          int64_t now_ms) override;
  Result<User> GetUser(int64_t id) override;
  Result<UserWithHash> FindUserByName(std::string_view username) override;
  Result<std::vector<User>> ListUsers() override;
  Result<int64_t> CountUsers() override;

  Status CreateSession(std::string_view secret_hash, int64_t user_id,
                       int64_t expires_at_ms) override;
  Result<User> UserForSession(std::string_view secret_hash, int64_t now_ms) override;
  Status DeleteSession(std::string_view secret_hash) override;
  Result<int64_t> CreateApiToken(std::string_view secret_hash, int64_t user_id,
                                 std::string_view name, int64_t now_ms) override;
  Result<User> UserForApiToken(std::string_view secret_hash) override;

  Result<Project> CreateProject(const NewProject& project, int64_t now_ms) override;
  Result<Project> GetProject(int64_t id) override;
  Result<std::vector<Project>> ListProjects(std::optional<int64_t> member_id) override;
  Result<Project> UpdateProject(int64_t id, const ProjectUpdate& update) override;
  Status DeleteProject(int64_t id) override;
  Status AddMember(int64_t project_id, int64_t user_id) override;
  Result<bool> IsMember(int64_t project_id, int64_t user_id) override;
  Result<std::vector<User>> ListMembers(int64_t project_id) override;
  Result<TaskCounts> CountTasks(int64_t project_id) override;
  Result<std::vector<TaskStateCount>> CountTasksByState() override;

  Result<std::unique_ptr<TaskWriter>> BeginImport(int64_t project_id, int64_t now_ms) override;
  Result<TaskPage> ListTasks(const TaskQuery& query) override;
  Result<int64_t> CountMatchingTasks(const TaskQuery& query) override;
  Result<Task> GetTask(int64_t id) override;

  Result<std::optional<Claim>> ClaimNextTask(int64_t project_id, int64_t user_id,
                                             int64_t now_ms) override;
  Result<std::optional<Lease>> FindLiveLease(int64_t task_id, int64_t user_id,
                                             int64_t now_ms) override;
  Result<Revision> AppendRevision(const NewRevision& revision, int64_t now_ms) override;
  Status SkipTask(int64_t task_id, int64_t user_id, int64_t lease_id, int64_t now_ms) override;

  Result<std::vector<Revision>> ListRevisions(int64_t task_id,
                                              std::optional<int64_t> user_id) override;
  Result<std::vector<Revision>> CurrentRevisions(const std::vector<int64_t>& task_ids) override;
  Result<Progress> GetProgress(int64_t project_id, int64_t user_id) override;

  Result<std::vector<Prediction>> ListPredictions(const std::vector<int64_t>& task_ids) override;
  Result<std::vector<Prediction>> AddPredictions(int64_t project_id,
                                                 const std::vector<TaskPrediction>& predictions,
                                                 int64_t now_ms) override;
  Status SetDisagreements(const std::vector<Disagreement>& disagreements) override;
  Result<DisagreementPage> ListDisagreements(const DisagreementQuery& query) override;

  Result<std::vector<StatRow>> ReadStats(const StatQuery& query) override;
  Result<std::vector<AnnotationRef>> ListAnnotationRefs(const AnnotationQuery& query) override;
  Result<std::vector<int64_t>> SendToReview(const std::vector<int64_t>& task_ids,
                                            int64_t now_ms) override;

  Result<std::optional<Claim>> ClaimGoldenTask(int64_t project_id, int64_t user_id,
                                               int64_t now_ms) override;
  Status SetGoldenAnswer(int64_t task_id, const std::optional<GoldenAnswer>& answer) override;
  Status SetGoldenAnswers(int64_t project_id,
                          const std::vector<std::pair<int64_t, GoldenAnswer>>& answers) override;
  Result<std::optional<Claim>> ClaimBakeoffTask(int64_t project_id, int64_t user_id,
                                                int64_t now_ms) override;
  // --- golden sets and bake-offs (pg_bakeoffs.cc) ---
  Result<GoldenSet> CreateGoldenSet(int64_t project_id, std::string_view name,
                                    std::string_view note, const std::vector<int64_t>& task_ids,
                                    int64_t user_id, int64_t now_ms) override;
  Result<std::vector<GoldenSet>> ListGoldenSets(int64_t project_id) override;
  Result<GoldenSet> GetGoldenSet(int64_t id) override;
  Result<std::vector<GoldenSetItem>> ListGoldenSetItems(int64_t golden_set_id) override;
  Result<Bakeoff> CreateBakeoff(const Bakeoff& bakeoff, int64_t now_ms) override;
  Result<Bakeoff> GetBakeoff(int64_t id) override;
  Result<std::vector<Bakeoff>> ListBakeoffs(int64_t project_id) override;
  Result<Bakeoff> UpdateBakeoff(int64_t id, const std::optional<BakeoffWeights>& weights,
                                bool close, int64_t now_ms) override;
  Status MarkCandidateSent(int64_t candidate_id, int64_t now_ms) override;
  Status ReplaceVendorLabels(int64_t candidate_id, const std::vector<BakeoffLabel>& labels,
                             int64_t now_ms) override;
  Result<std::vector<BakeoffLabel>> ListBakeoffLabels(int64_t bakeoff_id) override;
  Result<std::optional<GoldenAnswer>> GetGoldenAnswer(int64_t task_id) override;
  Result<std::vector<GoldenGrade>> ListGoldenGrades(int64_t project_id) override;
  // --- training and qualification (pg_training.cc) ---
  Result<std::vector<PracticeItem>> ListPracticeItems(int64_t project_id) override;
  Status SetPracticeItems(int64_t project_id, const std::vector<PracticeItem>& items) override;
  Result<std::optional<LabelerTraining>> GetLabelerTraining(int64_t project_id,
                                                            int64_t user_id) override;
  Result<std::vector<LabelerTraining>> ListLabelerTraining(int64_t project_id) override;
  Result<TrainingAnswer> RecordPracticeAnswer(const TrainingAnswer& answer) override;
  Result<std::vector<TrainingAnswer>> ListTrainingAnswers(
      int64_t project_id, int64_t user_id, std::optional<int64_t> attempt_id) override;
  Result<QualificationAttempt> StartQualification(const QualificationAttempt& attempt) override;
  Result<QualificationAttempt> GetQualificationAttempt(int64_t id) override;
  Result<std::vector<QualificationAttempt>> ListQualificationAttempts(
      int64_t project_id, std::optional<int64_t> user_id) override;
  Result<QualificationAttempt> RecordQualificationAnswer(const TrainingAnswer& answer) override;
  Result<bool> UnpauseLabeler(int64_t project_id, int64_t user_id, int64_t now_ms) override;

  Result<std::optional<Claim>> ClaimReviewTask(int64_t project_id, int64_t user_id,
                                               std::optional<TaskState> stage,
                                               int64_t now_ms) override;
  Status RecordReview(const Review& review, int64_t now_ms) override;
  Result<std::vector<ReviewNote>> ListReviews(int64_t task_id) override;
  Result<std::vector<FinalLabel>> FinalLabels(const std::vector<int64_t>& task_ids) override;

  // ML backends and prediction jobs (pg_ml.cc).
  Result<MlBackend> CreateMlBackend(const MlBackend& backend, int64_t now_ms) override;
  Result<MlBackend> GetMlBackend(int64_t id) override;
  Result<std::vector<MlBackend>> ListMlBackends(std::optional<int64_t> project_id) override;
  Result<MlBackend> UpdateMlBackend(const MlBackend& backend) override;
  Status DeleteMlBackend(int64_t id) override;
  Status RecordMlBackendHealth(int64_t id, std::string_view health, std::string_view error,
                               std::string_view model_version, int64_t at_ms) override;
  Result<PredictionJob> CreatePredictionJob(const PredictionJob& job, int64_t now_ms) override;
  Result<PredictionJob> GetPredictionJob(int64_t id) override;
  Result<std::vector<PredictionJob>> ListPredictionJobs(int64_t project_id,
                                                        int32_t limit) override;
  Result<std::optional<PredictionJob>> ClaimPredictionJob(int64_t now_ms,
                                                          int64_t hold_ms) override;
  Result<bool> UpdatePredictionJob(int64_t id, const JobProgress& progress,
                                   int64_t now_ms) override;
  Result<PredictionJob> CancelPredictionJob(int64_t id, int64_t now_ms) override;
  Result<std::optional<LearnerModel>> GetLearnerModel(int64_t project_id,
                                                      std::string_view control) override;
  Status PutLearnerModel(const LearnerModel& model) override;
  Status SetTaskUncertainty(int64_t project_id,
                            const std::vector<TaskUncertainty>& values) override;
  Result<std::optional<SpanPrelabelerRow>> GetSpanPrelabeler(int64_t project_id) override;
  Status PutSpanPrelabeler(const SpanPrelabelerRow& row) override;
  Status DeleteSpanPrelabeler(int64_t project_id) override;
  Status QueueTrain(int64_t project_id, int64_t task_id, int64_t now_ms) override;
  Result<std::vector<TrainQueueItem>> PendingTrains(int64_t queued_before_ms,
                                                    int32_t limit) override;
  Status DeleteTrain(int64_t project_id, int64_t task_id) override;

  // Labeling instructions (pg_instructions.cc).
  Result<InstructionsVersion> SaveInstructions(const NewInstructions& instructions,
                                               int64_t now_ms) override;
  Result<InstructionsVersion> GetInstructions(int64_t project_id,
                                              std::optional<int64_t> version) override;
  Result<std::vector<InstructionsVersion>> ListInstructionVersions(int64_t project_id) override;
  Result<InstructionsStatus> GetInstructionsStatus(int64_t project_id, int64_t user_id) override;
  Result<bool> PutInstructionImage(const InstructionImage& image) override;
  Result<InstructionImage> GetInstructionImage(std::string_view hash) override;
  Result<bool> HasInstructionImage(std::string_view hash) override;
  Status Acknowledge(int64_t project_id, int64_t user_id, int64_t version,
                     int64_t now_ms) override;
  Result<std::vector<InstructionAck>> ListAcks(int64_t project_id) override;
  Result<OutdatedPage> ListOutdatedTasks(const OutdatedQuery& query) override;
  Result<std::vector<int64_t>> ReworkOutdated(int64_t project_id, int64_t manager_id,
                                              int64_t before, const std::vector<int64_t>& task_ids,
                                              std::string_view comment, int64_t now_ms) override;

  Result<Workforce> CreateWorkforce(const Workforce& workforce, int64_t now_ms) override;
  Result<Workforce> GetWorkforce(int64_t id) override;
  Result<std::vector<Workforce>> ListWorkforces(std::optional<int64_t> member_id) override;
  Result<Workforce> UpdateWorkforce(const Workforce& workforce) override;
  Status AddWorkforceMember(int64_t workforce_id, int64_t user_id) override;
  Status RemoveWorkforceMember(int64_t workforce_id, int64_t user_id) override;
  Result<std::vector<User>> ListWorkforceMembers(int64_t workforce_id) override;
  Status GrantProjectAccess(int64_t project_id, int64_t workforce_id) override;
  Status RevokeProjectAccess(int64_t project_id, int64_t workforce_id) override;
  Result<std::vector<Workforce>> ListProjectWorkforces(int64_t project_id) override;
  Result<std::vector<int64_t>> ListWorkforceProjects(int64_t workforce_id) override;

  Result<Batch> GetBatch(int64_t id) override;
  Result<std::vector<Batch>> ListBatches(int64_t project_id) override;

  Result<Webhook> CreateWebhook(const Webhook& webhook, std::string_view secret,
                                int64_t now_ms) override;
  Result<Webhook> GetWebhook(int64_t id) override;
  Result<std::vector<Webhook>> ListWebhooks(int64_t project_id) override;
  Status DeleteWebhook(int64_t id) override;
  Result<std::vector<Delivery>> ListDeliveries(std::optional<int64_t> webhook_id,
                                               std::optional<int64_t> batch_id,
                                               int32_t limit) override;
  Result<std::vector<Delivery>> ClaimDueDeliveries(int64_t now_ms, int32_t limit,
                                                   int64_t lock_ms) override;
  Status RecordDeliveryAttempt(const DeliveryAttempt& attempt) override;
  Result<int64_t> CountTasksDueBefore(int64_t project_id, int64_t before_ms) override;

  Status ForEachTaskWithAnnotations(
      int64_t project_id,
      const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) override;

  // pg_versions.cc
  Result<DatasetVersion> CreateDatasetVersion(int64_t project_id, std::string_view name,
                                              std::string_view note, int64_t user_id,
                                              int64_t now_ms) override;
  Result<std::vector<DatasetVersion>> ListDatasetVersions(int64_t project_id) override;
  Result<DatasetVersion> GetDatasetVersion(int64_t project_id, std::string_view name) override;
  Status ForEachVersionLabel(int64_t version_id,
                             const std::function<Status(const VersionLabel&)>& fn) override;
  Result<VersionDiff> DiffVersions(int64_t from_id, int64_t to_id) override;
  Result<int64_t> AppendAudit(const AuditEntry& entry) override;
  Result<AuditPage> ListAudit(const AuditQuery& query) override;

  Status DumpTables(const DumpRowFn& fn) override;
  Result<std::unique_ptr<DatabaseLoader>> BeginLoad() override;

 private:
  enum class Mode {
    kWrite,     // READ COMMITTED; the locks of the header do the rest
    kSnapshot,  // REPEATABLE READ, READ ONLY: several reads of one snapshot
  };
  // Whether a failed body may run again. Bodies that call out to the caller
  // (export, dump) must not: the caller would see rows twice.
  enum class Rerun { kAllowed, kNever };

  // Runs `body(conn)` in a transaction of `mode` on a pooled connection and
  // commits if it returns OK (rolls back otherwise). Runs it again after a
  // deadlock or serialization failure, and once after losing the connection
  // before COMMIT (the server has rolled back then); a connection lost
  // during COMMIT leaves the outcome unknown and is reported.
  template <typename Body>
  auto Transact(Mode mode, Body&& body, Rerun rerun = Rerun::kAllowed)
      -> std::invoke_result_t<Body&, PgConnection&> {
    bool lost_connection = false;
    for (int attempt = 1;; ++attempt) {
      PLUMB_ASSIGN_OR_RETURN(ConnectionPool::Handle conn, pool_.Acquire());
      Status begun = conn->Exec(
          mode == Mode::kWrite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      if (!begun.ok()) {
        // Nothing ran yet, so even a body that calls out may start over.
        if (conn->broken() && !std::exchange(lost_connection, true)) continue;
        return begun;
      }
      auto result = body(*conn);
      bool again = false;
      if (result.ok()) {
        Status committed = CommitTransaction(*conn);
        if (committed.ok()) return result;
        if (conn->broken()) {
          return Status::Internal(
              "connection to PostgreSQL lost during COMMIT (the change may "
              "or may not have been made): " +
              committed.message());
        }
        again = IsTransient(*conn);
        result = std::move(committed);
      } else {
        again = conn->broken() ? !std::exchange(lost_connection, true) : IsTransient(*conn);
        if (!conn->broken()) (void)conn->Exec("ROLLBACK");
      }
      if (!again || rerun == Rerun::kNever || attempt == kMaxAttempts) return result;
    }
  }

  // Runs `body(conn)` (one statement that only reads) without a transaction,
  // once more if the connection turns out lost.
  template <typename Body>
  auto Read(Body&& body) -> std::invoke_result_t<Body&, PgConnection&> {
    for (int attempt = 1;; ++attempt) {
      PLUMB_ASSIGN_OR_RETURN(ConnectionPool::Handle conn, pool_.Acquire());
      auto result = body(*conn);
      if (result.ok() || !conn->broken() || attempt == 2) return result;
    }
  }

  // Deletes the tasks of a project marked deleted, then the project row.
  Status PurgeProject(int64_t id);

  ConnectionPool pool_;
};

}  // namespace plumb::store::postgres
