// Golden sets and bake-offs (docs/bakeoffs.md). Every route is a manager's:
// annotators of a workforce candidate only ever see the golden tasks as
// ordinary tasks through POST /projects/{id}/next.

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http/api_internal.h"
#include "http/request_util.h"
#include "io/bakeoff_io.h"
#include "workflow/bakeoff.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxNoteBytes = 10000;
constexpr size_t kMaxCandidates = 20;

json GoldenSetJson(const store::GoldenSet& g) {
  return {{"id", g.id},
          {"project_id", g.project_id},
          {"name", g.name},
          {"version", g.version},
          {"note", g.note},
          {"tasks", g.tasks},
          {"created_by", {{"id", g.created_by}, {"username", g.created_by_name}}},
          {"created_at", FormatIsoTime(g.created_at_ms)}};
}

json CandidateJson(const store::BakeoffCandidate& c, int64_t set_tasks) {
  return {{"id", c.id},
          {"name", c.name},
          {"kind", workflow::CandidateKindName(c.kind)},
          {"workforce_id", c.workforce_id ? json(*c.workforce_id) : json()},
          {"format", c.format.empty() ? json() : json(c.format)},
          {"pricing",
           {{"model", workflow::CandidatePricingName(c.pricing_model)},
            {"rate", c.rate},
            {"currency", c.currency}}},
          {"sent_at", IsoOrNull(c.sent_at_ms)},
          {"returned_at", IsoOrNull(c.returned_at_ms)},
          {"labels", c.labels},
          {"tasks", set_tasks}};
}

json BakeoffJson(const store::Bakeoff& b, const store::GoldenSet& set) {
  json candidates = json::array();
  for (const store::BakeoffCandidate& c : b.candidates) {
    candidates.push_back(CandidateJson(c, set.tasks));
  }
  return {
      {"id", b.id},
      {"project_id", b.project_id},
      {"name", b.name},
      {"state", b.closed ? "closed" : "open"},
      {"golden_set", GoldenSetJson(set)},
      {"instructions_version", b.instructions_version},
      {"weights",
       {{"accuracy", b.weights.accuracy}, {"speed", b.weights.speed}, {"cost", b.weights.cost}}},
      {"created_by", {{"id", b.created_by}, {"username", b.created_by_name}}},
      {"created_at", FormatIsoTime(b.created_at_ms)},
      {"closed_at", IsoOrNull(b.closed_at_ms)},
      {"candidates", candidates}};
}

Result<std::string> StringField(const json& body, const char* key, size_t max, bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return Status::InvalidArgument(std::string(key) + " is required", key);
    return std::string();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max ||
      (required && it->get_ref<const std::string&>().empty())) {
    return Status::InvalidArgument(
        std::string(key) + " must be a string of 1 to " + std::to_string(max) + " bytes", key);
  }
  return it->get<std::string>();
}

// Weights {accuracy, speed, cost}: integer percents 0..100, not all 0.
Result<store::BakeoffWeights> ParseWeights(const json& w, store::BakeoffWeights base,
                                           const std::string& field) {
  if (!w.is_object()) {
    return Status::InvalidArgument("weights must be {accuracy, speed, cost}", field);
  }
  for (auto [key, slot] : {std::pair{"accuracy", &base.accuracy}, std::pair{"speed", &base.speed},
                           std::pair{"cost", &base.cost}}) {
    auto it = w.find(key);
    if (it == w.end()) continue;
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 100) {
      return Status::InvalidArgument("weights are integers from 0 to 100", field + "." + key);
    }
    *slot = static_cast<int32_t>(it->get<int64_t>());
  }
  if (base.accuracy + base.speed + base.cost == 0) {
    return Status::InvalidArgument("at least one weight must be above 0", field);
  }
  return base;
}

Result<store::BakeoffCandidate> ParseCandidate(Ctx& ctx, const Project& project, const json& c,
                                               const std::string& where) {
  if (!c.is_object()) return Status::InvalidArgument(where + " must be an object", where);
  store::BakeoffCandidate out;
  const std::string kind = c.value("kind", "");
  if (kind == "workforce") {
    out.kind = store::CandidateKind::kWorkforce;
  } else if (kind == "vendor") {
    out.kind = store::CandidateKind::kVendor;
  } else {
    return Status::InvalidArgument("kind must be workforce or vendor", where + ".kind");
  }
  if (auto w = c.find("workforce_id"); w != c.end() && !w->is_null()) {
    if (!w->is_number_integer() || w->get<int64_t>() < 1) {
      return Status::InvalidArgument("workforce_id must be an id", where + ".workforce_id");
    }
    auto workforce = ctx.services.store->GetWorkforce(w->get<int64_t>());
    if (!workforce.ok()) {
      return Status::InvalidArgument(
          "workforce " + std::to_string(w->get<int64_t>()) + " does not exist",
          where + ".workforce_id");
    }
    out.workforce_id = workforce->id;
    out.name = workforce->name;
    out.pricing_model = workforce->pricing.model == PricingModel::kPerHour
                            ? store::CandidatePricing::kPerHour
                            : store::CandidatePricing::kPerLabel;
    out.rate = workforce->pricing.rate;
    out.currency = workforce->pricing.currency;
  }
  if (out.kind == store::CandidateKind::kWorkforce) {
    if (!out.workforce_id) {
      return Status::InvalidArgument("a workforce candidate needs workforce_id",
                                     where + ".workforce_id");
    }
    // Its members must be able to reach the project's tasks.
    PLUMB_ASSIGN_OR_RETURN(auto access, ctx.services.store->ListProjectWorkforces(project.id));
    bool granted = false;
    for (const Workforce& w : access) granted = granted || w.id == *out.workforce_id;
    if (!granted) {
      return Status::InvalidArgument(
          "workforce " + std::to_string(*out.workforce_id) + " has no access to the project",
          where + ".workforce_id");
    }
  } else {
    out.format = c.value("format", "json");
    if (!io::IsBakeoffFormat(out.format)) {
      return Status::InvalidArgument("format must be json, csv, coco or label_studio",
                                     where + ".format");
    }
  }
  if (auto n = c.find("name"); n != c.end() && !n->is_null()) {
    if (!n->is_string() || n->get_ref<const std::string&>().empty() ||
        n->get_ref<const std::string&>().size() > kMaxNameBytes) {
      return Status::InvalidArgument("name must be a string of 1 to 200 bytes", where + ".name");
    }
    out.name = n->get<std::string>();
  }
  if (out.name.empty()) return Status::InvalidArgument("a vendor needs a name", where + ".name");
  if (auto p = c.find("pricing"); p != c.end() && !p->is_null()) {
    if (!p->is_object()) {
      return Status::InvalidArgument("pricing must be {model, rate, currency}", where + ".pricing");
    }
    if (auto m = p->find("model"); m != p->end()) {
      std::optional<store::CandidatePricing> model;
      if (m->is_string()) model = workflow::ParseCandidatePricing(m->get<std::string>());
      if (!model) {
        return Status::InvalidArgument("model must be per_label, per_hour or quote",
                                       where + ".pricing.model");
      }
      out.pricing_model = *model;
    }
    if (auto r = p->find("rate"); r != p->end()) {
      if (!r->is_number() || !std::isfinite(r->get<double>()) || r->get<double>() < 0 ||
          r->get<double>() > 1e9) {
        return Status::InvalidArgument("rate must be a number from 0 to 1000000000",
                                       where + ".pricing.rate");
      }
      out.rate = r->get<double>();
    }
    if (auto cur = p->find("currency"); cur != p->end()) {
      const bool ok = cur->is_string() && cur->get_ref<const std::string&>().size() == 3 &&
                      std::all_of(cur->get_ref<const std::string&>().begin(),
                                  cur->get_ref<const std::string&>().end(),
                                  [](char ch) { return ch >= 'A' && ch <= 'Z'; });
      if (!ok) {
        return Status::InvalidArgument("currency must be a three-letter code such as USD",
                                       where + ".pricing.currency");
      }
      out.currency = cur->get<std::string>();
    }
  }
  return out;
}

// --- golden sets ----------------------------------------------------------------------

Result<Reply> CreateGoldenSet(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(std::string name, StringField(body, "name", kMaxNameBytes, true));
  PLUMB_ASSIGN_OR_RETURN(std::string note, StringField(body, "note", kMaxNoteBytes, false));
  std::vector<int64_t> ids;
  if (auto it = body.find("task_ids"); it != body.end() && !it->is_null()) {
    if (!it->is_array() || it->size() > 100000) {
      return Status::InvalidArgument("task_ids must be a list of task ids", "task_ids");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      if (!(*it)[i].is_number_integer()) {
        return Status::InvalidArgument("a task id is an integer",
                                       "task_ids[" + std::to_string(i) + "]");
      }
      ids.push_back((*it)[i].get<int64_t>());
    }
    if (ids.empty()) return Status::InvalidArgument("task_ids is empty", "task_ids");
  }
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, ctx.services.store->CreateGoldenSet(
                                                   project.id, name, note, ids, ctx.user.id,
                                                   ctx.services.clock->NowMs()));
  Audit(ctx, "golden_set.create", project.id, set.name + " v" + std::to_string(set.version),
        {{"golden_set_id", set.id}, {"tasks", set.tasks}});
  return JsonReply(201, GoldenSetJson(set));
}

Result<Reply> ListGoldenSets(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto sets, ctx.services.store->ListGoldenSets(project.id));
  json items = json::array();
  for (const store::GoldenSet& g : sets) items.push_back(GoldenSetJson(g));
  return JsonReply(200, {{"items", items}});
}

Result<store::GoldenSet> LoadGoldenSet(Ctx& ctx, const Project& project, int64_t id) {
  auto set = ctx.services.store->GetGoldenSet(id);
  if (!set.ok() || set->project_id != project.id) {
    return Status::NotFound("golden set " + std::to_string(id) + " not found");
  }
  return *set;
}

Result<Reply> GetGoldenSet(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, LoadGoldenSet(ctx, project, ctx.ids[1]));
  PLUMB_ASSIGN_OR_RETURN(auto items, ctx.services.store->ListGoldenSetItems(set.id));
  json out = GoldenSetJson(set);
  json tasks = json::array();
  for (const store::GoldenSetItem& item : items) {
    tasks.push_back({{"task_id", item.task_id},
                     {"data", ParseStored(item.data_json)},
                     {"answer", GoldenAnswerJson(item.answer)}});
  }
  out["items"] = std::move(tasks);
  return JsonReply(200, out);
}

// An expert's labeled file makes its tasks golden. Records find their tasks
// among the project's as a vendor's do among a golden set's; the project is
// read whole for that, so the import is for projects of up to kMaxGoldenScan
// tasks.
constexpr int64_t kMaxGoldenScan = 200000;

// Reads the body of a streamed route (a temporary file) or of a test's
// in-memory request.
template <typename Fn>
auto WithBody(Ctx& ctx, Fn&& fn) -> decltype(fn(std::declval<std::istream&>())) {
  if (!ctx.req.body_file.empty()) {
    std::ifstream file(ctx.req.body_file, std::ios::binary);
    if (!file) return Status::Internal("cannot read the uploaded body");
    return fn(file);
  }
  std::istringstream in(ctx.req.body);
  return fn(in);
}

Result<Reply> ImportGolden(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  const std::string format = ctx.req.Query("format").value_or("json");
  if (!io::IsBakeoffFormat(format)) {
    return Status::InvalidArgument("format must be json, csv, coco or label_studio", "format");
  }
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  std::vector<store::GoldenSetItem> items;
  store::TaskQuery query;
  query.project_id = project.id;
  query.limit = 1000;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(store::TaskPage page, ctx.services.store->ListTasks(query));
    for (const Task& t : page.items) items.push_back({t.id, t.data_json, {}});
    if (static_cast<int64_t>(items.size()) > kMaxGoldenScan) {
      return Status::InvalidArgument(
          "golden answers are imported into projects of up to 200000 tasks; set them with PUT "
          "/tasks/{id}/golden");
    }
    if (!page.next_after_id) break;
    query.after_id = *page.next_after_id;
  }
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::BakeoffLabel> labels,
                         WithBody(ctx, [&](std::istream& in) {
                           return io::ReadBakeoffLabels(*schema, items, format, in, ctx.user.id);
                         }));
  std::vector<std::pair<int64_t, store::GoldenAnswer>> answers;
  for (const store::BakeoffLabel& l : labels) {
    answers.emplace_back(l.task_id, store::GoldenAnswer{l.result_json, l.media_json});
  }
  PLUMB_RETURN_IF_ERROR(ctx.services.store->SetGoldenAnswers(project.id, answers));
  Audit(ctx, "golden.import", project.id, std::to_string(answers.size()) + " tasks",
        {{"tasks", answers.size()}, {"format", format}});
  return JsonReply(201, {{"imported", answers.size()}});
}

// --- bake-offs ------------------------------------------------------------------------

Result<std::pair<store::Bakeoff, store::GoldenSet>> LoadBakeoff(Ctx& ctx, const Project& project) {
  auto b = ctx.services.store->GetBakeoff(ctx.ids[1]);
  if (!b.ok() || b->project_id != project.id) {
    return Status::NotFound("bake-off " + std::to_string(ctx.ids[1]) + " not found");
  }
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, ctx.services.store->GetGoldenSet(b->golden_set_id));
  return std::pair{std::move(*b), std::move(set)};
}

Result<Reply> CreateBakeoff(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  store::Bakeoff b;
  b.project_id = project.id;
  b.created_by = ctx.user.id;
  PLUMB_ASSIGN_OR_RETURN(b.name, StringField(body, "name", kMaxNameBytes, true));
  PLUMB_ASSIGN_OR_RETURN(b.golden_set_id, BodyId(body, "golden_set_id"));
  if (!LoadGoldenSet(ctx, project, b.golden_set_id).ok()) {
    return Status::InvalidArgument(
        "golden set " + std::to_string(b.golden_set_id) + " is not one of the project's",
        "golden_set_id");
  }
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus instructions,
                         ctx.services.store->GetInstructionsStatus(project.id, ctx.user.id));
  b.instructions_version = instructions.current;
  if (auto it = body.find("instructions_version"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
        it->get<int64_t>() > instructions.current ||
        (it->get<int64_t>() == 0 && instructions.current > 0)) {
      return Status::InvalidArgument(
          "instructions_version must be a version of the project's instructions (1 to " +
              std::to_string(instructions.current) + ")",
          "instructions_version");
    }
    b.instructions_version = it->get<int64_t>();
  }
  if (auto it = body.find("weights"); it != body.end() && !it->is_null()) {
    PLUMB_ASSIGN_OR_RETURN(b.weights, ParseWeights(*it, b.weights, "weights"));
  }
  auto candidates = body.find("candidates");
  if (candidates == body.end() || !candidates->is_array() || candidates->empty() ||
      candidates->size() > kMaxCandidates) {
    return Status::InvalidArgument("candidates must be a list of 1 to 20 candidates", "candidates");
  }
  for (size_t i = 0; i < candidates->size(); ++i) {
    PLUMB_ASSIGN_OR_RETURN(
        store::BakeoffCandidate c,
        ParseCandidate(ctx, project, (*candidates)[i], "candidates[" + std::to_string(i) + "]"));
    b.candidates.push_back(std::move(c));
  }
  PLUMB_ASSIGN_OR_RETURN(store::Bakeoff stored,
                         ctx.services.store->CreateBakeoff(b, ctx.services.clock->NowMs()));
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, ctx.services.store->GetGoldenSet(b.golden_set_id));
  Audit(ctx, "bakeoff.create", project.id, stored.name,
        {{"bakeoff_id", stored.id}, {"candidates", stored.candidates.size()}});
  return JsonReply(201, BakeoffJson(stored, set));
}

Result<Reply> ListBakeoffs(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto bakeoffs, ctx.services.store->ListBakeoffs(project.id));
  PLUMB_ASSIGN_OR_RETURN(auto sets, ctx.services.store->ListGoldenSets(project.id));
  json items = json::array();
  for (const store::Bakeoff& b : bakeoffs) {
    for (const store::GoldenSet& s : sets) {
      if (s.id == b.golden_set_id) items.push_back(BakeoffJson(b, s));
    }
  }
  return JsonReply(200, {{"items", items}});
}

Result<Reply> GetBakeoff(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadBakeoff(ctx, project));
  return JsonReply(200, BakeoffJson(loaded.first, loaded.second));
}

Result<Reply> UpdateBakeoff(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadBakeoff(ctx, project));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  std::optional<store::BakeoffWeights> weights;
  if (auto it = body.find("weights"); it != body.end()) {
    PLUMB_ASSIGN_OR_RETURN(weights, ParseWeights(*it, loaded.first.weights, "weights"));
  }
  bool close = false;
  if (auto it = body.find("state"); it != body.end()) {
    if (!it->is_string() || (*it != "closed" && *it != "open")) {
      return Status::InvalidArgument("state must be closed", "state");
    }
    if (*it == "open" && loaded.first.closed) {
      return Status::Conflict("a closed bake-off stays closed; start a new one");
    }
    close = *it == "closed";
  }
  PLUMB_ASSIGN_OR_RETURN(store::Bakeoff b,
                         ctx.services.store->UpdateBakeoff(loaded.first.id, weights, close,
                                                           ctx.services.clock->NowMs()));
  if (close) Audit(ctx, "bakeoff.close", project.id, b.name, {{"bakeoff_id", b.id}});
  return JsonReply(200, BakeoffJson(b, loaded.second));
}

Result<store::BakeoffCandidate> FindCandidate(const store::Bakeoff& b, int64_t id) {
  for (const store::BakeoffCandidate& c : b.candidates) {
    if (c.id == id) return c;
  }
  return Status::NotFound("candidate " + std::to_string(id) + " not found");
}

// What a vendor candidate's file routes need: the project and schema, the
// bake-off, the candidate, the format (?format=, else the candidate's) and
// the golden set's tasks. kConflict for a workforce candidate.
struct VendorFile {
  Project project;
  std::shared_ptr<const Schema> schema;
  store::Bakeoff bakeoff;
  store::BakeoffCandidate candidate;
  std::string format;
  std::vector<store::GoldenSetItem> items;
};

Result<VendorFile> LoadVendorFile(Ctx& ctx) {
  VendorFile f;
  PLUMB_ASSIGN_OR_RETURN(f.project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadBakeoff(ctx, f.project));
  f.bakeoff = std::move(loaded.first);
  PLUMB_ASSIGN_OR_RETURN(f.candidate, FindCandidate(f.bakeoff, ctx.ids[2]));
  if (f.candidate.kind != store::CandidateKind::kVendor) {
    return Status::Conflict("candidate " + f.candidate.name +
                            " labels in Plumb; it has no file to send or return");
  }
  f.format = ctx.req.Query("format").value_or(f.candidate.format);
  if (!io::IsBakeoffFormat(f.format)) {
    return Status::InvalidArgument("format must be json, csv, coco or label_studio", "format");
  }
  PLUMB_ASSIGN_OR_RETURN(f.schema, ParseSchemaCached(f.project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(f.items, ctx.services.store->ListGoldenSetItems(loaded.second.id));
  return f;
}

Result<Reply> ExportCandidate(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(VendorFile f, LoadVendorFile(ctx));
  std::ostringstream out;
  PLUMB_RETURN_IF_ERROR(io::WriteBakeoffTasks(*f.schema, f.items, f.format, out));
  if (!f.bakeoff.closed) {
    PLUMB_RETURN_IF_ERROR(
        ctx.services.store->MarkCandidateSent(f.candidate.id, ctx.services.clock->NowMs()));
  }
  const bool csv = f.format == "csv";
  Reply reply;
  reply.content_type = csv ? "text/csv; charset=utf-8" : "application/json";
  reply.body = out.str();
  reply.headers.emplace_back("Content-Disposition",
                             "attachment; filename=\"bakeoff-" + std::to_string(f.bakeoff.id) +
                                 "-candidate-" + std::to_string(f.candidate.id) +
                                 (csv ? ".csv" : ".json") + "\"");
  return reply;
}

Result<Reply> ImportCandidate(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(VendorFile f, LoadVendorFile(ctx));
  if (f.bakeoff.closed) return Status::Conflict("the bake-off is closed");
  PLUMB_ASSIGN_OR_RETURN(
      std::vector<store::BakeoffLabel> labels, WithBody(ctx, [&](std::istream& in) {
        return io::ReadBakeoffLabels(*f.schema, f.items, f.format, in, ctx.user.id);
      }));
  PLUMB_RETURN_IF_ERROR(
      ctx.services.store->ReplaceVendorLabels(f.candidate.id, labels, ctx.services.clock->NowMs()));
  const int64_t tasks = static_cast<int64_t>(f.items.size());
  Audit(
      ctx, "bakeoff.import", f.project.id, f.candidate.name,
      {{"bakeoff_id", f.bakeoff.id}, {"candidate_id", f.candidate.id}, {"labels", labels.size()}});
  return JsonReply(201, {{"imported", labels.size()},
                         {"tasks", tasks},
                         {"missing", tasks - static_cast<int64_t>(labels.size())}});
}

Result<Reply> Report(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(auto loaded, LoadBakeoff(ctx, project));
  const std::string format = ctx.req.Query("format").value_or("json");
  if (format != "json" && format != "html") {
    return Status::InvalidArgument("format must be json or html", "format");
  }
  std::optional<store::BakeoffWeights> weights;
  store::BakeoffWeights w = loaded.first.weights;
  bool overridden = false;
  for (auto [key, slot] : {std::pair{"w_accuracy", &w.accuracy}, std::pair{"w_speed", &w.speed},
                           std::pair{"w_cost", &w.cost}}) {
    PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> v, QueryInt(ctx.req, key, 0, 100));
    if (v) {
      *slot = static_cast<int32_t>(*v);
      overridden = true;
    }
  }
  if (overridden) {
    if (w.accuracy + w.speed + w.cost == 0) {
      return Status::InvalidArgument("at least one weight must be above 0", "w_accuracy");
    }
    weights = w;
  }
  PLUMB_ASSIGN_OR_RETURN(
      json report, workflow::BakeoffReport(*ctx.services.store, project, loaded.first, weights,
                                           ctx.services.clock->NowMs()));
  const std::string file = "bakeoff-" + std::to_string(loaded.first.id) + "-report." + format;
  Reply reply;
  if (format == "html") {
    reply.content_type = "text/html; charset=utf-8";
    reply.body = io::RenderBakeoffHtml(report);
  } else {
    reply = JsonReply(200, report);
  }
  if (ctx.req.Query("download").value_or("") == "1") {
    reply.headers.emplace_back("Content-Disposition", "attachment; filename=\"" + file + "\"");
  }
  return reply;
}

}  // namespace

std::vector<Route> BakeoffRoutes() {
  return {
      {"POST", "/api/v1/projects/{id}/golden-sets", Access::kSignedIn, Handle<CreateGoldenSet>},
      {"GET", "/api/v1/projects/{id}/golden-sets", Access::kSignedIn, Handle<ListGoldenSets>},
      {"GET", "/api/v1/projects/{id}/golden-sets/{id}", Access::kSignedIn, Handle<GetGoldenSet>},
      {"POST", kGoldenImportRoute, Access::kSignedIn, Handle<ImportGolden>},
      {"POST", "/api/v1/projects/{id}/bakeoffs", Access::kSignedIn, Handle<CreateBakeoff>},
      {"GET", "/api/v1/projects/{id}/bakeoffs", Access::kSignedIn, Handle<ListBakeoffs>},
      {"GET", "/api/v1/projects/{id}/bakeoffs/{id}", Access::kSignedIn, Handle<GetBakeoff>},
      {"PATCH", "/api/v1/projects/{id}/bakeoffs/{id}", Access::kSignedIn, Handle<UpdateBakeoff>},
      {"GET", "/api/v1/projects/{id}/bakeoffs/{id}/report", Access::kSignedIn, Handle<Report>},
      {"GET", "/api/v1/projects/{id}/bakeoffs/{id}/candidates/{id}/export", Access::kSignedIn,
       Handle<ExportCandidate>},
      {"POST", kBakeoffImportRoute, Access::kSignedIn, Handle<ImportCandidate>},
  };
}

}  // namespace plumb::http
