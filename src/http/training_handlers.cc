// Training and qualification (docs/training.md): the practice set and the
// qualification settings (managers), practice and tests (any member, for
// themselves), labelers' standing (their own; managers anyone's), the
// managers' overview per labeler and per workforce, and unpausing.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "http/api_internal.h"
#include "workflow/training.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxPracticeItems = 500;
constexpr size_t kMaxExplanationBytes = 10000;
constexpr size_t kMaxAnchorBytes = 200;

// The settings PUT /training/settings takes, all of ProjectSettings.
constexpr const char* kTrainingKeys[] = {"qualification_set_id",
                                         "qualification_pass_mark",
                                         "qualification_retry_seconds",
                                         "qualification_retry_practice",
                                         "qualification_min_version",
                                         "requalify_on_new_instructions",
                                         "pause_threshold",
                                         "pause_window"};

json ScoreOrNull(const std::optional<double>& score) { return score ? json(*score) : json(); }

json AttemptJson(const store::QualificationAttempt& a) {
  const char* state = !a.finished_at_ms ? "open" : (a.passed.value_or(false) ? "passed" : "failed");
  return {{"id", a.id},
          {"project_id", a.project_id},
          {"user_id", a.user_id},
          {"golden_set_id", a.golden_set_id},
          {"instructions_version", a.instructions_version},
          {"pass_mark", a.pass_mark},
          {"tasks", a.tasks},
          {"answered", a.answered},
          {"state", state},
          {"score", ScoreOrNull(a.score)},
          {"passed", a.passed ? json(*a.passed) : json()},
          {"started_at", FormatIsoTime(a.started_at_ms)},
          {"finished_at", IsoOrNull(a.finished_at_ms)}};
}

std::optional<int64_t> TimeToQualify(const store::LabelerTraining& t) {
  if (!t.first_passed_at_ms) return std::nullopt;
  return *t.first_passed_at_ms - t.first_at_ms;
}

json StandingJson(int64_t user_id, const workflow::LabelerStanding& s) {
  const store::LabelerTraining empty;
  const store::LabelerTraining& t = s.record ? *s.record : empty;
  json attempts = json::array();
  for (const store::QualificationAttempt& a : s.attempts) attempts.push_back(AttemptJson(a));
  const auto ttq = TimeToQualify(t);
  return {{"user_id", user_id},
          {"required", s.required},
          {"qualified", s.qualified},
          {"paused", s.paused},
          {"reason", s.reason.empty() ? json() : json(s.reason)},
          {"can_start", s.can_start},
          {"retry_at", IsoOrNull(s.retry_at_ms)},
          {"practice_to_retry", s.practice_to_retry},
          {"instructions_version", s.instructions_version},
          {"practice",
           {{"done", t.practice_done},
            {"correct", t.practice_correct},
            {"accuracy", t.practice_done > 0 ? json(static_cast<double>(t.practice_correct) /
                                                    static_cast<double>(t.practice_done))
                                             : json()}}},
          {"tests",
           {{"taken", t.attempts},
            {"last_score", ScoreOrNull(t.last_score)},
            {"best_score", ScoreOrNull(t.best_score)}}},
          {"passed_at", IsoOrNull(t.passed_at_ms)},
          {"passed_version", t.passed_version},
          {"paused_at", IsoOrNull(t.paused_at_ms)},
          {"pause", t.pause_json.empty() ? json() : ParseStored(t.pause_json)},
          {"time_to_qualify_ms", ttq ? json(*ttq) : json()},
          {"open_attempt", s.open_attempt ? AttemptJson(*s.open_attempt) : json()},
          {"attempts", attempts}};
}

json TrainingSettingsJson(const ProjectSettings& s) {
  json all = ParseStored(SettingsToJson(s));
  json out = json::object();
  for (const char* key : kTrainingKeys) out[key] = all[key];
  out["qualification_required"] = s.qualification_set_id != 0;
  return out;
}

// kInvalidArgument (field "qualification_set_id") unless the set is one of the project's.
Status CheckQualificationSet(Ctx& ctx, const Project& project, int64_t set_id) {
  if (set_id == 0) return Status::Ok();
  Result<store::GoldenSet> set = ctx.services.store->GetGoldenSet(set_id);
  if (!set.ok() && set.status().code() != StatusCode::kNotFound) return set.status();
  if (!set.ok() || set->project_id != project.id) {
    return Status::InvalidArgument(
        "golden set " + std::to_string(set_id) + " is not a golden set of this project",
        "qualification_set_id");
  }
  return Status::Ok();
}

Result<Reply> GetSettings(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  return JsonReply(200, TrainingSettingsJson(project.settings));
}

Result<Reply> PutSettings(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  for (const auto& [key, value] : body.items()) {
    if (std::none_of(std::begin(kTrainingKeys), std::end(kTrainingKeys),
                     [&](const char* k) { return key == k; })) {
      return Status::InvalidArgument("unknown training setting '" + key + "'", key);
    }
  }
  Result<ProjectSettings> settings = ParseSettings(body.dump(), project.settings);
  if (!settings.ok()) {
    // ParseSettings names fields "settings.x"; this call's body is the settings.
    std::string field = settings.status().field();
    if (field.rfind("settings.", 0) == 0) field = field.substr(9);
    return Status::InvalidArgument(settings.status().message(), field);
  }
  PLUMB_RETURN_IF_ERROR(CheckQualificationSet(ctx, project, settings->qualification_set_id));
  store::ProjectUpdate update;
  update.settings = *settings;
  PLUMB_ASSIGN_OR_RETURN(Project updated, ctx.services.store->UpdateProject(project.id, update));
  Audit(ctx, "training.settings", project.id, "", body);
  return JsonReply(200, TrainingSettingsJson(updated.settings));
}

Result<Reply> GetPracticeSet(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PracticeItem> items,
                         ctx.services.store->ListPracticeItems(project.id));
  json out = json::array();
  for (const store::PracticeItem& item : items) {
    json j = {{"task_id", item.task_id},
              {"position", item.position},
              {"explanation", item.explanation},
              {"anchor", item.anchor}};
    PLUMB_ASSIGN_OR_RETURN(Task task, ctx.services.store->GetTask(item.task_id));
    j["data"] = ParseStored(task.data_json);
    PLUMB_ASSIGN_OR_RETURN(std::optional<store::GoldenAnswer> answer,
                           ctx.services.store->GetGoldenAnswer(item.task_id));
    j["answer"] = answer ? GoldenAnswerJson(*answer) : json();
    out.push_back(std::move(j));
  }
  return JsonReply(200, {{"items", out}});
}

bool IsAnchor(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
  });
}

Result<Reply> PutPracticeSet(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  auto it = body.find("items");
  if (it == body.end() || !it->is_array()) {
    return Status::InvalidArgument("items must be a list", "items");
  }
  if (it->size() > kMaxPracticeItems) {
    return Status::InvalidArgument("at most 500 practice tasks", "items");
  }
  std::vector<store::PracticeItem> items;
  for (size_t i = 0; i < it->size(); ++i) {
    const json& j = (*it)[i];
    const std::string at = "items[" + std::to_string(i) + "]";
    if (!j.is_object()) return Status::InvalidArgument("an item is an object", at);
    store::PracticeItem item;
    auto id = j.find("task_id");
    if (id == j.end() || !id->is_number_integer() || id->get<int64_t>() < 1) {
      return Status::InvalidArgument("task_id must be a task id", at + ".task_id");
    }
    item.task_id = id->get<int64_t>();
    if (auto e = j.find("explanation"); e != j.end() && !e->is_null()) {
      if (!e->is_string() || e->get_ref<const std::string&>().size() > kMaxExplanationBytes) {
        return Status::InvalidArgument("explanation must be a text of at most 10000 bytes",
                                       at + ".explanation");
      }
      item.explanation = e->get<std::string>();
    }
    if (auto a = j.find("anchor"); a != j.end() && !a->is_null()) {
      if (!a->is_string() || a->get_ref<const std::string&>().size() > kMaxAnchorBytes ||
          !IsAnchor(a->get<std::string>())) {
        return Status::InvalidArgument(
            "anchor must be a heading anchor of the instructions: letters, digits, - and _",
            at + ".anchor");
      }
      item.anchor = a->get<std::string>();
    }
    items.push_back(std::move(item));
  }
  PLUMB_RETURN_IF_ERROR(ctx.services.store->SetPracticeItems(project.id, items));
  Audit(ctx, "training.practice_set", project.id, std::to_string(items.size()) + " tasks",
        {{"tasks", items.size()}});
  return GetPracticeSet(ctx);
}

// The user whose standing is asked for: the caller, or for managers ?user_id=.
Result<int64_t> StandingUser(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> user_id,
                         QueryInt(ctx.req, "user_id", 1, INT64_MAX));
  if (!user_id || *user_id == ctx.user.id) return ctx.user.id;
  if (!IsManager(ctx.user)) {
    return Status::PermissionDenied("only managers see other labelers' training");
  }
  return *user_id;
}

Result<Reply> GetStatus(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(int64_t user_id, StandingUser(ctx));
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(workflow::LabelerStanding standing, training.Standing(project, user_id));
  return JsonReply(200, StandingJson(user_id, standing));
}

Result<Reply> PracticeNext(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(std::optional<workflow::PracticeTask> next,
                         training.NextPractice(project, ctx.user));
  if (!next) return NoContent();
  return JsonReply(
      200, {{"task",
             {{"id", next->task.id},
              {"project_id", next->task.project_id},
              {"data", ParseStored(next->task.data_json)}}},
            {"item",
             {{"position", next->item.position}, {"total", next->total}, {"round", next->round}}}});
}

// A practice or test answer: the project of the route and the body's task
// and submission, each checked (kInvalidArgument naming the field).
struct AnswerRequest {
  Project project;
  int64_t task_id = 0;
  workflow::Submission submission;
};

Result<AnswerRequest> ParseAnswer(Ctx& ctx) {
  AnswerRequest a;
  PLUMB_ASSIGN_OR_RETURN(a.project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(a.task_id, BodyId(body, "task_id"));
  PLUMB_ASSIGN_OR_RETURN(a.submission, ParseSubmission(body));
  return a;
}

Result<Reply> PracticeAnswer(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(AnswerRequest a, ParseAnswer(ctx));
  const Project& project = a.project;
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(workflow::PracticeFeedback f,
                         training.SubmitPractice(project, ctx.user, a.task_id, a.submission));
  json controls = json::array();
  for (const auto& [name, score] : f.controls) {
    controls.push_back({{"control", name}, {"score", score}});
  }
  std::string url = "/projects/" + std::to_string(project.id) + "/instructions";
  if (!f.item.anchor.empty()) url += "#" + f.item.anchor;
  return JsonReply(201, {{"answer",
                          {{"id", f.answer.id},
                           {"task_id", f.answer.task_id},
                           {"result", ParseStored(f.answer.result_json)},
                           {"media", ParseStored(f.answer.media_json)},
                           {"score", f.answer.score},
                           {"correct", f.answer.correct},
                           {"created_at", FormatIsoTime(f.answer.created_at_ms)}}},
                         {"expert", GoldenAnswerJson(f.expert)},
                         {"controls", controls},
                         {"explanation", f.item.explanation},
                         {"instructions",
                          {{"version", f.instructions_version},
                           {"anchor", f.item.anchor.empty() ? json() : json(f.item.anchor)},
                           {"url", f.instructions_version > 0 ? json(url) : json()}}}});
}

Result<Reply> StartAttempt(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  bool started = false;
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt attempt,
                         training.StartTest(project, ctx.user, &started));
  return JsonReply(started ? 201 : 200, AttemptJson(attempt));
}

Result<Reply> GetAttempt(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt attempt,
                         ctx.services.store->GetQualificationAttempt(ctx.ids[1]));
  if (attempt.project_id != project.id ||
      (attempt.user_id != ctx.user.id && !IsManager(ctx.user))) {
    return Status::NotFound("attempt " + std::to_string(ctx.ids[1]) + " not found");
  }
  return JsonReply(200, AttemptJson(attempt));
}

Result<Reply> AttemptNext(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadProject(ctx, ctx.ids[0]));
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(std::optional<workflow::TestTask> next,
                         training.NextTestTask(project, ctx.user, ctx.ids[1]));
  if (!next) return NoContent();
  return JsonReply(200, {{"task",
                          {{"id", next->task_id},
                           {"project_id", project.id},
                           {"data", ParseStored(next->data_json)}}},
                         {"answered", next->answered},
                         {"total", next->total}});
}

Result<Reply> AttemptAnswer(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(AnswerRequest a, ParseAnswer(ctx));
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt attempt,
                         training.SubmitTest(a.project, ctx.user, ctx.ids[1], a.task_id,
                                             a.submission));
  // No feedback per task: the attempt shows a score only once it is finished.
  return JsonReply(201, AttemptJson(attempt));
}

struct Aggregate {
  int64_t labelers = 0;
  int64_t practiced = 0;
  int64_t practice_done = 0;
  int64_t practice_correct = 0;
  int64_t tests_taken = 0;
  int64_t tested = 0;
  int64_t qualified = 0;
  int64_t paused = 0;
  double best_score_sum = 0;
  int64_t ttq_count = 0;
  double ttq_sum = 0;
};

Result<Reply> Overview(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  store::Store& store = *ctx.services.store;
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::LabelerTraining> records,
                         store.ListLabelerTraining(project.id));
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus instructions,
                         store.GetInstructionsStatus(project.id, ctx.user.id));
  // The project's labelers: its members and its workforces' members who
  // label (not managers or admins), and anyone with a training record.
  PLUMB_ASSIGN_OR_RETURN(std::vector<User> users, store.ListUsers());
  std::map<int64_t, const User*> by_id;
  for (const User& u : users) by_id[u.id] = &u;
  std::set<int64_t> labelers;
  PLUMB_ASSIGN_OR_RETURN(std::vector<User> members, store.ListMembers(project.id));
  for (const User& u : members) {
    if (workflow::GatedRole(u.role)) labelers.insert(u.id);
  }
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> workforces,
                         store.ListProjectWorkforces(project.id));
  std::map<int64_t, std::vector<int64_t>> workforces_of;
  std::map<int64_t, std::vector<int64_t>> members_of;
  for (const Workforce& w : workforces) {
    PLUMB_ASSIGN_OR_RETURN(std::vector<User> wm, store.ListWorkforceMembers(w.id));
    for (const User& u : wm) {
      if (!workflow::GatedRole(u.role)) continue;
      labelers.insert(u.id);
      workforces_of[u.id].push_back(w.id);
      members_of[w.id].push_back(u.id);
    }
  }
  std::map<int64_t, const store::LabelerTraining*> record_of;
  for (const store::LabelerTraining& t : records) {
    record_of[t.user_id] = &t;
    labelers.insert(t.user_id);
  }
  json rows = json::array();
  std::map<int64_t, Aggregate> per_workforce;
  for (int64_t user_id : labelers) {
    auto r = record_of.find(user_id);
    const store::LabelerTraining* t = r == record_of.end() ? nullptr : r->second;
    const bool qualified = workflow::Qualified(project.settings, t, instructions.current);
    const bool paused = t != nullptr && t->paused_at_ms.has_value();
    // -1: not qualified yet.
    const int64_t ttq = t != nullptr ? TimeToQualify(*t).value_or(-1) : -1;
    auto u = by_id.find(user_id);
    rows.push_back({{"user_id", user_id},
                    {"username", u == by_id.end() ? json() : json(u->second->username)},
                    {"workforce_ids", workforces_of[user_id]},
                    {"practice_done", t ? t->practice_done : 0},
                    {"practice_correct", t ? t->practice_correct : 0},
                    {"practice_accuracy", t && t->practice_done > 0
                                              ? json(static_cast<double>(t->practice_correct) /
                                                     static_cast<double>(t->practice_done))
                                              : json()},
                    {"tests_taken", t ? t->attempts : 0},
                    {"last_score", t ? ScoreOrNull(t->last_score) : json()},
                    {"best_score", t ? ScoreOrNull(t->best_score) : json()},
                    {"passed", t != nullptr && t->passed_at_ms.has_value()},
                    {"qualified", qualified},
                    {"paused", paused},
                    {"paused_at", t ? IsoOrNull(t->paused_at_ms) : json()},
                    {"pause", t && !t->pause_json.empty() ? ParseStored(t->pause_json) : json()},
                    {"time_to_qualify_ms", ttq >= 0 ? json(ttq) : json()}});
    for (int64_t w : workforces_of[user_id]) {
      Aggregate& a = per_workforce[w];
      ++a.labelers;
      if (t == nullptr) continue;
      if (t->practice_done > 0) ++a.practiced;
      a.practice_done += t->practice_done;
      a.practice_correct += t->practice_correct;
      a.tests_taken += t->attempts;
      if (t->best_score) {
        ++a.tested;
        a.best_score_sum += *t->best_score;
      }
      if (qualified) ++a.qualified;
      if (paused) ++a.paused;
      if (ttq >= 0) {
        ++a.ttq_count;
        a.ttq_sum += static_cast<double>(ttq);
      }
    }
  }
  json wrows = json::array();
  for (const Workforce& w : workforces) {
    const Aggregate& a = per_workforce[w.id];
    wrows.push_back(
        {{"workforce_id", w.id},
         {"name", w.name},
         {"labelers", static_cast<int64_t>(members_of[w.id].size())},
         {"practiced", a.practiced},
         {"practice_done", a.practice_done},
         {"practice_accuracy", a.practice_done > 0 ? json(static_cast<double>(a.practice_correct) /
                                                          static_cast<double>(a.practice_done))
                                                   : json()},
         {"tests_taken", a.tests_taken},
         {"mean_best_score", a.tested > 0 ? json(a.best_score_sum / a.tested) : json()},
         {"qualified", a.qualified},
         {"paused", a.paused},
         {"mean_time_to_qualify_ms",
          a.ttq_count > 0 ? json(static_cast<int64_t>(a.ttq_sum / a.ttq_count)) : json()}});
  }
  return JsonReply(200, {{"settings", TrainingSettingsJson(project.settings)},
                         {"instructions_version", instructions.current},
                         {"labelers", rows},
                         {"workforces", wrows}});
}

Result<Reply> Unpause(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  const int64_t user_id = ctx.ids[1];
  PLUMB_ASSIGN_OR_RETURN(bool unpaused, ctx.services.store->UnpauseLabeler(
                                            project.id, user_id, ctx.services.clock->NowMs()));
  if (!unpaused) {
    return Status::Conflict("user " + std::to_string(user_id) + " is not paused in this project");
  }
  Audit(ctx, "training.unpause", project.id, "user " + std::to_string(user_id),
        {{"user_id", user_id}});
  workflow::Training training(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(workflow::LabelerStanding standing, training.Standing(project, user_id));
  return JsonReply(200, StandingJson(user_id, standing));
}

}  // namespace

Status CheckTrainingSettings(Ctx& ctx, const Project& project, const ProjectSettings& settings) {
  if (settings.qualification_set_id == project.settings.qualification_set_id) return Status::Ok();
  Status s = CheckQualificationSet(ctx, project, settings.qualification_set_id);
  if (s.ok()) return s;
  return Status::InvalidArgument(s.message(), "settings.qualification_set_id");
}

std::vector<Route> TrainingRoutes() {
  return {
      {"GET", "/api/v1/projects/{id}/training/settings", Access::kSignedIn, Handle<GetSettings>},
      {"PUT", "/api/v1/projects/{id}/training/settings", Access::kSignedIn, Handle<PutSettings>},
      {"GET", "/api/v1/projects/{id}/training/practice-set", Access::kSignedIn,
       Handle<GetPracticeSet>},
      {"PUT", "/api/v1/projects/{id}/training/practice-set", Access::kSignedIn,
       Handle<PutPracticeSet>},
      {"GET", "/api/v1/projects/{id}/training/status", Access::kSignedIn, Handle<GetStatus>},
      {"POST", "/api/v1/projects/{id}/training/practice/next", Access::kSignedIn,
       Handle<PracticeNext>},
      {"POST", "/api/v1/projects/{id}/training/practice/answers", Access::kSignedIn,
       Handle<PracticeAnswer>},
      {"POST", "/api/v1/projects/{id}/training/qualification/attempts", Access::kSignedIn,
       Handle<StartAttempt>},
      {"GET", "/api/v1/projects/{id}/training/qualification/attempts/{id}", Access::kSignedIn,
       Handle<GetAttempt>},
      {"POST", "/api/v1/projects/{id}/training/qualification/attempts/{id}/next", Access::kSignedIn,
       Handle<AttemptNext>},
      {"POST", "/api/v1/projects/{id}/training/qualification/attempts/{id}/answers",
       Access::kSignedIn, Handle<AttemptAnswer>},
      {"GET", "/api/v1/projects/{id}/training/overview", Access::kSignedIn, Handle<Overview>},
      {"POST", "/api/v1/projects/{id}/training/labelers/{id}/unpause", Access::kSignedIn,
       Handle<Unpause>},
  };
}

}  // namespace plumb::http
