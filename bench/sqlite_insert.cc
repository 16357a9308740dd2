// plumb_bench_sqlite_insert: the raw baseline for `plumb import`. Inserts N
// generated tasks into a table shaped like Plumb's tasks table, with the
// same indexes and connection settings as Plumb's store, through one
// prepared statement in one transaction: what SQLite alone can do on this
// machine for the rows an import writes.
//
//   plumb_bench_sqlite_insert --db NEW_FILE [--rows N] [--check-schema PLUMB_DB]
//
// --check-schema compares the mirrored tasks table and indexes with those of
// a database Plumb created, so a later migration cannot silently leave the
// baseline measuring a different table. Prints one key=value line.

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/task_text.h"

namespace {

// Mirrors src/store/sqlite/migrations.cc: the tasks table of version 1 with
// the columns versions 3, 4 and 9 add, and its indexes, verbatim (the same
// statements, so SQLite stores the same CREATE text). projects and batches
// are cut down to the keys the foreign keys check, which is all an insert
// into tasks touches.
constexpr const char* kSchema = R"sql(
CREATE TABLE projects (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL
);
CREATE TABLE batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT
);
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
CREATE INDEX tasks_by_state ON tasks(project_id, state);
ALTER TABLE tasks ADD COLUMN deadline INTEGER;
ALTER TABLE tasks ADD COLUMN batch_id INTEGER REFERENCES batches(id) ON DELETE SET NULL;
ALTER TABLE tasks ADD COLUMN routed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN golden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN rejected_count INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_queue ON tasks(project_id, priority DESC, deadline IS NULL, deadline, id, routed)
  WHERE open_slots > 0;
CREATE INDEX tasks_reviewing ON tasks(project_id, priority DESC, id) WHERE state = 3;
CREATE INDEX tasks_adjudicating ON tasks(project_id, priority DESC, id) WHERE state = 4;
CREATE INDEX tasks_by_batch ON tasks(batch_id, state) WHERE batch_id IS NOT NULL;
CREATE INDEX tasks_by_deadline ON tasks(project_id, deadline) WHERE deadline IS NOT NULL;
CREATE INDEX tasks_golden ON tasks(project_id, id) WHERE golden = 1;
ALTER TABLE tasks ADD COLUMN resent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN uncertainty REAL;
CREATE INDEX tasks_queue_uncertain ON tasks(project_id, priority DESC, deadline IS NULL, deadline,
  uncertainty DESC, id, routed) WHERE open_slots > 0 AND uncertainty IS NOT NULL;
INSERT INTO projects (name) VALUES ('bench');
)sql";

// Plumb's import statement (SqliteStore::BeginImport), with no deadline or
// batch and not routed, as a plain import writes it.
constexpr const char* kInsert =
    "INSERT INTO tasks (project_id, priority, state, open_slots, created_at, data,"
    " deadline, batch_id, routed) VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?)";

// Plumb's store settings: WAL with synchronous=FULL and foreign keys, and
// the 64 MiB page cache its import switches to (kImportCacheKiB).
constexpr const char* kPragmas =
    "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;";

// Rows generated per batch. Generation stays outside the timed region, and
// a batch keeps memory small next to holding all N rows.
constexpr int64_t kBatch = 4096;

int Fail(sqlite3* db, const char* what) {
  std::fprintf(stderr, "plumb_bench_sqlite_insert: %s: %s\n", what,
               db != nullptr ? sqlite3_errmsg(db) : "out of memory");
  return 1;
}

// The CREATE statements of the tasks table and its indexes, whitespace
// collapsed, in name order.
bool TasksSchema(const std::string& path, std::string* out) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Fail(db, ("open " + path).c_str());
    sqlite3_close(db);
    return false;
  }
  sqlite3_stmt* stmt = nullptr;
  const char* sql =
      "SELECT sql FROM sqlite_master WHERE tbl_name = 'tasks' AND sql IS NOT NULL ORDER BY name";
  if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
    Fail(db, "read schema");
    sqlite3_close(db);
    return false;
  }
  out->clear();
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    for (const char* p = text; *p != '\0'; ++p) {
      const bool space = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
      if (!space) {
        out->push_back(*p);
      } else if (!out->empty() && out->back() != ' ') {
        out->push_back(' ');
      }
    }
    out->append(";\n");
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: plumb_bench_sqlite_insert --db NEW_FILE [--rows N] "
               "[--check-schema PLUMB_DB]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, plumb_db;
  int64_t rows = 1000000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--db") == 0) {
      path = argv[i + 1];
    } else if (std::strcmp(argv[i], "--rows") == 0) {
      rows = std::atoll(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--check-schema") == 0) {
      plumb_db = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (path.empty() || rows <= 0 || argc % 2 == 0) return Usage();
  // A scratch database only: never write into a file that is already there.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    std::fprintf(stderr, "plumb_bench_sqlite_insert: %s exists\n", path.c_str());
    return 1;
  }

  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return Fail(db, "open");
  sqlite3_stmt* journal = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &journal, nullptr) != SQLITE_OK ||
      sqlite3_step(journal) != SQLITE_ROW ||
      std::strcmp(reinterpret_cast<const char*>(sqlite3_column_text(journal, 0)), "wal") != 0) {
    sqlite3_finalize(journal);
    return Fail(db, "WAL mode");
  }
  sqlite3_finalize(journal);
  if (sqlite3_exec(db, kPragmas, nullptr, nullptr, nullptr) != SQLITE_OK)
    return Fail(db, "pragmas");
  if (sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "schema");

  const char* schema_state = "unchecked";
  if (!plumb_db.empty()) {
    std::string mine, plumbs;
    if (!TasksSchema(path, &mine) || !TasksSchema(plumb_db, &plumbs)) return 1;
    schema_state = mine == plumbs ? "matches" : "differs";
    if (mine != plumbs) {
      std::fprintf(stderr, "baseline tasks schema:\n%s\nPlumb's tasks schema:\n%s\n", mine.c_str(),
                   plumbs.c_str());
    }
  }

  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, kInsert, -1, &insert, nullptr) != SQLITE_OK) {
    return Fail(db, "prepare");
  }
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  plumb::bench::TaskTextGenerator generator;
  std::vector<std::string> batch(kBatch);
  std::chrono::steady_clock::duration timed{};
  using Clock = std::chrono::steady_clock;

  auto started = Clock::now();
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Fail(db, "begin");
  }
  timed += Clock::now() - started;
  for (int64_t done = 0; done < rows;) {
    const int64_t n = std::min(kBatch, rows - done);
    for (int64_t i = 0; i < n; ++i) generator.Data(done + i + 1, &batch[i]);
    started = Clock::now();
    for (int64_t i = 0; i < n; ++i) {
      // Bound exactly as Plumb binds them: project, priority, open slots
      // (overlap 1), created_at, data.
      sqlite3_bind_int64(insert, 1, 1);
      sqlite3_bind_int64(insert, 2, 0);
      sqlite3_bind_int64(insert, 3, 1);
      sqlite3_bind_int64(insert, 4, now_ms);
      sqlite3_bind_null(insert, 6);
      sqlite3_bind_null(insert, 7);
      sqlite3_bind_int64(insert, 8, 0);
      sqlite3_bind_text64(insert, 5, batch[i].data(), batch[i].size(), SQLITE_TRANSIENT,
                          SQLITE_UTF8);
      if (sqlite3_step(insert) != SQLITE_DONE) return Fail(db, "insert");
      sqlite3_reset(insert);
    }
    timed += Clock::now() - started;
    done += n;
  }
  started = Clock::now();
  sqlite3_finalize(insert);
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return Fail(db, "commit");
  // Closing the last connection checkpoints the WAL into the database; a
  // finished `plumb import` has paid for that too.
  if (sqlite3_close(db) != SQLITE_OK) return Fail(db, "close");
  timed += Clock::now() - started;

  const double seconds = std::chrono::duration<double>(timed).count();
  std::printf("rows=%lld seconds=%.3f rows_per_s=%.0f schema=%s sqlite=%s\n",
              static_cast<long long>(rows), seconds, rows / seconds, schema_state,
              sqlite3_libversion());
  return 0;
}
