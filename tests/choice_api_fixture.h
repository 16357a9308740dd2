#pragma once
// Shared by the API tests that drive a project with one single-choice control
// ("sentiment") through the real `plumb serve`, on both backends: the server
// and its admin, users, projects, imports, members and raw requests.

#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server_process.h"

namespace plumb::test {

inline constexpr const char* kSentimentSchema =
    R"({"controls":[{"name":"sentiment","type":"choice","source":"text",)"
    R"("labels":["positive","negative","neutral"]}]})";

inline nlohmann::json Body(const HttpResponse& res) {
  return nlohmann::json::parse(res.body, nullptr, false);
}

// A result choosing `value` for "sentiment".
inline nlohmann::json Choice(const std::string& value) {
  return nlohmann::json::array(
      {{{"control", "sentiment"}, {"type", "choice"}, {"values", {value}}}});
}

inline std::string T(int64_t task, const std::string& rest = "") {
  return "/api/v1/tasks/" + std::to_string(task) + rest;
}

inline std::string P(int64_t project, const std::string& rest = "") {
  return "/api/v1/projects/" + std::to_string(project) + rest;
}

inline std::string ParamName(const ::testing::TestParamInfo<Backend>& info) {
  return BackendName(info.param);
}

class ChoiceApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  ChoiceApiTest() : database_(GetParam()), server_(ServerConfig{.db = database_.location()}) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << "plumb serve did not start";
    admin_ =
        std::make_unique<Client>(Client::Login(server_, "admin", ServerProcess::kAdminPassword));
  }

  Client NewUser(const std::string& name, const std::string& role, int64_t* id) {
    auto res = admin_->Post(
        "/api/v1/users",
        nlohmann::json{{"username", name}, {"password", name + "-password"}, {"role", role}}
            .dump());
    EXPECT_EQ(res.status, 201) << res.body;
    *id = Body(res)["id"].get<int64_t>();
    return Client::Login(server_, name, name + "-password");
  }

  int64_t NewProject(const Client& manager, const nlohmann::json& settings,
                     const std::string& name = "Project") {
    auto res = manager.Post("/api/v1/projects",
                            nlohmann::json{{"name", name},
                                           {"schema", nlohmann::json::parse(kSentimentSchema)},
                                           {"settings", settings}}
                                .dump());
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

  // Imports n tasks ("text 0", "text 1", ...); returns their ids in order.
  std::vector<int64_t> Import(const Client& manager, int64_t project, int n) {
    nlohmann::json records = nlohmann::json::array();
    for (int i = 0; i < n; ++i) records.push_back({{"text", "text " + std::to_string(i)}});
    auto res = manager.Post(P(project, "/tasks"), records.dump(), "application/json");
    EXPECT_EQ(res.status, 201) << res.body;
    nlohmann::json page = Body(manager.Get(P(project, "/tasks?limit=1000")));
    std::vector<int64_t> ids;
    for (const nlohmann::json& t : page["items"]) ids.push_back(t["id"].get<int64_t>());
    return ids;
  }

  void AddMember(const Client& manager, int64_t project, int64_t user) {
    ASSERT_EQ(manager.Post(P(project, "/members"), nlohmann::json{{"user_id", user}}.dump()).status,
              204);
  }

  // A request by a signed-in client with any method (Client has GET, POST,
  // PATCH and DELETE of its own).
  HttpResponse Send(const Client& who, const std::string& method, const std::string& target,
                    const std::string& body,
                    const std::string& content_type = "application/json") const {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers["Cookie"] = who.cookie();
    req.headers["Content-Type"] = content_type;
    return server_.Send(req);
  }

  std::string State(int64_t task) { return Body(admin_->Get(T(task)))["state"].get<std::string>(); }

  TestDatabase database_;  // outlives server_
  ServerProcess server_;
  std::unique_ptr<Client> admin_;
};

}  // namespace plumb::test
