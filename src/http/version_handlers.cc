// Dataset versions, label history and the audit log (docs/datasets.md).

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

#include "http/api_internal.h"
#include "http/request_util.h"
#include "io/io.h"

namespace plumb::http {

using nlohmann::json;

void Audit(Ctx& ctx, std::string_view action, std::optional<int64_t> project_id, std::string target,
           const nlohmann::json& details) {
  store::AuditEntry entry;
  entry.at_ms = ctx.services.clock->NowMs();
  entry.user_id = ctx.user.id;
  entry.action = std::string(action);
  entry.project_id = project_id;
  entry.target = std::move(target);
  entry.details_json = details.is_object() ? details.dump() : "{}";
  auto appended = ctx.services.store->AppendAudit(entry);
  // The action is done and answered either way; a lost entry is logged.
  if (!appended.ok()) {
    spdlog::error("audit entry {} by user {} not written: {}", entry.action, entry.user_id,
                  appended.status().ToString());
  }
}

namespace {

json VersionJson(const store::DatasetVersion& v) {
  return {{"id", v.id},
          {"name", v.name},
          {"note", v.note},
          {"hash", v.hash},
          {"tasks", v.tasks},
          {"created_by", {{"id", v.created_by}, {"username", v.created_by_name}}},
          {"created_at", FormatIsoTime(v.created_at_ms)}};
}

constexpr size_t kMaxNoteBytes = 10000;

Result<Reply> CreateVersion(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) {
    return Status::InvalidArgument("name must be a string", "name");
  }
  std::string note;
  if (auto it = body.find("note"); it != body.end() && !it->is_null()) {
    if (!it->is_string() || it->get_ref<const std::string&>().size() > kMaxNoteBytes) {
      return Status::InvalidArgument("note must be a string of at most 10000 bytes", "note");
    }
    note = it->get<std::string>();
  }
  PLUMB_ASSIGN_OR_RETURN(
      store::DatasetVersion version,
      ctx.services.store->CreateDatasetVersion(project.id, name->get<std::string>(), note,
                                               ctx.user.id, ctx.services.clock->NowMs()));
  Audit(ctx, "version.create", project.id, version.name,
        {{"version_id", version.id}, {"hash", version.hash}, {"tasks", version.tasks}});
  return JsonReply(201, VersionJson(version));
}

Result<Reply> ListVersions(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto versions, ctx.services.store->ListDatasetVersions(project.id));
  json items = json::array();
  for (const store::DatasetVersion& v : versions) items.push_back(VersionJson(v));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> GetVersion(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::DatasetVersion version,
                         ctx.services.store->GetDatasetVersion(project.id, ctx.names[0]));
  return JsonReply(200, VersionJson(version));
}

Result<Reply> ExportVersion(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  auto format = io::ParseExportFormat(ctx.req.Query("format").value_or("json"));
  if (!format || (*format != io::ExportFormat::kJson && *format != io::ExportFormat::kJsonLines &&
                  *format != io::ExportFormat::kCsv)) {
    return Status::InvalidArgument("format must be json, jsonl or csv", "format");
  }
  PLUMB_ASSIGN_OR_RETURN(store::DatasetVersion version,
                         ctx.services.store->GetDatasetVersion(project.id, ctx.names[0]));
  // Spooled to a file like the project export: bounded memory, known length.
  PLUMB_ASSIGN_OR_RETURN(std::string path, MakeTempFile(ctx.services.temp_dir, "version"));
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    Status s = io::ExportVersion(*ctx.services.store, project, version, *format, out);
    out.flush();
    if (s.ok() && !out) s = Status::Internal("cannot write the export");
    if (!s.ok()) {
      ::unlink(path.c_str());
      return s;
    }
  }
  Reply reply;
  reply.content_type = io::ExportContentType(*format);
  reply.file = path;
  reply.delete_file = true;
  reply.headers.emplace_back("Content-Disposition",
                             "attachment; filename=\"project-" + std::to_string(project.id) + "-" +
                                 version.name + "." + io::ExportFileExtension(*format) + "\"");
  return reply;
}

Result<Reply> DiffVersions(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  auto from_name = ctx.req.Query("from");
  auto to_name = ctx.req.Query("to");
  if (!from_name || from_name->empty()) return Status::InvalidArgument("from is required", "from");
  if (!to_name || to_name->empty()) return Status::InvalidArgument("to is required", "to");
  PLUMB_ASSIGN_OR_RETURN(store::DatasetVersion from,
                         ctx.services.store->GetDatasetVersion(project.id, *from_name));
  PLUMB_ASSIGN_OR_RETURN(store::DatasetVersion to,
                         ctx.services.store->GetDatasetVersion(project.id, *to_name));
  PLUMB_ASSIGN_OR_RETURN(store::VersionDiff d, ctx.services.store->DiffVersions(from.id, to.id));
  json classes = json::array();
  for (const store::VersionDiff::ClassCount& c : d.classes) {
    classes.push_back({{"class", c.name}, {"added", c.added}, {"removed", c.removed}});
  }
  return JsonReply(
      200,
      {{"from", from.name},
       {"to", to.name},
       {"added", d.added},
       {"removed", d.removed},
       {"relabeled", d.relabeled},
       {"unchanged", d.unchanged},
       {"classes", classes},
       {"tasks",
        {{"added", d.added_ids}, {"removed", d.removed_ids}, {"relabeled", d.relabeled_ids}}}});
}

const char* DecisionName(store::Store::Decision d) {
  switch (d) {
    case store::Store::Decision::kAccept:
      return "accept";
    case store::Store::Decision::kReject:
      return "reject";
    case store::Store::Decision::kFix:
      return "fix";
    case store::Store::Decision::kResolve:
      return "resolve";
    case store::Store::Decision::kInstructionsRework:
      return "instructions_rework";
  }
  return "accept";
}

// Why a revision was made (docs/datasets.md, "Label history"). `previous`:
// the annotation's revision before it, if any.
json ReasonOf(const Revision& rev, const Revision* previous,
              const std::vector<store::Store::ReviewNote>& reviews) {
  if (rev.source == RevisionSource::kReviewFix) return {{"reason", "review_fix"}};
  if (rev.source == RevisionSource::kAdjudication) return {{"reason", "adjudication"}};
  if (previous == nullptr) return {{"reason", "first"}};
  if (rev.source == RevisionSource::kHuman) {
    // The newest reject before this revision, if it came after the previous
    // one: the annotator reworked the task it sent back.
    const store::Store::ReviewNote* reject = nullptr;
    for (const store::Store::ReviewNote& r : reviews) {
      if (r.created_at_ms > rev.created_at_ms) break;
      if (r.decision == store::Store::Decision::kReject ||
          r.decision == store::Store::Decision::kInstructionsRework) {
        reject = &r;
      }
    }
    if (reject != nullptr && reject->created_at_ms >= previous->created_at_ms) {
      const bool instructions = reject->decision == store::Store::Decision::kInstructionsRework;
      return {{"reason", instructions ? "instructions" : "rework"}, {"comment", reject->comment}};
    }
  }
  return {{"reason", "edit"}};
}

Result<Reply> TaskHistory(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(auto task_and_project, LoadTask(ctx, ctx.ids[0]));
  const Task& task = task_and_project.first;
  store::Store& store = *ctx.services.store;
  PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> revisions,
                         store.ListRevisions(task.id, std::nullopt));
  PLUMB_ASSIGN_OR_RETURN(auto reviews, store.ListReviews(task.id));
  PLUMB_ASSIGN_OR_RETURN(auto finals, store.FinalLabels({task.id}));
  json items = json::array();
  std::map<int64_t, const Revision*> last_of_annotation;
  for (const Revision& rev : revisions) {
    auto it = last_of_annotation.find(rev.annotation_id);
    const Revision* previous = it == last_of_annotation.end() ? nullptr : it->second;
    json item = {{"revision", rev.revision},
                 {"revision_id", rev.id},
                 {"annotation_id", rev.annotation_id},
                 {"annotator", {{"id", rev.user_id}, {"username", rev.username}}},
                 {"created_at", FormatIsoTime(rev.created_at_ms)},
                 {"source", RevisionSourceName(rev.source)},
                 {"instructions_version", rev.instructions_version},
                 {"result", ParseStored(rev.result_json)}};
    json reason = ReasonOf(rev, previous, reviews);
    item["reason"] = reason["reason"];
    item["comment"] = reason.contains("comment") ? reason["comment"] : json(nullptr);
    items.push_back(std::move(item));
    last_of_annotation[rev.annotation_id] = &rev;
  }
  json review_items = json::array();
  for (const store::Store::ReviewNote& r : reviews) {
    review_items.push_back({{"reviewer", {{"id", r.reviewer_id}, {"username", r.reviewer}}},
                            {"decision", DecisionName(r.decision)},
                            {"comment", r.comment},
                            {"created_at", FormatIsoTime(r.created_at_ms)}});
  }
  json final_label = nullptr;
  if (!finals.empty()) {
    const FinalLabel& f = finals.front();
    final_label = {{"result", ParseStored(f.result_json)},
                   {"method", f.method},
                   {"decided_by", f.decided_by ? json(*f.decided_by) : json(nullptr)},
                   {"updated_at", FormatIsoTime(f.updated_at_ms)}};
  }
  return JsonReply(
      200,
      {{"task_id", task.id}, {"items", items}, {"reviews", review_items}, {"final", final_label}});
}

// Audit cursors are opaque to clients; today "b" and the last id of the page.
Result<std::optional<int64_t>> DecodeAuditCursor(const std::optional<std::string>& cursor) {
  if (!cursor || cursor->empty()) return std::optional<int64_t>();
  int64_t v = 0;
  const std::string& c = *cursor;
  auto [ptr, ec] = std::from_chars(c.data() + 1, c.data() + c.size(), v);
  if (c[0] != 'b' || ec != std::errc() || ptr != c.data() + c.size() || v < 1) {
    return Status::InvalidArgument("cursor is not one this server handed out", "cursor");
  }
  return std::optional<int64_t>(v);
}

Result<Reply> ListAudit(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  store::AuditQuery query;
  PLUMB_ASSIGN_OR_RETURN(query.project_id, QueryInt(ctx.req, "project", 1, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(auto limit, QueryInt(ctx.req, "limit", 1, 1000));
  query.limit = static_cast<int32_t>(limit.value_or(100));
  PLUMB_ASSIGN_OR_RETURN(query.before_id, DecodeAuditCursor(ctx.req.Query("cursor")));
  // Managers see every project, so all entries that name one; entries about
  // users, tokens and workforces are the admins'.
  query.projects_only = ctx.user.role != Role::kAdmin;
  PLUMB_ASSIGN_OR_RETURN(store::AuditPage page, ctx.services.store->ListAudit(query));
  json items = json::array();
  for (const store::AuditEntry& e : page.items) {
    items.push_back({{"id", e.id},
                     {"at", FormatIsoTime(e.at_ms)},
                     {"user", {{"id", e.user_id}, {"username", e.username}}},
                     {"action", e.action},
                     {"project_id", e.project_id ? json(*e.project_id) : json(nullptr)},
                     {"target", e.target},
                     {"details", ParseStored(e.details_json)}});
  }
  json next =
      page.next_before_id ? json("b" + std::to_string(*page.next_before_id)) : json(nullptr);
  return JsonReply(200, {{"items", items}, {"next_cursor", next}});
}

}  // namespace

std::vector<Route> VersionRoutes() {
  return {
      {"POST", "/api/v1/projects/{id}/versions", Access::kSignedIn, Handle<CreateVersion>},
      {"GET", "/api/v1/projects/{id}/versions", Access::kSignedIn, Handle<ListVersions>},
      // Before {name}: "diff" is not a version name (CheckVersionName).
      {"GET", "/api/v1/projects/{id}/versions/diff", Access::kSignedIn, Handle<DiffVersions>},
      {"GET", "/api/v1/projects/{id}/versions/{name}", Access::kSignedIn, Handle<GetVersion>},
      {"GET", "/api/v1/projects/{id}/versions/{name}/export", Access::kSignedIn,
       Handle<ExportVersion>},
      {"GET", "/api/v1/tasks/{id}/history", Access::kSignedIn, Handle<TaskHistory>},
      {"GET", "/api/v1/audit", Access::kSignedIn, Handle<ListAudit>},
  };
}

}  // namespace plumb::http
