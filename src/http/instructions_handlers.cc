// Labeling instructions (docs/instructions.md): versions, images,
// acknowledgements, outdated tasks and their rework, and the analytics by
// instructions version.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/stats.h"
#include "http/analytics_internal.h"
#include "http/api_internal.h"

namespace plumb::http {
namespace {

using nlohmann::json;

// The limits of docs/instructions.md.
constexpr size_t kMaxBodyBytes = 1 << 20;
constexpr size_t kMaxExamples = 200;
constexpr size_t kMaxTitleBytes = 200;
constexpr size_t kMaxExampleTextBytes = 64 << 10;
constexpr size_t kMaxNoteBytes = 1000;
constexpr uint64_t kMaxImageBytes = 5 << 20;
// A PUT body: the Markdown and every example at their limits, with room for
// the JSON around them.
constexpr uint64_t kMaxPutBytes = kMaxBodyBytes + kMaxExamples * (kMaxExampleTextBytes + 1024) +
                                  (64 << 10);
// Tasks reworked per store call (its transaction's cap).
constexpr int32_t kReworkChunk = 1000;

json AuthorJson(const store::InstructionsVersion& v) {
  return {{"id", v.author_id}, {"username", v.author_username}};
}

json VersionJson(const store::InstructionsVersion& v) {
  json examples = json::parse(v.examples_json, nullptr, false);
  if (examples.is_discarded()) examples = json::array();
  return {{"version", v.version},
          {"body", v.body},
          {"examples", examples},
          {"note", v.note},
          {"author", AuthorJson(v)},
          {"created_at", FormatIsoTime(v.created_at_ms)}};
}

// The image type its first bytes say, or "" when none of those accepted.
std::string ImageType(std::string_view bytes) {
  if (bytes.starts_with("\x89PNG\r\n\x1a\n")) return "image/png";
  if (bytes.starts_with("\xff\xd8\xff")) return "image/jpeg";
  if (bytes.starts_with("GIF87a") || bytes.starts_with("GIF89a")) return "image/gif";
  if (bytes.size() >= 12 && bytes.starts_with("RIFF") && bytes.substr(8, 4) == "WEBP") {
    return "image/webp";
  }
  return "";
}

std::string ImageUrl(const std::string& hash) { return "/api/v1/instructions/images/" + hash; }

// A string member `key` of `obj` (absent: `fallback`), at most `max` bytes.
Result<std::string> StringField(const json& obj, const char* key, const std::string& field,
                                size_t max, std::optional<std::string> fallback) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (fallback) return *fallback;
    return Status::InvalidArgument(field + " is required", field);
  }
  if (!it->is_string()) return Status::InvalidArgument(field + " must be a string", field);
  std::string value = it->get<std::string>();
  if (value.size() > max) {
    return Status::InvalidArgument(
        field + " is longer than " + std::to_string(max) + " bytes", field);
  }
  return value;
}

// The examples of a PUT, checked and normalized to {kind, title, text, image, task_id}.
Result<json> CheckExamples(Ctx& ctx, const Project& project, const json& body) {
  auto it = body.find("examples");
  if (it == body.end() || it->is_null()) return json::array();
  if (!it->is_array()) return Status::InvalidArgument("examples must be a list", "examples");
  if (it->size() > kMaxExamples) {
    return Status::InvalidArgument("at most 200 examples", "examples");
  }
  json out = json::array();
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    const std::string at = "examples[" + std::to_string(i) + "]";
    if (!e.is_object()) return Status::InvalidArgument(at + " must be an object", at);
    PLUMB_ASSIGN_OR_RETURN(std::string kind, StringField(e, "kind", at + ".kind", 32, {}));
    if (kind != "example" && kind != "counter_example") {
      return Status::InvalidArgument(at + ".kind must be example or counter_example",
                                     at + ".kind");
    }
    PLUMB_ASSIGN_OR_RETURN(std::string title,
                           StringField(e, "title", at + ".title", kMaxTitleBytes, {}));
    if (title.empty()) return Status::InvalidArgument(at + ".title is empty", at + ".title");
    PLUMB_ASSIGN_OR_RETURN(std::string text, StringField(e, "text", at + ".text",
                                                         kMaxExampleTextBytes, std::string()));
    json image = nullptr;
    if (auto im = e.find("image"); im != e.end() && !im->is_null()) {
      const std::string field = at + ".image";
      if (!im->is_string()) return Status::InvalidArgument(field + " must be a hash", field);
      PLUMB_ASSIGN_OR_RETURN(bool stored,
                             ctx.services.store->HasInstructionImage(im->get<std::string>()));
      if (!stored) return Status::InvalidArgument(field + " names no uploaded image", field);
      image = *im;
    }
    json task_id = nullptr;
    if (auto t = e.find("task_id"); t != e.end() && !t->is_null()) {
      const std::string field = at + ".task_id";
      if (!t->is_number_integer() || t->get<int64_t>() < 1) {
        return Status::InvalidArgument(field + " must be a task id", field);
      }
      auto task = ctx.services.store->GetTask(t->get<int64_t>());
      if (!task.ok() && task.status().code() != StatusCode::kNotFound) return task.status();
      if (!task.ok() || task->project_id != project.id) {
        return Status::InvalidArgument(field + " is not a task of this project", field);
      }
      task_id = *t;
    }
    out.push_back({{"kind", kind},
                   {"title", title},
                   {"text", text},
                   {"image", image},
                   {"task_id", task_id}});
  }
  return out;
}

Result<Reply> GetStatus(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus status,
                         ctx.services.store->GetInstructionsStatus(project.id, ctx.user.id));
  return JsonReply(200, {{"current", status.current > 0 ? json(status.current) : json(nullptr)},
                         {"acknowledged", status.acknowledged}});
}

Result<Reply> ListVersions(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::InstructionsVersion> versions,
                         ctx.services.store->ListInstructionVersions(project.id));
  json items = json::array();
  for (const store::InstructionsVersion& v : versions) {
    items.push_back({{"version", v.version},
                     {"note", v.note},
                     {"author", AuthorJson(v)},
                     {"created_at", FormatIsoTime(v.created_at_ms)}});
  }
  return JsonReply(200, {{"items", items}});
}

// A version with `tasks`: each example task with its correct label (its
// golden answer, else its final label; null when it has neither yet).
Result<Reply> GetVersion(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsVersion v,
                         ctx.services.store->GetInstructions(project.id, ctx.ids[1]));
  json out = VersionJson(v);
  std::set<int64_t> task_ids;
  for (const json& e : out["examples"]) {
    if (e.contains("task_id") && e["task_id"].is_number_integer()) {
      task_ids.insert(e["task_id"].get<int64_t>());
    }
  }
  const TaskView view = ViewFor(ctx, project);
  json tasks = json::object();
  for (int64_t id : task_ids) {
    auto task = ctx.services.store->GetTask(id);
    if (!task.ok()) {
      if (task.status().code() == StatusCode::kNotFound) continue;  // deleted since
      return task.status();
    }
    if (task->project_id != project.id) continue;
    json label = nullptr;
    PLUMB_ASSIGN_OR_RETURN(std::optional<store::GoldenAnswer> golden,
                           ctx.services.store->GetGoldenAnswer(id));
    if (golden) {
      label = GoldenAnswerJson(*golden);
    } else {
      PLUMB_ASSIGN_OR_RETURN(std::vector<FinalLabel> finals, ctx.services.store->FinalLabels({id}));
      if (!finals.empty()) {
        label = {{"result", ParseStored(finals.front().result_json)},
                 {"media", ParseStored(finals.front().media_json)}};
      }
    }
    json task_json = TaskJson(*task, {}, view);
    task_json.erase("annotations");
    tasks[std::to_string(id)] = {{"task", task_json}, {"label", label}};
  }
  out["tasks"] = tasks;
  return JsonReply(200, out);
}

Result<Reply> Save(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::string text, ReadBody(ctx.req, kMaxPutBytes));
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Status::InvalidArgument("request body is not valid JSON");
  if (!body.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  PLUMB_ASSIGN_OR_RETURN(std::string markdown,
                         StringField(body, "body", "body", kMaxBodyBytes, {}));
  PLUMB_ASSIGN_OR_RETURN(std::string note,
                         StringField(body, "note", "note", kMaxNoteBytes, std::string()));
  PLUMB_ASSIGN_OR_RETURN(json examples, CheckExamples(ctx, project, body));
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsVersion v,
                         ctx.services.store->SaveInstructions({.project_id = project.id,
                                                               .author_id = ctx.user.id,
                                                               .body = markdown,
                                                               .examples_json = examples.dump(),
                                                               .note = note},
                                                              ctx.services.clock->NowMs()));
  Audit(ctx, "instructions.save", project.id, "version " + std::to_string(v.version),
        {{"version", v.version}, {"note", v.note}});
  return JsonReply(201, VersionJson(v));
}

Result<Reply> Ack(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(int64_t version, BodyId(body, "version"));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->Acknowledge(project.id, ctx.user.id, version,
                                                        ctx.services.clock->NowMs()));
  return NoContent();
}

Result<Reply> ListAcks(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus status,
                         ctx.services.store->GetInstructionsStatus(project.id, ctx.user.id));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::InstructionAck> acks,
                         ctx.services.store->ListAcks(project.id));
  json items = json::array();
  for (const store::InstructionAck& a : acks) {
    items.push_back({{"user_id", a.user_id},
                     {"username", a.username},
                     {"acknowledged", a.version},
                     {"at", IsoOrNull(a.at_ms)}});
  }
  return JsonReply(200, {{"current", status.current > 0 ? json(status.current) : json(nullptr)},
                         {"items", items}});
}

// `before` of the query or body: a version from 1, default the current one.
Result<int64_t> BeforeVersion(Ctx& ctx, const Project& project, std::optional<int64_t> given) {
  if (given) return *given;
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus status,
                         ctx.services.store->GetInstructionsStatus(project.id, ctx.user.id));
  return status.current;
}

Result<Reply> Outdated(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> given,
                         QueryInt(ctx.req, "before", 1, int64_t{1} << 53));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> limit, QueryInt(ctx.req, "limit", 1, 1000));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> cursor,
                         QueryInt(ctx.req, "cursor", 0, int64_t{1} << 62));
  PLUMB_ASSIGN_OR_RETURN(int64_t before, BeforeVersion(ctx, project, given));
  PLUMB_ASSIGN_OR_RETURN(store::OutdatedPage page,
                         ctx.services.store->ListOutdatedTasks(
                             {.project_id = project.id,
                              .before = before,
                              .limit = static_cast<int32_t>(limit.value_or(50)),
                              .after_id = cursor.value_or(0)}));
  std::vector<int64_t> ids;
  for (const Task& t : page.items) ids.push_back(t.id);
  PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> current, ctx.services.store->CurrentRevisions(ids));
  const TaskView view = ViewFor(ctx, project);
  json items = json::array();
  auto next = current.begin();
  for (const Task& t : page.items) {
    std::vector<Revision> of_task;
    while (next != current.end() && next->task_id == t.id) of_task.push_back(*next++);
    items.push_back(TaskJson(t, of_task, view));
  }
  return JsonReply(200, {{"items", items},
                         {"next_cursor", page.next_after_id
                                             ? json(std::to_string(*page.next_after_id))
                                             : json(nullptr)},
                         {"total", page.total}});
}

Result<Reply> Rework(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  std::optional<int64_t> given;
  if (auto it = body.find("before"); it != body.end() && !it->is_null()) {
    PLUMB_ASSIGN_OR_RETURN(given, BodyId(body, "before"));
  }
  std::optional<std::vector<int64_t>> listed;
  if (auto it = body.find("task_ids"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > static_cast<size_t>(kReworkChunk)) {
      return Status::InvalidArgument("task_ids must be a list of at most 1000 task ids",
                                     "task_ids");
    }
    listed.emplace();
    for (size_t i = 0; i < it->size(); ++i) {
      const json& id = (*it)[i];
      if (!id.is_number_integer() || id.get<int64_t>() < 1) {
        const std::string field = "task_ids[" + std::to_string(i) + "]";
        return Status::InvalidArgument(field + " must be a task id", field);
      }
      listed->push_back(id.get<int64_t>());
    }
  }
  PLUMB_ASSIGN_OR_RETURN(int64_t before, BeforeVersion(ctx, project, given));
  const std::string comment = "instructions changed (version " + std::to_string(before) + ")";
  const int64_t now_ms = ctx.services.clock->NowMs();
  int64_t sent = 0;
  if (listed) {
    PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> moved,
                           ctx.services.store->ReworkOutdated(project.id, ctx.user.id, before,
                                                              *listed, comment, now_ms));
    sent = static_cast<int64_t>(moved.size());
  } else {
    // Page by page: each page is one transaction, and the tasks sent leave
    // the list, so the cursor only skips those that stayed.
    int64_t after_id = 0;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(store::OutdatedPage page,
                             ctx.services.store->ListOutdatedTasks({.project_id = project.id,
                                                                    .before = before,
                                                                    .limit = kReworkChunk,
                                                                    .after_id = after_id}));
      if (page.items.empty()) break;
      std::vector<int64_t> ids;
      for (const Task& t : page.items) ids.push_back(t.id);
      PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> moved,
                             ctx.services.store->ReworkOutdated(project.id, ctx.user.id, before,
                                                                ids, comment, now_ms));
      sent += static_cast<int64_t>(moved.size());
      if (!page.next_after_id) break;
      after_id = *page.next_after_id;
    }
  }
  Audit(ctx, "instructions.rework", project.id, "before version " + std::to_string(before),
        {{"before", before}, {"sent", sent}});
  return JsonReply(200, {{"sent", sent}});
}

Result<Reply> UploadImage(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  (void)project;
  PLUMB_ASSIGN_OR_RETURN(std::string bytes, ReadBody(ctx.req, kMaxImageBytes));
  const std::string type = ImageType(bytes);
  if (type.empty()) {
    return Status::UnsupportedMediaType("the image must be a PNG, JPEG, GIF or WebP file");
  }
  // HashSecret is SHA-256 in hex, which is what names an image.
  const std::string hash = HashSecret(bytes);
  PLUMB_RETURN_IF_ERROR(ctx.services.store
                            ->PutInstructionImage({.hash = hash, .content_type = type,
                                                   .data = std::move(bytes)})
                            .status());
  return JsonReply(201, {{"hash", hash}, {"url", ImageUrl(hash)}});
}

Result<Reply> ServeImage(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::InstructionImage image,
                         ctx.services.store->GetInstructionImage(ctx.names[0]));
  Reply reply;
  reply.status = 200;
  reply.content_type = image.content_type;
  reply.body = std::move(image.data);
  // Content-addressed: the bytes under a hash never change.
  reply.headers.emplace_back("Cache-Control", "private, max-age=31536000, immutable");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  reply.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  return reply;
}

// Golden accuracy and agreement per instructions version, from the
// per-version counters (labels.vN, golden.vN, golden_correct.vN, agree.vN).
Result<Reply> Analytics(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  // Versions span the project's life: by default every day up to now.
  PLUMB_ASSIGN_OR_RETURN(Range range, ParseRange(ctx, 365 * 100));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::StatRow> rows,
                         ctx.services.store->ReadStats({project.id, stats::DayOf(range.from_ms),
                                                        stats::DayOf(range.to_ms - 1) + 1}));
  struct PerVersion {
    int64_t labels = 0, golden = 0, golden_correct = 0, agree = 0;
    double agree_sum = 0;
  };
  std::map<int64_t, PerVersion> by_version;
  for (const store::StatRow& r : rows) {
    if (auto v = stats::VersionOf(r.metric, stats::kLabels)) {
      by_version[*v].labels += r.count;
    } else if (auto v = stats::VersionOf(r.metric, stats::kGolden)) {
      by_version[*v].golden += r.count;
    } else if (auto v = stats::VersionOf(r.metric, stats::kGoldenCorrect)) {
      by_version[*v].golden_correct += r.count;
    } else if (auto v = stats::VersionOf(r.metric, stats::kAgree)) {
      by_version[*v].agree += r.count;
      by_version[*v].agree_sum += r.sum;
    }
  }
  json items = json::array();
  for (const auto& [version, t] : by_version) {
    items.push_back({{"version", version},
                     {"labels", t.labels},
                     {"golden", GoldenJson(t.golden, t.golden_correct)},
                     {"agreement", AgreementMeanJson(t.agree, t.agree_sum)}});
  }
  if (WantsCsv(ctx)) return CsvReply("instructions", project.id, items);
  return JsonReply(200, {{"from", FormatIsoTime(range.from_ms)},
                         {"to", FormatIsoTime(range.to_ms)},
                         {"items", items}});
}

}  // namespace

std::vector<Route> InstructionsRoutes() {
  return {
      {"GET", "/api/v1/projects/{id}/instructions", Access::kSignedIn, Handle<GetStatus>},
      {"PUT", kInstructionsRoute, Access::kSignedIn, Handle<Save>},
      {"GET", "/api/v1/projects/{id}/instructions/versions", Access::kSignedIn,
       Handle<ListVersions>},
      {"GET", "/api/v1/projects/{id}/instructions/{id}", Access::kSignedIn, Handle<GetVersion>},
      {"POST", "/api/v1/projects/{id}/instructions/ack", Access::kSignedIn, Handle<Ack>},
      {"GET", "/api/v1/projects/{id}/instructions/acks", Access::kSignedIn, Handle<ListAcks>},
      {"GET", "/api/v1/projects/{id}/instructions/outdated", Access::kSignedIn,
       Handle<Outdated>},
      {"POST", "/api/v1/projects/{id}/instructions/rework", Access::kSignedIn, Handle<Rework>},
      {"POST", kInstructionImagesRoute, Access::kSignedIn, Handle<UploadImage>},
      {"GET", "/api/v1/instructions/images/{hash}", Access::kSignedIn, Handle<ServeImage>},
      {"GET", "/api/v1/projects/{id}/analytics/instructions", Access::kSignedIn,
       Handle<Analytics>},
  };
}

}  // namespace plumb::http
