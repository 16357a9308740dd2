// Workforces (docs/workflow.md, "Workforces"): teams of labelers, internal
// or vendors, their members, and the projects their members may label.

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "http/api_internal.h"

namespace plumb::http {
namespace {

using nlohmann::json;

json WorkforceJson(const Workforce& w) {
  return {{"id", w.id},
          {"name", w.name},
          {"kind", WorkforceKindName(w.kind)},
          {"pricing",
           {{"model", PricingModelName(w.pricing.model)},
            {"rate", w.pricing.rate},
            {"currency", w.pricing.currency}}},
          {"created_at", FormatIsoTime(w.created_at_ms)}};
}

bool IsCurrencyCode(const std::string& s) {
  return s.size() == 3 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// Reads name, kind and pricing of `body` over `base`; `name` is required
// when creating.
Result<Workforce> ParseWorkforce(const json& body, Workforce base, bool creating) {
  if (auto it = body.find("name"); it != body.end() || creating) {
    if (it == body.end() || !it->is_string() || it->get_ref<const std::string&>().empty() ||
        it->get_ref<const std::string&>().size() > 200) {
      return Status::InvalidArgument("name must be 1 to 200 bytes", "name");
    }
    base.name = it->get<std::string>();
  }
  if (auto it = body.find("kind"); it != body.end()) {
    std::optional<WorkforceKind> kind;
    if (it->is_string()) kind = ParseWorkforceKind(it->get_ref<const std::string&>());
    if (!kind) return Status::InvalidArgument("kind must be internal or vendor", "kind");
    base.kind = *kind;
  }
  if (auto it = body.find("pricing"); it != body.end()) {
    if (!it->is_object()) {
      return Status::InvalidArgument("pricing must be {model, rate, currency}", "pricing");
    }
    if (auto m = it->find("model"); m != it->end()) {
      std::optional<PricingModel> model;
      if (m->is_string()) model = ParsePricingModel(m->get_ref<const std::string&>());
      if (!model) {
        return Status::InvalidArgument("model must be per_label or per_hour", "pricing.model");
      }
      base.pricing.model = *model;
    }
    if (auto r = it->find("rate"); r != it->end()) {
      // A billion per label or hour is beyond any real price: a typo.
      if (!r->is_number() || !std::isfinite(r->get<double>()) || r->get<double>() < 0 ||
          r->get<double>() > 1e9) {
        return Status::InvalidArgument("rate must be a number from 0 to 1000000000",
                                       "pricing.rate");
      }
      base.pricing.rate = r->get<double>();
    }
    if (auto c = it->find("currency"); c != it->end()) {
      if (!c->is_string() || !IsCurrencyCode(c->get<std::string>())) {
        return Status::InvalidArgument("currency must be a three-letter code such as USD",
                                       "pricing.currency");
      }
      base.pricing.currency = c->get<std::string>();
    }
  }
  return base;
}

// A workforce with its members and the projects it has access to.
Result<json> WorkforceDetail(store::Store& store, const Workforce& w) {
  json out = WorkforceJson(w);
  PLUMB_ASSIGN_OR_RETURN(std::vector<User> members, store.ListWorkforceMembers(w.id));
  json member_items = json::array();
  for (const User& u : members) member_items.push_back(UserJson(u));
  out["members"] = member_items;
  PLUMB_ASSIGN_OR_RETURN(std::vector<int64_t> project_ids, store.ListWorkforceProjects(w.id));
  json projects = json::array();
  for (int64_t id : project_ids) {
    auto project = store.GetProject(id);
    // A project deleted since is simply gone from the list.
    if (project.status().code() == StatusCode::kNotFound) continue;
    if (!project.ok()) return project.status();
    projects.push_back({{"id", project->id}, {"name", project->name}});
  }
  out["projects"] = projects;
  return out;
}

// The route's workforce, for a manager or admin.
Result<Workforce> LoadManagedWorkforce(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  return ctx.services.store->GetWorkforce(ctx.ids[0]);
}

Result<Reply> ListWorkforces(Ctx& ctx) {
  std::optional<int64_t> member;
  if (!IsManager(ctx.user)) member = ctx.user.id;
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> workforces,
                         ctx.services.store->ListWorkforces(member));
  json items = json::array();
  for (const Workforce& w : workforces) items.push_back(WorkforceJson(w));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> CreateWorkforce(Ctx& ctx) {
  PLUMB_RETURN_IF_ERROR(RequireRole(ctx.user, Role::kManager));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(Workforce workforce, ParseWorkforce(body, Workforce{}, true));
  PLUMB_ASSIGN_OR_RETURN(Workforce created, ctx.services.store->CreateWorkforce(
                                                workforce, ctx.services.clock->NowMs()));
  PLUMB_ASSIGN_OR_RETURN(json out, WorkforceDetail(*ctx.services.store, created));
  Audit(ctx, "workforce.create", std::nullopt, created.name, {{"workforce_id", created.id}});
  return JsonReply(201, out);
}

Result<Reply> GetWorkforce(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Workforce workforce, ctx.services.store->GetWorkforce(ctx.ids[0]));
  if (!IsManager(ctx.user)) {
    PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> own,
                           ctx.services.store->ListWorkforces(ctx.user.id));
    bool member = std::any_of(own.begin(), own.end(),
                              [&](const Workforce& w) { return w.id == workforce.id; });
    if (!member) return Status::PermissionDenied("you are not a member of this workforce");
  }
  PLUMB_ASSIGN_OR_RETURN(json out, WorkforceDetail(*ctx.services.store, workforce));
  return JsonReply(200, out);
}

Result<Reply> PatchWorkforce(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Workforce workforce, LoadManagedWorkforce(ctx));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(Workforce changed, ParseWorkforce(body, workforce, false));
  PLUMB_ASSIGN_OR_RETURN(Workforce updated, ctx.services.store->UpdateWorkforce(changed));
  PLUMB_ASSIGN_OR_RETURN(json out, WorkforceDetail(*ctx.services.store, updated));
  Audit(ctx, "workforce.update", std::nullopt, updated.name, {{"workforce_id", updated.id}});
  return JsonReply(200, out);
}

Result<Reply> AddWorkforceMember(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Workforce workforce, LoadManagedWorkforce(ctx));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(int64_t user_id, BodyId(body, "user_id"));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->GetUser(user_id).status());
  PLUMB_RETURN_IF_ERROR(ctx.services.store->AddWorkforceMember(workforce.id, user_id));
  Audit(ctx, "workforce.member_add", std::nullopt, workforce.name,
        {{"workforce_id", workforce.id}, {"user_id", user_id}});
  return NoContent();
}

Result<Reply> RemoveWorkforceMember(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Workforce workforce, LoadManagedWorkforce(ctx));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->RemoveWorkforceMember(workforce.id, ctx.ids[1]));
  Audit(ctx, "workforce.member_remove", std::nullopt, workforce.name,
        {{"workforce_id", workforce.id}, {"user_id", ctx.ids[1]}});
  return NoContent();
}

Result<Reply> ListProjectWorkforces(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> workforces,
                         ctx.services.store->ListProjectWorkforces(project.id));
  json items = json::array();
  for (const Workforce& w : workforces) items.push_back(WorkforceJson(w));
  return JsonReply(200, {{"items", items}});
}

Result<Reply> GrantProjectAccess(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(json body, ParseJsonBody(ctx.req));
  PLUMB_ASSIGN_OR_RETURN(int64_t workforce_id, BodyId(body, "workforce_id"));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->GetWorkforce(workforce_id).status());
  PLUMB_RETURN_IF_ERROR(ctx.services.store->GrantProjectAccess(project.id, workforce_id));
  Audit(ctx, "workforce.grant", project.id, "workforce " + std::to_string(workforce_id),
        {{"workforce_id", workforce_id}});
  return NoContent();
}

Result<Reply> RevokeProjectAccess(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Project project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_RETURN_IF_ERROR(ctx.services.store->GetWorkforce(ctx.ids[1]).status());
  PLUMB_RETURN_IF_ERROR(ctx.services.store->RevokeProjectAccess(project.id, ctx.ids[1]));
  Audit(ctx, "workforce.revoke", project.id, "workforce " + std::to_string(ctx.ids[1]),
        {{"workforce_id", ctx.ids[1]}});
  return NoContent();
}

}  // namespace

std::vector<Route> WorkforceRoutes() {
  return {
      {"GET", "/api/v1/workforces", Access::kSignedIn, Handle<ListWorkforces>},
      {"POST", "/api/v1/workforces", Access::kSignedIn, Handle<CreateWorkforce>},
      {"GET", "/api/v1/workforces/{id}", Access::kSignedIn, Handle<GetWorkforce>},
      {"PATCH", "/api/v1/workforces/{id}", Access::kSignedIn, Handle<PatchWorkforce>},
      {"POST", "/api/v1/workforces/{id}/members", Access::kSignedIn, Handle<AddWorkforceMember>},
      {"DELETE", "/api/v1/workforces/{id}/members/{id}", Access::kSignedIn,
       Handle<RemoveWorkforceMember>},
      {"GET", "/api/v1/projects/{id}/workforces", Access::kSignedIn, Handle<ListProjectWorkforces>},
      {"POST", "/api/v1/projects/{id}/workforces", Access::kSignedIn, Handle<GrantProjectAccess>},
      {"DELETE", "/api/v1/projects/{id}/workforces/{id}", Access::kSignedIn,
       Handle<RevokeProjectAccess>},
  };
}

}  // namespace plumb::http
