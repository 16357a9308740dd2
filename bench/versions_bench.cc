// Times Store::CreateDatasetVersion at 1,000,000 final labels
// (docs/datasets.md), on SQLite or PostgreSQL: builds a database of N done
// tasks with final labels through Store::BeginLoad, snapshots it twice (the
// second version shares every label blob of the first), then relabels 1 % of
// the tasks and snapshots a third time, and diffs and streams the versions.
//
//   plumb_bench_versions [--tasks N] [--db PATH|postgresql://…] [--labels distinct|choice]
//
// --labels distinct (the default) gives every task its own label (a box per
// task): the worst case for blobs. choice gives a choice project's labels,
// three distinct ones. A PostgreSQL database must be empty; a SQLite path is
// replaced. Prints key=value lines for bench/run.sh, then a readable table.

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "store/store.h"

namespace {

using plumb::Status;
using plumb::store::Store;

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// This process's CPU seconds so far: on a shared machine, wall time also
// counts whatever else ran. (PostgreSQL's own CPU is not in it.)
double CpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

bool IsPostgres(const std::string& db) { return db.rfind("postgres", 0) == 0; }

int64_t CountBlobs(const std::string& db) {
  int64_t n = -1;
  if (IsPostgres(db)) {
    PGconn* conn = PQconnectdb(db.c_str());
    if (PQstatus(conn) == CONNECTION_OK) {
      PGresult* r = PQexec(conn, "SELECT COUNT(*) FROM label_blobs");
      if (PQresultStatus(r) == PGRES_TUPLES_OK) n = std::atoll(PQgetvalue(r, 0, 0));
      PQclear(r);
    }
    PQfinish(conn);
    return n;
  }
  sqlite3* sq = nullptr;
  if (sqlite3_open_v2(db.c_str(), &sq, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(sq, "SELECT COUNT(*) FROM label_blobs", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(sq);
  return n;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "versions_bench: %s\n", s.ToString().c_str());
  return 1;
}

// Task i's final label; `round` > 0 relabels it (the third version's changes).
std::string LabelOf(int64_t i, bool distinct, int round) {
  static const char* kPets[] = {"cat", "dog", "bird"};
  std::string result = std::string(R"([{"control":"pet","type":"choice","values":[")") +
                       kPets[(i + round) % 3] + R"("]})";
  if (distinct) {
    // A box position per task: the worst case for blobs.
    result += R"(,{"control":"box","type":"bbox","label":"car","x":)" +
              std::to_string(i % 1000 + 1000 * round) + R"(,"y":)" + std::to_string(i / 1000) +
              R"(,"w":10,"h":10,"rotation":0})";
  }
  return result + "]";
}

Status Load(Store& store, int64_t tasks, bool distinct) {
  auto loader = store.BeginLoad();
  if (!loader.ok()) return loader.status();
  auto& l = **loader;
  using Row = std::vector<std::optional<std::string>>;
  PLUMB_RETURN_IF_ERROR(l.Add("users", {"id", "username", "password_hash", "role", "created_at"},
                              Row{"1", "owner", "x", "2", "0"}));
  PLUMB_RETURN_IF_ERROR(l.Add(
      "projects", {"id", "name", "schema_json", "settings_json", "created_by", "created_at"},
      Row{"1", "bench",
          R"({"controls":[{"name":"pet","type":"choice","source":"image","labels":["cat","dog","bird"]},)"
          R"({"name":"box","type":"bbox","source":"image","labels":["car"]}]})",
          "{}", "1", "0"}));
  const std::vector<std::string> task_cols = {
      "id",          "project_id", "priority",   "state",          "annotation_count",
      "lease_count", "open_slots", "created_at", "data",           "deadline",
      "batch_id",    "routed",     "golden",     "rejected_count", "resent"};
  const std::vector<std::string> label_cols = {"task_id",   "result",     "media",     "method",
                                               "agreement", "decided_by", "updated_at"};
  for (int64_t i = 1; i <= tasks; ++i) {
    const std::string id = std::to_string(i);
    PLUMB_RETURN_IF_ERROR(
        l.Add("tasks", task_cols,
              Row{id, "1", "0", "2", "1", "0", "0", "0", R"({"image":"img/)" + id + R"(.jpg"})",
                  std::nullopt, std::nullopt, "0", "0", "0", "0"}));
  }
  for (int64_t i = 1; i <= tasks; ++i) {
    PLUMB_RETURN_IF_ERROR(l.Add("final_labels", label_cols,
                                Row{std::to_string(i), LabelOf(i, distinct, 0),
                                    R"({"width":4000,"height":4000})", "majority", "1",
                                    std::nullopt, "0"}));
  }
  return l.Commit();
}

// Relabels every 100th task (1 %), writing final_labels directly in one
// transaction, as a day of review fixes would leave them.
Status Relabel(const std::string& db, int64_t tasks, bool distinct) {
  const char* sql = "UPDATE final_labels SET result = $1 WHERE task_id = $2";
  if (IsPostgres(db)) {
    PGconn* conn = PQconnectdb(db.c_str());
    Status out = Status::Ok();
    auto run = [&](const char* q) {
      PGresult* r = PQexec(conn, q);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) out = Status::Internal(PQerrorMessage(conn));
      PQclear(r);
    };
    if (PQstatus(conn) != CONNECTION_OK) out = Status::Internal(PQerrorMessage(conn));
    if (out.ok()) run("BEGIN");
    for (int64_t i = 1; out.ok() && i <= tasks; i += 100) {
      const std::string label = LabelOf(i, distinct, 1), id = std::to_string(i);
      const char* params[] = {label.c_str(), id.c_str()};
      PGresult* r = PQexecParams(conn, sql, 2, nullptr, params, nullptr, nullptr, 0);
      if (PQresultStatus(r) != PGRES_COMMAND_OK) out = Status::Internal(PQerrorMessage(conn));
      PQclear(r);
    }
    if (out.ok()) run("COMMIT");
    PQfinish(conn);
    return out;
  }
  sqlite3* sq = nullptr;
  if (sqlite3_open(db.c_str(), &sq) != SQLITE_OK) return Status::Internal("cannot open " + db);
  sqlite3_stmt* s = nullptr;
  Status out = Status::Ok();
  sqlite3_exec(sq, "BEGIN", nullptr, nullptr, nullptr);
  if (sqlite3_prepare_v2(sq, "UPDATE final_labels SET result = ?1 WHERE task_id = ?2", -1, &s,
                         nullptr) != SQLITE_OK) {
    out = Status::Internal(sqlite3_errmsg(sq));
  }
  for (int64_t i = 1; out.ok() && i <= tasks; i += 100) {
    const std::string label = LabelOf(i, distinct, 1);
    sqlite3_bind_text(s, 1, label.data(), static_cast<int>(label.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, i);
    if (sqlite3_step(s) != SQLITE_DONE) out = Status::Internal(sqlite3_errmsg(sq));
    sqlite3_reset(s);
  }
  sqlite3_finalize(s);
  if (out.ok() && sqlite3_exec(sq, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    out = Status::Internal(sqlite3_errmsg(sq));
  }
  sqlite3_close(sq);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as it comes
  int64_t tasks = 1'000'000;
  std::string db = "/tmp/plumb-versions-bench.db";
  std::string labels = "distinct";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--tasks") tasks = std::atoll(argv[i + 1]);
    if (flag == "--db") db = argv[i + 1];
    if (flag == "--labels") labels = argv[i + 1];
  }
  if (tasks < 100 || (labels != "distinct" && labels != "choice")) {
    std::fprintf(stderr, "usage: plumb_bench_versions [--tasks N>=100] [--db PATH|URL]"
                         " [--labels distinct|choice]\n");
    return 2;
  }
  const bool distinct = labels == "distinct";
  if (!IsPostgres(db)) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((db + suffix).c_str());
  }
  auto opened = plumb::store::OpenStore(db);
  if (!opened.ok()) return Fail(opened.status());
  Store& store = **opened;

  auto t = std::chrono::steady_clock::now();
  if (Status s = Load(store, tasks, distinct); !s.ok()) return Fail(s);
  std::printf("load_s=%.2f tasks=%lld labels=%s\n", Seconds(t), static_cast<long long>(tasks),
              labels.c_str());

  int64_t blobs = CountBlobs(db);
  std::vector<int64_t> ids;
  for (const char* name : {"v1", "v2", "v3"}) {
    if (std::string(name) == "v3") {
      if (Status s = Relabel(db, tasks, distinct); !s.ok()) return Fail(s);
    }
    t = std::chrono::steady_clock::now();
    const double cpu = CpuSeconds();
    auto v = store.CreateDatasetVersion(1, name, "", 1, 0);
    if (!v.ok()) return Fail(v.status());
    const double secs = Seconds(t), cpu_secs = CpuSeconds() - cpu;
    const int64_t now_blobs = CountBlobs(db);
    std::printf("%s_s=%.2f %s_cpu_s=%.2f %s_labels=%lld %s_new_blobs=%lld\n", name, secs, name,
                cpu_secs, name, static_cast<long long>(v->tasks), name,
                static_cast<long long>(now_blobs - blobs));
    blobs = now_blobs;
    ids.push_back(v->id);
  }
  t = std::chrono::steady_clock::now();
  auto diff = store.DiffVersions(ids[1], ids[2]);
  if (!diff.ok()) return Fail(diff.status());
  std::printf("diff_s=%.2f diff_unchanged=%lld diff_relabeled=%lld\n", Seconds(t),
              static_cast<long long>(diff->unchanged), static_cast<long long>(diff->relabeled));
  t = std::chrono::steady_clock::now();
  int64_t streamed = 0;
  Status s = store.ForEachVersionLabel(ids[2], [&](const plumb::store::VersionLabel&) {
    ++streamed;
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  std::printf("stream_s=%.2f streamed=%lld\n", Seconds(t), static_cast<long long>(streamed));
  return 0;
}
