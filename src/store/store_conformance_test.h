#pragma once
// The Store conformance suite: what every backend must do, written once
// against the Store interface (store_conformance_test.cc). A backend runs it
// by instantiating the suite with a StoreBackend, e.g.
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformanceTest,
//                            ::testing::Values(SqliteBackend()), BackendName);

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <source_location>
#include <string>
#include <vector>

#include "store/store.h"

namespace plumb::store {

// How the suite gets databases of one backend. Plain function pointers: a
// backend is a handful of free functions, and the struct stays printable.
struct StoreBackend {
  const char* name;
  // Makes a new, empty database and returns where it is (a file path, a
  // database name, ...).
  std::string (*create)();
  // Opens the database at `location`; called again to reopen it.
  Result<std::unique_ptr<Store>> (*open)(const std::string& location);
  // Removes the database and everything it left behind.
  void (*destroy)(const std::string& location);
};

inline std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// Failure messages name the backend rather than dumping the struct's bytes.
inline void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }

// The value of `result`, or a recorded failure (at the caller's line) and a
// default value, so helpers that return values can still report errors.
template <typename T>
T Ok(Result<T> result, std::source_location where = std::source_location::current()) {
  if (!result.ok()) {
    ADD_FAILURE_AT(where.file_name(), where.line()) << result.status().ToString();
    return T{};
  }
  return std::move(result).value();
}

inline void Ok(const Status& status, std::source_location where = std::source_location::current()) {
  if (!status.ok()) ADD_FAILURE_AT(where.file_name(), where.line()) << status.ToString();
}

// One row of a dump (see Store::DumpTables).
struct DumpedRow {
  std::string table;
  std::vector<std::string> columns;
  std::vector<std::optional<std::string>> values;

  bool operator==(const DumpedRow&) const = default;
};

// Every row DumpTables gives, in its order.
std::vector<DumpedRow> DumpAll(Store& store);
// Loads `rows` into `into` (which must be empty) in one load.
Status LoadAll(const std::vector<DumpedRow>& rows, Store& into);
// Expects `tasks` tasks in the project, each done with `overlap` annotations
// by as many distinct people.
void ExpectEachTaskDoneByDistinctPeople(Store& store, int64_t project_id, int32_t overlap,
                                        int tasks);

// Fills a database with something of everything DumpTables covers: users of
// each role, a session, API tokens, projects (one deleted) with members,
// tasks of several priorities, annotations with several revisions (one with
// an idempotency key), a skip, and live leases, all at times from `t0`.
void Populate(Store& store, int64_t t0);

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  // An arbitrary fixed start time: tests move time by passing later values.
  static constexpr int64_t kT0 = 1'700'000'000'000;

  void SetUp() override;
  void TearDown() override;

  // Destroys the store object and opens the same database again.
  void Reopen();
  // Opens a new, empty database of the same backend, removed after the test
  // (the returned store must be gone by then).
  std::unique_ptr<Store> OpenNewDatabase();

  Store& store() { return *store_; }

  User AddUser(const std::string& name, Role role = Role::kAnnotator);
  Project AddProject(int32_t overlap = 1, int32_t lease_seconds = 60);
  // Imports one task per priority, data {"n": i}; returns their ids in order.
  std::vector<int64_t> AddTasks(int64_t project_id, const std::vector<int32_t>& priorities);
  std::vector<int64_t> AddTasks(int64_t project_id, int count) {
    return AddTasks(project_id, std::vector<int32_t>(count, 0));
  }
  // Claims the next task; nullopt when none is left.
  std::optional<Claim> ClaimNext(int64_t project_id, int64_t user_id, int64_t now_ms = kT0);
  // Submits `result_json` on a claimed task with its lease.
  Result<Revision> Submit(const Claim& claim, const std::string& result_json = "[]",
                          int64_t now_ms = kT0, const std::string& idempotency_key = "");
  // Claims and submits until the user gets no more tasks; returns the task ids.
  std::vector<int64_t> AnnotateAll(int64_t project_id, int64_t user_id);
  // Every task id of the project, by paging through ListTasks.
  std::vector<int64_t> ListIds(TaskQuery query);

 private:
  std::string location_;
  std::vector<std::string> more_locations_;  // of OpenNewDatabase
  std::unique_ptr<Store> store_;
};

}  // namespace plumb::store
