// Times Store::CreateDatasetVersion at 1,000,000 final labels on SQLite
// (docs/datasets.md): builds a database of N done tasks with distinct final
// labels through Store::BeginLoad, then snapshots it twice (the second
// version shares every label blob of the first) and diffs and streams them.
//
//   plumb_bench_versions [--tasks N] [--db PATH]
//
// Prints one line per step with seconds and the label_blobs rows added.

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
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

int64_t CountBlobs(const std::string& path) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM label_blobs", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return n;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "versions_bench: %s\n", s.ToString().c_str());
  return 1;
}

Status Load(Store& store, int64_t tasks) {
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
  static const char* kPets[] = {"cat", "dog", "bird"};
  for (int64_t i = 1; i <= tasks; ++i) {
    const std::string id = std::to_string(i);
    PLUMB_RETURN_IF_ERROR(
        l.Add("tasks", task_cols,
              Row{id, "1", "0", "2", "1", "0", "0", "0", R"({"image":"img/)" + id + R"(.jpg"})",
                  std::nullopt, std::nullopt, "0", "0", "0", "0"}));
  }
  for (int64_t i = 1; i <= tasks; ++i) {
    // Distinct labels (a box position per task): the worst case for blobs.
    const std::string result =
        std::string(R"([{"control":"pet","type":"choice","values":[")") + kPets[i % 3] +
        R"("]},{"control":"box","type":"bbox","label":"car","x":)" + std::to_string(i % 1000) +
        R"(,"y":)" + std::to_string(i / 1000) + R"(,"w":10,"h":10,"rotation":0}])";
    PLUMB_RETURN_IF_ERROR(l.Add("final_labels", label_cols,
                                Row{std::to_string(i), result, R"({"width":4000,"height":4000})",
                                    "majority", "1", std::nullopt, "0"}));
  }
  return l.Commit();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each figure as it comes
  int64_t tasks = 1'000'000;
  std::string path = "/tmp/plumb-versions-bench.db";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--tasks") tasks = std::atoll(argv[i + 1]);
    if (flag == "--db") path = argv[i + 1];
  }
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  auto opened = plumb::store::OpenSqliteStore(path);
  if (!opened.ok()) return Fail(opened.status());
  Store& store = **opened;

  auto t = std::chrono::steady_clock::now();
  if (Status s = Load(store, tasks); !s.ok()) return Fail(s);
  std::printf("load %lld tasks with final labels: %.2f s\n", static_cast<long long>(tasks),
              Seconds(t));

  int64_t blobs = CountBlobs(path);
  std::vector<int64_t> ids;
  for (const char* name : {"v1", "v2"}) {
    t = std::chrono::steady_clock::now();
    auto v = store.CreateDatasetVersion(1, name, "", 1, 0);
    if (!v.ok()) return Fail(v.status());
    const double secs = Seconds(t);
    const int64_t now_blobs = CountBlobs(path);
    std::printf("CreateDatasetVersion %s: %lld labels, %.2f s, label_blobs +%lld\n", name,
                static_cast<long long>(v->tasks), secs, static_cast<long long>(now_blobs - blobs));
    blobs = now_blobs;
    ids.push_back(v->id);
  }
  t = std::chrono::steady_clock::now();
  auto diff = store.DiffVersions(ids[0], ids[1]);
  if (!diff.ok()) return Fail(diff.status());
  std::printf("DiffVersions v1 v2: %lld unchanged, %.2f s\n",
              static_cast<long long>(diff->unchanged), Seconds(t));
  t = std::chrono::steady_clock::now();
  int64_t streamed = 0;
  Status s = store.ForEachVersionLabel(ids[1], [&](const plumb::store::VersionLabel&) {
    ++streamed;
    return Status::Ok();
  });
  if (!s.ok()) return Fail(s);
  std::printf("ForEachVersionLabel v2: %lld labels, %.2f s\n", static_cast<long long>(streamed),
              Seconds(t));
  return 0;
}
