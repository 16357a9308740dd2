#include "store/postgres/pg_test_db.h"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace plumb::store {
namespace {

constexpr std::string_view kPrefix = "plumb_t_";

// Runs one statement on the admin database.
void AdminExec(const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(TestClusterAdminUrl().c_str()),
                                                    &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot reach the test PostgreSQL cluster: " +
                             std::string(PQerrorMessage(conn.get())));
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);  // "does not exist, skipping"
  std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
    throw std::runtime_error(sql + ": " + PQresultErrorMessage(res.get()));
  }
}

// The URL's database part: what follows the '/' after host and port.
size_t DatabaseNameStart(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) throw std::runtime_error("no database in URL " + url);
  return slash + 1;
}

}  // namespace

std::string TestClusterAdminUrl() {
  const char* file = std::getenv("PLUMB_TEST_PG_URL_FILE");
  if (file == nullptr || *file == '\0') {
    throw std::runtime_error(
        "PLUMB_TEST_PG_URL_FILE is not set. PostgreSQL tests run on a throw-away cluster that "
        "ctest starts: run them with `ctest --test-dir build -R postgres`, or start one with "
        "`bash scripts/pg-test-cluster.sh start /tmp/pgx` and set "
        "PLUMB_TEST_PG_URL_FILE=/tmp/pgx/url.");
  }
  std::ifstream in(file);
  std::string url;
  if (!std::getline(in, url) || url.empty()) {
    throw std::runtime_error(std::string("no PostgreSQL URL in ") + file +
                             " (PLUMB_TEST_PG_URL_FILE): is the test cluster running?");
  }
  return url;
}

std::string CreateTestDatabase() {
  static std::atomic<int> counter{0};
  const std::string name =
      std::string(kPrefix) + std::to_string(getpid()) + "_" + std::to_string(counter++);
  // A crashed run with the same pid may have left one behind.
  AdminExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  AdminExec("CREATE DATABASE " + name);
  std::string url = TestClusterAdminUrl();
  const size_t start = DatabaseNameStart(url);
  return url.replace(start, url.find('?', start) - start, name);
}

void DropTestDatabase(const std::string& url) {
  if (url.empty()) return;
  const size_t start = DatabaseNameStart(url);
  const std::string name = url.substr(start, url.find('?', start) - start);
  // Only names we made (digits and '_' after the prefix) reach the SQL.
  if (!name.starts_with(kPrefix) ||
      name.find_first_not_of("0123456789_", kPrefix.size()) != std::string::npos) {
    throw std::runtime_error("not a test database: " + url);
  }
  AdminExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

}  // namespace plumb::store
