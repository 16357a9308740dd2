// Routing and the pieces every handler shares: authentication, access
// checks, JSON helpers, the UI's static files and media.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

#include "http/analytics_internal.h"
#include "http/api_internal.h"
#include "http/metrics.h"
#include "http/request_util.h"

namespace plumb::http {
namespace {

using nlohmann::json;

bool IsHash(std::string_view segment) {
  return segment.size() == 64 && std::all_of(segment.begin(), segment.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// Matches `path` against `pattern`, collecting {id} segments as integers and
// the {name} (any one segment) and {hash} (64 lowercase hex digits) segments
// as strings.
bool MatchPattern(const char* pattern, const std::string& path, std::vector<int64_t>& ids,
                  std::vector<std::string>* names = nullptr) {
  std::string_view p = pattern, s = path;
  ids.clear();
  if (names != nullptr) names->clear();
  while (!p.empty() && !s.empty()) {
    size_t pe = p.find('/', 1), se = s.find('/', 1);
    std::string_view pseg = p.substr(0, pe), sseg = s.substr(0, se);
    if (pseg == "/{id}") {
      if (sseg.size() < 2 || sseg.size() > 19) return false;
      int64_t v = 0;
      for (char c : sseg.substr(1)) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
      }
      ids.push_back(v);
    } else if (pseg == "/{name}") {
      if (sseg.size() < 2) return false;
      if (names != nullptr) names->emplace_back(sseg.substr(1));
    } else if (pseg == "/{hash}") {
      if (!IsHash(sseg.substr(1))) return false;
      if (names != nullptr) names->emplace_back(sseg.substr(1));
    } else if (pseg != sseg) {
      return false;
    }
    p = pe == std::string_view::npos ? "" : p.substr(pe);
    s = se == std::string_view::npos ? "" : s.substr(se);
  }
  return p.empty() && s.empty();
}

const std::vector<Route>& AllRoutes() {
  static const std::vector<Route> routes = [] {
    std::vector<Route> all;
    for (auto table : {AuthRoutes, ProjectRoutes, TaskRoutes, WorkflowRoutes, WorkforceRoutes,
                       AnalyticsRoutes, TrustRoutes, VersionRoutes, InstructionsRoutes, MlRoutes,
                       BakeoffRoutes, TrainingRoutes}) {
      auto part = table();
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return routes;
}

Result<User> Authenticate(const Services& s, const Request& req) {
  const std::string& auth = req.Header("authorization");
  if (auth.rfind("Bearer ", 0) == 0) {
    return s.store->UserForApiToken(HashSecret(auth.substr(7)));
  }
  std::string cookie = CookieValue(req.Header("cookie"), "plumb_session");
  if (cookie.empty()) return Status::Unauthenticated("sign in first");
  return s.store->UserForSession(HashSecret(cookie), s.clock->NowMs());
}

const char* ContentTypeFor(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},               {".gif", "image/gif"},
      {".webp", "image/webp"},               {".json", "application/json"},
      {".ico", "image/x-icon"},              {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"}, {".wav", "audio/wav"},
      {".mp3", "audio/mpeg"},                {".mp4", "video/mp4"},
      {".webm", "video/webm"},               {".ogg", "audio/ogg"},
      {".m4a", "audio/mp4"},                 {".flac", "audio/flac"},
  };
  for (const auto& [ext, type] : kTypes) {
    size_t n = std::strlen(ext);
    if (path.size() >= n && path.compare(path.size() - n, n, ext) == 0) return type;
  }
  return "application/octet-stream";
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A file under `root` for the URL path `rel`, refusing anything that could
// climb out of it.
std::optional<Reply> ServeFile(const std::string& root, const std::string& rel) {
  if (root.empty() || rel.find("..") != std::string::npos || rel.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  std::string full = root + "/" + rel;
  if (!IsRegularFile(full)) return std::nullopt;
  Reply reply;
  reply.content_type = ContentTypeFor(full);
  reply.file = full;
  return reply;
}

// The largest byte range one reply reads into memory. A media player asks for
// "bytes=N-" and takes a shorter 206 as a part, asking again for the rest.
constexpr uint64_t kMaxRangeBytes = 8 << 20;

// Answers a Range request (RFC 9110 14.2, one range: "bytes=a-b", "bytes=a-"
// or "bytes=-n") for the file of `reply`, which browsers need to seek in
// video and audio: 206 with that part of the file, or 416 when it lies past
// the end. Anything else (several ranges, another unit) gets the whole file.
Reply RangeReply(Reply reply, const std::string& range) {
  reply.headers.emplace_back("Accept-Ranges", "bytes");
  if (range.rfind("bytes=", 0) != 0 || range.find(',') != std::string::npos) return reply;
  std::string_view spec = std::string_view(range).substr(6);
  size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return reply;
  auto number = [](std::string_view text, uint64_t& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size() && !text.empty();
  };
  struct stat st {};
  if (::stat(reply.file.c_str(), &st) != 0) return reply;
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t first = 0, last = size == 0 ? 0 : size - 1;
  std::string_view from = spec.substr(0, dash), to = spec.substr(dash + 1);
  if (from.empty()) {
    uint64_t suffix = 0;
    if (!number(to, suffix)) return reply;
    first = suffix >= size ? 0 : size - suffix;
  } else {
    if (!number(from, first)) return reply;
    if (!to.empty()) {
      uint64_t end = 0;
      if (!number(to, end) || end < first) return reply;
      last = std::min(last, end);
    }
  }
  if (size == 0 || first >= size) {
    Reply refused = ErrorReply(Status::InvalidArgument("the range lies past the end of the file"));
    refused.status = 416;
    refused.headers = reply.headers;
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(size));
    return refused;
  }
  last = std::min(last, first + kMaxRangeBytes - 1);
  std::ifstream in(reply.file, std::ios::binary);
  std::string part(last - first + 1, '\0');
  in.seekg(static_cast<std::streamoff>(first));
  in.read(part.data(), static_cast<std::streamsize>(part.size()));
  if (!in) return ErrorReply(Status::Internal("cannot read " + reply.file));
  reply.status = 206;
  reply.body = std::move(part);
  reply.file.clear();
  reply.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + "-" +
                                                  std::to_string(last) + "/" +
                                                  std::to_string(size));
  return reply;
}

Reply StaticOrNotFound(const Services& s, const Request& req) {
  if (req.method == "GET" || req.method == "HEAD") {
    if (req.path.rfind("/media/", 0) == 0) {
      // Media are task data: only signed-in users may fetch them.
      if (!Authenticate(s, req).ok()) return ErrorReply(Status::Unauthenticated("sign in first"));
      if (auto reply = ServeFile(s.media_root, req.path.substr(7))) {
        // Served media are never run as a page, whatever they contain.
        reply->headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
        return RangeReply(std::move(*reply), req.Header("range"));
      }
    } else if (req.path.rfind("/api/", 0) != 0 && !s.web_root.empty()) {
      std::string rel = req.path == "/" ? "index.html" : req.path.substr(1);
      if (auto reply = ServeFile(s.web_root, rel)) {
        if (rel.rfind("assets/", 0) == 0) {
          reply->headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
        }
        return *reply;
      }
      // The UI routes in the browser: unknown paths get the app itself.
      if (auto index = ServeFile(s.web_root, "index.html")) {
        index->headers.emplace_back("Cache-Control", "no-cache");
        return *index;
      }
    }
  }
  return ErrorReply(Status::NotFound("no route for " + req.method + " " + req.path));
}

Reply Dispatch(const Services& s, const Request& req, std::string& route_name) {
  if (req.path == "/healthz" && req.method == "GET") {
    route_name = "/healthz";
    return JsonReply(200, {{"status", "ok"}});
  }
  if (req.path == "/metrics" && req.method == "GET") {
    route_name = "/metrics";
    Reply reply;
    reply.content_type = "text/plain; version=0.0.4";
    reply.body = s.metrics ? s.metrics->Render(*s.store, s.clock->NowMs()) : "";
    return reply;
  }
  std::vector<int64_t> ids;
  std::vector<std::string> names;
  bool path_matched = false;
  for (const Route& route : AllRoutes()) {
    if (!MatchPattern(route.pattern, req.path, ids, &names)) continue;
    path_matched = true;
    if (req.method != route.method) continue;
    route_name = route.pattern;
    Ctx ctx{s, req, ids, User{}, names};
    if (route.access == Access::kSignedIn) {
      auto user = Authenticate(s, req);
      if (!user.ok()) return ErrorReply(user.status());
      ctx.user = std::move(user).value();
    }
    return route.fn(ctx);
  }
  if (path_matched) {
    route_name = "method_not_allowed";
    Reply reply = ErrorReply(Status::NotFound("no route for " + req.method + " " + req.path));
    reply.status = 405;
    return reply;
  }
  route_name = req.path.rfind("/api/", 0) == 0 ? "unmatched" : "static";
  return StaticOrNotFound(s, req);
}

}  // namespace

const std::string& Request::Header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

namespace {

// Routes whose bodies are streamed to a file under --max-upload-bytes: task
// imports and predictions (POST), instruction images (POST) and instructions
// (PUT: up to 1 MiB of Markdown and 200 examples of up to 64 KiB each). Their
// handlers apply their own, smaller limits.
bool IsStreamedRoute(const std::string& method, const std::string& path,
                     std::vector<int64_t>& ids) {
  if (method == "POST") {
    return MatchPattern(kImportRoute, path, ids) || MatchPattern(kPredictionsRoute, path, ids) ||
           MatchPattern(kInstructionImagesRoute, path, ids) ||
           MatchPattern(kBakeoffImportRoute, path, ids) ||
           MatchPattern(kGoldenImportRoute, path, ids);
  }
  return method == "PUT" && MatchPattern(kInstructionsRoute, path, ids);
}

}  // namespace

bool IsUploadRoute(const std::string& method, const std::string& path) {
  std::vector<int64_t> ids;
  return IsStreamedRoute(method, path, ids);
}

Status CheckUpload(const Services& services, const Request& request) {
  std::vector<int64_t> ids;
  if (!IsStreamedRoute(request.method, request.path, ids)) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(User user, Authenticate(services, request));
  Ctx ctx{services, request, ids, user, {}};
  PLUMB_RETURN_IF_ERROR(RequireRole(user, Role::kManager));
  return LoadProject(ctx, ids[0]).status();
}

Reply HandleRequest(const Services& services, const Request& request) {
  const auto started = std::chrono::steady_clock::now();
  std::string route_name = "unmatched";
  Reply reply = Dispatch(services, request, route_name);
  if (services.metrics) {
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    services.metrics->Record(route_name, request.method, reply.status, secs);
  }
  return reply;
}

Reply JsonReply(int status, const json& body) {
  Reply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return reply;
}

Reply NoContent() {
  Reply reply;
  reply.status = 204;
  reply.content_type.clear();
  return reply;
}

Result<json> ParseJsonBody(const Request& req) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return body;
}

Status RequireRole(const User& user, Role min) {
  if (static_cast<int>(user.role) < static_cast<int>(min)) {
    return Status::PermissionDenied(std::string("this needs the ") + RoleName(min) + " role");
  }
  return Status::Ok();
}

bool IsManager(const User& user) { return user.role == Role::kAdmin || user.role == Role::kManager; }

Result<Project> LoadProject(Ctx& ctx, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Project project, ctx.services.store->GetProject(project_id));
  if (IsManager(ctx.user)) return project;
  PLUMB_ASSIGN_OR_RETURN(bool member, ctx.services.store->IsMember(project_id, ctx.user.id));
  if (!member) return Status::PermissionDenied("you are not a member of this project");
  return project;
}

Result<Project> LoadManagedProject(Ctx& ctx, int64_t project_id) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  return LoadProject(ctx, project_id);
}

Result<std::pair<Task, Project>> LoadTask(Ctx& ctx, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(Task task, ctx.services.store->GetTask(task_id));
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, task.project_id));
  return std::make_pair(std::move(task), std::move(project));
}

Result<int64_t> BodyId(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer() || it->get<int64_t>() < 1) {
    return Status::InvalidArgument(std::string(key) + " must be a positive integer", key);
  }
  return it->get<int64_t>();
}

Result<std::optional<int64_t>> QueryInt(const Request& req, const std::string& name, int64_t min,
                                        int64_t max) {
  auto raw = req.Query(name);
  if (!raw || raw->empty()) return std::optional<int64_t>();
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), v);
  if (ec != std::errc() || ptr != raw->data() + raw->size() || v < min || v > max) {
    return Status::InvalidArgument(name + " must be an integer from " + std::to_string(min) +
                                       " to " + std::to_string(max),
                                   name);
  }
  return std::optional<int64_t>(v);
}

json UserJson(const User& user) {
  return {{"id", user.id}, {"username", user.username}, {"role", RoleName(user.role)}};
}

json ParseStored(const std::string& json_text) {
  if (json_text.empty()) return nullptr;
  json j = json::parse(json_text, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

json ProjectJson(const Project& project, const TaskCounts& counts) {
  return {{"id", project.id},
          {"name", project.name},
          {"schema", ParseStored(project.schema_json)},
          {"settings", ParseStored(SettingsToJson(project.settings))},
          {"created_at", FormatIsoTime(project.created_at_ms)},
          {"counts",
           {{"total", counts.total},
            {"new", counts.new_tasks},
            {"annotating", counts.annotating},
            {"reviewing", counts.reviewing},
            {"adjudicating", counts.adjudicating},
            {"done", counts.done}}}};
}

TaskView ViewFor(const Ctx& ctx, const Project& project) {
  return {IsManager(ctx.user), ctx.services.clock->NowMs(),
          project.settings.deadline_warning_seconds};
}

bool DeadlineSoon(const Task& task, const TaskView& view) {
  return task.deadline_ms && task.state != TaskState::kDone &&
         *task.deadline_ms - view.now_ms < int64_t{view.deadline_warning_seconds} * 1000;
}

json IsoOrNull(const std::optional<int64_t>& ms) {
  return ms ? json(FormatIsoTime(*ms)) : json(nullptr);
}

json GoldenAnswerJson(const store::GoldenAnswer& answer) {
  return {{"result", ParseStored(answer.result_json)}, {"media", ParseStored(answer.media_json)}};
}

json TaskJson(const Task& t, const std::vector<Revision>& current, const TaskView& view) {
  json annotations = json::array();
  for (const Revision& rev : current) {
    annotations.push_back({{"id", rev.annotation_id},
                           {"annotator", {{"id", rev.user_id}, {"username", rev.username}}},
                           {"result", ParseStored(rev.result_json)},
                           {"revision", rev.revision},
                           {"instructions_version", rev.instructions_version},
                           {"updated_at", FormatIsoTime(rev.created_at_ms)}});
  }
  json out = {{"id", t.id},
              {"project_id", t.project_id},
              {"data", ParseStored(t.data_json)},
              {"priority", t.priority},
              {"state", TaskStateName(t.state)},
              {"created_at", FormatIsoTime(t.created_at_ms)},
              {"deadline", IsoOrNull(t.deadline_ms)},
              {"deadline_soon", DeadlineSoon(t, view)},
              {"batch_id", t.batch_id ? json(*t.batch_id) : json(nullptr)},
              {"annotations", annotations}};
  if (view.manager) out["golden"] = t.golden;
  return out;
}

json RevisionJson(const Revision& r) {
  return {{"id", r.id},
          {"annotation_id", r.annotation_id},
          {"task_id", r.task_id},
          {"revision", r.revision},
          {"annotator", {{"id", r.user_id}, {"username", r.username}}},
          {"result", ParseStored(r.result_json)},
          {"media", ParseStored(r.media_json)},
          {"lead_time_ms", r.lead_time_ms},
          {"source", RevisionSourceName(r.source)},
          {"parent_id", r.parent_id ? json(*r.parent_id) : json(nullptr)},
          {"created_at", FormatIsoTime(r.created_at_ms)},
          {"instructions_version", r.instructions_version}};
}

Result<std::string> ReadBody(const Request& req, uint64_t max_bytes) {
  if (req.body_file.empty()) {
    if (req.body.size() > max_bytes) {
      return Status::PayloadTooLarge("the body is larger than " + std::to_string(max_bytes) +
                                     " bytes");
    }
    return req.body;
  }
  struct stat st {};
  if (::stat(req.body_file.c_str(), &st) != 0) {
    return Status::Internal("cannot read the uploaded body");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return Status::PayloadTooLarge("the body is larger than " + std::to_string(max_bytes) +
                                   " bytes");
  }
  std::ifstream file(req.body_file, std::ios::binary);
  if (!file) return Status::Internal("cannot read the uploaded body");
  std::ostringstream all;
  all << file.rdbuf();
  return all.str();
}

}  // namespace plumb::http
