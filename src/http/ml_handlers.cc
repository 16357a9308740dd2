// ML backends, prediction jobs and the automation statistics
// (docs/automation.md). Every route is for managers and admins of the
// project. Handlers only read and write the store: health checks and
// predictions run on the PredictionRunner's threads (Services::ml_runner),
// so no request waits on a backend.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <string>

#include "automation/automation.h"
#include "core/stats.h"
#include "http/analytics_internal.h"
#include "http/api_internal.h"
#include "store/backend_common.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameBytes = 64;
constexpr size_t kMaxAuthBytes = 4096;

json BackendJson(const store::MlBackend& b) {
  // The auth header is a secret: shown only as whether there is one.
  return {{"id", b.id},
          {"project_id", b.project_id},
          {"name", b.name},
          {"url", b.url},
          {"protocol", b.protocol},
          {"has_auth", !b.auth_header.empty()},
          {"enabled", b.enabled},
          {"on_import", b.on_import},
          {"continuous", b.continuous},
          {"train", b.train},
          {"batch_size", b.batch_size},
          {"concurrency", b.concurrency},
          {"timeout_ms", b.timeout_ms},
          {"health", b.health},
          {"last_error", b.last_error},
          {"checked_at", IsoOrNull(b.checked_at_ms)},
          {"model_version", b.model_version},
          {"created_at", FormatIsoTime(b.created_at_ms)}};
}

json JobJson(const store::PredictionJob& j) {
  return {{"id", j.id},
          {"project_id", j.project_id},
          {"backend_id", j.backend_id},
          {"trigger", j.trigger},
          {"tasks", ParseStored(j.filter_json)},
          {"state", store::JobStateName(j.state)},
          {"total", j.total},
          {"processed", j.processed},
          {"predicted", j.predicted},
          {"failed", j.failed},
          {"last_error", j.last_error},
          {"created_at", FormatIsoTime(j.created_at_ms)},
          {"updated_at", FormatIsoTime(j.updated_at_ms)},
          {"finished_at", IsoOrNull(j.finished_at_ms)}};
}

// The URL rules of webhooks (http://, a host, no userinfo, ...), and no
// link-local or unspecified address: those reach cloud metadata services
// and the like rather than a model. Hostnames are not resolved here.
Status CheckBackendUrl(const std::string& url) {
  PLUMB_RETURN_IF_ERROR(automation::ValidateWebhookUrl(url, "url"));
  Result<automation::HttpUrl> parsed = automation::ParseHttpUrl(url);
  const std::string& host = parsed->host;
  if (host.starts_with("169.254.") || host == "0.0.0.0" || host.starts_with("fe80:") ||
      host == "::" || host == "metadata.google.internal") {
    return Status::InvalidArgument("url must not name a link-local or unspecified address", "url");
  }
  if (parsed->target.find('?') != std::string::npos) {
    return Status::InvalidArgument("url is a base URL: no query", "url");
  }
  return Status::Ok();
}

Result<bool> BoolField(const json& body, const char* key, bool current) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return current;
  if (!it->is_boolean()) return Status::InvalidArgument(std::string(key) + " must be true or false", key);
  return it->get<bool>();
}

Result<int32_t> IntField(const json& body, const char* key, int32_t current, int32_t min,
                         int32_t max) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return current;
  if (!it->is_number_integer() || it->get<int64_t>() < min || it->get<int64_t>() > max) {
    return Status::InvalidArgument(std::string(key) + " must be an integer from " +
                                       std::to_string(min) + " to " + std::to_string(max),
                                   key);
  }
  return static_cast<int32_t>(it->get<int64_t>());
}

Result<std::string> StringField(const json& body, const char* key, const std::string& current,
                                size_t max_bytes) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return current;
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_bytes) {
    return Status::InvalidArgument(
        std::string(key) + " must be a string of at most " + std::to_string(max_bytes) + " bytes",
        key);
  }
  return it->get<std::string>();
}

// Applies the body's fields to `b` (all optional on PATCH), checked in order.
Status ApplyBackendBody(const json& body, store::MlBackend& b) {
  PLUMB_ASSIGN_OR_RETURN(b.name, StringField(body, "name", b.name, kMaxNameBytes));
  if (b.name.empty() || b.name.find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-") !=
                            std::string::npos) {
    return Status::InvalidArgument("name must be 1-64 letters, digits, spaces, '.', '_' or '-'",
                                   "name");
  }
  PLUMB_ASSIGN_OR_RETURN(b.protocol, StringField(body, "protocol", b.protocol, 32));
  if (b.protocol == automation::kSpanPrelabelerProtocol) {
    // Its configuration lives with the project (PUT .../span-prelabeler),
    // which adds this backend; a second one would have nothing to run.
    if (body.contains("protocol")) {
      return Status::InvalidArgument(
          "the span pre-labeler is set with PUT /projects/{id}/span-prelabeler", "protocol");
    }
  } else if (b.protocol != "plumb" && b.protocol != "label_studio" &&
             b.protocol != automation::kBuiltinLearnerProtocol) {
    return Status::InvalidArgument("protocol must be plumb, label_studio or builtin_learner",
                                   "protocol");
  }
  if (b.protocol == automation::kBuiltinLearnerProtocol ||
      b.protocol == automation::kSpanPrelabelerProtocol) {
    // Runs in the server: no URL to call.
    if (body.contains("url") && !body["url"].is_null()) {
      return Status::InvalidArgument("a built-in model takes no url", "url");
    }
    b.url = b.protocol == automation::kBuiltinLearnerProtocol ? "builtin:learner" : "builtin:spans";
  } else {
    PLUMB_ASSIGN_OR_RETURN(b.url, StringField(body, "url", b.url, automation::kMaxUrlLength));
    PLUMB_RETURN_IF_ERROR(CheckBackendUrl(b.url));
  }
  PLUMB_ASSIGN_OR_RETURN(b.auth_header, StringField(body, "auth_header", b.auth_header, kMaxAuthBytes));
  if (b.auth_header.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    return Status::InvalidArgument("auth_header must not contain CR, LF or NUL", "auth_header");
  }
  PLUMB_ASSIGN_OR_RETURN(b.enabled, BoolField(body, "enabled", b.enabled));
  PLUMB_ASSIGN_OR_RETURN(b.on_import, BoolField(body, "on_import", b.on_import));
  PLUMB_ASSIGN_OR_RETURN(b.continuous, BoolField(body, "continuous", b.continuous));
  PLUMB_ASSIGN_OR_RETURN(b.train, BoolField(body, "train", b.train));
  PLUMB_ASSIGN_OR_RETURN(b.batch_size, IntField(body, "batch_size", b.batch_size, 1, 1000));
  PLUMB_ASSIGN_OR_RETURN(b.concurrency, IntField(body, "concurrency", b.concurrency, 1, 32));
  PLUMB_ASSIGN_OR_RETURN(b.timeout_ms, IntField(body, "timeout_ms", b.timeout_ms, 100, 600'000));
  return Status::Ok();
}

Result<store::MlBackend> LoadManagedBackend(Ctx& ctx, int64_t id) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend b, ctx.services.store->GetMlBackend(id));
  PLUMB_RETURN_IF_ERROR(LoadManagedProject(ctx, b.project_id).status());
  return b;
}

Result<store::PredictionJob> LoadManagedJob(Ctx& ctx, int64_t id) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  PLUMB_ASSIGN_OR_RETURN(store::PredictionJob j, ctx.services.store->GetPredictionJob(id));
  PLUMB_RETURN_IF_ERROR(LoadManagedProject(ctx, j.project_id).status());
  return j;
}

void AfterBackendChange(Ctx& ctx, const store::MlBackend& b) {
  if (ctx.services.ml_runner == nullptr) return;
  ctx.services.ml_runner->ForgetBackends(b.project_id);
  if (b.enabled) ctx.services.ml_runner->CheckHealth(b.id);
  Status st = ctx.services.ml_runner->EnsureContinuousJobs(b.project_id, ctx.user.id);
  (void)st;  // a failure shows as no continuous job; the backend is saved
}

Result<Reply> ListBackends(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> all,
                         ctx.services.store->ListMlBackends(project.id));
  json items = json::array();
  for (const store::MlBackend& b : all) items.push_back(BackendJson(b));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> CreateBackend(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  const bool builtin = body.value("protocol", json("plumb")) == automation::kBuiltinLearnerProtocol;
  if (builtin && !body.contains("name")) body["name"] = automation::kLearnerBackendName;
  if (!body.contains("name")) return Status::InvalidArgument("name is required", "name");
  if (!builtin && !body.contains("url")) return Status::InvalidArgument("url is required", "url");
  store::MlBackend b;
  b.project_id = project.id;
  b.protocol = "plumb";
  PLUMB_RETURN_IF_ERROR(ApplyBackendBody(body, b));
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend created,
                         ctx.services.store->CreateMlBackend(b, ctx.services.clock->NowMs()));
  Audit(ctx, "ml_backend.create", project.id, created.name, {{"url", created.url}});
  AfterBackendChange(ctx, created);
  return JsonReply(201, BackendJson(created));
}

Result<Reply> GetBackend(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend b, LoadManagedBackend(ctx, ctx.ids[0]));
  return JsonReply(200, BackendJson(b));
}

Result<Reply> PatchBackend(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend b, LoadManagedBackend(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_RETURN_IF_ERROR(ApplyBackendBody(body, b));
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend updated, ctx.services.store->UpdateMlBackend(b));
  Audit(ctx, "ml_backend.update", updated.project_id, updated.name);
  AfterBackendChange(ctx, updated);
  return JsonReply(200, BackendJson(updated));
}

Result<Reply> DeleteBackend(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend b, LoadManagedBackend(ctx, ctx.ids[0]));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->DeleteMlBackend(b.id));
  if (ctx.services.ml_runner != nullptr) ctx.services.ml_runner->ForgetBackends(b.project_id);
  Audit(ctx, "ml_backend.delete", b.project_id, b.name);
  return NoContent();
}

Result<Reply> TestBackend(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend b, LoadManagedBackend(ctx, ctx.ids[0]));
  if (ctx.services.ml_runner == nullptr) {
    return Status::Conflict("this server runs no ML runner");
  }
  ctx.services.ml_runner->CheckHealth(b.id);
  return JsonReply(202, {{"queued", true}, {"backend", BackendJson(b)}});
}

Result<Reply> StartPrediction(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(int64_t backend_id, BodyId(body, "backend_id"));
  Result<store::MlBackend> backend = ctx.services.store->GetMlBackend(backend_id);
  if (!backend.ok() || backend->project_id != project.id) {
    return Status::InvalidArgument("backend_id is not a backend of this project", "backend_id");
  }
  if (!backend->enabled) return Status::Conflict("the backend is disabled");
  automation::JobScope scope;
  if (auto it = body.find("tasks"); it != body.end() && !it->is_null()) {
    PLUMB_ASSIGN_OR_RETURN(scope, automation::ParseJobScope(it->dump()));
  }
  store::PredictionJob job;
  job.project_id = project.id;
  job.backend_id = backend->id;
  job.trigger = "manual";
  job.filter_json = automation::JobScopeJson(scope);
  job.created_by = ctx.user.id;
  if (!scope.task_ids.empty()) {
    job.total = static_cast<int64_t>(scope.task_ids.size());
  } else {
    store::TaskQuery q;
    q.project_id = project.id;
    q.state = scope.state;
    PLUMB_ASSIGN_OR_RETURN(job.total, ctx.services.store->CountMatchingTasks(q));
  }
  PLUMB_ASSIGN_OR_RETURN(store::PredictionJob created,
                         ctx.services.store->CreatePredictionJob(job, ctx.services.clock->NowMs()));
  if (ctx.services.ml_runner != nullptr) ctx.services.ml_runner->Wake();
  Audit(ctx, "predictions.start", project.id, backend->name, {{"job", created.id}});
  return JsonReply(201, JobJson(created));
}

Result<Reply> ListJobs(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> limit, QueryInt(ctx.req, "limit", 1, 1000));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PredictionJob> jobs,
                         ctx.services.store->ListPredictionJobs(project.id,
                                                                static_cast<int32_t>(limit.value_or(50))));
  json items = json::array();
  for (const store::PredictionJob& j : jobs) items.push_back(JobJson(j));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> GetJob(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::PredictionJob j, LoadManagedJob(ctx, ctx.ids[0]));
  return JsonReply(200, JobJson(j));
}

Result<Reply> CancelJob(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::PredictionJob j, LoadManagedJob(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::PredictionJob cancelled,
                         ctx.services.store->CancelPredictionJob(j.id, ctx.services.clock->NowMs()));
  return JsonReply(200, JobJson(cancelled));
}

// The automation figures of docs/automation.md from the running counters.
Result<Reply> AutomationStats(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(Range range, ParseRange(ctx, 90));
  const int64_t from_day = stats::DayOf(range.from_ms);
  const int64_t to_day = stats::DayOf(range.to_ms - 1) + 1;
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::StatRow> rows,
                         ctx.services.store->ReadStats({project.id, from_day, to_day}));
  struct Outcomes {
    int64_t unchanged = 0, edited = 0, discarded = 0;
    double ms = 0;
  };
  std::map<std::string, Outcomes> by_model;
  std::map<std::string, std::map<int64_t, std::pair<int64_t, double>>> accuracy;  // model → day
  int64_t without_n = 0;
  double without_ms = 0;
  const std::string pre = stats::kPrelabelPrefix;
  const std::string acc = stats::kModelAccuracyPrefix;
  for (const store::StatRow& r : rows) {
    if (r.metric == stats::kPrelabelNone) {
      without_n += r.count;
      without_ms += r.sum;
    } else if (r.metric.starts_with(pre)) {
      const std::string rest = r.metric.substr(pre.size());
      const size_t dot = rest.find('.');
      if (dot == std::string::npos) continue;
      const std::string outcome = rest.substr(0, dot);
      Outcomes& o = by_model[rest.substr(dot + 1)];
      if (outcome == "unchanged") o.unchanged += r.count;
      else if (outcome == "edited") o.edited += r.count;
      else if (outcome == "discarded") o.discarded += r.count;
      else continue;
      o.ms += r.sum;
    } else if (r.metric.starts_with(acc)) {
      auto& cell = accuracy[r.metric.substr(acc.size())][r.day];
      cell.first += r.count;
      cell.second += r.sum;
    }
  }
  auto split = [](const std::string& key) { return stats::SplitModelKey(key); };
  auto mean = [](double sum, int64_t n) { return n > 0 ? json(sum / static_cast<double>(n)) : json(nullptr); };
  json models = json::array();
  int64_t with_n = 0;
  double with_ms = 0;
  for (const auto& [key, o] : by_model) {
    const int64_t total = o.unchanged + o.edited + o.discarded;
    with_n += total;
    with_ms += o.ms;
    auto [name, version] = split(key);
    models.push_back({{"model_name", name},
                      {"model_version", version},
                      {"prelabeled", total},
                      {"unchanged", o.unchanged},
                      {"edited", o.edited},
                      {"discarded", o.discarded},
                      {"unchanged_share", mean(static_cast<double>(o.unchanged), total)},
                      {"mean_time_ms", mean(o.ms, total)}});
  }
  json curve = json::array();
  for (const auto& [key, days] : accuracy) {
    auto [name, version] = split(key);
    json points = json::array();
    int64_t n_all = 0;
    double sum_all = 0;
    for (const auto& [day, cell] : days) {
      n_all += cell.first;
      sum_all += cell.second;
      points.push_back({{"day", FormatIsoTime(day * 86'400'000).substr(0, 10)},
                        {"scored", cell.first},
                        {"accuracy", mean(cell.second, cell.first)},
                        {"cumulative_accuracy", mean(sum_all, n_all)}});
    }
    curve.push_back({{"model_name", name}, {"model_version", version}, {"points", points}});
  }
  return JsonReply(200, {{"from", FormatIsoTime(range.from_ms)},
                         {"to", FormatIsoTime(range.to_ms)},
                         {"models", models},
                         {"time_per_task",
                          {{"with_prelabel", {{"labels", with_n}, {"mean_ms", mean(with_ms, with_n)}}},
                           {"without_prelabel",
                            {{"labels", without_n}, {"mean_ms", mean(without_ms, without_n)}}}}},
                         {"accuracy", curve}});
}

// The built-in backend of `protocol` in the project, made (enabled, on
// import) when `enable` and there is none, enabled or disabled to match
// otherwise; nullopt when there is none and none is wanted.
Result<std::optional<store::MlBackend>> SyncBuiltinBackend(Ctx& ctx, const Project& project,
                                                           const char* protocol, const char* name,
                                                           bool enable) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> all,
                         ctx.services.store->ListMlBackends(project.id));
  for (store::MlBackend& b : all) {
    if (b.protocol != protocol) continue;
    if (b.enabled == enable) return std::optional<store::MlBackend>(b);
    b.enabled = enable;
    PLUMB_ASSIGN_OR_RETURN(store::MlBackend updated, ctx.services.store->UpdateMlBackend(b));
    Audit(ctx, "ml_backend.update", project.id, updated.name, {{"enabled", enable}});
    AfterBackendChange(ctx, updated);
    return std::optional<store::MlBackend>(updated);
  }
  if (!enable) return std::optional<store::MlBackend>();
  store::MlBackend b;
  b.project_id = project.id;
  b.protocol = protocol;  // not in the body: the span pre-labeler's is refused there
  PLUMB_RETURN_IF_ERROR(ApplyBackendBody({{"name", name}}, b));
  b.on_import = true;
  PLUMB_ASSIGN_OR_RETURN(store::MlBackend created,
                         ctx.services.store->CreateMlBackend(b, ctx.services.clock->NowMs()));
  Audit(ctx, "ml_backend.create", project.id, created.name, {{"url", created.url}});
  AfterBackendChange(ctx, created);
  return std::optional<store::MlBackend>(created);
}

json SpanPrelabelerJson(const store::SpanPrelabelerRow& row, const store::MlBackend* backend) {
  json config = ParseStored(row.config_json);
  json out = {{"control", row.control},
              {"labels", config.value("labels", json::object())},
              {"allow_overlaps", config.value("allow_overlaps", false)},
              {"version", row.version},
              {"model_name", automation::kSpanBackendName},
              {"updated_at", FormatIsoTime(row.updated_at_ms)}};
  out["backend_id"] = backend != nullptr ? json(backend->id) : json(nullptr);
  return out;
}

Result<Reply> GetSpanPrelabeler(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::SpanPrelabelerRow> row,
                         ctx.services.store->GetSpanPrelabeler(project.id));
  if (!row) return Status::NotFound("the project has no span pre-labeler");
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::MlBackend> all,
                         ctx.services.store->ListMlBackends(project.id));
  const store::MlBackend* backend = nullptr;
  for (const store::MlBackend& b : all) {
    if (b.protocol == automation::kSpanPrelabelerProtocol) backend = &b;
  }
  return JsonReply(200, SpanPrelabelerJson(*row, backend));
}

// PUT {control, labels: {LABEL: {terms, patterns, case_sensitive}}, allow_overlaps}:
// checked whole before anything is stored.
Result<Reply> PutSpanPrelabeler(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  auto control_it = body.find("control");
  if (control_it == body.end() || !control_it->is_string()) {
    return Status::InvalidArgument("control must name a span control of the schema", "control");
  }
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  const Control* control = nullptr;
  for (const Control& c : schema->controls) {
    if (c.name == control_it->get_ref<const std::string&>() && c.type == ControlType::kSpan) {
      control = &c;
    }
  }
  if (control == nullptr) {
    return Status::InvalidArgument("control must name a span control of the schema", "control");
  }
  json config = body;
  config.erase("control");
  const std::string config_text = config.dump();
  if (config_text.size() > automation::kMaxPrelabelConfigBytes) {
    return Status::PayloadTooLarge("the span pre-labeler's configuration is over 16 MiB");
  }
  Result<automation::SpanPrelabeler> built =
      automation::SpanPrelabeler::FromJson(config_text, control->labels);
  if (!built.ok()) {
    // A rule that cannot be used (a bad pattern, a label the control lacks):
    // named by its place, and nothing is stored.
    return Status::InvalidResult(built.status().message(), built.status().field());
  }
  store::SpanPrelabelerRow row;
  row.project_id = project.id;
  row.control = control->name;
  row.config_json = config_text;
  // The content's hash, so an unchanged configuration keeps its version.
  row.version = store::Sha256Hex(control->name + "\n" + config_text).substr(0, 12);
  row.updated_by = ctx.user.id;
  row.updated_at_ms = ctx.services.clock->NowMs();
  PLUMB_RETURN_IF_ERROR(ctx.services.store->PutSpanPrelabeler(row));
  Audit(ctx, "span_prelabeler.save", project.id, control->name, {{"version", row.version}});
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::MlBackend> backend,
                         SyncBuiltinBackend(ctx, project, automation::kSpanPrelabelerProtocol,
                                            automation::kSpanBackendName, true));
  return JsonReply(200, SpanPrelabelerJson(row, backend ? &*backend : nullptr));
}

Result<Reply> DeleteSpanPrelabeler(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->DeleteSpanPrelabeler(project.id));
  PLUMB_RETURN_IF_ERROR(SyncBuiltinBackend(ctx, project, automation::kSpanPrelabelerProtocol,
                                           automation::kSpanBackendName, false)
                            .status());
  Audit(ctx, "span_prelabeler.delete", project.id);
  return NoContent();
}

}  // namespace

void AfterSettingsChange(Ctx& ctx, const std::optional<Project>& before, const Project& after) {
  const ProjectSettings old_settings = before ? before->settings : ProjectSettings{};
  const ProjectSettings& now = after.settings;
  if (before.has_value() || !now.learner_control.empty()) {
    if (old_settings.learner_control != now.learner_control) {
      Result<std::optional<store::MlBackend>> synced =
          SyncBuiltinBackend(ctx, after, automation::kBuiltinLearnerProtocol,
                             automation::kLearnerBackendName, !now.learner_control.empty());
      if (!synced.ok()) {
        spdlog::warn("ml: the learner backend of project {}: {}", after.id,
                     synced.status().ToString());
      }
    }
  }
  const bool reorder = old_settings.learner_control != now.learner_control ||
                       old_settings.queue_order != now.queue_order ||
                       old_settings.uncertainty != now.uncertainty;
  if (reorder && now.queue_order == QueueOrder::kUncertainty && ctx.services.ml_runner != nullptr) {
    Status queued = ctx.services.ml_runner->QueueRerank(after.id, ctx.user.id);
    if (!queued.ok()) spdlog::warn("ml: queueing a rerank: {}", queued.ToString());
  }
}

bool LearnsFromAccepted(Ctx& ctx, int64_t project_id) {
  return ctx.services.ml_runner != nullptr && ctx.services.ml_runner->WantsAccepted(project_id);
}

void NotifyIfAccepted(Ctx& ctx, int64_t project_id, int64_t task_id,
                      std::optional<TaskState> state) {
  if (ctx.services.ml_runner == nullptr) return;
  if (!state) {
    Result<Task> task = ctx.services.store->GetTask(task_id);
    if (!task.ok()) return;
    state = task->state;
  }
  if (*state == TaskState::kDone) ctx.services.ml_runner->NotifyAccepted(project_id, task_id);
}

std::vector<Route> MlRoutes() {
  return {
      {"GET", "/api/v1/projects/{id}/ml-backends", Access::kSignedIn, Handle<ListBackends>},
      {"POST", "/api/v1/projects/{id}/ml-backends", Access::kSignedIn, Handle<CreateBackend>},
      {"GET", "/api/v1/ml-backends/{id}", Access::kSignedIn, Handle<GetBackend>},
      {"PATCH", "/api/v1/ml-backends/{id}", Access::kSignedIn, Handle<PatchBackend>},
      {"DELETE", "/api/v1/ml-backends/{id}", Access::kSignedIn, Handle<DeleteBackend>},
      {"POST", "/api/v1/ml-backends/{id}/test", Access::kSignedIn, Handle<TestBackend>},
      {"POST", "/api/v1/projects/{id}/predict", Access::kSignedIn, Handle<StartPrediction>},
      {"GET", "/api/v1/projects/{id}/prediction-jobs", Access::kSignedIn, Handle<ListJobs>},
      {"GET", "/api/v1/prediction-jobs/{id}", Access::kSignedIn, Handle<GetJob>},
      {"POST", "/api/v1/prediction-jobs/{id}/cancel", Access::kSignedIn, Handle<CancelJob>},
      {"GET", "/api/v1/projects/{id}/automation/stats", Access::kSignedIn, Handle<AutomationStats>},
      {"GET", "/api/v1/projects/{id}/span-prelabeler", Access::kSignedIn,
       Handle<GetSpanPrelabeler>},
      {"PUT", "/api/v1/projects/{id}/span-prelabeler", Access::kSignedIn,
       Handle<PutSpanPrelabeler>},
      {"DELETE", "/api/v1/projects/{id}/span-prelabeler", Access::kSignedIn,
       Handle<DeleteSpanPrelabeler>},
  };
}

}  // namespace plumb::http
