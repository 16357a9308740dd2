#pragma once
// cli: the `plumb` command. Each subcommand is a function from its parsed
// options to an exit code; main.cc only wires CLI11 to them.

#include <cstdint>
#include <memory>
#include <string>

#include "core/core.h"
#include "http/http.h"
#include "store/store.h"

namespace plumb::cli {

// Opens the database named by --db: a SQLite file (PATH or sqlite:PATH) or a
// PostgreSQL URL (postgresql://...).
Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db);

struct ServeOptions {
  std::string db;
  std::string listen = "127.0.0.1:8080";
  std::string web_root;
  std::string media_root;
  http::ServerOptions server;
  bool secure_cookies = false;
};
int Serve(const ServeOptions& options);

// Creates the database and the admin user (password from PLUMB_ADMIN_PASSWORD,
// else generated and printed once).
int Init(const std::string& db, const std::string& admin_name);

int AddUser(const std::string& db, const std::string& username, const std::string& role,
            const std::string& password);

// Imports a file in any format (io::ParseImportFormat's names; by extension
// for json, jsonl and csv when `format` is ""). Labels it carries become
// annotations by `as_user` (a username), or by the project's creator when "".
int Import(const std::string& db, int64_t project_id, const std::string& file,
           const std::string& format, const std::string& as_user);
// Exports the project's tasks, or with a non-empty `version` that dataset
// version's labels (docs/datasets.md: json, jsonl or csv), the same bytes as
// the API's export.
int Export(const std::string& db, int64_t project_id, const std::string& format,
           const std::string& out_path, const std::string& version = "");

// Adds the demo users (unless the database has them) and each demo project with
// the sample data in `demo_dir` that the database lacks (by name). Prints the
// demo logins.
int Demo(const std::string& db, const std::string& demo_dir);

// Copies every table of `from` into `to`, which must be empty (a new SQLite
// file, or a PostgreSQL database with no users), in one transaction; then
// checks that both hold the same number of rows in every table.
int Migrate(const std::string& from, const std::string& to);

struct BakeoffReportOptions {
  std::string db;
  int64_t bakeoff_id = 0;
  std::string format = "text";  // text (a ranking table), json or html (as the API's)
  std::string out = "-";
  // Weights in percent overriding the bake-off's; -1 keeps its own.
  int32_t w_accuracy = -1, w_speed = -1, w_cost = -1;
};
// Prints (or writes) a bake-off's report (docs/bakeoffs.md).
int BakeoffReport(const BakeoffReportOptions& options);

}  // namespace plumb::cli
