// Projects, their members, imports, the task table and export.

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <spdlog/spdlog.h>
#include <sstream>

#include "automation/automation.h"
#include "http/api_internal.h"
#include "http/request_util.h"
#include "io/io.h"

namespace plumb::http {
namespace {

using nlohmann::json;

Result<std::string> ProjectName(const json& body) {
  auto it = body.find("name");
  if (it == body.end() || !it->is_string()) {
    return Status::InvalidArgument("name is required", "name");
  }
  std::string name = it->get<std::string>();
  if (name.empty() || name.size() > 200) {
    return Status::InvalidArgument("name must be 1 to 200 bytes", "name");
  }
  return name;
}

Reply WithCounts(Ctx& ctx, const Project& project, int status) {
  auto counts = ctx.services.store->CountTasks(project.id);
  if (!counts.ok()) return ErrorReply(counts.status());
  return JsonReply(status, ProjectJson(project, *counts));
}

Reply ListProjects(Ctx& ctx) {
  std::optional<int64_t> member;
  if (!IsManager(ctx.user)) member = ctx.user.id;
  auto projects = ctx.services.store->ListProjects(member);
  if (!projects.ok()) return ErrorReply(projects.status());
  json items = json::array();
  for (const Project& p : *projects) {
    auto counts = ctx.services.store->CountTasks(p.id);
    if (!counts.ok()) return ErrorReply(counts.status());
    items.push_back(ProjectJson(p, *counts));
  }
  return JsonReply(200, {{"items", items}});
}

Reply CreateProject(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto name = ProjectName(*body);
  if (!name.ok()) return ErrorReply(name.status());
  if (!body->contains("schema")) {
    return ErrorReply(Status::InvalidArgument("schema is required", "schema"));
  }
  auto schema = ParseSchema((*body)["schema"].dump());
  if (!schema.ok()) return ErrorReply(schema.status());
  store::NewProject project{*name, SchemaToJson(*schema), {}, ctx.user.id};
  if (body->contains("settings")) {
    auto settings = ParseSettings((*body)["settings"].dump());
    if (!settings.ok()) return ErrorReply(settings.status());
    if (Status s = CheckSettingsWithSchema(*settings, *schema); !s.ok()) return ErrorReply(s);
    project.settings = *settings;
  }
  auto created = ctx.services.store->CreateProject(project, ctx.services.clock->NowMs());
  if (!created.ok()) return ErrorReply(created.status());
  Audit(ctx, "project.create", created->id, created->name);
  AfterSettingsChange(ctx, std::nullopt, *created);
  return WithCounts(ctx, *created, 201);
}

Reply GetProject(Ctx& ctx) {
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  return WithCounts(ctx, *project, 200);
}

Reply PatchProject(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  store::ProjectUpdate update;
  std::optional<Schema> new_schema;
  if (body->contains("name")) {
    auto name = ProjectName(*body);
    if (!name.ok()) return ErrorReply(name.status());
    update.name = *name;
  }
  if (body->contains("schema")) {
    auto schema = ParseSchema((*body)["schema"].dump());
    if (!schema.ok()) return ErrorReply(schema.status());
    update.schema_json = SchemaToJson(*schema);
    new_schema = *schema;
  }
  if (body->contains("settings")) {
    auto settings = ParseSettings((*body)["settings"].dump(), project->settings);
    if (!settings.ok()) return ErrorReply(settings.status());
    if (Status s = CheckTrainingSettings(ctx, *project, *settings); !s.ok()) return ErrorReply(s);
    update.settings = *settings;
  }
  if (update.settings || new_schema) {
    // The settings that name controls must still fit the schema they end with.
    if (!new_schema) {
      auto stored = ParseSchema(project->schema_json);
      if (!stored.ok()) return ErrorReply(stored.status());
      new_schema = *stored;
    }
    if (Status s =
            CheckSettingsWithSchema(update.settings.value_or(project->settings), *new_schema);
        !s.ok()) {
      return ErrorReply(s);
    }
  }
  auto updated = ctx.services.store->UpdateProject(project->id, update);
  if (!updated.ok()) return ErrorReply(updated.status());
  AfterSettingsChange(ctx, *project, *updated);
  nlohmann::json changed = nlohmann::json::array();
  if (update.name) changed.push_back("name");
  if (update.schema_json) changed.push_back("schema");
  if (update.settings) changed.push_back("settings");
  Audit(ctx, "project.update", updated->id, updated->name, {{"changed", changed}});
  return WithCounts(ctx, *updated, 200);
}

Reply DeleteProject(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  if (Status s = ctx.services.store->DeleteProject(project->id); !s.ok()) return ErrorReply(s);
  Audit(ctx, "project.delete", project->id, project->name);
  return NoContent();
}

Reply AddMember(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto it = body->find("user_id");
  if (it == body->end() || !it->is_number_integer()) {
    return ErrorReply(Status::InvalidArgument("user_id must be an integer", "user_id"));
  }
  auto user = ctx.services.store->GetUser(it->get<int64_t>());
  if (!user.ok()) return ErrorReply(user.status());
  if (Status s = ctx.services.store->AddMember(project->id, user->id); !s.ok()) {
    return ErrorReply(s);
  }
  Audit(ctx, "member.add", project->id, user->username, {{"user_id", user->id}});
  return NoContent();
}

Reply ListMembers(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  auto members = ctx.services.store->ListMembers(project->id);
  if (!members.ok()) return ErrorReply(members.status());
  json items = json::array();
  for (const User& u : *members) items.push_back(UserJson(u));
  return JsonReply(200, {{"items", items}});
}

Reply Progress(Ctx& ctx) {
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  auto progress = ctx.services.store->GetProgress(project->id, ctx.user.id);
  if (!progress.ok()) return ErrorReply(progress.status());
  return JsonReply(
      200, {{"total", progress->total}, {"done", progress->done}, {"mine", progress->mine}});
}

Reply ImportTasks(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  // ?format= names any format (the label formats need it); without it the
  // Content-Type picks one of the task formats.
  std::optional<io::ImportFormat> format;
  if (auto name = ctx.req.Query("format"); name && !name->empty()) {
    format = io::ParseImportFormat(*name);
    if (!format) {
      return ErrorReply(Status::InvalidArgument(
          "format must be json, jsonl, csv, coco, yolo, voc, conll, spacy or label_studio",
          "format"));
    }
  } else {
    format = io::ImportFormatFromContentType(ctx.req.Header("content-type"));
  }
  if (!format) {
    return ErrorReply(Status::UnsupportedMediaType(
        "import needs Content-Type application/json, application/x-ndjson or text/csv, or "
        "?format="));
  }
  // The server streams uploads to a file; callers without sockets (tests)
  // pass the body in memory.
  std::ifstream file;
  std::istringstream memory;
  std::istream* in = &memory;
  if (!ctx.req.body_file.empty()) {
    file.open(ctx.req.body_file, std::ios::binary);
    if (!file) return ErrorReply(Status::Internal("cannot read the uploaded body"));
    in = &file;
  } else {
    memory.str(ctx.req.body);
  }
  auto imported = io::ImportFile(*ctx.services.store, *project, *format, *in, ctx.user.id,
                                 ctx.services.clock->NowMs());
  if (!imported.ok()) return ErrorReply(imported.status());
  if (ctx.services.ml_runner != nullptr && imported->tasks > 0) {
    // Queues the on-import prediction jobs; the import is done either way.
    Status queued = ctx.services.ml_runner->OnTasksImported(
        project->id, ctx.user.id, imported->ids_after + 1, imported->tasks);
    if (!queued.ok()) spdlog::warn("ml: queueing import predictions: {}", queued.ToString());
  }
  Audit(ctx, "import", project->id,
        ctx.req.Query("format").value_or(ctx.req.Header("content-type")),
        {{"tasks", imported->tasks},
         {"annotations", imported->annotations},
         {"predictions", imported->predictions}});
  return JsonReply(201, {{"imported", imported->tasks},
                         {"annotations", imported->annotations},
                         {"predictions", imported->predictions},
                         {"dropped_annotations", imported->dropped_annotations}});
}

// Cursors are opaque to clients; today they carry the last id of the page.
std::string EncodeCursor(int64_t after_id) { return "a" + std::to_string(after_id); }

Result<int64_t> DecodeCursor(const std::optional<std::string>& cursor) {
  if (!cursor || cursor->empty()) return int64_t{0};
  int64_t v = 0;
  const std::string& c = *cursor;
  auto [ptr, ec] = std::from_chars(c.data() + 1, c.data() + c.size(), v);
  if (c[0] != 'a' || ec != std::errc() || ptr != c.data() + c.size() || v < 0) {
    return Status::InvalidArgument("cursor is not one this server handed out", "cursor");
  }
  return v;
}

Reply ListTasks(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kReviewer); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  store::TaskQuery query;
  query.project_id = project->id;
  if (auto state = ctx.req.Query("state"); state && !state->empty()) {
    query.state = ParseTaskState(*state);
    if (!query.state) {
      return ErrorReply(Status::InvalidArgument(
          "state must be new, annotating, reviewing, adjudicating or done", "state"));
    }
  }
  auto batch = QueryInt(ctx.req, "batch", 1, INT64_MAX);
  if (!batch.ok()) return ErrorReply(batch.status());
  query.batch_id = *batch;
  auto annotator = QueryInt(ctx.req, "annotator", 1, INT64_MAX);
  if (!annotator.ok()) return ErrorReply(annotator.status());
  query.annotator_id = *annotator;
  auto limit = QueryInt(ctx.req, "limit", 1, 1000);
  if (!limit.ok()) return ErrorReply(limit.status());
  query.limit = static_cast<int32_t>(limit->value_or(50));
  auto after = DecodeCursor(ctx.req.Query("cursor"));
  if (!after.ok()) return ErrorReply(after.status());
  query.after_id = *after;

  auto page = ctx.services.store->ListTasks(query);
  if (!page.ok()) return ErrorReply(page.status());
  auto total = ctx.services.store->CountMatchingTasks(query);
  if (!total.ok()) return ErrorReply(total.status());
  std::vector<int64_t> ids;
  for (const Task& t : page->items) ids.push_back(t.id);
  auto revisions = ctx.services.store->CurrentRevisions(ids);
  if (!revisions.ok()) return ErrorReply(revisions.status());

  const TaskView view = ViewFor(ctx, *project);
  json items = json::array();
  size_t r = 0;
  for (const Task& t : page->items) {
    std::vector<Revision> current;
    for (; r < revisions->size() && (*revisions)[r].task_id == t.id; ++r) {
      current.push_back(std::move((*revisions)[r]));
    }
    items.push_back(TaskJson(t, current, view));
  }
  json next = page->next_after_id ? json(EncodeCursor(*page->next_after_id)) : json(nullptr);
  return JsonReply(200, {{"items", items}, {"next_cursor", next}, {"total", *total}});
}

Reply Export(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  auto format = io::ParseExportFormat(ctx.req.Query("format").value_or("json"));
  if (!format) {
    return ErrorReply(Status::InvalidArgument(
        "format must be json, jsonl, csv, coco, yolo, voc, conll, spacy or label_studio",
        "format"));
  }
  // The export is written to a temporary file and streamed from there, so a
  // large project never sits in memory and the reply has a known length.
  auto tmp = MakeTempFile(ctx.services.temp_dir, "export");
  if (!tmp.ok()) return ErrorReply(tmp.status());
  const std::string& path = *tmp;
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    Status s = io::ExportTasks(*ctx.services.store, *project, *format, out);
    out.flush();
    if (s.ok() && !out) s = Status::Internal("cannot write the export");
    if (!s.ok()) {
      ::unlink(path.c_str());
      return ErrorReply(s);
    }
  }
  Reply reply;
  reply.content_type = io::ExportContentType(*format);
  reply.file = path;
  reply.delete_file = true;
  reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"project-" +
                                                        std::to_string(project->id) + "." +
                                                        io::ExportFileExtension(*format) + "\"");
  return reply;
}

}  // namespace

std::vector<Route> ProjectRoutes() {
  return {
      {"GET", "/api/v1/projects", Access::kSignedIn, ListProjects},
      {"POST", "/api/v1/projects", Access::kSignedIn, CreateProject},
      {"GET", "/api/v1/projects/{id}", Access::kSignedIn, GetProject},
      {"PATCH", "/api/v1/projects/{id}", Access::kSignedIn, PatchProject},
      {"DELETE", "/api/v1/projects/{id}", Access::kSignedIn, DeleteProject},
      {"POST", "/api/v1/projects/{id}/members", Access::kSignedIn, AddMember},
      {"GET", "/api/v1/projects/{id}/members", Access::kSignedIn, ListMembers},
      {"GET", "/api/v1/projects/{id}/progress", Access::kSignedIn, Progress},
      {"POST", kImportRoute, Access::kSignedIn, ImportTasks},
      {"GET", "/api/v1/projects/{id}/tasks", Access::kSignedIn, ListTasks},
      {"GET", "/api/v1/projects/{id}/export", Access::kSignedIn, Export},
  };
}

}  // namespace plumb::http
