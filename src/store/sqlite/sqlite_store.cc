// The SQLite backend of store::Store.
//
// Concurrency: one writer connection, guarded by write_mu_, runs every write
// in a BEGIN IMMEDIATE transaction; a pool of read-only connections serves
// reads beside it (WAL lets readers see the last commit without blocking the
// writer). An import holds write_mu_ for the TaskWriter's lifetime.
//
// Group commit: a write queues itself and sleeps; the store's writer
// thread runs every queued write (up to kMaxBatchOps) in one transaction on
// the writer connection, then the next group at once, with no hand-over of
// the lock from write to write or from group to group. A write that fails
// before changing anything leaves the group alone; one that fails after
// changing rows rolls back the transaction, and the writes it held with it
// (see RunGroup).
//
// Durability: the writer runs with synchronous=NORMAL, so a COMMIT only
// writes the WAL, and the store's sync thread syncs the WAL (WalSync) while
// the writer thread goes on with the next group: one fsync covers every
// group committed before it started. A write returns only after a COMMIT
// that covers it was synced, so durability and read-your-writes are as with
// one synchronous=FULL transaction per write.

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/core.h"
#include "core/futex.h"
#include "store/backend_common.h"
#include "store/sqlite/analytics_sql.h"
#include "store/sqlite/bakeoffs_sql.h"
#include "store/sqlite/config_cache.h"
#include "store/sqlite/instructions_sql.h"
#include "store/sqlite/ml_sql.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/training_sql.h"
#include "store/sqlite/versions_sql.h"
#include "store/sqlite/wal_checkpointer.h"
#include "store/sqlite/workflow_sql.h"
#include "store/store.h"

// A project's tasks in id order from after_id (?2), at most ?3 of them: a
// merge of the tasks_by_state range of each state, so no sort and no scan
// past the page. There is one arm per TaskState value.
#define PLUMB_TASKS_IN_ID_ORDER                            \
  "SELECT " PLUMB_TASK_COLS                                \
  " FROM tasks t INDEXED BY tasks_by_state"                \
  " WHERE t.project_id = ?1 AND t.state = 0 AND t.id > ?2" \
  " UNION ALL SELECT " PLUMB_TASK_COLS                     \
  " FROM tasks t INDEXED BY tasks_by_state"                \
  " WHERE t.project_id = ?1 AND t.state = 1 AND t.id > ?2" \
  " UNION ALL SELECT " PLUMB_TASK_COLS                     \
  " FROM tasks t INDEXED BY tasks_by_state"                \
  " WHERE t.project_id = ?1 AND t.state = 2 AND t.id > ?2" \
  " UNION ALL SELECT " PLUMB_TASK_COLS                     \
  " FROM tasks t INDEXED BY tasks_by_state"                \
  " WHERE t.project_id = ?1 AND t.state = 3 AND t.id > ?2" \
  " UNION ALL SELECT " PLUMB_TASK_COLS                     \
  " FROM tasks t INDEXED BY tasks_by_state"                \
  " WHERE t.project_id = ?1 AND t.state = 4 AND t.id > ?2" \
  " ORDER BY 1 LIMIT ?3"

namespace plumb::store {
namespace sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;
// Page cache sizes in KiB. The writer's hot set in steady state is the head
// of each queue index plus the lease and annotation tails; readers page
// through lists. An import gets a larger cache for its index maintenance;
// past it SQLite spills dirty pages to the WAL, which bounds import memory.
constexpr int kWriterCacheKiB = 16 * 1024;
constexpr int kReaderCacheKiB = 8 * 1024;
constexpr int kImportCacheKiB = 64 * 1024;
// The writer reads through a memory map: it is the only connection that
// commits, so its map stays valid. Readers do not: a reader that begins a
// read after another connection's commit unmaps the whole database
// (sqlite3PagerSharedLock), and each munmap in a process of many threads
// is a TLB shootdown on every core; under 64 annotators that cost more than
// the few pread calls a lookup takes from the OS page cache.
constexpr int64_t kWriterMmapBytes = 1LL << 30;
// After a checkpoint, a WAL larger than this (e.g. after a big import) is
// truncated rather than kept at its peak size.
constexpr int64_t kWalSizeLimitBytes = 64 * 1024 * 1024;
// Tasks deleted per transaction when purging a deleted project: ~50 ms of
// work on an idle disk (cascades included), the longest another write waits
// behind the purge. Smaller batches add a WAL fsync per batch to the purge.
constexpr int kPurgeBatch = 2000;
// Writes per group commit. Each adds its own run time (~0.1 ms for a claim)
// to the wait of the batch's first write.
constexpr int kMaxBatchOps = 32;
// API tokens whose user is kept in memory (about 200 bytes each).
constexpr size_t kCachedTokens = 10'000;
// How long a kept configuration answer may miss a change made by another
// process (config_cache.h); this process's own changes end it at once.
constexpr std::chrono::seconds kConfigTtl{1};

const Status& StatusOf(const Status& status) { return status; }
template <typename T>
const Status& StatusOf(const Result<T>& result) {
  return result.status();
}

// A queue that one thread drains (the store's writer and sync threads):
// Push wakes it, Take waits for items, and after Stop a Take that finds the
// queue empty returns false. (A notify with no thread waiting makes no
// syscall in glibc, so Push need not track whether the drainer waits.)
template <typename T>
class DrainedQueue {
 public:
  void Push(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }
  // Moves up to `max` items, oldest first, into `out` (emptied first).
  bool Take(std::vector<T>& out, size_t max) {
    out.clear();
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !items_.empty() || stopping_; });
    if (items_.empty()) return false;
    const auto end = items_.begin() + static_cast<std::ptrdiff_t>(std::min(items_.size(), max));
    out.assign(std::make_move_iterator(items_.begin()), std::make_move_iterator(end));
    items_.erase(items_.begin(), end);
    return true;
  }
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool stopping_ = false;
};

// Syncs the WAL file for commits made with synchronous=NORMAL. Each commit
// takes a sequence number; SyncTo(n) returns once an fdatasync that started
// after commit n finished, so concurrent callers share one sync.
class WalSync {
 public:
  WalSync() = default;
  WalSync(const WalSync&) = delete;
  WalSync& operator=(const WalSync&) = delete;
  ~WalSync() {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Open(std::string path) {
    path_ = std::move(path);
    return Reopen();
  }
  // Called after each COMMIT that succeeded, with the writer still held.
  uint64_t Committed() { return committed_.fetch_add(1, std::memory_order_acq_rel) + 1; }
  // kInternal when the sync failed: the commit may not survive a power loss.
  Status SyncTo(uint64_t seq) {
    std::unique_lock<std::mutex> lock(mu_);
    while (synced_ < seq) {
      if (syncing_) {
        cv_.wait(lock);
        continue;
      }
      syncing_ = true;
      const uint64_t target = committed_.load(std::memory_order_acquire);
      lock.unlock();
      Status status = SyncFile();
      lock.lock();
      syncing_ = false;
      if (status.ok()) synced_ = std::max(synced_, target);
      cv_.notify_all();
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }

 private:
  Status Reopen() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd_ < 0) return Status::Internal("cannot open " + path_ + ": " + std::strerror(errno));
    return Status::Ok();
  }
  // The WAL file is only replaced when every connection closed it, which the
  // store's writer never does while open; the inode check makes sure.
  Status SyncFile() {
    struct stat opened {}, named {};
    if (::fstat(fd_, &opened) != 0 || ::stat(path_.c_str(), &named) != 0 ||
        opened.st_ino != named.st_ino || opened.st_dev != named.st_dev) {
      PLUMB_RETURN_IF_ERROR(Reopen());
    }
    if (::fdatasync(fd_) != 0) {
      return Status::Internal("the write was committed but syncing " + path_ +
                              " failed: " + std::strerror(errno));
    }
    return Status::Ok();
  }

  std::string path_;
  int fd_ = -1;  // used by one SyncFile at a time (syncing_)
  std::atomic<uint64_t> committed_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t synced_ = 0;
  bool syncing_ = false;
};

class ExclusiveWrite;

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const SqliteOptions& options);
  ~SqliteStore() override { StopThreads(); }

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
                                                 int64_t now_ms) override {
    return Write([&](Connection& c) {
      return sqlite::AddPredictions(c, project_id, predictions, now_ms);
    });
  }
  Status SetDisagreements(const std::vector<Disagreement>& disagreements) override {
    return Write([&](Connection& c) { return UpsertDisagreements(c, disagreements, std::nullopt); });
  }
  Result<DisagreementPage> ListDisagreements(const DisagreementQuery& query) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListDisagreements(c, query); });
  }
  Result<std::vector<StatRow>> ReadStats(const StatQuery& query) override {
    return Read([&](Connection& c) { return sqlite::ReadStats(c, query); });
  }
  Result<std::vector<AnnotationRef>> ListAnnotationRefs(const AnnotationQuery& query) override {
    return Read([&](Connection& c) { return sqlite::ListAnnotationRefs(c, query); });
  }
  Result<std::vector<int64_t>> SendToReview(const std::vector<int64_t>& task_ids,
                                            int64_t /*now_ms*/) override {
    return Write([&](Connection& c) { return sqlite::SendToReview(c, task_ids); });
  }

  Status ForEachTaskWithAnnotations(
      int64_t project_id,
      const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) override;

  // --- dataset versions and the audit log: SQL in versions_sql.cc -------------------
  Result<DatasetVersion> CreateDatasetVersion(int64_t project_id, std::string_view name,
                                              std::string_view note, int64_t user_id,
                                              int64_t now_ms) override;
  Result<std::vector<DatasetVersion>> ListDatasetVersions(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListDatasetVersions(c, project_id); });
  }
  Result<DatasetVersion> GetDatasetVersion(int64_t project_id, std::string_view name) override {
    return Read([&](Connection& c) { return sqlite::GetDatasetVersion(c, project_id, name); });
  }
  Status ForEachVersionLabel(int64_t version_id,
                             const std::function<Status(const VersionLabel&)>& fn) override {
    return ReadSnapshot(
        [&](Connection& c) { return sqlite::ForEachVersionLabel(c, version_id, fn); });
  }
  Result<VersionDiff> DiffVersions(int64_t from_id, int64_t to_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::DiffVersions(c, from_id, to_id); });
  }
  Result<int64_t> AppendAudit(const AuditEntry& entry) override {
    return Write([&](Connection& c) { return sqlite::AppendAudit(c, entry); });
  }
  Result<AuditPage> ListAudit(const AuditQuery& query) override {
    return Read([&](Connection& c) { return sqlite::ListAudit(c, query); });
  }

  // --- training and qualification: SQL in training_sql.cc ---------------------------
  Result<std::vector<PracticeItem>> ListPracticeItems(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListPracticeItems(c, project_id); });
  }
  Status SetPracticeItems(int64_t project_id, const std::vector<PracticeItem>& items) override {
    return Write([&](Connection& c) { return sqlite::SetPracticeItems(c, project_id, items); });
  }
  Result<std::optional<LabelerTraining>> GetLabelerTraining(int64_t project_id,
                                                            int64_t user_id) override {
    return Read([&](Connection& c) { return sqlite::GetLabelerTraining(c, project_id, user_id); });
  }
  Result<std::vector<LabelerTraining>> ListLabelerTraining(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListLabelerTraining(c, project_id); });
  }
  Result<TrainingAnswer> RecordPracticeAnswer(const TrainingAnswer& answer) override {
    return Write([&](Connection& c) { return sqlite::RecordPracticeAnswer(c, answer); });
  }
  Result<std::vector<TrainingAnswer>> ListTrainingAnswers(
      int64_t project_id, int64_t user_id, std::optional<int64_t> attempt_id) override {
    return Read([&](Connection& c) {
      return sqlite::ListTrainingAnswers(c, project_id, user_id, attempt_id);
    });
  }
  Result<QualificationAttempt> StartQualification(const QualificationAttempt& attempt) override {
    return Write([&](Connection& c) { return sqlite::StartQualification(c, attempt); });
  }
  Result<QualificationAttempt> GetQualificationAttempt(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetQualificationAttempt(c, id); });
  }
  Result<std::vector<QualificationAttempt>> ListQualificationAttempts(
      int64_t project_id, std::optional<int64_t> user_id) override {
    return Read(
        [&](Connection& c) { return sqlite::ListQualificationAttempts(c, project_id, user_id); });
  }
  Result<QualificationAttempt> RecordQualificationAnswer(const TrainingAnswer& answer) override {
    return Write([&](Connection& c) { return sqlite::RecordQualificationAnswer(c, answer); });
  }
  Result<bool> UnpauseLabeler(int64_t project_id, int64_t user_id, int64_t now_ms) override {
    return Write(
        [&](Connection& c) { return sqlite::UnpauseLabeler(c, project_id, user_id, now_ms); });
  }

  // --- golden sets and bake-offs: SQL in bakeoffs_sql.cc ----------------------------
  Result<GoldenSet> CreateGoldenSet(int64_t project_id, std::string_view name,
                                    std::string_view note, const std::vector<int64_t>& task_ids,
                                    int64_t user_id, int64_t now_ms) override {
    return Write([&](Connection& c) {
      return sqlite::CreateGoldenSet(c, project_id, name, note, task_ids, user_id, now_ms);
    });
  }
  Result<std::vector<GoldenSet>> ListGoldenSets(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListGoldenSets(c, project_id); });
  }
  Result<GoldenSet> GetGoldenSet(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetGoldenSet(c, id); });
  }
  Result<std::vector<GoldenSetItem>> ListGoldenSetItems(int64_t golden_set_id) override {
    return ReadSnapshot(
        [&](Connection& c) { return sqlite::ListGoldenSetItems(c, golden_set_id); });
  }
  Result<Bakeoff> CreateBakeoff(const Bakeoff& bakeoff, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CreateBakeoff(c, bakeoff, now_ms); });
  }
  Result<Bakeoff> GetBakeoff(int64_t id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::GetBakeoff(c, id); });
  }
  Result<std::vector<Bakeoff>> ListBakeoffs(int64_t project_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListBakeoffs(c, project_id); });
  }
  Result<Bakeoff> UpdateBakeoff(int64_t id, const std::optional<BakeoffWeights>& weights,
                                bool close, int64_t now_ms) override {
    return Write(
        [&](Connection& c) { return sqlite::UpdateBakeoff(c, id, weights, close, now_ms); });
  }
  Status MarkCandidateSent(int64_t candidate_id, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::MarkCandidateSent(c, candidate_id, now_ms); });
  }
  Status ReplaceVendorLabels(int64_t candidate_id, const std::vector<BakeoffLabel>& labels,
                             int64_t now_ms) override {
    return Write([&](Connection& c) {
      return sqlite::ReplaceVendorLabels(c, candidate_id, labels, now_ms);
    });
  }
  Result<std::vector<BakeoffLabel>> ListBakeoffLabels(int64_t bakeoff_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListBakeoffLabels(c, bakeoff_id); });
  }
  Result<std::optional<Claim>> ClaimBakeoffTask(int64_t project_id, int64_t user_id,
                                                int64_t now_ms) override {
    // Most callers are in no bake-off: a read says so without the write
    // lock, and is kept (config_cache.h).
    PLUMB_ASSIGN_OR_RETURN(
        bool candidate,
        bakeoff_labelers_.Get(
            {project_id, user_id},
            [&] {
              return Read([&](Connection& c) -> Result<bool> {
                return sqlite::IsBakeoffLabeler(c, project_id, user_id);
              });
            }));
    if (!candidate) return std::optional<Claim>();
    return Write([&](Connection& c) { return ClaimBakeoff(c, project_id, user_id, now_ms); });
  }

  Status DumpTables(const DumpRowFn& fn) override;
  Result<std::unique_ptr<DatabaseLoader>> BeginLoad() override;

  // --- the workflow engine: SQL in workflow_sql.cc -------------------------------
  Result<std::optional<Claim>> ClaimGoldenTask(int64_t project_id, int64_t user_id,
                                               int64_t now_ms) override {
    return WriteLabels([&](Connection& c) { return ClaimGolden(c, project_id, user_id, now_ms); });
  }
  Status SetGoldenAnswers(int64_t project_id,
                          const std::vector<std::pair<int64_t, GoldenAnswer>>& answers) override {
    return Write([&](Connection& c) -> Status {
      for (size_t i = 0; i < answers.size(); ++i) {
        auto task = LoadTask(c, answers[i].first);
        if (!task.ok() || task->project_id != project_id) {
          return Status::NotFound("task " + std::to_string(answers[i].first) + " not found",
                                  "[" + std::to_string(i) + "].task_id");
        }
        PLUMB_RETURN_IF_ERROR(sqlite::SetGoldenAnswer(c, answers[i].first, answers[i].second));
      }
      return Status::Ok();
    });
  }
  Status SetGoldenAnswer(int64_t task_id, const std::optional<GoldenAnswer>& answer) override {
    return Write([&](Connection& c) { return sqlite::SetGoldenAnswer(c, task_id, answer); });
  }
  Result<std::optional<GoldenAnswer>> GetGoldenAnswer(int64_t task_id) override {
    return Read([&](Connection& c) { return sqlite::GetGoldenAnswer(c, task_id); });
  }
  Result<std::vector<GoldenGrade>> ListGoldenGrades(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListGoldenGrades(c, project_id); });
  }
  Result<std::optional<Claim>> ClaimReviewTask(int64_t project_id, int64_t user_id,
                                               std::optional<TaskState> stage,
                                               int64_t now_ms) override {
    return Write([&](Connection& c) { return ClaimReview(c, project_id, user_id, stage, now_ms); });
  }
  Status RecordReview(const Review& review, int64_t now_ms) override {
    return Write([&](Connection& c) -> Status {
      PLUMB_RETURN_IF_ERROR(sqlite::RecordReview(c, review, now_ms));
      return review.queue_train ? QueueTrainIfDone(c, review.task_id, now_ms) : Status::Ok();
    });
  }
  Result<std::vector<ReviewNote>> ListReviews(int64_t task_id) override {
    return Read([&](Connection& c) { return sqlite::ListReviews(c, task_id); });
  }
  Result<std::vector<FinalLabel>> FinalLabels(const std::vector<int64_t>& task_ids) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::FinalLabels(c, task_ids); });
  }
  // --- ML backends and prediction jobs: SQL in ml_sql.cc ------------------------
  Result<MlBackend> CreateMlBackend(const MlBackend& backend, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CreateMlBackend(c, backend, now_ms); });
  }
  Result<MlBackend> GetMlBackend(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetMlBackend(c, id); });
  }
  Result<std::vector<MlBackend>> ListMlBackends(std::optional<int64_t> project_id) override {
    return Read([&](Connection& c) { return sqlite::ListMlBackends(c, project_id); });
  }
  Result<MlBackend> UpdateMlBackend(const MlBackend& backend) override {
    return Write([&](Connection& c) { return sqlite::UpdateMlBackend(c, backend); });
  }
  Status DeleteMlBackend(int64_t id) override {
    return Write([&](Connection& c) { return sqlite::DeleteMlBackend(c, id); });
  }
  Status RecordMlBackendHealth(int64_t id, std::string_view health, std::string_view error,
                               std::string_view model_version, int64_t at_ms) override {
    return Write([&](Connection& c) {
      return sqlite::RecordMlBackendHealth(c, id, health, error, model_version, at_ms);
    });
  }
  Result<PredictionJob> CreatePredictionJob(const PredictionJob& job, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CreatePredictionJob(c, job, now_ms); });
  }
  Result<PredictionJob> GetPredictionJob(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetPredictionJob(c, id); });
  }
  Result<std::vector<PredictionJob>> ListPredictionJobs(int64_t project_id,
                                                        int32_t limit) override {
    return Read([&](Connection& c) { return sqlite::ListPredictionJobs(c, project_id, limit); });
  }
  Result<std::optional<PredictionJob>> ClaimPredictionJob(int64_t now_ms,
                                                          int64_t hold_ms) override {
    return Write([&](Connection& c) { return sqlite::ClaimPredictionJob(c, now_ms, hold_ms); });
  }
  Result<bool> UpdatePredictionJob(int64_t id, const JobProgress& progress,
                                   int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::UpdatePredictionJob(c, id, progress, now_ms); });
  }
  Result<PredictionJob> CancelPredictionJob(int64_t id, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CancelPredictionJob(c, id, now_ms); });
  }
  Result<std::optional<LearnerModel>> GetLearnerModel(int64_t project_id,
                                                      std::string_view control) override {
    return Read([&](Connection& c) { return sqlite::GetLearnerModel(c, project_id, control); });
  }
  Status PutLearnerModel(const LearnerModel& model) override {
    return Write([&](Connection& c) { return sqlite::PutLearnerModel(c, model); });
  }
  Status SetTaskUncertainty(int64_t project_id,
                            const std::vector<TaskUncertainty>& values) override {
    return Write([&](Connection& c) { return sqlite::SetTaskUncertainty(c, project_id, values); });
  }
  Result<std::optional<SpanPrelabelerRow>> GetSpanPrelabeler(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::GetSpanPrelabeler(c, project_id); });
  }
  Status PutSpanPrelabeler(const SpanPrelabelerRow& row) override {
    return Write([&](Connection& c) { return sqlite::PutSpanPrelabeler(c, row); });
  }
  Status DeleteSpanPrelabeler(int64_t project_id) override {
    return Write([&](Connection& c) { return sqlite::DeleteSpanPrelabeler(c, project_id); });
  }
  Status QueueTrain(int64_t project_id, int64_t task_id, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::QueueTrain(c, project_id, task_id, now_ms); });
  }
  Result<std::vector<TrainQueueItem>> PendingTrains(int64_t queued_before_ms,
                                                    int32_t limit) override {
    return Read([&](Connection& c) { return sqlite::PendingTrains(c, queued_before_ms, limit); });
  }
  Status DeleteTrain(int64_t project_id, int64_t task_id) override {
    return Write([&](Connection& c) { return sqlite::DeleteTrain(c, project_id, task_id); });
  }

  // --- labeling instructions: SQL in instructions_sql.cc ------------------------
  Result<InstructionsVersion> SaveInstructions(const NewInstructions& instructions,
                                               int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::SaveInstructions(c, instructions, now_ms); });
  }
  Result<InstructionsVersion> GetInstructions(int64_t project_id,
                                              std::optional<int64_t> version) override {
    return Read([&](Connection& c) { return sqlite::GetInstructions(c, project_id, version); });
  }
  Result<std::vector<InstructionsVersion>> ListInstructionVersions(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListInstructionVersions(c, project_id); });
  }
  Result<InstructionsStatus> GetInstructionsStatus(int64_t project_id, int64_t user_id) override {
    return instructions_status_.Get(
        {project_id, user_id},
        [&] {
          return Read(
              [&](Connection& c) { return sqlite::GetInstructionsStatus(c, project_id, user_id); });
        });
  }
  Result<bool> PutInstructionImage(const InstructionImage& image) override {
    return Write([&](Connection& c) { return sqlite::PutInstructionImage(c, image); });
  }
  Result<InstructionImage> GetInstructionImage(std::string_view hash) override {
    return Read([&](Connection& c) { return sqlite::GetInstructionImage(c, hash); });
  }
  Result<bool> HasInstructionImage(std::string_view hash) override {
    return Read([&](Connection& c) { return sqlite::HasInstructionImage(c, hash); });
  }
  Status Acknowledge(int64_t project_id, int64_t user_id, int64_t version,
                     int64_t now_ms) override {
    return Write(
        [&](Connection& c) { return sqlite::Acknowledge(c, project_id, user_id, version, now_ms); });
  }
  Result<std::vector<InstructionAck>> ListAcks(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListAcks(c, project_id); });
  }
  Result<OutdatedPage> ListOutdatedTasks(const OutdatedQuery& query) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListOutdatedTasks(c, query); });
  }
  Result<std::vector<int64_t>> ReworkOutdated(int64_t project_id, int64_t manager_id,
                                              int64_t before, const std::vector<int64_t>& task_ids,
                                              std::string_view comment, int64_t now_ms) override {
    PLUMB_RETURN_IF_ERROR(CheckReworkIds(task_ids));
    return Write([&](Connection& c) {
      return sqlite::ReworkOutdated(c, project_id, manager_id, before, task_ids, comment, now_ms);
    });
  }

  Result<Workforce> CreateWorkforce(const Workforce& workforce, int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CreateWorkforce(c, workforce, now_ms); });
  }
  Result<Workforce> GetWorkforce(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetWorkforce(c, id); });
  }
  Result<std::vector<Workforce>> ListWorkforces(std::optional<int64_t> member_id) override {
    return Read([&](Connection& c) { return sqlite::ListWorkforces(c, member_id); });
  }
  Result<Workforce> UpdateWorkforce(const Workforce& workforce) override {
    return Write([&](Connection& c) { return sqlite::UpdateWorkforce(c, workforce); });
  }
  Status AddWorkforceMember(int64_t workforce_id, int64_t user_id) override {
    return Write([&](Connection& c) { return sqlite::AddWorkforceMember(c, workforce_id, user_id); });
  }
  Status RemoveWorkforceMember(int64_t workforce_id, int64_t user_id) override {
    return Write(
        [&](Connection& c) { return sqlite::RemoveWorkforceMember(c, workforce_id, user_id); });
  }
  Result<std::vector<User>> ListWorkforceMembers(int64_t workforce_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListWorkforceMembers(c, workforce_id); });
  }
  Status GrantProjectAccess(int64_t project_id, int64_t workforce_id) override {
    return Write(
        [&](Connection& c) { return sqlite::GrantProjectAccess(c, project_id, workforce_id); });
  }
  Status RevokeProjectAccess(int64_t project_id, int64_t workforce_id) override {
    return Write(
        [&](Connection& c) { return sqlite::RevokeProjectAccess(c, project_id, workforce_id); });
  }
  Result<std::vector<Workforce>> ListProjectWorkforces(int64_t project_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListProjectWorkforces(c, project_id); });
  }
  Result<std::vector<int64_t>> ListWorkforceProjects(int64_t workforce_id) override {
    return ReadSnapshot(
        [&](Connection& c) { return sqlite::ListWorkforceProjects(c, workforce_id); });
  }
  Result<Batch> GetBatch(int64_t id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::GetBatch(c, id); });
  }
  Result<std::vector<Batch>> ListBatches(int64_t project_id) override {
    return ReadSnapshot([&](Connection& c) { return sqlite::ListBatches(c, project_id); });
  }
  Result<Webhook> CreateWebhook(const Webhook& webhook, std::string_view secret,
                                int64_t now_ms) override {
    return Write([&](Connection& c) { return sqlite::CreateWebhook(c, webhook, secret, now_ms); });
  }
  Result<Webhook> GetWebhook(int64_t id) override {
    return Read([&](Connection& c) { return sqlite::GetWebhook(c, id); });
  }
  Result<std::vector<Webhook>> ListWebhooks(int64_t project_id) override {
    return Read([&](Connection& c) { return sqlite::ListWebhooks(c, project_id); });
  }
  Status DeleteWebhook(int64_t id) override {
    return Write([&](Connection& c) { return sqlite::DeleteWebhook(c, id); });
  }
  Result<std::vector<Delivery>> ListDeliveries(std::optional<int64_t> webhook_id,
                                               std::optional<int64_t> batch_id,
                                               int32_t limit) override {
    return Read([&](Connection& c) { return sqlite::ListDeliveries(c, webhook_id, batch_id, limit); });
  }
  Result<std::vector<Delivery>> ClaimDueDeliveries(int64_t now_ms, int32_t limit,
                                                   int64_t lock_ms) override {
    // The deliverer asks after every submit; most of the time nothing is
    // due, and a reader answers that without joining the writer's batch.
    PLUMB_ASSIGN_OR_RETURN(bool any_due, Read([&](Connection& c) -> Result<bool> {
                             return AnyDeliveryDue(c, now_ms);
                           }));
    if (!any_due) return std::vector<Delivery>();
    return Write(
        [&](Connection& c) { return sqlite::ClaimDueDeliveries(c, now_ms, limit, lock_ms); });
  }
  Status RecordDeliveryAttempt(const DeliveryAttempt& attempt) override {
    return Write([&](Connection& c) { return sqlite::RecordDeliveryAttempt(c, attempt); });
  }
  Result<int64_t> CountTasksDueBefore(int64_t project_id, int64_t before_ms) override {
    return Read([&](Connection& c) { return sqlite::CountTasksDueBefore(c, project_id, before_ms); });
  }

 private:
  // Takes the writer connection for an import or a load.
  Result<ExclusiveWrite> BeginExclusiveWrite();
  // IsMember's read, when no kept answer serves.
  Result<bool> ReadMembership(int64_t project_id, int64_t user_id);

  // A reader borrowed from the pool, returned on destruction.
  class PooledReader {
   public:
    explicit PooledReader(SqliteStore* store) : store_(store) {
      std::unique_lock<std::mutex> lock(store_->pool_mu_);
      store_->pool_cv_.wait(lock, [this] { return !store_->idle_readers_.empty(); });
      conn_ = std::move(store_->idle_readers_.back());
      store_->idle_readers_.pop_back();
    }
    ~PooledReader() {
      {
        std::lock_guard<std::mutex> lock(store_->pool_mu_);
        store_->idle_readers_.push_back(std::move(conn_));
      }
      store_->pool_cv_.notify_one();
    }
    PooledReader(const PooledReader&) = delete;
    PooledReader& operator=(const PooledReader&) = delete;
    Connection& conn() { return *conn_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<Connection> conn_;
  };

  // One write waiting in queue_ for the writer thread to run it (see Write).
  struct QueuedWrite {
    // Runs the caller's body on the writer connection; its result's status.
    Status (*run)(void* call, Connection& writer) = nullptr;
    void* call = nullptr;
    Status outcome;  // of the COMMIT (and sync) that covers it; set before kDone
    // False for the labeling writes (WriteLabels), which leave the tables
    // that config_cache.h keeps answers from alone.
    bool changes_config = true;
    std::atomic<uint32_t> state{kQueued};  // a futex word
  };
  static constexpr uint32_t kQueued = 0;  // waiting
  static constexpr uint32_t kDone = 1;    // ran, and its group committed and synced, or failed

  // Runs `body(writer)` in a transaction shared with the writes queued
  // beside it. Its changes are kept when it returns OK and undone otherwise.
  // Returns once a COMMIT covering it is done and synced to disk.
  template <typename Body>
  auto Write(Body&& body, bool changes_config = true)
      -> std::invoke_result_t<Body&, Connection&> {
    using R = std::invoke_result_t<Body&, Connection&>;
    struct Call {
      Body& body;
      std::optional<R> result;
      std::exception_ptr thrown;
    } call{body, std::nullopt, nullptr};
    QueuedWrite write;
    write.call = &call;
    write.changes_config = changes_config;
    // The body runs on the writer thread: what it throws is caught
    // there (the group goes on, and is rolled back if the body had changed
    // rows) and thrown again here, on the caller's own.
    write.run = [](void* p, Connection& writer) -> Status {
      Call& c = *static_cast<Call*>(p);
      try {
        c.result.emplace(c.body(writer));
      } catch (...) {
        c.thrown = std::current_exception();
        return Status::Internal("a write threw an exception");
      }
      return StatusOf(*c.result);
    };
    RunQueued(write);
    if (call.thrown) std::rethrow_exception(call.thrown);
    if (!call.result) return R(write.outcome);  // the group failed before it ran
    if (!call.result->ok() || write.outcome.ok()) return std::move(*call.result);
    return R(write.outcome);
  }

  // Write for the writes of labeling itself (claims, revisions, skips):
  // they change no project, membership, instructions or bake-off row, so
  // the answers kept about those stay valid (sqlite_store_test checks it).
  template <typename Body>
  auto WriteLabels(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
    return Write(std::forward<Body>(body), /*changes_config=*/false);
  }

  // Queues `write` for the writer thread and returns when it is done.
  void RunQueued(QueuedWrite& write);
  // The writer thread: takes up to kMaxBatchOps writes from the head of
  // queue_, runs them under write_mu_ and hands them to the sync thread, as
  // long as writes come; returns once StopThreads() was called and queue_
  // is empty.
  void WriterLoop();
  // The sync thread: syncs the WAL for every group committed so far, then
  // marks their writes done; returns once StopThreads() was called and none
  // is left.
  void SyncLoop();
  // Starts both threads (Open) and stops them after the writes queued.
  void StartThreads();
  void StopThreads();
  // Runs `group` on the writer in as few transactions as it takes; returns
  // the sync sequence of the last COMMIT, 0 when none committed.
  uint64_t RunGroup(const std::vector<QueuedWrite*>& group);

  // Runs `body(reader)` on a pooled reader. Single statements need nothing
  // more; bodies that read several times open a Transaction::kRead.
  template <typename Body>
  auto Read(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
    PooledReader reader(this);
    return body(reader.conn());
  }

  // Runs `body(reader)` inside one read transaction: one consistent snapshot.
  template <typename Body>
  auto ReadSnapshot(Body&& body) -> std::invoke_result_t<Body&, Connection&> {
    PooledReader reader(this);
    PLUMB_ASSIGN_OR_RETURN(Transaction txn,
                           Transaction::Begin(reader.conn(), Transaction::Kind::kRead));
    return body(reader.conn());
  }

  // Deletes the tasks of a project marked deleted, then the project row.
  Status PurgeProject(int64_t id);

  std::mutex write_mu_;  // the writer connection: a group, or an exclusive write
  std::unique_ptr<Connection> writer_;
  WalSync wal_sync_;
  // Checkpoints the WAL beside the writer; closed before it.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  DrainedQueue<QueuedWrite*> queue_;  // writes not yet taken into a group
  // Groups committed and not yet synced, with the sync sequence of each
  // one's last COMMIT; the sync thread takes them all at once.
  struct CommittedGroup {
    uint64_t seq = 0;
    std::vector<QueuedWrite*> writes;
  };
  DrainedQueue<CommittedGroup> unsynced_;
  std::thread writer_thread_;
  std::thread sync_thread_;

  std::mutex token_mu_;
  std::unordered_map<std::string, User> token_users_;  // by secret hash; see UserForApiToken

  // Answers about projects' configuration, valid until the next write
  // that may change it (config_cache.h). Keyed by (project, user) but for
  // projects_.
  ConfigEpoch config_epoch_;
  ConfigAnswers<int64_t, Project> projects_{config_epoch_, kConfigTtl};
  ConfigAnswers<std::pair<int64_t, int64_t>, bool> members_{config_epoch_, kConfigTtl};
  ConfigAnswers<std::pair<int64_t, int64_t>, bool> bakeoff_labelers_{config_epoch_, kConfigTtl};
  ConfigAnswers<std::pair<int64_t, int64_t>, InstructionsStatus> instructions_status_{
      config_epoch_, kConfigTtl};

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

// The writer connection held alone, in one IMMEDIATE transaction with the
// import cache size, from BeginImport/BeginLoad until Commit() or
// destruction; every other write of the store waits meanwhile.
class ExclusiveWrite {
 public:
  ExclusiveWrite(std::unique_lock<std::mutex> lock, Connection* conn, WalSync* sync,
                 ConfigEpoch* config, Transaction txn)
      : lock_(std::move(lock)), conn_(conn), sync_(sync), config_(config), txn_(std::move(txn)) {}
  ExclusiveWrite(ExclusiveWrite&&) = default;
  ~ExclusiveWrite() { Finish(); }

  bool open() const { return txn_.has_value(); }
  Connection& conn() { return *conn_; }

  // Statements of the transaction must be released before. Returns once
  // the commit is synced to disk.
  Status Commit() {
    Status status = txn_->Commit();
    const uint64_t seq = status.ok() ? sync_->Committed() : 0;
    config_->Bump();
    Finish();
    if (!status.ok()) return status;
    return sync_->SyncTo(seq);
  }

 private:
  // Ends the transaction (rolling back unless committed), restores the
  // writer's cache size, and lets other writes in.
  void Finish() {
    if (!lock_.owns_lock()) return;
    txn_.reset();
    // Only the cache size is lost if this fails; the data is settled.
    (void)conn_->Exec("PRAGMA cache_size = -" + std::to_string(kWriterCacheKiB));
    lock_.unlock();
  }

  std::unique_lock<std::mutex> lock_;
  Connection* conn_;
  WalSync* sync_;
  ConfigEpoch* config_;
  std::optional<Transaction> txn_;
};

class SqliteTaskWriter final : public TaskWriter {
 public:
  SqliteTaskWriter(ExclusiveWrite write, Statement insert, int64_t project_id, int32_t overlap,
                   int64_t now_ms)
      : write_(std::move(write)),
        insert_(std::move(insert)),
        project_id_(project_id),
        overlap_(overlap),
        now_ms_(now_ms) {}

  Status Add(const NewTask& task) override {
    if (!write_.open()) return Status::Internal("import already committed");
    int routed = 0;
    if (task.batch_id) {
      auto batch = batch_totals_.find(*task.batch_id);
      if (batch == batch_totals_.end()) {
        return Status::InvalidArgument("batch " + std::to_string(*task.batch_id) +
                                           " is not one of this import's",
                                       "batch_id");
      }
      ++batch->second.total;
      routed = batch->second.routed ? 1 : 0;
    }
    if (task.annotation || !task.predictions.empty() || task.golden) {
      PLUMB_RETURN_IF_ERROR(AddLabeled(task, routed));
      ++count_;
      return Status::Ok();
    }
    insert_.BindAll(project_id_, task.priority, overlap_, now_ms_, task.data_json, task.deadline_ms,
                    task.batch_id, routed);
    Status status = insert_.Run();
    insert_.Reset();
    if (!status.ok()) return status;
    ++count_;
    return Status::Ok();
  }

  Result<Batch> AddBatch(const NewBatch& batch) override {
    if (!write_.open()) return Status::Internal("import already committed");
    PLUMB_ASSIGN_OR_RETURN(Batch added, InsertBatch(write_.conn(), project_id_, batch, now_ms_));
    batch_totals_[added.id] = BatchTotal{0, !added.workforce_ids.empty()};
    return added;
  }

  Result<int64_t> Commit() override {
    if (!write_.open()) return Status::Internal("import already committed");
    insert_ = Statement();
    {
      // Batch sizes are counted here rather than per task: one UPDATE per
      // batch instead of one per row of a large import.
      PLUMB_ASSIGN_OR_RETURN(Statement s, write_.conn().Prepare(
                                              "UPDATE batches SET total = total + ? WHERE id = ?"));
      for (const auto& [id, total] : batch_totals_) {
        PLUMB_RETURN_IF_ERROR(s.BindAll(total.total, id).Run());
        s.Reset();
      }
    }
    if (rank_) {
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             write_.conn().Prepare("UPDATE tasks SET uncertainty = 1 WHERE id > ?"
                                                   " AND project_id = ? AND uncertainty IS NULL"));
      PLUMB_RETURN_IF_ERROR(s.BindAll(ids_after_, project_id_).Run());
    }
    PLUMB_RETURN_IF_ERROR(write_.Commit());
    return count_;
  }

  int64_t ids_after() const override { return ids_after_; }
  // The newest task id at the start; with `rank`, the tasks added get
  // uncertainty 1 at Commit (queue order "uncertainty").
  void IdsAfter(int64_t id, bool rank) {
    ids_after_ = id;
    rank_ = rank;
  }

 private:
  int64_t ids_after_ = 0;
  bool rank_ = false;
  struct BatchTotal {
    int64_t total = 0;
    bool routed = false;
  };

  // A task with its annotation, predictions or golden answer: the task row
  // needs its id back, and its counters account for the annotation.
  Status AddLabeled(const NewTask& task, int routed) {
    for (const NewPrediction& p : task.predictions) PLUMB_RETURN_IF_ERROR(CheckPrediction(p));
    Connection& c = write_.conn();
    ImportedTaskCounters counters = CountersForImport(overlap_, task.annotation.has_value());
    // A golden task is outside the queue; its imported annotation, if any, is
    // an ordinary one of its importer.
    if (task.golden) counters.open_slots = 0;
    int64_t task_id = 0;
    {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s, c.Prepare("INSERT INTO tasks (project_id, priority, state, annotation_count,"
                                 " open_slots, created_at, data, deadline, batch_id, routed, golden)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
      s.BindAll(project_id_, task.priority, counters.state, counters.annotation_count,
                counters.open_slots, now_ms_, task.data_json, task.deadline_ms, task.batch_id,
                routed, task.golden ? 1 : 0);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Internal("task insert returned no id");
      task_id = s.Int(0);
    }
    if (task.golden) {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("INSERT INTO golden_answers (task_id, result, media) VALUES (?, ?, ?)"));
      PLUMB_RETURN_IF_ERROR(
          s.BindAll(task_id, task.golden->result_json, UnlessEmpty(task.golden->media_json))
              .Run());
    }
    if (task.annotation) {
      const NewImportedAnnotation& a = *task.annotation;
      int64_t annotation_id = 0;
      {
        PLUMB_ASSIGN_OR_RETURN(
            Statement s,
            c.Prepare("INSERT INTO annotations (project_id, task_id, user_id, created_at)"
                      " VALUES (?, ?, ?, ?) RETURNING id"));
        s.BindAll(project_id_, task_id, a.user_id, now_ms_);
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::Internal("annotation insert returned no id");
        annotation_id = s.Int(0);
      }
      const NewRevision rev = ImportedRevision(task_id, a);
      PLUMB_RETURN_IF_ERROR(
          InsertRevision(c, rev, annotation_id, /*number=*/1, std::nullopt, now_ms_).status());
    }
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO predictions (project_id, task_id, model_name, model_version, score,"
                  " result_json, media, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const NewPrediction& p : task.predictions) {
      s.BindAll(project_id_, task_id, p.model_name, p.model_version, ScoreText(p.score),
                p.result_json, UnlessEmpty(p.media_json), now_ms_);
      PLUMB_RETURN_IF_ERROR(s.Run());
      s.Reset();
    }
    return Status::Ok();
  }

  ExclusiveWrite write_;
  Statement insert_;  // declared after write_: reset before the transaction ends
  int64_t project_id_;
  int32_t overlap_;
  int64_t now_ms_;
  int64_t count_ = 0;
  std::map<int64_t, BatchTotal> batch_totals_;  // batches added by this import
};

// Rows go in with one cached INSERT per table and column list; SQLite's
// column affinity turns the dump's decimal text back into integers.
class SqliteLoader final : public DatabaseLoader {
 public:
  explicit SqliteLoader(ExclusiveWrite write) : write_(std::move(write)) {}

  Status Add(std::string_view table, const std::vector<std::string>& columns,
             const std::vector<std::optional<std::string>>& values) override {
    if (!write_.open()) return Status::Internal("load already committed");
    PLUMB_RETURN_IF_ERROR(failed_);
    auto target = CheckLoadRow(table, columns, values.size());
    if (!target.ok()) return failed_ = target.status();
    if (!(*target == target_)) {
      insert_ = Statement();
      std::string sql = "INSERT INTO " + std::string(target->table->name) + " (" +
                        JoinColumns(target->columns) + ") VALUES (?";
      for (size_t i = 1; i < target->columns.size(); ++i) sql += ", ?";
      sql += ")";
      auto insert = write_.conn().Prepare(sql);
      if (!insert.ok()) return failed_ = insert.status();
      insert_ = std::move(insert).value();
      target_ = std::move(target).value();
    }
    for (size_t i = 0; i < values.size(); ++i) {
      if (!values[i] || target_.columns[i] != target_.table->binary_column) {
        insert_.Bind(values[i]);
        continue;
      }
      std::optional<std::string> bytes = DecodeHex(*values[i]);
      if (!bytes) {
        insert_.Reset();
        return failed_ = Status::InvalidArgument("a value of " + std::string(table) + "." +
                                                 std::string(target_.columns[i]) +
                                                 " is not hex");
      }
      insert_.BindBlob(*bytes);
    }
    Status status = insert_.Run();
    insert_.Reset();
    if (!status.ok()) {
      // A row the schema refuses (a dangling key, a duplicate id) is bad
      // input. The load can then only roll back.
      const int rc = sqlite3_extended_errcode(write_.conn().handle()) & 0xff;
      failed_ = rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH
                    ? Status::InvalidArgument("a row of " + std::string(table) +
                                              " does not fit: " + status.message())
                    : status;
    }
    return failed_;
  }

  // SQLite itself moves AUTOINCREMENT sequences (sqlite_sequence) past
  // explicitly inserted ids, and plain rowid tables continue at max(id) + 1.
  Status Commit() override {
    if (!write_.open()) return Status::Internal("load already committed");
    insert_ = Statement();
    PLUMB_RETURN_IF_ERROR(failed_);
    return write_.Commit();
  }

 private:
  ExclusiveWrite write_;
  Statement insert_;   // declared after write_: reset before the transaction ends
  LoadTarget target_;  // what insert_ inserts into
  // Of the first refused row: a load is all or nothing, so it ends there.
  Status failed_;
};

// `mmap` says whether the connection reads the database through a memory
// map (see kWriterMmapBytes).
Status ConfigureConnection(Connection& c, int cache_kib, bool mmap) {
  sqlite3_extended_result_codes(c.handle(), 1);
  PLUMB_RETURN_IF_ERROR(c.Exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs)));
  // Savepoint journals and sort spills stay in memory: on disk they cost a
  // file create and delete per write under load.
  PLUMB_RETURN_IF_ERROR(c.Exec("PRAGMA temp_store = MEMORY"));
  PLUMB_RETURN_IF_ERROR(
      c.Exec("PRAGMA mmap_size = " + std::to_string(mmap ? kWriterMmapBytes : 0)));
  return c.Exec("PRAGMA cache_size = -" + std::to_string(cache_kib));
}

Result<std::unique_ptr<Store>> SqliteStore::Open(const std::string& path,
                                                 const SqliteOptions& options) {
  auto store = std::make_unique<SqliteStore>();
  PLUMB_ASSIGN_OR_RETURN(store->writer_, Connection::Open(path, Connection::Mode::kReadWrite));
  Connection& w = *store->writer_;
  PLUMB_RETURN_IF_ERROR(ConfigureConnection(w, kWriterCacheKiB, /*mmap=*/true));
  PLUMB_ASSIGN_OR_RETURN(std::string journal, w.QueryText("PRAGMA journal_mode = WAL"));
  if (journal != "wal") {
    return Status::Internal("cannot use WAL mode on " + path + " (journal mode: " + journal + ")");
  }
  // FULL syncs the WAL on every commit, inside COMMIT, while the writer is
  // held. The migrations run so; then the writer switches to NORMAL (WAL
  // mode then syncs only at checkpoints) and every write syncs the WAL
  // itself after letting the next group in (WalSync). Without that sync a
  // power loss could drop transactions already reported as done.
  PLUMB_RETURN_IF_ERROR(w.Exec("PRAGMA synchronous = FULL"));
  PLUMB_RETURN_IF_ERROR(w.Exec("PRAGMA foreign_keys = ON"));
  PLUMB_RETURN_IF_ERROR(
      w.Exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes)));
  PLUMB_RETURN_IF_ERROR(ApplyMigrations(w));
  // The WAL exists once the writer has read the database in WAL mode.
  PLUMB_RETURN_IF_ERROR(
      store->wal_sync_.Open(sqlite3_filename_wal(sqlite3_db_filename(w.handle(), "main"))));
  PLUMB_RETURN_IF_ERROR(w.Exec("PRAGMA synchronous = NORMAL"));
  PLUMB_ASSIGN_OR_RETURN(store->checkpointer_,
                         WalCheckpointer::Start(path, w.handle(), options.checkpoint_pages,
                                                 options.wal_restart_pages));
  store->StartThreads();

  const int readers = std::max(1, options.reader_connections);
  for (int i = 0; i < readers; ++i) {
    PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader,
                           Connection::Open(path, Connection::Mode::kReadOnly));
    PLUMB_RETURN_IF_ERROR(ConfigureConnection(*reader, kReaderCacheKiB, /*mmap=*/false));
    store->idle_readers_.push_back(std::move(reader));
  }
  // Finish deletions an earlier process did not get to complete.
  std::vector<int64_t> unpurged;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, w.Prepare("SELECT id FROM projects WHERE deleted = 1"));
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      unpurged.push_back(s.Int(0));
    }
  }
  for (int64_t id : unpurged) PLUMB_RETURN_IF_ERROR(store->PurgeProject(id));
  return std::unique_ptr<Store>(std::move(store));
}

// --- users -------------------------------------------------------------------

Result<User> SqliteStore::CreateUser(std::string_view username, std::string_view password_hash,
                                     Role role, int64_t now_ms) {
  return Write([&](Connection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("INSERT INTO users (username, password_hash, role, created_at)"
                                     " VALUES (?, ?, ?, ?) RETURNING id"));
    s.BindAll(username, password_hash, role, now_ms);
    auto row = s.Step();
    if (!row.ok()) {
      if (row.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists("username '" + std::string(username) + "' is taken",
                                     "username");
      }
      return row.status();
    }
    return User{s.Int(0), std::string(username), role, now_ms};
  });
}

Result<User> SqliteStore::GetUser(int64_t id) {
  return Read([&](Connection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_USER_COLS " FROM users u WHERE u.id = ?"));
    s.Bind(id);
    PLUMB_ASSIGN_OR_RETURN(auto user,
                           QueryOptional(s, [](const Statement& r) { return ReadUser(r, 0); }));
    if (!user) return Status::NotFound("user " + std::to_string(id) + " not found");
    return *user;
  });
}

Result<UserWithHash> SqliteStore::FindUserByName(std::string_view username) {
  return Read([&](Connection& c) -> Result<UserWithHash> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_USER_COLS ", u.password_hash FROM users u WHERE u.username = ?"));
    s.Bind(username);
    PLUMB_ASSIGN_OR_RETURN(auto user, QueryOptional(s, [](const Statement& r) {
                             return UserWithHash{ReadUser(r, 0), r.Text(4)};
                           }));
    if (!user) return Status::NotFound("user '" + std::string(username) + "' not found");
    return *user;
  });
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return Read([&](Connection& c) -> Result<std::vector<User>> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_USER_COLS " FROM users u ORDER BY u.id"));
    std::vector<User> users;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return users;
      users.push_back(ReadUser(s, 0));
    }
  });
}

Result<int64_t> SqliteStore::CountUsers() {
  return Read([&](Connection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT COUNT(*) FROM users"));
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  });
}

// --- sessions and tokens -------------------------------------------------------

Status SqliteStore::CreateSession(std::string_view secret_hash, int64_t user_id,
                                  int64_t expires_at_ms) {
  return Write([&](Connection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO sessions (secret_hash, user_id, expires_at) VALUES (?, ?, ?)"));
    return s.BindAll(secret_hash, user_id, expires_at_ms).Run();
  });
}

Result<User> SqliteStore::UserForSession(std::string_view secret_hash, int64_t now_ms) {
  return Read([&](Connection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_USER_COLS " FROM sessions s JOIN users u ON u.id = s.user_id"
                  " WHERE s.secret_hash = ? AND s.expires_at > ?"));
    s.BindAll(secret_hash, now_ms);
    PLUMB_ASSIGN_OR_RETURN(auto user,
                           QueryOptional(s, [](const Statement& r) { return ReadUser(r, 0); }));
    if (!user) return Status::Unauthenticated("session unknown or expired");
    return *user;
  });
}

Status SqliteStore::DeleteSession(std::string_view secret_hash) {
  return Write([&](Connection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("DELETE FROM sessions WHERE secret_hash = ?"));
    return s.Bind(secret_hash).Run();
  });
}

Result<int64_t> SqliteStore::CreateApiToken(std::string_view secret_hash, int64_t user_id,
                                            std::string_view name, int64_t now_ms) {
  return Write([&](Connection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s, c.Prepare("INSERT INTO api_tokens (secret_hash, user_id, name, created_at)"
                               " VALUES (?, ?, ?, ?) RETURNING id"));
    s.BindAll(secret_hash, user_id, name, now_ms);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Internal("token insert returned no id");
    return s.Int(0);
  });
}

// No method of the store changes or removes a token or a user, so a token,
// once found, names the same user for good: found ones are kept in memory,
// which takes a read (~6% of a busy server's CPU) off every API call. A
// method that revokes tokens or changes or removes users must clear
// token_users_. Unknown tokens are not kept: another process or server may
// create them at any time.
Result<User> SqliteStore::UserForApiToken(std::string_view secret_hash) {
  std::string key(secret_hash);
  {
    std::lock_guard<std::mutex> lock(token_mu_);
    if (auto it = token_users_.find(key); it != token_users_.end()) return it->second;
  }
  PLUMB_ASSIGN_OR_RETURN(User user, Read([&](Connection& c) -> Result<User> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_USER_COLS " FROM api_tokens k JOIN users u ON u.id = k.user_id"
                  " WHERE k.secret_hash = ?"));
    s.Bind(secret_hash);
    PLUMB_ASSIGN_OR_RETURN(auto found,
                           QueryOptional(s, [](const Statement& r) { return ReadUser(r, 0); }));
    if (!found) return Status::Unauthenticated("unknown API token");
    return *found;
  }));
  std::lock_guard<std::mutex> lock(token_mu_);
  if (token_users_.size() >= kCachedTokens) token_users_.clear();
  token_users_.emplace(std::move(key), user);
  return user;
}

// --- projects ------------------------------------------------------------------

Result<Project> SqliteStore::CreateProject(const NewProject& project, int64_t now_ms) {
  return Write([&](Connection& c) -> Result<Project> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO projects (name, schema_json, settings_json, created_by, created_at)"
                  " VALUES (?, ?, ?, ?, ?) RETURNING id"));
    s.BindAll(project.name, project.schema_json, SettingsToJson(project.settings),
              project.created_by, now_ms);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Internal("project insert returned no id");
    return Project{s.Int(0),         project.name,       project.schema_json,
                   project.settings, project.created_by, now_ms};
  });
}

Result<Project> SqliteStore::GetProject(int64_t id) {
  return projects_.Get(id, [&] { return Read([&](Connection& c) { return LoadProject(c, id); }); });
}

Result<std::vector<Project>> SqliteStore::ListProjects(std::optional<int64_t> member_id) {
  return Read([&](Connection& c) -> Result<std::vector<Project>> {
    std::string_view sql = member_id
                               ? "SELECT " PLUMB_PROJECT_COLS
                                 " FROM projects p WHERE p.deleted = 0 AND (p.id IN"
                                 " (SELECT project_id FROM project_members WHERE user_id = ?1)"
                                 " OR p.id IN (SELECT pw.project_id FROM project_workforces pw"
                                 " JOIN workforce_members wm ON wm.workforce_id = pw.workforce_id"
                                 " WHERE wm.user_id = ?1)) ORDER BY p.id"
                               : "SELECT " PLUMB_PROJECT_COLS
                                 " FROM projects p WHERE p.deleted = 0"
                                 " ORDER BY p.id";
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
    if (member_id) s.Bind(*member_id);
    std::vector<Project> projects;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return projects;
      PLUMB_ASSIGN_OR_RETURN(Project project, ReadProject(s, 0));
      projects.push_back(std::move(project));
    }
  });
}

Result<Project> SqliteStore::UpdateProject(int64_t id, const ProjectUpdate& update) {
  return Write([&](Connection& c) -> Result<Project> {
    PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(c, id));
    const int32_t old_overlap = project.settings.overlap;
    const QueueOrder old_order = project.settings.queue_order;
    if (update.name) project.name = *update.name;
    if (update.schema_json) project.schema_json = *update.schema_json;
    if (update.settings) project.settings = *update.settings;
    {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s, c.Prepare("UPDATE projects SET name = ?, schema_json = ?, settings_json = ?"
                                 " WHERE id = ?"));
      PLUMB_RETURN_IF_ERROR(
          s.BindAll(project.name, project.schema_json, SettingsToJson(project.settings), id).Run());
    }
    if (project.settings.overlap != old_overlap) {
      // One pass over the project's unfinished tasks: a task that already has
      // enough annotations for the new overlap is done; the others get the
      // slots the new overlap leaves them (possibly none while leases are out).
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("UPDATE tasks SET"
                                       " state = CASE WHEN annotation_count >= ?2 THEN 2"
                                       " WHEN annotation_count > 0 THEN 1 ELSE 0 END,"
                                       " open_slots = CASE WHEN annotation_count >= ?2 THEN 0"
                                       " ELSE ?2 - annotation_count - lease_count END"
                                       " WHERE project_id = ?1 AND state IN (0, 1)"
                                       " AND golden = 0 AND rejected_count = 0"));
      PLUMB_RETURN_IF_ERROR(s.BindAll(id, project.settings.overlap).Run());
    }
    if (project.settings.queue_order != old_order) {
      // Ranked at 1 (nothing known yet) or unranked again, which takes the
      // project's tasks out of tasks_queue_uncertain.
      PLUMB_ASSIGN_OR_RETURN(
          Statement s, c.Prepare(project.settings.queue_order == QueueOrder::kUncertainty
                                     ? "UPDATE tasks SET uncertainty = 1 WHERE project_id = ?"
                                       " AND uncertainty IS NULL"
                                     : "UPDATE tasks SET uncertainty = NULL WHERE project_id = ?"
                                       " AND uncertainty IS NOT NULL"));
      PLUMB_RETURN_IF_ERROR(s.BindAll(id).Run());
    }
    return project;
  });
}

Status SqliteStore::DeleteProject(int64_t id) {
  // The project disappears for every caller at once: lookups skip deleted
  // projects, and without leases or members nobody can act on its tasks.
  PLUMB_RETURN_IF_ERROR(Write([&](Connection& c) -> Status {
    {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("UPDATE projects SET deleted = 1 WHERE id = ? AND deleted = 0 RETURNING id"));
      s.Bind(id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::NotFound("project " + std::to_string(id) + " not found");
      PLUMB_RETURN_IF_ERROR(s.Run());
    }
    PLUMB_ASSIGN_OR_RETURN(Statement members,
                           c.Prepare("DELETE FROM project_members WHERE project_id = ?"));
    PLUMB_RETURN_IF_ERROR(members.Bind(id).Run());
    PLUMB_ASSIGN_OR_RETURN(Statement leases, c.Prepare("DELETE FROM leases WHERE project_id = ?"));
    return leases.Bind(id).Run();
  }));
  return PurgeProject(id);
}

Status SqliteStore::PurgeProject(int64_t id) {
  // Deleting a million tasks in one transaction holds the write lock for tens
  // of seconds (every row runs the cascades to annotations, revisions, skips
  // and leases). Small transactions let claims and submits of other projects
  // run in between; if the process dies half-way, Open() finishes the job.
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(
        bool done, Write([&](Connection& c) -> Result<bool> {
          PLUMB_ASSIGN_OR_RETURN(Statement s,
                                 c.Prepare("DELETE FROM tasks WHERE id IN"
                                           " (SELECT id FROM tasks WHERE project_id = ? LIMIT ?)"));
          PLUMB_RETURN_IF_ERROR(s.BindAll(id, kPurgeBatch).Run());
          if (sqlite3_changes64(c.handle()) > 0) return false;
          PLUMB_ASSIGN_OR_RETURN(Statement p, c.Prepare("DELETE FROM projects WHERE id = ?"));
          PLUMB_RETURN_IF_ERROR(p.Bind(id).Run());
          return true;
        }));
    if (done) return Status::Ok();
  }
}

Status SqliteStore::AddMember(int64_t project_id, int64_t user_id) {
  return Write([&](Connection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        int64_t projects,
        QueryInt(c, "SELECT COUNT(*) FROM projects WHERE id = ? AND deleted = 0", project_id));
    if (projects == 0)
      return Status::NotFound("project " + std::to_string(project_id) + " not found");
    PLUMB_ASSIGN_OR_RETURN(int64_t users,
                           QueryInt(c, "SELECT COUNT(*) FROM users WHERE id = ?", user_id));
    if (users == 0) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT OR IGNORE INTO project_members (project_id, user_id) VALUES (?, ?)"));
    return s.BindAll(project_id, user_id).Run();
  });
}

Result<bool> SqliteStore::IsMember(int64_t project_id, int64_t user_id) {
  // Only memberships are kept: one another process adds counts at once.
  return members_.Get(
      {project_id, user_id}, [&] { return ReadMembership(project_id, user_id); },
      [](bool member) { return member; });
}

Result<bool> SqliteStore::ReadMembership(int64_t project_id, int64_t user_id) {
  return Read([&](Connection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT 1 FROM project_members WHERE project_id = ?1 AND user_id = ?2"
                  " UNION ALL SELECT 1 FROM project_workforces pw JOIN workforce_members wm"
                  " ON wm.workforce_id = pw.workforce_id"
                  " WHERE pw.project_id = ?1 AND wm.user_id = ?2 LIMIT 1"));
    s.BindAll(project_id, user_id);
    return s.Step();
  });
}

Result<std::vector<User>> SqliteStore::ListMembers(int64_t project_id) {
  return Read([&](Connection& c) -> Result<std::vector<User>> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_USER_COLS
                                     " FROM project_members m JOIN users u ON u.id = m.user_id"
                                     " WHERE m.project_id = ? ORDER BY u.id"));
    s.Bind(project_id);
    std::vector<User> users;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return users;
      users.push_back(ReadUser(s, 0));
    }
  });
}

Result<TaskCounts> SqliteStore::CountTasks(int64_t project_id) {
  return Read([&](Connection& c) -> Result<TaskCounts> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT state, COUNT(*) FROM tasks WHERE project_id = ? GROUP BY state"));
    s.Bind(project_id);
    TaskCounts counts;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return counts;
      AddToCounts(counts, static_cast<TaskState>(s.Int(0)), s.Int(1));
    }
  });
}

Result<std::vector<TaskStateCount>> SqliteStore::CountTasksByState() {
  return Read([&](Connection& c) -> Result<std::vector<TaskStateCount>> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT project_id, state, COUNT(*) FROM tasks"
                                     " WHERE project_id IN"
                                     " (SELECT id FROM projects WHERE deleted = 0)"
                                     " GROUP BY project_id, state ORDER BY project_id, state"));
    std::vector<TaskStateCount> counts;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return counts;
      counts.push_back({s.Int(0), static_cast<TaskState>(s.Int(1)), s.Int(2)});
    }
  });
}

// --- tasks -----------------------------------------------------------------------

void SqliteStore::RunQueued(QueuedWrite& write) {
  queue_.Push(&write);
  while (write.state.load(std::memory_order_acquire) != kDone) FutexWait(write.state, kQueued);
}

void SqliteStore::WriterLoop() {
  std::vector<QueuedWrite*> group;
  while (queue_.Take(group, kMaxBatchOps)) {
    uint64_t seq = 0;
    {
      std::lock_guard<std::mutex> write_lock(write_mu_);
      checkpointer_->RestartIfDue();
      seq = RunGroup(group);
    }
    // Even a group whose every write failed goes through the sync thread:
    // its writes are then done in commit order with the rest.
    unsynced_.Push(CommittedGroup{seq, std::move(group)});
  }
}

void SqliteStore::SyncLoop() {
  std::vector<CommittedGroup> batch;
  while (unsynced_.Take(batch, SIZE_MAX)) {
    uint64_t seq = 0;
    for (const CommittedGroup& g : batch) seq = std::max(seq, g.seq);
    const Status synced = seq == 0 ? Status::Ok() : wal_sync_.SyncTo(seq);
    for (CommittedGroup& g : batch) {
      for (QueuedWrite* w : g.writes) {
        if (w->outcome.ok() && !synced.ok()) w->outcome = synced;
        // Once kDone is seen the write's owner may return and free it.
        w->state.store(kDone, std::memory_order_release);
        FutexWake(w->state);
      }
    }
  }
}

void SqliteStore::StartThreads() {
  // Started before a server lowers its threads to SCHED_BATCH, these two
  // keep the default policy: woken, they may preempt a handler thread, and
  // every write waits for them.
  writer_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "plumb-writer");
    WriterLoop();
  });
  sync_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "plumb-walsync");
    SyncLoop();
  });
}

void SqliteStore::StopThreads() {
  // The writer first: the groups it still runs go to the sync thread.
  if (writer_thread_.joinable()) {
    queue_.Stop();
    writer_thread_.join();
  }
  if (sync_thread_.joinable()) {
    unsynced_.Stop();
    sync_thread_.join();
  }
}

// A write that fails before changing a row (not found, a conflict: every
// check comes before the first change) just returns its error. One that
// fails after changing rows cannot be undone alone without a SAVEPOINT per
// write, whose page copies cost about as much as the write itself; so the
// transaction is rolled back, and the group's earlier writes in it fail
// too (none of them was reported done). The rest start a new transaction.
uint64_t SqliteStore::RunGroup(const std::vector<QueuedWrite*>& group) {
  sqlite3* db = writer_->handle();
  uint64_t seq = 0;
  size_t i = 0;
  while (i < group.size()) {
    const size_t first = i;
    Status outcome = writer_->Run("BEGIN IMMEDIATE");
    if (!outcome.ok()) {
      for (; i < group.size(); ++i) group[i]->outcome = outcome;
      break;
    }
    for (; i < group.size(); ++i) {
      const int64_t changes = sqlite3_total_changes64(db);
      Status status = group[i]->run(group[i]->call, *writer_);
      if (!status.ok() && sqlite3_total_changes64(db) != changes) (void)writer_->Run("ROLLBACK");
      if (sqlite3_get_autocommit(db)) {
        // The transaction is gone, rolled back above or by SQLite itself
        // (I/O error, disk full): its earlier writes too.
        outcome = Status::Internal("a write failed part way, and its batch of writes with it: " +
                                   (status.ok() ? std::string(sqlite3_errmsg(db)) : status.message()));
        ++i;
        break;
      }
    }
    if (outcome.ok()) outcome = writer_->Run("COMMIT");
    if (outcome.ok()) {
      seq = wal_sync_.Committed();
    } else if (!sqlite3_get_autocommit(db)) {
      (void)writer_->Run("ROLLBACK");
    }
    for (size_t j = first; j < i; ++j) group[j]->outcome = outcome;
  }
  // Before any write of the group is reported done (SyncLoop); a rolled
  // back group bumps too, which costs only a few reads.
  if (std::any_of(group.begin(), group.end(),
                  [](const QueuedWrite* w) { return w->changes_config; })) {
    config_epoch_.Bump();
  }
  return seq;
}

Result<ExclusiveWrite> SqliteStore::BeginExclusiveWrite() {
  std::unique_lock<std::mutex> lock(write_mu_);
  Connection& c = *writer_;
  PLUMB_RETURN_IF_ERROR(c.Exec("PRAGMA cache_size = -" + std::to_string(kImportCacheKiB)));
  auto txn = Transaction::Begin(c, Transaction::Kind::kImmediate);
  if (!txn.ok()) {
    (void)c.Exec("PRAGMA cache_size = -" + std::to_string(kWriterCacheKiB));
    return txn.status();
  }
  return ExclusiveWrite(std::move(lock), &c, &wal_sync_, &config_epoch_, std::move(txn).value());
}

// A snapshot writes a row per label: it takes the writer alone, with the
// import's cache, like an import.
Result<DatasetVersion> SqliteStore::CreateDatasetVersion(int64_t project_id, std::string_view name,
                                                         std::string_view note, int64_t user_id,
                                                         int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckVersionName(name));
  PLUMB_ASSIGN_OR_RETURN(ExclusiveWrite write, BeginExclusiveWrite());
  PLUMB_ASSIGN_OR_RETURN(DatasetVersion version,
                         sqlite::CreateDatasetVersion(write.conn(), project_id, name, note,
                                                      user_id, now_ms));
  PLUMB_RETURN_IF_ERROR(write.Commit());
  return version;
}

Result<std::unique_ptr<TaskWriter>> SqliteStore::BeginImport(int64_t project_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(ExclusiveWrite write, BeginExclusiveWrite());
  Connection& c = write.conn();
  PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, project_id));
  // A project in the queue order "uncertainty" ranks its new tasks at
  // commit: those after the newest id now (the writer is held alone).
  int64_t newest = 0;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT COALESCE(MAX(id), 0) FROM tasks"));
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) newest = s.Int(0);
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement insert,
      c.Prepare("INSERT INTO tasks (project_id, priority, state, open_slots, created_at, data,"
                " deadline, batch_id, routed) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)"));
  auto writer = std::make_unique<SqliteTaskWriter>(std::move(write), std::move(insert), project_id,
                                                   settings.overlap, now_ms);
  writer->IdsAfter(newest, settings.queue_order == QueueOrder::kUncertainty);
  return std::unique_ptr<TaskWriter>(std::move(writer));
}

namespace {

// A page of at most `limit` tasks from a query that asked for limit + 1 rows:
// the extra row tells whether another page follows.
Result<TaskPage> ReadTaskPage(Statement& s, int32_t limit) {
  TaskPage page;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return page;
    if (static_cast<int32_t>(page.items.size()) == limit) {
      page.next_after_id = page.items.back().id;
      return page;
    }
    page.items.push_back(ReadTask(s, 0));
  }
}

// Binds the filters of `query` in the order the ListTasks/CountMatchingTasks
// SQL variants below expect them.
void BindFilters(Statement& s, const TaskQuery& query) {
  s.Bind(query.project_id);
  if (query.annotator_id) s.Bind(*query.annotator_id);
  if (query.state) s.Bind(*query.state);
}

}  // namespace

Result<TaskPage> SqliteStore::ListTasks(const TaskQuery& query) {
  PLUMB_RETURN_IF_ERROR(CheckTaskQuery(query));
  if (query.batch_id) {
    // A batch is small next to its project: its range of tasks_by_batch, sorted.
    return Read([&](Connection& c) -> Result<TaskPage> {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.batch_id = ?1"
                    " AND t.project_id = ?2 AND (?3 IS NULL OR t.state = ?3)"
                    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM annotations a"
                    " WHERE a.task_id = t.id AND a.user_id = ?4))"
                    " AND t.id > ?5 ORDER BY t.id LIMIT ?6"));
      s.BindAll(*query.batch_id, query.project_id, query.state, query.annotator_id,
                query.after_id, query.limit + 1);
      return ReadTaskPage(s, query.limit);
    });
  }
  // Each variant walks index ranges in id order from after_id: those of
  // tasks_by_state, or the annotator's entries in annotations_by_annotator.
  std::string_view sql;
  if (query.annotator_id) {
    sql = query.state ? "SELECT " PLUMB_TASK_COLS
                        " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = ? AND a.user_id = ? AND t.state = ?"
                        " AND a.task_id > ? ORDER BY a.task_id LIMIT ?"
                      : "SELECT " PLUMB_TASK_COLS
                        " FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = ? AND a.user_id = ?"
                        " AND a.task_id > ? ORDER BY a.task_id LIMIT ?";
  } else {
    sql = query.state ? "SELECT " PLUMB_TASK_COLS
                        " FROM tasks t INDEXED BY tasks_by_state"
                        " WHERE t.project_id = ? AND t.state = ? AND t.id > ?"
                        " ORDER BY t.id LIMIT ?"
                      : PLUMB_TASKS_IN_ID_ORDER;
  }
  return Read([&](Connection& c) -> Result<TaskPage> {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
    BindFilters(s, query);
    // One row more than asked tells whether another page follows.
    s.BindAll(query.after_id, query.limit + 1);
    return ReadTaskPage(s, query.limit);
  });
}

Result<int64_t> SqliteStore::CountMatchingTasks(const TaskQuery& query) {
  if (query.batch_id) {
    return Read([&](Connection& c) -> Result<int64_t> {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s, c.Prepare("SELECT COUNT(*) FROM tasks t WHERE t.batch_id = ?1"
                                 " AND t.project_id = ?2 AND (?3 IS NULL OR t.state = ?3)"
                                 " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM annotations a"
                                 " WHERE a.task_id = t.id AND a.user_id = ?4))"));
      s.BindAll(*query.batch_id, query.project_id, query.state, query.annotator_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      return row ? s.Int(0) : 0;
    });
  }
  std::string_view sql;
  if (query.annotator_id) {
    sql = query.state ? "SELECT COUNT(*) FROM annotations a JOIN tasks t ON t.id = a.task_id"
                        " WHERE a.project_id = ? AND a.user_id = ? AND t.state = ?"
                      : "SELECT COUNT(*) FROM annotations a"
                        " WHERE a.project_id = ? AND a.user_id = ?";
  } else {
    sql = query.state ? "SELECT COUNT(*) FROM tasks WHERE project_id = ? AND state = ?"
                      : "SELECT COUNT(*) FROM tasks WHERE project_id = ?";
  }
  return Read([&](Connection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
    BindFilters(s, query);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  });
}

Result<Task> SqliteStore::GetTask(int64_t id) {
  return Read([&](Connection& c) -> Result<Task> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_TASK_COLS " FROM tasks t WHERE t.id = ?"));
    s.Bind(id);
    PLUMB_ASSIGN_OR_RETURN(auto task,
                           QueryOptional(s, [](const Statement& r) { return ReadTask(r, 0); }));
    if (!task) return Status::NotFound("task " + std::to_string(id) + " not found");
    return *task;
  });
}

// --- the queue ---------------------------------------------------------------------

// Takes a slot of the first task of project ?1 in `index`'s order (`order`,
// which matches it) that user ?2 may be handed: an open slot, not annotated
// or skipped by them, and in a batch routed to workforces only one of
// theirs; `where` adds the index's own condition.
#define PLUMB_SQLITE_CLAIM(index, where, order)                                 \
  "UPDATE tasks SET lease_count = lease_count + 1, open_slots = open_slots - 1" \
  " WHERE id = (SELECT t.id FROM tasks t INDEXED BY " index                     \
  " WHERE t.project_id = ?1 AND t.open_slots > 0" where                         \
  " AND NOT EXISTS (SELECT 1 FROM annotations a"                                \
  " WHERE a.task_id = t.id AND a.user_id = ?2)"                                 \
  " AND NOT EXISTS (SELECT 1 FROM skips k"                                      \
  " WHERE k.task_id = t.id AND k.user_id = ?2)"                                 \
  " AND (t.routed = 0 OR EXISTS (SELECT 1 FROM batch_workforces bw"             \
  " JOIN workforce_members wm ON wm.workforce_id = bw.workforce_id"             \
  " WHERE bw.batch_id = t.batch_id AND wm.user_id = ?2))" order                 \
  " LIMIT 1)"                                                                   \
  " RETURNING id, project_id, priority, state, created_at, data, deadline,"     \
  " batch_id, golden"

Result<std::optional<Claim>> SqliteStore::ClaimNextTask(int64_t project_id, int64_t user_id,
                                                        int64_t now_ms) {
  return WriteLabels([&](Connection& c) -> Result<std::optional<Claim>> {
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, project_id));
    PLUMB_RETURN_IF_ERROR(ReleaseExpiredLeases(c, project_id, settings.overlap, now_ms));
    {
      // Expired leases are released by now, so an active one is live.
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("SELECT l.id, l.expires_at, " PLUMB_TASK_COLS
                                       " FROM leases l JOIN tasks t ON t.id = l.task_id"
                                       " WHERE l.project_id = ? AND l.user_id = ? AND l.active = 1"
                                       " ORDER BY l.id LIMIT 1"));
      s.BindAll(project_id, user_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        Task task = ReadTask(s, 2);
        Lease lease{s.Int(0), task.id, user_id, s.Int(1)};
        return std::optional<Claim>(
            Claim{std::move(task), lease, /*existing_lease=*/true, ClaimRule::kExistingLease});
      }
    }
    PLUMB_ASSIGN_OR_RETURN(std::optional<Claim> rework,
                           ClaimRework(c, project_id, user_id, settings, now_ms));
    if (rework) return rework;
    // Takes a slot of the head of `sql`'s queue, if any.
    auto pick = [&](std::string_view sql) -> Result<std::optional<Task>> {
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(sql));
      s.BindAll(project_id, user_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return std::optional<Task>();
      return std::optional<Task>(ReadTask(s, 0));
    };
    std::optional<Task> picked;
    ClaimRule rule = ClaimRule::kPriority;
    if (settings.queue_order == QueueOrder::kUncertainty) {
      // The same pick over tasks_queue_uncertain, which holds only ranked
      // tasks (of projects in this order): uncertainty replaces the id as
      // the order after deadline. Only when that finds nothing does the
      // import order's pick below run, for a task left unranked.
      PLUMB_ASSIGN_OR_RETURN(
          picked,
          pick(PLUMB_SQLITE_CLAIM("tasks_queue_uncertain", " AND t.uncertainty IS NOT NULL",
                                  " ORDER BY t.priority DESC, t.deadline IS NULL, t.deadline,"
                                  " t.uncertainty DESC, t.id")));
      if (picked) rule = ClaimRule::kUncertainty;
    }
    if (!picked) {
      // The subquery reads the head of tasks_queue (its ORDER BY matches the
      // index, so no sort), stepping over tasks this user annotated or
      // skipped, and those of batches routed to workforces the user is not in
      // (routed is in the index; only routed tasks read their batch).
      // The literal "open_slots > 0" lets SQLite use the partial index.
      PLUMB_ASSIGN_OR_RETURN(
          picked, pick(PLUMB_SQLITE_CLAIM(
                      "tasks_queue", "",
                      " ORDER BY t.priority DESC, t.deadline IS NULL, t.deadline, t.id")));
      if (!picked) return std::optional<Claim>();
    }
    Task task = std::move(*picked);
    Lease lease{0, task.id, user_id, now_ms + static_cast<int64_t>(settings.lease_seconds) * 1000};
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("INSERT INTO leases (project_id, task_id, user_id, expires_at)"
                                     " VALUES (?, ?, ?, ?) RETURNING id"));
    s.BindAll(project_id, task.id, user_id, lease.expires_at_ms);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Internal("lease insert returned no id");
    lease.id = s.Int(0);
    return std::optional<Claim>(Claim{std::move(task), lease, /*existing_lease=*/false, rule});
  });
}

Result<std::optional<Lease>> SqliteStore::FindLiveLease(int64_t task_id, int64_t user_id,
                                                        int64_t now_ms) {
  return Read([&](Connection& c) -> Result<std::optional<Lease>> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT id, expires_at FROM leases"
                                     " WHERE task_id = ? AND user_id = ? AND active = 1"
                                     " AND expires_at > ? ORDER BY id DESC LIMIT 1"));
    s.BindAll(task_id, user_id, now_ms);
    return QueryOptional(s, [&](const Statement& r) {
      return Lease{r.Int(0), task_id, user_id, r.Int(1)};
    });
  });
}


Result<Revision> SqliteStore::AppendRevision(const NewRevision& rev, int64_t now_ms) {
  auto append = [&](Connection& c) -> Result<Revision> {
    if (!rev.idempotency_key.empty()) {
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT id FROM revisions"
                                                    " WHERE user_id = ? AND idempotency_key = ?"));
      s.BindAll(rev.user_id, rev.idempotency_key);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) return LoadRevision(c, s.Int(0));
    }
    PLUMB_ASSIGN_OR_RETURN(Task task, LoadTask(c, rev.task_id));
    {
      // Editing one's own annotation needs no lease: it adds a revision and
      // leaves the task's counts alone, unless it answers a rejection.
      PLUMB_ASSIGN_OR_RETURN(Statement s,
                             c.Prepare("SELECT a.id, r.id, r.revision, a.rejected FROM annotations a"
                                       " JOIN revisions r ON r.id = a.current_revision_id"
                                       " WHERE a.task_id = ? AND a.user_id = ?"));
      s.BindAll(rev.task_id, rev.user_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        const int64_t annotation_id = s.Int(0);
        const int64_t parent_id = s.Int(1);
        const int32_t number = static_cast<int32_t>(s.Int(2)) + 1;
        const bool rejected = s.Int(3) != 0;
        s.Reset();
        PLUMB_ASSIGN_OR_RETURN(int64_t id,
                               AppendToOwnAnnotation(c, rev, task, annotation_id, parent_id,
                                                     number, rejected, now_ms));
        return LoadRevision(c, id);
      }
    }
    if (!rev.lease_id) {
      return Status::Conflict("a lease on task " + std::to_string(rev.task_id) +
                              " is needed to annotate it");
    }
    PLUMB_ASSIGN_OR_RETURN(StoredLease lease,
                           LoadOwnLease(c, *rev.lease_id, rev.task_id, rev.user_id));
    if (!lease.active || lease.expires_at_ms <= now_ms) {
      return Status::LeaseExpired("lease " + std::to_string(*rev.lease_id) + " has expired");
    }
    PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, task.project_id));
    PLUMB_RETURN_IF_ERROR(DeleteLease(c, *rev.lease_id));
    int64_t annotation_id = 0;
    {
      // An annotation of a golden task never counts.
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("INSERT INTO annotations (project_id, task_id, user_id, created_at, kind)"
                    " VALUES (?, ?, ?, ?, ?) RETURNING id"));
      s.BindAll(task.project_id, rev.task_id, rev.user_id, now_ms,
                task.golden ? kGoldenAnnotation : kCountingAnnotation);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Internal("annotation insert returned no id");
      annotation_id = s.Int(0);
    }
    PLUMB_ASSIGN_OR_RETURN(
        int64_t id, InsertRevision(c, rev, annotation_id, /*number=*/1, std::nullopt, now_ms));
    PLUMB_RETURN_IF_ERROR(CountRevision(c, task.project_id, rev, /*first=*/true, now_ms));
    PLUMB_RETURN_IF_ERROR(RecordPrelabelUse(c, task.project_id, rev, id, now_ms));
    if (task.golden) {
      if (lease.counted) {
        // Leased before the task became golden.
        PLUMB_ASSIGN_OR_RETURN(
            Statement s, c.Prepare("UPDATE tasks SET lease_count = lease_count - 1 WHERE id = ?"));
        PLUMB_RETURN_IF_ERROR(s.Bind(task.id).Run());
      }
      PLUMB_RETURN_IF_ERROR(GradeGolden(c, rev, task, id, now_ms));
      PLUMB_RETURN_IF_ERROR(RecordBakeoffLabel(c, task.id, rev.user_id, id, rev, now_ms));
      return LoadRevision(c, id);
    }
    bool complete = false;
    {
      // The lease turns into an annotation: lease_count - 1, annotation_count
      // + 1, so the open slots stay as they were unless the task is complete.
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("UPDATE tasks SET annotation_count = annotation_count + 1,"
                    " lease_count = lease_count - ?3,"
                    " state = CASE WHEN annotation_count + 1 >= ?2 THEN state ELSE 1 END,"
                    " open_slots = CASE WHEN annotation_count + 1 >= ?2 THEN 0"
                    " ELSE max(?2 - annotation_count - lease_count - 1 + ?3, 0) END"
                    " WHERE id = ?1 RETURNING annotation_count, rejected_count, state"));
      s.BindAll(rev.task_id, settings.overlap, lease.counted ? 1 : 0);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return Status::Internal("task vanished during submit");
      complete = s.Int(0) >= settings.overlap && s.Int(1) == 0 &&
                 (s.Int(2) == static_cast<int64_t>(TaskState::kNew) ||
                  s.Int(2) == static_cast<int64_t>(TaskState::kAnnotating));
      s.Reset();
    }
    if (complete) {
      PLUMB_RETURN_IF_ERROR(
          CompleteTask(c, task, settings, rev.hooks, /*after_rework=*/false, now_ms));
    }
    return LoadRevision(c, id);
  };
  return WriteLabels([&](Connection& c) -> Result<Revision> {
    PLUMB_ASSIGN_OR_RETURN(Revision revision, append(c));
    if (rev.queue_train) PLUMB_RETURN_IF_ERROR(QueueTrainIfDone(c, rev.task_id, now_ms));
    return revision;
  });
}

Status SqliteStore::SkipTask(int64_t task_id, int64_t user_id, int64_t lease_id, int64_t now_ms) {
  return WriteLabels([&](Connection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(StoredLease lease, LoadOwnLease(c, lease_id, task_id, user_id));
    {
      // Skipping a rework would leave the task waiting for it for good.
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM annotations WHERE task_id = ?"
                                                    " AND user_id = ? AND rejected = 1"));
      s.BindAll(task_id, user_id);
      PLUMB_ASSIGN_OR_RETURN(bool rework, s.Step());
      if (rework) {
        return Status::Conflict("task " + std::to_string(task_id) +
                                " was sent back to you by a reviewer: submit a new revision");
      }
    }
    PLUMB_RETURN_IF_ERROR(DeleteLease(c, lease_id));
    if (lease.active && lease.counted) {
      PLUMB_ASSIGN_OR_RETURN(ProjectSettings settings, LoadSettings(c, lease.project_id));
      PLUMB_RETURN_IF_ERROR(ReturnLeaseSlot(c, task_id, settings.overlap));
    }
    PLUMB_ASSIGN_OR_RETURN(
        Statement s, c.Prepare("INSERT OR IGNORE INTO skips (task_id, user_id) VALUES (?, ?)"));
    return s.BindAll(task_id, user_id).Run();
  });
}

// --- annotations ---------------------------------------------------------------------

Result<std::vector<Revision>> SqliteStore::ListRevisions(int64_t task_id,
                                                         std::optional<int64_t> user_id) {
  return Read([&](Connection& c) -> Result<std::vector<Revision>> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_REVISION_COLS " FROM revisions r JOIN users u ON u.id = r.user_id"
                  " WHERE r.annotation_id IN (SELECT id FROM annotations"
                  " WHERE task_id = ?1 AND (?2 IS NULL OR user_id = ?2))"
                  " ORDER BY r.id"));
    s.BindAll(task_id, user_id);
    std::vector<Revision> revisions;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return revisions;
      revisions.push_back(ReadRevision(s, 0));
    }
  });
}

Result<std::vector<Revision>> SqliteStore::CurrentRevisions(const std::vector<int64_t>& task_ids) {
  std::vector<int64_t> ids = task_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ReadSnapshot([&](Connection& c) -> Result<std::vector<Revision>> {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT " PLUMB_REVISION_COLS
                  " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                  " JOIN users u ON u.id = r.user_id"
                  " WHERE a.task_id = ? ORDER BY a.id"));
    std::vector<Revision> revisions;
    for (int64_t id : ids) {
      s.Bind(id);
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        revisions.push_back(ReadRevision(s, 0));
      }
      s.Reset();
    }
    return revisions;
  });
}

Result<Progress> SqliteStore::GetProgress(int64_t project_id, int64_t user_id) {
  return ReadSnapshot([&](Connection& c) -> Result<Progress> {
    Progress progress;
    {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare(
              "SELECT COUNT(*), COALESCE(SUM(state = 2), 0) FROM tasks WHERE project_id = ?"));
      s.Bind(project_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      if (row) {
        progress.total = s.Int(0);
        progress.done = s.Int(1);
      }
    }
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("SELECT COUNT(*) FROM annotations WHERE project_id = ? AND user_id = ?"));
    s.BindAll(project_id, user_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) progress.mine = s.Int(0);
    return progress;
  });
}

// --- predictions ---------------------------------------------------------------------

Result<std::vector<Prediction>> SqliteStore::ListPredictions(const std::vector<int64_t>& task_ids) {
  std::vector<int64_t> ids = task_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  auto read = [&](Connection& c) -> Result<std::vector<Prediction>> {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT " PLUMB_PREDICTION_COLS
                                     " FROM predictions p WHERE p.task_id = ? ORDER BY p.id"));
    std::vector<Prediction> predictions;
    for (int64_t id : ids) {
      s.Bind(id);
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        predictions.push_back(ReadPrediction(s, 0));
      }
      s.Reset();
    }
    return predictions;
  };
  // One task is one statement, consistent by itself (the next-task path asks
  // for one); several need one snapshot.
  return ids.size() <= 1 ? Read(read) : ReadSnapshot(read);
}

// --- export --------------------------------------------------------------------------

Status SqliteStore::ForEachTaskWithAnnotations(
    int64_t project_id,
    const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) {
  return ReadSnapshot([&](Connection& c) -> Status {
    int64_t after_id = 0;
    while (true) {
      std::vector<Task> tasks;
      {
        PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare(PLUMB_TASKS_IN_ID_ORDER));
        s.BindAll(project_id, after_id, kExportBatch);
        while (true) {
          PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
          if (!row) break;
          tasks.push_back(ReadTask(s, 0));
        }
      }
      if (tasks.empty()) return Status::Ok();
      after_id = tasks.back().id;

      // The batch's annotations in one range read, grouped by task below.
      std::vector<Revision> revisions;
      {
        PLUMB_ASSIGN_OR_RETURN(
            Statement s,
            c.Prepare("SELECT " PLUMB_REVISION_COLS
                      " FROM annotations a JOIN revisions r ON r.id = a.current_revision_id"
                      " JOIN users u ON u.id = r.user_id"
                      " WHERE a.task_id BETWEEN ? AND ? AND a.project_id = ?"
                      " ORDER BY a.task_id, a.id"));
        s.BindAll(tasks.front().id, tasks.back().id, project_id);
        while (true) {
          PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
          if (!row) break;
          revisions.push_back(ReadRevision(s, 0));
        }
      }
      // Statements are reset before calling out, so `fn` may use the store.
      PLUMB_RETURN_IF_ERROR(VisitBatch(tasks, std::move(revisions), fn));
      if (static_cast<int>(tasks.size()) < kExportBatch) return Status::Ok();
    }
  });
}

// --- the whole database ----------------------------------------------------------------

Status SqliteStore::DumpTables(const DumpRowFn& fn) {
  return ReadSnapshot([&](Connection& c) -> Status {
    for (const DumpTable& table : SchemaTables()) {
      const std::vector<std::string> columns(table.columns.begin(), table.columns.end());
      std::string select;
      for (std::string_view column : table.columns) {
        if (!select.empty()) select += ", ";
        select += column == table.binary_column ? "lower(hex(" + std::string(column) + "))"
                                                : std::string(column);
      }
      PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " + select +
                                                    " FROM " + std::string(table.name) +
                                                    " ORDER BY " + std::string(table.order_by)));
      std::vector<std::optional<std::string>> values(columns.size());
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        for (size_t i = 0; i < values.size(); ++i) {
          const int col = static_cast<int>(i);
          values[i] = s.IsNull(col) ? std::nullopt : std::optional(s.Text(col));
        }
        PLUMB_RETURN_IF_ERROR(fn(table.name, columns, values));
      }
    }
    return Status::Ok();
  });
}

Result<std::unique_ptr<DatabaseLoader>> SqliteStore::BeginLoad() {
  PLUMB_ASSIGN_OR_RETURN(ExclusiveWrite write, BeginExclusiveWrite());
  PLUMB_ASSIGN_OR_RETURN(Statement s, write.conn().Prepare("SELECT EXISTS (SELECT 1 FROM users)"
                                                           " OR EXISTS (SELECT 1 FROM projects)"));
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (row && s.Int(0) != 0) {
    return Status::Conflict("the database is not empty: load into a new one");
  }
  s = Statement();
  return std::unique_ptr<DatabaseLoader>(std::make_unique<SqliteLoader>(std::move(write)));
}

}  // namespace
}  // namespace sqlite

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const SqliteOptions& options) {
  return sqlite::SqliteStore::Open(path, options);
}

}  // namespace plumb::store
