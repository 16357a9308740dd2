// "Trust but verify" (docs/analytics.md): the sample gallery, sending done
// tasks back to review, model predictions for existing tasks, and the
// disagreement queue.

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "http/analytics_internal.h"
#include "http/api_internal.h"
#include "workflow/workflow.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr int32_t kMaxSample = 200;
constexpr size_t kMaxSendToReview = 1000;

// splitmix64: a seeded order of annotation ids that looks random and is
// the same on every call.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Whether a result has `label` among its choice values or region labels.
bool HasClass(const std::string& result_json, const std::string& label) {
  json items = json::parse(result_json, nullptr, false);
  if (!items.is_array()) return false;
  for (const json& item : items) {
    if (!item.is_object()) continue;
    if (auto it = item.find("values"); it != item.end() && it->is_array()) {
      for (const json& v : *it) {
        if (v.is_string() && v.get_ref<const std::string&>() == label) return true;
      }
    }
    if (auto it = item.find("label"); it != item.end() && it->is_string() &&
                                      it->get_ref<const std::string&>() == label) {
      return true;
    }
  }
  return false;
}

// The labelers a `user` or `workforce` parameter names; empty: everyone.
Result<std::vector<int64_t>> PeopleParam(const Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> user, QueryInt(ctx.req, "user", 1, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> workforce,
                         QueryInt(ctx.req, "workforce", 1, INT64_MAX));
  if (user) return std::vector<int64_t>{*user};
  if (!workforce) return std::vector<int64_t>();
  PLUMB_RETURN_IF_ERROR(ctx.services.store->GetWorkforce(*workforce).status());
  PLUMB_ASSIGN_OR_RETURN(std::vector<User> members,
                         ctx.services.store->ListWorkforceMembers(*workforce));
  std::vector<int64_t> ids;
  for (const User& m : members) ids.push_back(m.id);
  if (ids.empty()) ids.push_back(0);  // a workforce without members matches nobody
  return ids;
}

Result<Reply> Samples(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(Range range, ParseRange(ctx, 7));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> size, QueryInt(ctx.req, "size", 1, kMaxSample));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> seed_param,
                         QueryInt(ctx.req, "seed", 0, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> people, PeopleParam(ctx));
  const std::optional<std::string> label = ctx.req.Query("label");
  int64_t seed = 0;
  if (seed_param) {
    seed = *seed_param;
  } else {
    seed = static_cast<int64_t>(randombytes_uniform(1'000'000'000));
  }
  store::AnnotationQuery query{project.id, people, range.from_ms, range.to_ms};
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::AnnotationRef> refs,
                         ctx.services.store->ListAnnotationRefs(query));
  const auto total = static_cast<int64_t>(refs.size());
  std::vector<std::pair<uint64_t, size_t>> order;
  order.reserve(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    order.push_back({Mix(static_cast<uint64_t>(refs[i].annotation_id) ^
                         Mix(static_cast<uint64_t>(seed))),
                     i});
  }
  std::sort(order.begin(), order.end());
  const size_t want = static_cast<size_t>(size.value_or(24));
  json items = json::array();
  const TaskView view = ViewFor(ctx, project);
  // Drawn in chunks: the class filter may pass over many labels.
  constexpr size_t kChunk = 256;
  for (size_t start = 0; start < order.size() && items.size() < want; start += kChunk) {
    const size_t end = std::min(order.size(), start + kChunk);
    std::vector<int64_t> task_ids;
    for (size_t i = start; i < end; ++i) task_ids.push_back(refs[order[i].second].task_id);
    PLUMB_ASSIGN_OR_RETURN(std::vector<Revision> current,
                           ctx.services.store->CurrentRevisions(task_ids));
    std::unordered_map<int64_t, const Revision*> by_annotation;
    for (const Revision& r : current) by_annotation[r.annotation_id] = &r;
    for (size_t i = start; i < end && items.size() < want; ++i) {
      const store::AnnotationRef& ref = refs[order[i].second];
      auto it = by_annotation.find(ref.annotation_id);
      if (it == by_annotation.end()) continue;
      if (label && !HasClass(it->second->result_json, *label)) continue;
      PLUMB_ASSIGN_OR_RETURN(Task task, ctx.services.store->GetTask(ref.task_id));
      items.push_back({{"task", TaskJson(task, {}, view)}, {"annotation", RevisionJson(*it->second)}});
    }
  }
  return JsonReply(200, {{"seed", seed}, {"total", total}, {"items", items}});
}

// The ids of a body's `task_ids` list (1..1000 positive integers).
Result<std::vector<int64_t>> TaskIds(const json& body) {
  auto it = body.find("task_ids");
  if (it == body.end() || !it->is_array() || it->empty() || it->size() > kMaxSendToReview) {
    return Status::InvalidArgument("task_ids must be a list of 1 to 1000 task ids", "task_ids");
  }
  std::vector<int64_t> ids;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& v = (*it)[i];
    if (!v.is_number_integer() || v.get<int64_t>() < 1) {
      return Status::InvalidArgument("a task id is a positive integer",
                                     "task_ids[" + std::to_string(i) + "]");
    }
    ids.push_back(v.get<int64_t>());
  }
  return ids;
}

// Sends the project's done tasks among `ids` to review; the rest are skipped.
// `source`: the route, for the audit entry ("review/send", "disagreements/review").
Result<json> SendToReview(Ctx& ctx, const Project& project, const std::vector<int64_t>& ids,
                          std::string_view source) {
  std::vector<int64_t> own;
  for (int64_t id : ids) {
    Result<Task> task = ctx.services.store->GetTask(id);
    if (task.ok() && task->project_id == project.id) own.push_back(id);
  }
  PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> sent,
                         ctx.services.store->SendToReview(own, ctx.services.clock->NowMs()));
  std::set<int64_t> moved(sent.begin(), sent.end());
  json skipped = json::array();
  for (int64_t id : ids) {
    if (!moved.count(id)) skipped.push_back(id);
  }
  Audit(ctx, "review.send", project.id, "",
        {{"sent", sent.size()}, {"task_ids", sent}, {"from", source}});
  return json{{"sent", sent.size()}, {"task_ids", sent}, {"skipped", skipped}};
}

Result<Reply> SendToReviewRoute(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> ids, TaskIds(body));
  PLUMB_ASSIGN_OR_RETURN(json out, SendToReview(ctx, project, ids, "review/send"));
  return JsonReply(200, out);
}

// --- predictions --------------------------------------------------------------------

// A string member, or `fallback` when absent; kInvalidArgument when not a string.
Result<std::string> StringMember(const json& o, const char* key, const std::string& fallback) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return fallback;
  if (!it->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string", key);
  return it->get<std::string>();
}

// One prediction record: {task_id or (Label Studio) the task's id, model_name?,
// model_version?, score?, result, media?}.
Result<store::TaskPrediction> ReadPrediction(const json& record, int64_t task_id,
                                             const std::string& model_name,
                                             const std::string& model_version) {
  if (!record.is_object()) return Status::InvalidArgument("a prediction must be a JSON object");
  store::TaskPrediction out;
  out.task_id = task_id;
  store::NewPrediction& p = out.prediction;
  PLUMB_ASSIGN_OR_RETURN(p.model_name, StringMember(record, "model_name", model_name));
  PLUMB_ASSIGN_OR_RETURN(p.model_version, StringMember(record, "model_version", model_version));
  if (p.model_name.empty()) {
    return Status::InvalidArgument("a prediction needs a model name (model_name, or ?model_name=)",
                                   "model_name");
  }
  if (auto it = record.find("score"); it != record.end() && !it->is_null()) {
    if (!it->is_number()) return Status::InvalidArgument("score must be a number", "score");
    p.score = it->get<double>();
  }
  auto result = record.find("result");
  if (result == record.end() || !result->is_array()) {
    return Status::InvalidArgument("result must be a list of items", "result");
  }
  p.result_json = result->dump();
  if (auto it = record.find("media"); it != record.end() && !it->is_null()) {
    p.media_json = it->dump();
  }
  return out;
}

// `st` about a record's field: an unknown task is the file's fault (400), a
// result that does not fit stays a 422.
Status AboutField(const Status& st, std::string field) {
  switch (st.code()) {
    case StatusCode::kInvalidResult:
      return Status::InvalidResult(st.message(), std::move(field));
    case StatusCode::kInvalidArgument:
    case StatusCode::kNotFound:
      return Status::InvalidArgument(st.message(), std::move(field));
    default:
      return st;
  }
}

// Moves an item index of a workflow error ("[3].result[0].x") to the line
// (or element) the record came from.
Status AtRecord(const Status& st, const std::vector<int64_t>& line_of) {
  const std::string& field = st.field();
  if (field.size() < 3 || field[0] != '[') return st;
  const size_t close = field.find(']');
  if (close == std::string::npos) return st;
  size_t index = 0;
  try {
    index = std::stoul(field.substr(1, close - 1));
  } catch (...) {
    return st;
  }
  if (index >= line_of.size()) return st;
  std::string rest = field.substr(close + 1);
  if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
  return AboutField(st, rest).WithLine(line_of[index]);
}

Result<Reply> ImportPredictions(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  const std::string format = ctx.req.Query("format").value_or("jsonl");
  if (format != "jsonl" && format != "label_studio") {
    return Status::InvalidArgument("format must be jsonl or label_studio", "format");
  }
  const std::string model_name = ctx.req.Query("model_name").value_or("");
  const std::string model_version = ctx.req.Query("model_version").value_or("");
  std::string text;
  if (!ctx.req.body_file.empty()) {
    std::ifstream file(ctx.req.body_file, std::ios::binary);
    if (!file) return Status::Internal("cannot read the uploaded body");
    std::ostringstream all;
    all << file.rdbuf();
    text = all.str();
  } else {
    text = ctx.req.body;
  }
  std::vector<store::TaskPrediction> predictions;
  std::vector<int64_t> line_of;  // per prediction: its line (JSONL) or task element
  auto fail = [](int64_t line, const Status& st) {
    return AboutField(st, st.field()).WithLine(line);
  };
  if (format == "jsonl") {
    std::istringstream in(text);
    std::string line;
    for (int64_t n = 1; std::getline(in, line); ++n) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      json record = json::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object()) {
        return fail(n, Status::InvalidArgument("not a JSON object"));
      }
      auto id = record.find("task_id");
      if (id == record.end() || !id->is_number_integer() || id->get<int64_t>() < 1) {
        return fail(n, Status::InvalidArgument("task_id must be a task id", "task_id"));
      }
      Result<store::TaskPrediction> p =
          ReadPrediction(record, id->get<int64_t>(), model_name, model_version);
      if (!p.ok()) return fail(n, p.status());
      predictions.push_back(std::move(*p));
      line_of.push_back(n);
    }
  } else {
    json tasks = json::parse(text, nullptr, false);
    if (!tasks.is_array()) {
      return Status::InvalidArgument("a Label Studio file is a JSON list of tasks");
    }
    for (size_t i = 0; i < tasks.size(); ++i) {
      const json& t = tasks[i];
      const auto element = static_cast<int64_t>(i + 1);
      auto id = t.is_object() ? t.find("id") : t.end();
      if (!t.is_object() || id == t.end() || !id->is_number_integer()) {
        return fail(element, Status::InvalidArgument("a task needs its Plumb id", "id"));
      }
      auto list = t.find("predictions");
      if (list == t.end() || !list->is_array()) continue;
      for (const json& record : *list) {
        Result<store::TaskPrediction> p =
            ReadPrediction(record, id->get<int64_t>(), model_name, model_version);
        if (!p.ok()) return fail(element, p.status());
        predictions.push_back(std::move(*p));
        line_of.push_back(element);
      }
    }
  }
  if (predictions.empty()) return Status::InvalidArgument("the file holds no prediction");
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  Result<std::vector<store::Prediction>> stored =
      queue.AddPredictions(project, std::move(predictions));
  if (!stored.ok()) return AtRecord(stored.status(), line_of);
  Audit(ctx, "predictions.import", project.id, model_name,
        {{"imported", stored->size()}, {"format", format}, {"model_version", model_version}});
  return JsonReply(201, {{"imported", stored->size()}});
}

json PredictionJson(const store::Prediction& p) {
  return {{"id", p.id},
          {"task_id", p.task_id},
          {"model_name", p.model_name},
          {"model_version", p.model_version},
          {"score", p.score ? json(*p.score) : json(nullptr)},
          {"result", ParseStored(p.result_json)},
          {"media", p.media_json.empty() ? json(nullptr) : ParseStored(p.media_json)},
          {"created_at", FormatIsoTime(p.created_at_ms)}};
}

Result<Reply> TaskPredictions(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(auto task_project, LoadTask(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::Prediction> predictions,
                         ctx.services.store->ListPredictions({task_project.first.id}));
  json items = json::array();
  for (const store::Prediction& p : predictions) items.push_back(PredictionJson(p));
  return JsonReply(200, {{"items", items}});
}

// --- the disagreement queue ------------------------------------------------------------

Result<store::DisagreementQuery> ReadDisagreementFilters(int64_t project_id,
                                                         const std::optional<std::string>& model,
                                                         const std::optional<std::string>& label,
                                                         const std::optional<double>& min_score) {
  store::DisagreementQuery q;
  q.project_id = project_id;
  if (model && !model->empty()) q.model_name = *model;
  if (label && !label->empty()) q.label = *label;
  if (min_score) {
    if (!(*min_score >= 0 && *min_score <= 1)) {
      return Status::InvalidArgument("min_score must be between 0 and 1", "min_score");
    }
    q.min_score = *min_score;
  }
  return q;
}

Result<std::optional<double>> QueryScore(const Request& req) {
  std::optional<std::string> text = req.Query("min_score");
  if (!text || text->empty()) return std::optional<double>();
  try {
    size_t used = 0;
    const double v = std::stod(*text, &used);
    if (used == text->size()) return std::optional<double>(v);
  } catch (...) {
  }
  return Status::InvalidArgument("min_score must be a number between 0 and 1", "min_score");
}

// Cursors carry the last row's (score, prediction id).
std::string EncodeCursor(double score, int64_t id) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g_%lld", score, static_cast<long long>(id));
  return buf;
}

Result<std::pair<double, int64_t>> DecodeCursor(const std::string& cursor) {
  const size_t sep = cursor.find('_');
  try {
    if (sep != std::string::npos) {
      size_t a = 0, b = 0;
      const double score = std::stod(cursor.substr(0, sep), &a);
      const long long id = std::stoll(cursor.substr(sep + 1), &b);
      if (a == sep && b == cursor.size() - sep - 1) return std::pair<double, int64_t>(score, id);
    }
  } catch (...) {
  }
  return Status::InvalidArgument("cursor is not one this server gave", "cursor");
}

json DisagreementJson(const store::Disagreement& d) {
  return {{"task_id", d.task_id},
          {"prediction_id", d.prediction_id},
          {"model_name", d.model_name},
          {"model_version", d.model_version},
          {"score", d.score},
          {"controls", ParseStored(d.controls_json)},
          {"labels", ParseStored(d.labels_json)},
          {"state", TaskStateName(d.state)},
          {"computed_at", FormatIsoTime(d.computed_at_ms)}};
}

Result<Reply> Disagreements(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kReviewer));
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::optional<double> min_score, QueryScore(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(store::DisagreementQuery q,
                         ReadDisagreementFilters(project.id, ctx.req.Query("model"),
                                                 ctx.req.Query("label"), min_score));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> limit, QueryInt(ctx.req, "limit", 1, 1000));
  q.limit = static_cast<int32_t>(limit.value_or(50));
  if (std::optional<std::string> cursor = ctx.req.Query("cursor"); cursor && !cursor->empty()) {
    PLUMB_ASSIGN_OR_RETURN(q.after, DecodeCursor(*cursor));
  }
  PLUMB_ASSIGN_OR_RETURN(store::DisagreementPage page, ctx.services.store->ListDisagreements(q));
  json items = json::array();
  for (const store::Disagreement& d : page.items) items.push_back(DisagreementJson(d));
  json next = nullptr;
  if (page.more && !page.items.empty()) {
    next = EncodeCursor(page.items.back().score, page.items.back().prediction_id);
  }
  return JsonReply(200, {{"items", items}, {"next_cursor", next}, {"total", page.total}});
}

Result<Reply> ReviewTopDisagreements(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  auto k = body.find("k");
  if (k == body.end() || !k->is_number_integer() || k->get<int64_t>() < 1 ||
      k->get<int64_t>() > 1000) {
    return Status::InvalidArgument("k must be an integer from 1 to 1000", "k");
  }
  auto text = [&](const char* key) -> Result<std::optional<std::string>> {
    auto it = body.find(key);
    if (it == body.end() || it->is_null()) return std::optional<std::string>();
    if (!it->is_string()) return Status::InvalidArgument(std::string(key) + " must be a string", key);
    return std::optional<std::string>(it->get<std::string>());
  };
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> model, text("model"));
  PLUMB_ASSIGN_OR_RETURN(std::optional<std::string> label, text("label"));
  std::optional<double> min_score;
  if (auto it = body.find("min_score"); it != body.end() && !it->is_null()) {
    if (!it->is_number()) return Status::InvalidArgument("min_score must be a number", "min_score");
    min_score = it->get<double>();
  }
  PLUMB_ASSIGN_OR_RETURN(store::DisagreementQuery q,
                         ReadDisagreementFilters(project.id, model, label, min_score));
  // The top k tasks that are done; a task with several predictions counts once.
  const auto want = static_cast<size_t>(k->get<int64_t>());
  std::vector<int64_t> ids;
  std::set<int64_t> seen;
  q.limit = 1000;
  while (ids.size() < want) {
    PLUMB_ASSIGN_OR_RETURN(store::DisagreementPage page, ctx.services.store->ListDisagreements(q));
    for (const store::Disagreement& d : page.items) {
      if (ids.size() < want && d.state == TaskState::kDone && seen.insert(d.task_id).second) {
        ids.push_back(d.task_id);
      }
    }
    if (!page.more || page.items.empty()) break;
    q.after = std::pair<double, int64_t>(page.items.back().score, page.items.back().prediction_id);
  }
  if (ids.empty()) return JsonReply(200, {{"sent", 0}, {"task_ids", json::array()}});
  PLUMB_ASSIGN_OR_RETURN(json out, SendToReview(ctx, project, ids, "disagreements/review"));
  return JsonReply(200, {{"sent", out["sent"]}, {"task_ids", out["task_ids"]}});
}

}  // namespace

std::vector<Route> TrustRoutes() {
  return {
      {"GET", "/api/v1/projects/{id}/samples", Access::kSignedIn, Handle<Samples>},
      {"POST", "/api/v1/projects/{id}/review/send", Access::kSignedIn, Handle<SendToReviewRoute>},
      {"POST", kPredictionsRoute, Access::kSignedIn, Handle<ImportPredictions>},
      {"GET", "/api/v1/tasks/{id}/predictions", Access::kSignedIn, Handle<TaskPredictions>},
      {"GET", "/api/v1/projects/{id}/disagreements", Access::kSignedIn, Handle<Disagreements>},
      {"POST", "/api/v1/projects/{id}/disagreements/review", Access::kSignedIn,
       Handle<ReviewTopDisagreements>},
  };
}

}  // namespace plumb::http
