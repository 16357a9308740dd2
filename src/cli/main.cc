// The `plumb` command: wires CLI11 to the subcommands in commands.cc.

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"

namespace {
constexpr const char* kDbHelp = "database: a SQLite file (PATH or sqlite:PATH) or postgresql://...";
}  // namespace

int main(int argc, char** argv) {
  try {
    CLI::App app{"Plumb: a self-hosted ML data labeling system"};
    app.require_subcommand(1);

    plumb::cli::ServeOptions serve;
    auto* serve_cmd = app.add_subcommand("serve", "run the HTTP server");
    serve_cmd->add_option("--db", serve.db, kDbHelp)->required();
    serve_cmd->add_option("--listen", serve.listen, "address:port to listen on");
    serve_cmd->add_option("--web-root", serve.web_root, "folder of the built UI (web/dist)");
    serve_cmd->add_option("--media-root", serve.media_root, "folder served under /media/");
    serve_cmd->add_option("--workers", serve.server.worker_threads, "handler threads");
    serve_cmd->add_option("--io-threads", serve.server.io_threads, "network threads");
    serve_cmd->add_option("--max-body-bytes", serve.server.max_body_bytes,
                          "largest JSON request body");
    serve_cmd->add_option("--max-upload-bytes", serve.server.max_upload_bytes,
                          "largest import upload");
    serve_cmd->add_flag("--secure-cookies", serve.secure_cookies,
                        "mark the session cookie Secure (when served over HTTPS)");

    std::string db, admin = "admin";
    auto* init_cmd = app.add_subcommand("init", "create a database and its admin user");
    init_cmd->add_option("--db", db, kDbHelp)->required();
    init_cmd->add_option("--admin", admin, "the admin's username");

    std::string username, role = "annotator", password;
    auto* user_cmd = app.add_subcommand("user", "add a user (password from PLUMB_PASSWORD)");
    user_cmd->add_option("--db", db, kDbHelp)->required();
    user_cmd->add_option("username", username)->required();
    user_cmd->add_option("--role", role, "admin, manager, reviewer or annotator");

    int64_t project_id = 0;
    std::string file, import_format, as_user, export_format = "json", out = "-", version;
    constexpr const char* kFormats =
        "json, jsonl, csv, coco, yolo, voc, conll, spacy or label_studio (docs/formats.md)";
    auto* import_cmd = app.add_subcommand(
        "import", "import tasks, with any labels and predictions the file carries");
    import_cmd->add_option("--db", db, kDbHelp)->required();
    import_cmd->add_option("--project", project_id, "project id")->required();
    import_cmd->add_option("--format", import_format,
                           std::string(kFormats) + "; default: json, jsonl or csv by extension");
    import_cmd->add_option("--as", as_user,
                           "username that imported labels are by (default: the project's creator)");
    import_cmd->add_option("file", file)->required();

    auto* export_cmd = app.add_subcommand("export", "export a project's tasks and labels");
    export_cmd->add_option("--db", db, kDbHelp)->required();
    export_cmd->add_option("--project", project_id, "project id")->required();
    export_cmd->add_option("--format", export_format, kFormats);
    export_cmd->add_option("--out", out, "output file, - for stdout");
    export_cmd->add_option("--version", version,
                           "a dataset version's labels instead (json, jsonl or csv)");

    std::string demo_dir = "demo";
    auto* demo_cmd = app.add_subcommand("demo", "add the demo users and projects");
    demo_cmd->add_option("--db", db, kDbHelp)->required();
    demo_cmd->add_option("--demo-dir", demo_dir, "folder with the demo data");

    std::string from, to;
    auto* migrate_cmd = app.add_subcommand(
        "migrate", "copy a whole database into an empty one, e.g. from SQLite to PostgreSQL");
    migrate_cmd->add_option("--from", from, "the source database (" + std::string(kDbHelp) + ")")
        ->required();
    migrate_cmd->add_option("--to", to, "the target database, empty or new")->required();

    plumb::cli::BakeoffReportOptions bakeoff;
    auto* bakeoff_cmd = app.add_subcommand("bakeoff", "bake-offs of labeling systems");
    auto* bakeoff_report = bakeoff_cmd->add_subcommand("report", "print a bake-off's report");
    bakeoff_cmd->require_subcommand(1);
    bakeoff_report->add_option("--db", bakeoff.db, kDbHelp)->required();
    bakeoff_report->add_option("id", bakeoff.bakeoff_id, "bake-off id")->required();
    bakeoff_report->add_option("--format", bakeoff.format, "text (default), json or html");
    bakeoff_report->add_option("--out", bakeoff.out, "output file, - for stdout");
    bakeoff_report->add_option("--w-accuracy", bakeoff.w_accuracy, "accuracy weight, 0-100");
    bakeoff_report->add_option("--w-speed", bakeoff.w_speed, "speed weight, 0-100");
    bakeoff_report->add_option("--w-cost", bakeoff.w_cost, "cost weight, 0-100");

    CLI11_PARSE(app, argc, argv);
    spdlog::set_level(spdlog::level::info);

    if (*serve_cmd) return plumb::cli::Serve(serve);
    if (*init_cmd) return plumb::cli::Init(db, admin);
    if (*user_cmd) {
      const char* env = std::getenv("PLUMB_PASSWORD");
      return plumb::cli::AddUser(db, username, role, env ? env : "");
    }
    if (*import_cmd) return plumb::cli::Import(db, project_id, file, import_format, as_user);
    if (*export_cmd) return plumb::cli::Export(db, project_id, export_format, out, version);
    if (*demo_cmd) return plumb::cli::Demo(db, demo_dir);
    if (*migrate_cmd) return plumb::cli::Migrate(from, to);
    if (*bakeoff_report) return plumb::cli::BakeoffReport(bakeoff);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "plumb: %s\n", e.what());
    return 1;
  }
}
