// Sessions, API tokens and users.

#include "http/api_internal.h"
#include "http/request_util.h"

namespace plumb::http {
namespace {

using nlohmann::json;

// Two weeks: a labeler's browser stays signed in across a working week.
constexpr int64_t kSessionSeconds = 14 * 24 * 3600;

Result<std::string> StringField(const json& body, const char* name, size_t max_len) {
  auto it = body.find(name);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty()) {
    return Status::InvalidArgument(std::string(name) + " is required", name);
  }
  if (it->get<std::string>().size() > max_len) {
    return Status::InvalidArgument(std::string(name) + " is too long", name);
  }
  return it->get<std::string>();
}

Reply Login(Ctx& ctx) {
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto username = StringField(*body, "username", 200);
  if (!username.ok()) return ErrorReply(username.status());
  auto password = StringField(*body, "password", 1000);
  if (!password.ok()) return ErrorReply(password.status());
  auto found = ctx.services.store->FindUserByName(*username);
  // One message for an unknown user and a wrong password: no user enumeration.
  if (!found.ok() || !VerifyPassword(found->password_hash, *password)) {
    if (!found.ok() && found.status().code() != StatusCode::kNotFound) {
      return ErrorReply(found.status());
    }
    return ErrorReply(Status::Unauthenticated("wrong username or password"));
  }
  std::string secret = NewSecret();
  Status s = ctx.services.store->CreateSession(
      HashSecret(secret), found->user.id, ctx.services.clock->NowMs() + kSessionSeconds * 1000);
  if (!s.ok()) return ErrorReply(s);
  Reply reply = JsonReply(200, {{"user", UserJson(found->user)}});
  std::string cookie = "plumb_session=" + secret +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(kSessionSeconds);
  if (ctx.services.secure_cookies) cookie += "; Secure";
  reply.headers.emplace_back("Set-Cookie", cookie);
  return reply;
}

Reply Logout(Ctx& ctx) {
  std::string secret = CookieValue(ctx.req.Header("cookie"), "plumb_session");
  if (!secret.empty()) {
    Status s = ctx.services.store->DeleteSession(HashSecret(secret));
    if (!s.ok()) return ErrorReply(s);
  }
  Reply reply = NoContent();
  reply.headers.emplace_back("Set-Cookie",
                             "plumb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return reply;
}

Reply Me(Ctx& ctx) { return JsonReply(200, UserJson(ctx.user)); }

Reply CreateToken(Ctx& ctx) {
  std::string name = "api";
  if (!ctx.req.body.empty()) {
    auto body = ParseJsonBody(ctx.req);
    if (!body.ok()) return ErrorReply(body.status());
    if (body->contains("name")) {
      if (!(*body)["name"].is_string() || (*body)["name"].get<std::string>().size() > 200) {
        return ErrorReply(Status::InvalidArgument("name must be a short string", "name"));
      }
      name = (*body)["name"].get<std::string>();
    }
  }
  std::string secret = NewSecret();
  auto id = ctx.services.store->CreateApiToken(HashSecret(secret), ctx.user.id, name,
                                               ctx.services.clock->NowMs());
  if (!id.ok()) return ErrorReply(id.status());
  Audit(ctx, "token.create", std::nullopt, name, {{"token_id", *id}});
  return JsonReply(201, {{"id", *id}, {"token", secret}, {"name", name}});
}

Reply CreateUser(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kAdmin); !s.ok()) return ErrorReply(s);
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto username = StringField(*body, "username", 64);
  if (!username.ok()) return ErrorReply(username.status());
  for (unsigned char c : *username) {
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.' || c == '@')) {
      return ErrorReply(Status::InvalidArgument(
          "username may hold letters, digits and _ - . @ only", "username"));
    }
  }
  auto password = StringField(*body, "password", 1000);
  if (!password.ok()) return ErrorReply(password.status());
  if (password->size() < 8) {
    return ErrorReply(Status::InvalidArgument("password needs at least 8 characters", "password"));
  }
  auto role_name = StringField(*body, "role", 20);
  if (!role_name.ok()) return ErrorReply(role_name.status());
  auto role = ParseRole(*role_name);
  if (!role) {
    return ErrorReply(
        Status::InvalidArgument("role must be admin, manager, reviewer or annotator", "role"));
  }
  auto hash = HashPassword(*password);
  if (!hash.ok()) return ErrorReply(hash.status());
  auto user =
      ctx.services.store->CreateUser(*username, *hash, *role, ctx.services.clock->NowMs());
  if (!user.ok()) return ErrorReply(user.status());
  Audit(ctx, "user.create", std::nullopt, user->username,
        {{"user_id", user->id}, {"role", RoleName(user->role)}});
  return JsonReply(201, UserJson(*user));
}

Reply ListUsers(Ctx& ctx) {
  if (Status s = RequireRole(ctx.user, Role::kManager); !s.ok()) return ErrorReply(s);
  auto users = ctx.services.store->ListUsers();
  if (!users.ok()) return ErrorReply(users.status());
  json items = json::array();
  for (const User& u : *users) items.push_back(UserJson(u));
  return JsonReply(200, {{"items", items}});
}

}  // namespace

std::vector<Route> AuthRoutes() {
  return {
      {"POST", "/api/v1/auth/login", Access::kPublic, Login},
      {"POST", "/api/v1/auth/logout", Access::kPublic, Logout},
      {"GET", "/api/v1/me", Access::kSignedIn, Me},
      {"POST", "/api/v1/tokens", Access::kSignedIn, CreateToken},
      {"POST", "/api/v1/users", Access::kSignedIn, CreateUser},
      {"GET", "/api/v1/users", Access::kSignedIn, ListUsers},
  };
}

}  // namespace plumb::http
