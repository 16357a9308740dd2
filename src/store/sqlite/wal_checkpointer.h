#pragma once
// Checkpoints the WAL of a store's database on a thread of its own.
//
// SQLite checkpoints inside the COMMIT that grows the WAL past its limit:
// the committing connection syncs the WAL, copies its pages into the
// database and syncs that, while every write behind it waits. For the
// store's single writer that was a 10-13 ms stall every ~90 ms under 64
// annotators. The checkpointer takes the copying over: the writer's commits
// tell it how far the WAL has grown, and it runs PASSIVE checkpoints on its
// own connection beside the writer (WAL lets them run while writes go on).
//
// The WAL starts again from its beginning only when a write transaction
// begins on a WAL that is checkpointed to its end, which a checkpoint
// beside a busy writer never finds. So once the WAL is long, the writer
// copies the few pages committed since the last checkpoint itself, between
// two groups (RestartIfDue), and its next write starts the WAL over: one
// short stall per restart_pages of WAL instead of a long one per pages.
//
// Durability is as before: a checkpoint syncs the WAL before it copies a
// page, and the database before the WAL is reused.

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace plumb::store::sqlite {

class Connection;

class WalCheckpointer {
 public:
  // Takes over the automatic checkpoints of `writer` (the connection that
  // commits; it must outlive the checkpointer) for the database at `path`:
  // once commits add `pages` frames to the WAL past what was checkpointed,
  // a checkpoint runs, and once the WAL holds `restart_pages` frames,
  // RestartIfDue finishes it.
  static Result<std::unique_ptr<WalCheckpointer>> Start(const std::string& path, sqlite3* writer,
                                                        int pages, int restart_pages);
  // Gives the writer its own automatic checkpoints back, and stops once a
  // checkpoint under way is done.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Called by the writer's owner between transactions, with no other
  // write able to start: when the WAL is long, checkpoints the rest of it on
  // the writer, so that the next write starts the WAL over.
  void RestartIfDue();

 private:
  WalCheckpointer(std::unique_ptr<Connection> conn, sqlite3* writer, int pages, int restart_pages);
  // sqlite3_wal_hook: called after each commit on the writer, by whichever
  // thread holds it (the store's write lock), like frames_ and caught_up_.
  static int OnCommit(void* self, sqlite3* db, const char* schema, int frames);
  void Loop();
  // A PASSIVE checkpoint on `db`: the frames in the WAL, or -1 when it did
  // not run (failed, or another connection was checkpointing).
  int Checkpoint(sqlite3* db);

  std::unique_ptr<Connection> conn_;
  sqlite3* writer_;
  const int pages_;
  const int restart_pages_;
  // Frames of the WAL checkpointed when last looked; 0 after a restart.
  std::atomic<int> backfilled_{0};
  int frames_ = 0;  // frames in the WAL after the writer's last commit
  // Set by the checkpoint thread once the WAL is long, cleared by the
  // writer's next commit after RestartIfDue; meanwhile the thread waits, so
  // that it is not busy when the writer checkpoints or starts the WAL over.
  std::atomic<bool> restart_due_{false};
  bool caught_up_ = false;  // RestartIfDue ran since the writer's last commit
  std::mutex mu_;
  std::condition_variable cv_;
  bool due_ = false;  // pages_ frames or more wait to be checkpointed
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace plumb::store::sqlite
