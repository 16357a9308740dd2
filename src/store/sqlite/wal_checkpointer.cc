#include "store/sqlite/wal_checkpointer.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "store/sqlite/sqlite_db.h"

namespace plumb::store::sqlite {

Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Start(const std::string& path,
                                                                sqlite3* writer, int pages,
                                                                int restart_pages) {
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<Connection> conn,
                         Connection::Open(path, Connection::Mode::kReadWrite));
  // A checkpoint syncs as its connection's setting says: as the writer's did.
  PLUMB_RETURN_IF_ERROR(conn->Exec("PRAGMA synchronous = NORMAL"));
  // Reads the schema once, which opens the WAL on this connection.
  PLUMB_RETURN_IF_ERROR(conn->Exec("PRAGMA schema_version"));
  std::unique_ptr<WalCheckpointer> checkpointer(
      new WalCheckpointer(std::move(conn), writer, pages, restart_pages));
  // Replaces SQLite's automatic checkpoint, which is itself a WAL hook.
  sqlite3_wal_hook(writer, &WalCheckpointer::OnCommit, checkpointer.get());
  return checkpointer;
}

WalCheckpointer::WalCheckpointer(std::unique_ptr<Connection> conn, sqlite3* writer, int pages,
                                 int restart_pages)
    : conn_(std::move(conn)), writer_(writer), pages_(pages), restart_pages_(restart_pages) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "plumb-ckpt");
    Loop();
  });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_, pages_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int frames) {
  auto* c = static_cast<WalCheckpointer*>(self);
  c->frames_ = frames;
  int backfilled = c->backfilled_.load();
  if (frames < backfilled) {
    // The WAL started over.
    c->backfilled_.store(0);
    backfilled = 0;
  }
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(c->mu_);
    if (c->caught_up_) {
      // The first commit after RestartIfDue: whether or not the WAL started
      // over (a reader may have held it), the thread may go on.
      c->caught_up_ = false;
      c->restart_due_.store(false);
      wake = c->due_;
    }
    if (frames - backfilled >= c->pages_ && !c->due_) {
      c->due_ = true;
      wake = true;
    }
  }
  if (wake) c->cv_.notify_one();
  return SQLITE_OK;
}

void WalCheckpointer::RestartIfDue() {
  if (!restart_due_.load() || caught_up_) return;
  if (frames_ - backfilled_.load() > pages_) {
    // Much was committed since (an import): too long a wait for the next
    // write. The thread copies it, and asks again.
    {
      std::lock_guard<std::mutex> lock(mu_);
      restart_due_.store(false);
      due_ = true;
    }
    cv_.notify_one();
    return;
  }
  // Copies what the thread's last checkpoint left, a few commits' pages;
  // the writer's next write then finds the WAL checkpointed to its end and
  // starts it over.
  Checkpoint(writer_);
  caught_up_ = true;
}

int WalCheckpointer::Checkpoint(sqlite3* db) {
  // PASSIVE copies what no reader still needs and never waits. BUSY means
  // another connection (another process's) is checkpointing: it does the
  // work.
  int frames = 0, backfilled = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &backfilled);
  if (rc == SQLITE_OK) {
    backfilled_.store(backfilled);
    return frames;
  }
  if (rc != SQLITE_BUSY) spdlog::warn("WAL checkpoint failed: {}", sqlite3_errmsg(db));
  return -1;
}

void WalCheckpointer::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return (due_ && !restart_due_.load()) || stop_; });
    if (stop_) return;
    due_ = false;
    lock.unlock();
    const int frames = Checkpoint(conn_->handle());
    lock.lock();
    if (frames >= restart_pages_) restart_due_.store(true);
  }
}

}  // namespace plumb::store::sqlite
