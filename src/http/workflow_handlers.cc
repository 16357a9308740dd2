// The workflow routes of docs/workflow.md: the reviewers' queue and
// decisions, golden tasks and their grades, batches sent by programs, and
// webhooks with their delivery log.

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "automation/automation.h"
#include "http/api_internal.h"
#include "http/request_util.h"
#include "workflow/workflow.h"

namespace plumb::http {
namespace {

using nlohmann::json;
using Decision = store::Store::Decision;

// Comments are shown to annotators in the editor; a page of text is plenty.
constexpr size_t kMaxCommentBytes = 10000;
// The same bound as imports (io), so a batch task and an imported one agree.
constexpr int64_t kMaxPriority = 1'000'000;
constexpr int32_t kDefaultDeliveryLimit = 100;

const char* const kWebhookEvents[] = {"task.completed", "batch.completed", "review.rejected",
                                      "labeler.paused"};

bool IsBlank(const std::string& body) {
  return body.find_first_not_of(" \t\r\n") == std::string::npos;
}

// An optional string `key` of `obj` of at most max_bytes.
Result<std::optional<std::string>> OptionalString(const json& obj, const char* key,
                                                  size_t max_bytes) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max_bytes) {
    return Status::InvalidArgument(
        std::string(key) + " must be a string of at most " + std::to_string(max_bytes) + " bytes",
        key);
  }
  return std::optional<std::string>(it->get<std::string>());
}

// An optional ISO 8601 time `key` of `obj`, reported as `field`.
Result<std::optional<int64_t>> OptionalTime(const json& obj, const char* key,
                                            const std::string& field) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  std::optional<int64_t> ms;
  if (it->is_string()) ms = ParseIsoTime(it->get_ref<const std::string&>());
  if (!ms) {
    return Status::InvalidArgument(
        field + " must be an ISO 8601 UTC time such as 2026-12-01T18:00:00Z", field);
  }
  return ms;
}

// An optional priority of `obj`, reported as `field`.
Result<std::optional<int32_t>> OptionalPriority(const json& obj, const std::string& field) {
  auto it = obj.find("priority");
  if (it == obj.end() || it->is_null()) return std::optional<int32_t>();
  if (!it->is_number_integer() || it->get<int64_t>() < -kMaxPriority ||
      it->get<int64_t>() > kMaxPriority) {
    return Status::InvalidArgument(field + " must be an integer from -1000000 to 1000000", field);
  }
  return std::optional<int32_t>(static_cast<int32_t>(it->get<int64_t>()));
}

// An optional `media` object of `obj` as JSON text, "" when absent.
Result<std::string> OptionalMedia(const json& obj) {
  auto it = obj.find("media");
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_object()) return Status::InvalidArgument("media must be an object", "media");
  return it->dump();
}

json LeaseJson(const Lease& lease) {
  return {{"id", lease.id}, {"expires_at", FormatIsoTime(lease.expires_at_ms)}};
}

json FinalJson(const std::optional<FinalLabel>& label) {
  if (!label) return nullptr;
  return {{"result", ParseStored(label->result_json)},
          {"media", ParseStored(label->media_json)},
          {"method", label->method},
          {"agreement", label->agreement}};
}

Result<std::optional<FinalLabel>> LoadFinal(store::Store& store, int64_t task_id) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<FinalLabel> labels, store.FinalLabels({task_id}));
  if (labels.empty()) return std::optional<FinalLabel>();
  return std::optional<FinalLabel>(std::move(labels.front()));
}

// --- review and adjudication ------------------------------------------------

Result<Reply> ReviewNext(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  std::optional<TaskState> stage;
  // The body is optional: no body (or {}) asks for adjudication first.
  if (!IsBlank(ctx.req.body)) {
    PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
    if (auto it = body.find("stage"); it != body.end() && !it->is_null()) {
      if (*it == "review") {
        stage = TaskState::kReviewing;
      } else if (*it == "adjudication") {
        stage = TaskState::kAdjudicating;
      } else {
        return Status::InvalidArgument("stage must be \"review\" or \"adjudication\"", "stage");
      }
    }
  }
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(std::optional<workflow::ReviewTask> next,
                         queue.NextReview(project, ctx.user, stage));
  if (!next) return NoContent();
  json annotations = json::array();
  for (const Revision& r : next->annotations) {
    annotations.push_back({{"annotation_id", r.annotation_id},
                           {"user_id", r.user_id},
                           {"username", r.username},
                           {"result", ParseStored(r.result_json)},
                           {"media", ParseStored(r.media_json)}});
  }
  return JsonReply(200,
                   {{"task", TaskJson(next->task, next->annotations, ViewFor(ctx, project))},
                    {"lease", LeaseJson(next->lease)},
                    {"stage", next->stage == TaskState::kAdjudicating ? "adjudication" : "review"},
                    {"annotations", annotations},
                    {"final", FinalJson(next->final_label)}});
}

Result<Decision> ParseDecision(const json& body) {
  auto it = body.find("decision");
  if (it != body.end()) {
    if (*it == "accept") return Decision::kAccept;
    if (*it == "reject") return Decision::kReject;
    if (*it == "fix") return Decision::kFix;
    if (*it == "resolve") return Decision::kResolve;
  }
  return Status::InvalidArgument("decision must be accept, reject, fix or resolve", "decision");
}

Result<Reply> Review(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadTask(ctx, ctx.ids[0]));
  auto& [task, project] = loaded;
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  workflow::ReviewRequest request;
  PLUMB_ASSIGN_OR_RETURN(request.lease_id, BodyId(body, "lease_id"));
  PLUMB_ASSIGN_OR_RETURN(request.decision, ParseDecision(body));
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> comment,
                         OptionalString(body, "comment", kMaxCommentBytes));
  request.comment = comment.value_or("");
  if (request.decision == Decision::kReject &&
      request.comment.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Status::InvalidArgument("a rejection needs a comment for the annotators", "comment");
  }
  if (auto it = body.find("result"); it != body.end() && !it->is_null()) {
    request.result_json = it->dump();
  }
  PLUMB_ASSIGN_OR_RETURN(request.media_json, OptionalMedia(body));
  if (auto it = body.find("annotation_id"); it != body.end() && !it->is_null()) {
    PLUMB_ASSIGN_OR_RETURN(int64_t annotation_id, BodyId(body, "annotation_id"));
    request.annotation_id = annotation_id;
  }
  if (request.decision == Decision::kFix && request.result_json.empty()) {
    return Status::InvalidArgument("fix needs the corrected result", "result");
  }
  if (request.decision == Decision::kResolve && request.result_json.empty() &&
      !request.annotation_id) {
    return Status::InvalidArgument("resolve needs a result or an annotation_id", "result");
  }
  request.queue_train = LearnsFromAccepted(ctx, project.id);
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  PLUMB_RETURN_IF_ERROR(queue.Decide(project, task, ctx.user, request));
  if (ctx.services.events_written) ctx.services.events_written();
  PLUMB_ASSIGN_OR_RETURN(Task updated, ctx.services.store->GetTask(task.id));
  if (request.queue_train) NotifyIfAccepted(ctx, project.id, task.id, updated.state);
  PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> current,
                         ctx.services.store->CurrentRevisions({task.id}));
  PLUMB_ASSIGN_OR_RETURN(std::optional<FinalLabel> final_label,
                         LoadFinal(*ctx.services.store, task.id));
  return JsonReply(200, {{"task", TaskJson(updated, current, ViewFor(ctx, project))},
                         {"final", FinalJson(final_label)}});
}

// --- golden tasks -------------------------------------------------------------

Result<Reply> PutGolden(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadTask(ctx, ctx.ids[0]));
  auto& [task, project] = loaded;
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  auto result = body.find("result");
  if (result == body.end() || result->is_null()) {
    return Status::InvalidArgument("result is required", "result");
  }
  workflow::Submission answer;
  answer.result_json = result->dump();
  PLUMB_ASSIGN_OR_RETURN(answer.media_json, OptionalMedia(body));
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  PLUMB_RETURN_IF_ERROR(queue.SetGolden(project, task, answer));
  PLUMB_ASSIGN_OR_RETURN(Task updated, ctx.services.store->GetTask(task.id));
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::GoldenAnswer> stored,
                         ctx.services.store->GetGoldenAnswer(task.id));
  json out = {{"task", TaskJson(updated, {}, ViewFor(ctx, project))}};
  if (stored) out["golden_answer"] = GoldenAnswerJson(*stored);
  Audit(ctx, "golden.set", project.id, "task " + std::to_string(task.id), {{"task_id", task.id}});
  return JsonReply(200, out);
}

Result<Reply> DeleteGolden(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadTask(ctx, ctx.ids[0]));
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  PLUMB_RETURN_IF_ERROR(queue.SetGolden(loaded.second, loaded.first, std::nullopt));
  Audit(ctx, "golden.clear", loaded.second.id, "task " + std::to_string(loaded.first.id),
        {{"task_id", loaded.first.id}});
  return NoContent();
}

Result<Reply> GoldenGrades(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::GoldenGrade> grades,
                         ctx.services.store->ListGoldenGrades(project.id));
  struct Summary {
    std::string username;
    int64_t graded = 0;
    int64_t correct = 0;
    double score_sum = 0;
  };
  std::map<int64_t, Summary> by_user;
  json items = json::array();
  for (const store::GoldenGrade& g : grades) {
    Summary& s = by_user[g.user_id];
    s.username = g.username;
    ++s.graded;
    s.correct += g.correct ? 1 : 0;
    s.score_sum += g.score;
    items.push_back({{"task_id", g.task_id},
                     {"user_id", g.user_id},
                     {"username", g.username},
                     {"score", g.score},
                     {"correct", g.correct},
                     {"created_at", FormatIsoTime(g.created_at_ms)}});
  }
  json labelers = json::array();
  for (const auto& [user_id, s] : by_user) {
    const double graded = static_cast<double>(s.graded);
    labelers.push_back({{"user_id", user_id},
                        {"username", s.username},
                        {"graded", s.graded},
                        {"correct", s.correct},
                        {"accuracy", static_cast<double>(s.correct) / graded},
                        {"mean_score", s.score_sum / graded}});
  }
  return JsonReply(200, {{"labelers", labelers}, {"items", items}});
}

// --- batches ---------------------------------------------------------------------

struct BatchInput {
  store::NewBatch batch;
  std::vector<store::NewTask> tasks;
};

// A task's error with its place in the batch: "tasks[3].data.text".
Status InTask(const Status& s, size_t index) {
  std::string field = "tasks[" + std::to_string(index) + "]";
  if (!s.field().empty()) field += "." + s.field();
  return Status::InvalidArgument(s.message(), field);
}

Result<BatchInput> ParseBatch(const json& body, const Schema& schema) {
  BatchInput in;
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> name, OptionalString(body, "name", 200));
  in.batch.name = name.value_or("");
  PLUMB_ASSIGN_OR_RETURN(std::optional<int32_t> priority, OptionalPriority(body, "priority"));
  PLUMB_ASSIGN_OR_RETURN(in.batch.deadline_ms, OptionalTime(body, "deadline", "deadline"));
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> callback,
                         OptionalString(body, "callback_url", 4096));
  if (callback) {
    PLUMB_RETURN_IF_ERROR(automation::ValidateWebhookUrl(*callback, "callback_url"));
    in.batch.callback_url = *callback;
  }
  if (auto it = body.find("workforce_ids"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) {
      return Status::InvalidArgument("workforce_ids must be a list of workforce ids",
                                     "workforce_ids");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      const json& id = (*it)[i];
      if (!id.is_number_integer() || id.get<int64_t>() < 1) {
        return Status::InvalidArgument("a workforce id is a positive integer",
                                       "workforce_ids[" + std::to_string(i) + "]");
      }
      in.batch.workforce_ids.push_back(id.get<int64_t>());
    }
  }
  auto tasks = body.find("tasks");
  if (tasks == body.end() || !tasks->is_array() || tasks->empty()) {
    return Status::InvalidArgument("tasks must be a non-empty list of {data, priority?, deadline?}",
                                   "tasks");
  }
  in.tasks.reserve(tasks->size());
  for (size_t i = 0; i < tasks->size(); ++i) {
    const json& t = (*tasks)[i];
    const std::string at = "tasks[" + std::to_string(i) + "]";
    if (!t.is_object()) return Status::InvalidArgument("a task must be an object", at);
    auto data = t.find("data");
    if (data == t.end() || !data->is_object()) {
      return Status::InvalidArgument("data must be an object", at + ".data");
    }
    store::NewTask task;
    task.data_json = data->dump();
    if (Status s = ValidateTaskData(schema, task.data_json); !s.ok()) return InTask(s, i);
    PLUMB_ASSIGN_OR_RETURN(std::optional<int32_t> own_priority,
                           OptionalPriority(t, at + ".priority"));
    task.priority = own_priority.value_or(priority.value_or(0));
    PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> deadline,
                           OptionalTime(t, "deadline", at + ".deadline"));
    task.deadline_ms = deadline ? deadline : in.batch.deadline_ms;
    in.tasks.push_back(std::move(task));
  }
  return in;
}

bool BatchDone(const Batch& b) {
  return b.completed_at_ms.has_value() || (b.total > 0 && b.done == b.total);
}

json BatchJson(const Batch& b) {
  return {{"id", b.id},
          {"project_id", b.project_id},
          {"name", b.name.empty() ? json(nullptr) : json(b.name)},
          {"state", BatchDone(b) ? "done" : "open"},
          {"total", b.total},
          {"done", b.done},
          {"created_at", FormatIsoTime(b.created_at_ms)},
          {"completed_at", IsoOrNull(b.completed_at_ms)},
          {"deadline", IsoOrNull(b.deadline_ms)},
          {"callback_url", b.callback_url.empty() ? json(nullptr) : json(b.callback_url)},
          {"workforce_ids", b.workforce_ids}};
}

// The final label of every task of a batch, in task order.
Result<json> BatchLabels(store::Store& store, const Batch& batch) {
  json labels = json::array();
  store::TaskQuery query;
  query.project_id = batch.project_id;
  query.batch_id = batch.id;
  query.limit = 1000;
  for (;;) {
    PLUMB_ASSIGN_OR_RETURN(store::TaskPage page, store.ListTasks(query));
    std::vector<int64_t> ids;
    for (const Task& t : page.items) ids.push_back(t.id);
    PLUMB_ASSIGN_OR_RETURN(std::vector<FinalLabel> finals, store.FinalLabels(ids));
    std::map<int64_t, const FinalLabel*> by_task;
    for (const FinalLabel& f : finals) by_task[f.task_id] = &f;
    for (const Task& t : page.items) {
      auto it = by_task.find(t.id);
      if (it == by_task.end()) continue;
      const FinalLabel& f = *it->second;
      labels.push_back({{"task_id", t.id},
                        {"data", ParseStored(t.data_json)},
                        {"result", ParseStored(f.result_json)},
                        {"media", ParseStored(f.media_json)},
                        {"method", f.method},
                        {"agreement", f.agreement}});
    }
    if (!page.next_after_id) break;
    query.after_id = *page.next_after_id;
  }
  return labels;
}

Result<Reply> CreateBatch(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(BatchInput input, ParseBatch(body, *schema));
  store::Store& store = *ctx.services.store;
  // An unknown workforce is the caller's mistake in the body, not a missing
  // route: report it by its place.
  for (size_t i = 0; i < input.batch.workforce_ids.size(); ++i) {
    auto workforce = store.GetWorkforce(input.batch.workforce_ids[i]);
    if (workforce.status().code() == StatusCode::kNotFound) {
      return Status::InvalidArgument("no such workforce",
                                     "workforce_ids[" + std::to_string(i) + "]");
    }
    if (!workforce.ok()) return workforce.status();
  }
  std::string secret;
  if (!input.batch.callback_url.empty()) {
    secret = NewHexSecret();
    input.batch.callback_secret = secret;
  }
  // One import: the batch and its tasks commit together or not at all.
  PLUMB_ASSIGN_OR_RETURN(std::unique_ptr<store::TaskWriter> writer,
                         store.BeginImport(project.id, ctx.services.clock->NowMs()));
  PLUMB_ASSIGN_OR_RETURN(Batch batch, writer->AddBatch(input.batch));
  for (size_t i = 0; i < input.tasks.size(); ++i) {
    input.tasks[i].batch_id = batch.id;
    if (Status s = writer->Add(input.tasks[i]); !s.ok()) {
      return s.code() == StatusCode::kInvalidArgument ? InTask(s, i) : s;
    }
  }
  PLUMB_RETURN_IF_ERROR(writer->Commit().status());
  PLUMB_ASSIGN_OR_RETURN(Batch stored, store.GetBatch(batch.id));
  json out = {{"batch", BatchJson(stored)}};
  if (!secret.empty()) out["callback_secret"] = secret;
  return JsonReply(201, out);
}

Result<Reply> ListBatches(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<Batch> batches, ctx.services.store->ListBatches(project.id));
  json items = json::array();
  for (const Batch& b : batches) items.push_back(BatchJson(b));
  return JsonReply(200, {{"items", items}});
}

// The batch if the caller may manage its project.
Result<Batch> LoadBatch(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Batch batch, ctx.services.store->GetBatch(ctx.ids[0]));
  PLUMB_RETURN_IF_ERROR(LoadManagedProject(ctx, batch.project_id).status());
  return batch;
}

Result<Reply> GetBatch(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Batch batch, LoadBatch(ctx));
  json out = BatchJson(batch);
  if (BatchDone(batch)) {
    PLUMB_ASSIGN_OR_RETURN(out["labels"], BatchLabels(*ctx.services.store, batch));
  }
  return JsonReply(200, out);
}

// --- webhooks ------------------------------------------------------------------

json WebhookJson(const store::Store::Webhook& w) {
  return {{"id", w.id},
          {"project_id", w.project_id},
          {"url", w.url},
          {"events", w.events},
          {"created_at", FormatIsoTime(w.created_at_ms)}};
}

const char* DeliveryStateName(store::Store::DeliveryState state) {
  switch (state) {
    case store::Store::DeliveryState::kPending:
      return "pending";
    case store::Store::DeliveryState::kDelivered:
      return "delivered";
    case store::Store::DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

json DeliveryJson(const store::Store::Delivery& d) {
  const bool pending = d.state == store::Store::DeliveryState::kPending;
  return {{"id", d.id},
          {"event", d.event_type},
          {"state", DeliveryStateName(d.state)},
          {"attempts", d.attempts},
          {"last_status", d.last_status == 0 ? json(nullptr) : json(d.last_status)},
          {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
          {"next_attempt_at", pending ? json(FormatIsoTime(d.next_attempt_at_ms)) : json(nullptr)},
          {"delivered_at", IsoOrNull(d.delivered_at_ms)}};
}

Result<std::vector<std::string>> ParseEvents(const json& body) {
  auto it = body.find("events");
  if (it == body.end() || !it->is_array() || it->empty()) {
    return Status::InvalidArgument(
        "events must be a non-empty list of task.completed, batch.completed, review.rejected,"
        " labeler.paused",
        "events");
  }
  std::vector<std::string> events;
  std::set<std::string> seen;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& e = (*it)[i];
    bool known = false;
    for (const char* name : kWebhookEvents) known = known || e == name;
    const std::string field = "events[" + std::to_string(i) + "]";
    if (!known) {
      return Status::InvalidArgument(
          "an event is task.completed, batch.completed, review.rejected or labeler.paused", field);
    }
    if (!seen.insert(e.get<std::string>()).second) {
      return Status::InvalidArgument("an event is listed twice", field);
    }
    events.push_back(e.get<std::string>());
  }
  return events;
}

Result<Reply> CreateWebhook(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> url, OptionalString(body, "url", 4096));
  if (!url) return Status::InvalidArgument("url is required", "url");
  PLUMB_RETURN_IF_ERROR(automation::ValidateWebhookUrl(*url, "url"));
  store::Store::Webhook hook;
  hook.project_id = project.id;
  hook.url = *url;
  PLUMB_ASSIGN_OR_RETURN(hook.events, ParseEvents(body));
  const std::string secret = NewHexSecret();
  PLUMB_ASSIGN_OR_RETURN(
      store::Store::Webhook created,
      ctx.services.store->CreateWebhook(hook, secret, ctx.services.clock->NowMs()));
  Audit(ctx, "webhook.create", project.id, created.url,
        {{"webhook_id", created.id}, {"events", created.events}});
  return JsonReply(201, {{"webhook", WebhookJson(created)}, {"secret", secret}});
}

Result<Reply> ListWebhooks(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Store::Webhook> hooks,
                         ctx.services.store->ListWebhooks(project.id));
  json items = json::array();
  for (const auto& h : hooks) items.push_back(WebhookJson(h));
  return JsonReply(200, {{"items", items}});
}

// The webhook if the caller may manage its project.
Result<store::Store::Webhook> LoadWebhook(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::Store::Webhook hook, ctx.services.store->GetWebhook(ctx.ids[0]));
  PLUMB_RETURN_IF_ERROR(LoadManagedProject(ctx, hook.project_id).status());
  return hook;
}

Result<Reply> DeleteWebhook(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::Store::Webhook hook, LoadWebhook(ctx));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->DeleteWebhook(hook.id));
  Audit(ctx, "webhook.delete", hook.project_id, hook.url, {{"webhook_id", hook.id}});
  return NoContent();
}

Result<Reply> DeliveryLog(Ctx& ctx, std::optional<int64_t> webhook_id,
                          std::optional<int64_t> batch_id) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> limit, QueryInt(ctx.req, "limit", 1, 1000));
  PLUMB_ASSIGN_OR_RETURN(
      std::vector<store::Store::Delivery> deliveries,
      ctx.services.store->ListDeliveries(
          webhook_id, batch_id, static_cast<int32_t>(limit.value_or(kDefaultDeliveryLimit))));
  json items = json::array();
  for (const auto& d : deliveries) items.push_back(DeliveryJson(d));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> WebhookDeliveries(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(store::Store::Webhook hook, LoadWebhook(ctx));
  return DeliveryLog(ctx, hook.id, std::nullopt);
}

Result<Reply> BatchDeliveries(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Batch batch, LoadBatch(ctx));
  return DeliveryLog(ctx, std::nullopt, batch.id);
}

}  // namespace

std::vector<Route> WorkflowRoutes() {
  return {
      {"POST", "/api/v1/projects/{id}/review/next", Access::kSignedIn, Handle<ReviewNext>},
      {"POST", "/api/v1/tasks/{id}/review", Access::kSignedIn, Handle<Review>},
      {"PUT", "/api/v1/tasks/{id}/golden", Access::kSignedIn, Handle<PutGolden>},
      {"DELETE", "/api/v1/tasks/{id}/golden", Access::kSignedIn, Handle<DeleteGolden>},
      {"GET", "/api/v1/projects/{id}/golden/grades", Access::kSignedIn, Handle<GoldenGrades>},
      {"POST", "/api/v1/projects/{id}/batches", Access::kSignedIn, Handle<CreateBatch>},
      {"GET", "/api/v1/projects/{id}/batches", Access::kSignedIn, Handle<ListBatches>},
      {"GET", "/api/v1/batches/{id}", Access::kSignedIn, Handle<GetBatch>},
      {"GET", "/api/v1/batches/{id}/deliveries", Access::kSignedIn, Handle<BatchDeliveries>},
      {"POST", "/api/v1/projects/{id}/webhooks", Access::kSignedIn, Handle<CreateWebhook>},
      {"GET", "/api/v1/projects/{id}/webhooks", Access::kSignedIn, Handle<ListWebhooks>},
      {"DELETE", "/api/v1/webhooks/{id}", Access::kSignedIn, Handle<DeleteWebhook>},
      {"GET", "/api/v1/webhooks/{id}/deliveries", Access::kSignedIn, Handle<WebhookDeliveries>},
  };
}

}  // namespace plumb::http
