#include "cli/commands.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "automation/automation.h"
#include "cli/store_delivery_queue.h"
#include "io/bakeoff_io.h"
#include "io/io.h"
#include "workflow/workflow.h"
#include "workflow/bakeoff.h"

namespace plumb::cli {
namespace {

// A --db value fit to print: a URL's password becomes "***".
std::string Displayed(const std::string& location) {
  if (!store::IsPostgresUrl(location)) return location;
  size_t start = location.find("://") + 3;
  size_t at = location.find('@', start);
  if (at == std::string::npos || location.find('/', start) < at) return location;
  size_t colon = location.find(':', start);
  if (colon == std::string::npos || colon > at) return location;
  return location.substr(0, colon + 1) + "***" + location.substr(at);
}

constexpr const char* kFormatNames =
    "json, jsonl, csv, coco, yolo, voc, conll, spacy or label_studio";

int Fail(const Status& status) {
  std::fprintf(stderr, "plumb: %s\n", status.ToString().c_str());
  return 1;
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot open " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status SplitListen(const std::string& listen, std::string& host, uint16_t& port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return Status::InvalidArgument("--listen must be HOST:PORT");
  host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  try {
    int p = std::stoi(listen.substr(colon + 1));
    if (p < 0 || p > 65535) throw std::out_of_range("port");
    port = static_cast<uint16_t>(p);
  } catch (const std::exception&) {
    return Status::InvalidArgument("--listen port must be 0 to 65535");
  }
  return Status::Ok();
}

Result<User> CreateUserWithPassword(store::Store& store, const std::string& username,
                                    const std::string& password, Role role) {
  PLUMB_ASSIGN_OR_RETURN(std::string hash, http::HashPassword(password));
  return store.CreateUser(username, hash, role, SystemClock().NowMs());
}

}  // namespace

Result<std::unique_ptr<store::Store>> OpenStore(const std::string& db) {
  if (db.empty()) return Status::InvalidArgument("--db is required");
  return store::OpenStore(db);
}

int Serve(const ServeOptions& options) {
  http::ServerOptions server = options.server;
  if (Status s = SplitListen(options.listen, server.listen_address, server.port); !s.ok()) {
    return Fail(s);
  }
  auto store = OpenStore(options.db);
  if (!store.ok()) return Fail(store.status());
  SystemClock clock;
  http::Services services;
  services.store = store->get();
  services.clock = &clock;
  services.web_root = options.web_root;
  services.media_root = options.media_root;
  services.metrics = http::NewMetrics();
  services.analytics_cache = http::NewAnalyticsCache();
  services.secure_cookies = options.secure_cookies;
  if (!options.web_root.empty() && !FileExists(options.web_root + "/index.html")) {
    spdlog::warn("no UI at {} (run `make build` to build it)", options.web_root);
  }
  // Webhooks and batch callbacks go out from this process while it serves;
  // several servers on one database share the work (claims hold a delivery).
  StoreDeliveryQueue deliveries(**store);
  automation::WebhookDeliverer deliverer(deliveries, clock);
  services.events_written = [&deliverer] { deliverer.Wake(); };
  deliverer.Start();
  // Prediction jobs, backend health checks and train calls (docs/automation.md)
  // run on the runner's threads; jobs are claimed from the store, so several
  // servers share them.
  workflow::Queue ml_queue(**store, clock);
  automation::PredictionRunner ml_runner(**store, ml_queue, clock);
  services.ml_runner = &ml_runner;
  ml_runner.Start();
  Status s = http::RunServer(server, services, [&](uint16_t port) {
    std::printf("plumb: listening on http://%s:%u\n", server.listen_address.c_str(), port);
    std::fflush(stdout);
  });
  // In-flight sends finish (within their timeout); claimed ones not yet sent
  // are picked up again once their hold expires.
  deliverer.Stop();
  ml_runner.Stop();
  if (!s.ok()) return Fail(s);
  std::printf("plumb: stopped\n");
  return 0;
}

int Init(const std::string& db, const std::string& admin_name) {
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto users = (*store)->CountUsers();
  if (!users.ok()) return Fail(users.status());
  if (*users > 0) {
    std::printf("plumb: %s already has users; nothing to do\n", Displayed(db).c_str());
    return 0;
  }
  const char* env = std::getenv("PLUMB_ADMIN_PASSWORD");
  std::string password = env ? env : "";
  bool generated = password.empty();
  if (generated) password = http::NewSecret().substr(0, 20);
  if (password.size() < 8) return Fail(Status::InvalidArgument("PLUMB_ADMIN_PASSWORD needs 8+ characters"));
  auto admin = CreateUserWithPassword(**store, admin_name, password, Role::kAdmin);
  if (!admin.ok()) return Fail(admin.status());
  std::printf("plumb: created %s with admin user '%s'\n", Displayed(db).c_str(), admin_name.c_str());
  if (generated) std::printf("plumb: admin password (shown once): %s\n", password.c_str());
  return 0;
}

int AddUser(const std::string& db, const std::string& username, const std::string& role_name,
            const std::string& password) {
  auto role = ParseRole(role_name);
  if (!role) return Fail(Status::InvalidArgument("role must be admin, manager, reviewer or annotator"));
  if (password.size() < 8) return Fail(Status::InvalidArgument("set PLUMB_PASSWORD (8+ characters)"));
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto user = CreateUserWithPassword(**store, username, password, *role);
  if (!user.ok()) return Fail(user.status());
  std::printf("plumb: user %s (%s) has id %lld\n", username.c_str(), role_name.c_str(),
              static_cast<long long>(user->id));
  return 0;
}

int Import(const std::string& db, int64_t project_id, const std::string& file,
           const std::string& format_name, const std::string& as_user) {
  std::optional<io::ImportFormat> format =
      format_name.empty() ? io::ImportFormatFromPath(file) : io::ParseImportFormat(format_name);
  if (!format) return Fail(Status::InvalidArgument(std::string("format must be ") + kFormatNames));
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto project = (*store)->GetProject(project_id);
  if (!project.ok()) return Fail(project.status());
  // Imported labels need an author: the named user, else the project's creator.
  int64_t user_id = project->created_by;
  if (!as_user.empty()) {
    auto user = (*store)->FindUserByName(as_user);
    if (!user.ok()) return Fail(user.status());
    user_id = user->user.id;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(Status::NotFound("cannot open " + file));
  auto imported = io::ImportFile(**store, *project, *format, in, user_id, SystemClock().NowMs());
  if (!imported.ok()) return Fail(imported.status());
  std::printf("plumb: imported %lld tasks (%lld annotations, %lld predictions) into project %lld\n",
              static_cast<long long>(imported->tasks),
              static_cast<long long>(imported->annotations),
              static_cast<long long>(imported->predictions), static_cast<long long>(project_id));
  if (imported->dropped_annotations > 0) {
    std::printf("plumb: %lld annotations past the first of their task were left out\n",
                static_cast<long long>(imported->dropped_annotations));
  }
  return 0;
}

int Export(const std::string& db, int64_t project_id, const std::string& format_name,
           const std::string& out_path, const std::string& version_name) {
  auto format = io::ParseExportFormat(format_name);
  if (!format) return Fail(Status::InvalidArgument(std::string("format must be ") + kFormatNames));
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  auto project = (*store)->GetProject(project_id);
  if (!project.ok()) return Fail(project.status());
  std::optional<store::DatasetVersion> version;
  if (!version_name.empty()) {
    auto found = (*store)->GetDatasetVersion(project_id, version_name);
    if (!found.ok()) return Fail(found.status());
    version = std::move(found).value();
  }
  std::ofstream file;
  std::ostream* out = &std::cout;
  if (out_path != "-") {
    file.open(out_path, std::ios::binary | std::ios::trunc);
    if (!file) return Fail(Status::Internal("cannot write " + out_path));
    out = &file;
  }
  Status s = version ? io::ExportVersion(**store, *project, *version, *format, *out)
                     : io::ExportTasks(**store, *project, *format, *out);
  out->flush();
  if (s.ok() && !*out) s = Status::Internal("cannot write the export");
  return s.ok() ? 0 : Fail(s);
}

int Demo(const std::string& db, const std::string& demo_dir) {
  auto store = OpenStore(db);
  if (!store.ok()) return Fail(store.status());
  store::Store& st = **store;
  // A database from an earlier demo keeps its users and projects and gains the
  // demo projects it lacks (by name), so `make run` shows new ones.
  User manager;
  User annotator;
  if (auto found = st.FindUserByName("annotator"); found.ok()) {
    annotator = found->user;
    auto found_manager = st.FindUserByName("manager");
    if (!found_manager.ok()) return Fail(found_manager.status());
    manager = found_manager->user;
  } else {
    auto created_manager = CreateUserWithPassword(st, "manager", "manager-pass-1", Role::kManager);
    if (!created_manager.ok()) return Fail(created_manager.status());
    auto created = CreateUserWithPassword(st, "annotator", "annotator-pass-1", Role::kAnnotator);
    if (!created.ok()) return Fail(created.status());
    manager = *created_manager;
    annotator = *created;
  }
  auto present = st.ListProjects(std::nullopt);
  if (!present.ok()) return Fail(present.status());

  struct DemoProject {
    const char* name;
    const char* schema_file;
    const char* data_file;
  };
  // One project per modality; the files are in demo/ (see demo/README.md).
  const DemoProject projects[] = {{"Shapes", "images.schema.json", "images.jsonl"},
                                  {"Reviews", "reviews.schema.json", "reviews.jsonl"},
                                  {"Shapes — boxes", "shapes-boxes.schema.json", "images.jsonl"},
                                  {"Entities", "entities.schema.json", "entities.jsonl"},
                                  {"Captions", "captions.schema.json", "images.jsonl"},
                                  {"Video", "video.schema.json", "video.jsonl"},
                                  {"Audio", "audio.schema.json", "audio.jsonl"}};
  int created = 0;
  for (const DemoProject& p : projects) {
    bool exists = std::any_of(present->begin(), present->end(),
                              [&](const Project& project) { return project.name == p.name; });
    if (exists) continue;
    auto schema_text = ReadFile(demo_dir + "/" + p.schema_file);
    if (!schema_text.ok()) return Fail(schema_text.status());
    auto schema = ParseSchema(*schema_text);
    if (!schema.ok()) return Fail(schema.status());
    auto project =
        st.CreateProject({p.name, SchemaToJson(*schema), {}, manager.id}, SystemClock().NowMs());
    if (!project.ok()) return Fail(project.status());
    std::ifstream in(demo_dir + "/" + p.data_file, std::ios::binary);
    if (!in) return Fail(Status::NotFound("cannot open " + demo_dir + "/" + p.data_file));
    auto imported =
        io::ImportTasks(st, *project, io::ImportFormat::kJsonLines, in, SystemClock().NowMs());
    if (!imported.ok()) return Fail(imported.status());
    if (Status s = st.AddMember(project->id, annotator.id); !s.ok()) return Fail(s);
    std::printf("plumb: demo project '%s' with %lld tasks\n", p.name,
                static_cast<long long>(*imported));
    ++created;
  }
  if (created == 0) std::printf("plumb: the demo is already in %s\n", Displayed(db).c_str());
  std::printf("plumb: demo logins: annotator / annotator-pass-1, manager / manager-pass-1\n");
  return 0;
}

namespace {

// Rows per table, in dump order.
using TableCounts = std::vector<std::pair<std::string, int64_t>>;

void CountRow(TableCounts& counts, std::string_view table) {
  if (counts.empty() || counts.back().first != table) counts.emplace_back(table, 0);
  ++counts.back().second;
}

Result<TableCounts> CountRows(store::Store& store) {
  TableCounts counts;
  PLUMB_RETURN_IF_ERROR(store.DumpTables(
      [&](std::string_view table, const std::vector<std::string>&,
          const std::vector<std::optional<std::string>>&) {
        CountRow(counts, table);
        return Status::Ok();
      }));
  return counts;
}

}  // namespace

int Migrate(const std::string& from, const std::string& to) {
  if (from == to) return Fail(Status::InvalidArgument("--from and --to name the same database"));
  // Opening a SQLite path creates the file: a mistyped source would silently
  // become an empty database and "migrate" nothing.
  if (!store::IsPostgresUrl(from)) {
    std::string path = from.rfind("sqlite:", 0) == 0 ? from.substr(7) : from;
    if (!FileExists(path)) return Fail(Status::NotFound("no database at " + path));
  }
  auto source = OpenStore(from);
  if (!source.ok()) return Fail(source.status());
  auto target = OpenStore(to);
  if (!target.ok()) return Fail(target.status());
  auto loader = (*target)->BeginLoad();
  if (!loader.ok()) return Fail(loader.status());

  TableCounts copied;
  Status s = (*source)->DumpTables(
      [&](std::string_view table, const std::vector<std::string>& columns,
          const std::vector<std::optional<std::string>>& values) {
        CountRow(copied, table);
        return (*loader)->Add(table, columns, values);
      });
  if (s.ok()) s = (*loader)->Commit();
  if (!s.ok()) return Fail(s);
  loader->reset();

  auto landed = CountRows(**target);
  if (!landed.ok()) return Fail(landed.status());
  if (*landed != copied) {
    return Fail(Status::Internal("the target's row counts differ from the source's after copying"));
  }
  for (const auto& [table, rows] : copied) {
    std::printf("plumb: %-16s %lld rows\n", table.c_str(), static_cast<long long>(rows));
  }
  std::printf("plumb: copied %s to %s\n", Displayed(from).c_str(), Displayed(to).c_str());
  return 0;
}

namespace {

std::string Cell(const nlohmann::json& v, int digits) {
  if (!v.is_number()) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v.get<double>());
  return buf;
}

// The ranking as a plain table, for a terminal.
std::string RankingText(const nlohmann::json& report) {
  std::ostringstream out;
  const nlohmann::json& b = report["bakeoff"];
  out << "Bake-off " << b["id"] << " " << b["name"].get<std::string>() << " ("
      << b["state"].get<std::string>() << "), golden set "
      << b["golden_set"]["name"].get<std::string>() << " v" << b["golden_set"]["version"] << ", "
      << b["golden_set"]["tasks"] << " tasks\n";
  const nlohmann::json& w = report["weights"];
  out << "weights: accuracy " << w["accuracy"] << ", speed " << w["speed"] << ", cost " << w["cost"]
      << "\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-4s %-24s %-9s %-6s %-22s %-7s %-12s %-10s\n", "rank",
                "candidate", "kind", "score", "accuracy [95% CI]", "labels", "turnaround h",
                "cost");
  out << line;
  for (const nlohmann::json& id : report["ranking"]) {
    for (const nlohmann::json& c : report["candidates"]) {
      if (c["id"] != id) continue;
      const nlohmann::json& acc = c["accuracy"]["score"];
      const std::string interval =
          Cell(acc["estimate"], 3) + " [" + Cell(acc["low"], 3) + ", " + Cell(acc["high"], 3) + "]";
      nlohmann::json hours;
      if (c["speed"]["turnaround_ms"].is_number()) {
        hours = c["speed"]["turnaround_ms"].get<double>() / 3.6e6;
      }
      std::snprintf(line, sizeof line, "%-4lld %-24s %-9s %-6s %-22s %-7lld %-12s %s %s\n",
                    static_cast<long long>(c["rank"].get<int64_t>()),
                    c["name"].get<std::string>().substr(0, 24).c_str(),
                    c["kind"].get<std::string>().c_str(), Cell(c["rank_score"], 3).c_str(),
                    interval.c_str(), static_cast<long long>(c["labels"].get<int64_t>()),
                    Cell(hours, 2).c_str(), Cell(c["cost"]["total"], 2).c_str(),
                    c["cost"]["currency"].get<std::string>().c_str());
      out << line;
    }
  }
  const nlohmann::json& cmp = report["comparison"];
  if (cmp.is_object()) {
    out << "\ntop two: difference " << Cell(cmp["difference"]["estimate"], 3) << " ["
        << Cell(cmp["difference"]["low"], 3) << ", " << Cell(cmp["difference"]["high"], 3)
        << "], p = " << Cell(cmp["p_value"], 4) << ": "
        << (cmp["significant"].get<bool>() ? "significant" : "not significant") << "\n";
  }
  return out.str();
}

}  // namespace

int BakeoffReport(const BakeoffReportOptions& options) {
  if (options.format != "text" && options.format != "json" && options.format != "html") {
    return Fail(Status::InvalidArgument("format must be text, json or html"));
  }
  auto store = OpenStore(options.db);
  if (!store.ok()) return Fail(store.status());
  auto bakeoff = (*store)->GetBakeoff(options.bakeoff_id);
  if (!bakeoff.ok()) return Fail(bakeoff.status());
  auto project = (*store)->GetProject(bakeoff->project_id);
  if (!project.ok()) return Fail(project.status());
  std::optional<store::BakeoffWeights> weights;
  if (options.w_accuracy >= 0 || options.w_speed >= 0 || options.w_cost >= 0) {
    store::BakeoffWeights w = bakeoff->weights;
    for (auto [given, slot] :
         {std::pair{options.w_accuracy, &w.accuracy}, std::pair{options.w_speed, &w.speed},
          std::pair{options.w_cost, &w.cost}}) {
      if (given > 100) return Fail(Status::InvalidArgument("weights are 0 to 100"));
      if (given >= 0) *slot = given;
    }
    if (w.accuracy + w.speed + w.cost == 0) {
      return Fail(Status::InvalidArgument("at least one weight must be above 0"));
    }
    weights = w;
  }
  SystemClock clock;
  auto report = workflow::BakeoffReport(**store, *project, *bakeoff, weights, clock.NowMs());
  if (!report.ok()) return Fail(report.status());
  std::string text;
  if (options.format == "json") {
    text = report->dump(2) + "\n";
  } else if (options.format == "html") {
    text = io::RenderBakeoffHtml(*report);
  } else {
    text = RankingText(*report);
  }
  if (options.out == "-") {
    std::cout << text;
    std::cout.flush();
    return std::cout ? 0 : 1;
  }
  std::ofstream file(options.out, std::ios::binary | std::ios::trunc);
  file << text;
  file.flush();
  if (!file) return Fail(Status::Internal("cannot write " + options.out));
  return 0;
}

}  // namespace plumb::cli
