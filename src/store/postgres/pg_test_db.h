#pragma once
// Throw-away PostgreSQL databases for tests, on the cluster that ctest starts
// for tests registered with plumb_add_test(... POSTGRES ...) (fixture
// "postgres" in the root CMakeLists.txt). The file named by the environment
// variable PLUMB_TEST_PG_URL_FILE holds the cluster's admin URL.
//
// Both functions throw std::runtime_error, with a message that says what to
// do, when there is no cluster to use: GoogleTest reports that as the
// failure of the test that called them. Thread-safe.

#include <string>

namespace plumb::store {

// Creates an empty database plumb_t_<pid>_<n> and returns its URL
// (postgresql://postgres@127.0.0.1:PORT/plumb_t_<pid>_<n>).
std::string CreateTestDatabase();

// Drops a database CreateTestDatabase made, closing its connections first.
// Does nothing for "" (a database that was never made).
void DropTestDatabase(const std::string& url);

// The cluster's admin URL, for tests that need to act on the server itself.
std::string TestClusterAdminUrl();

}  // namespace plumb::store
