// The HTTP application without sockets: HandleRequest on a real store (each
// test on both backends) with a fake clock, for the paths that depend on time.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "http/http.h"
#include "http/metrics.h"
#include "store/postgres/pg_test_db.h"

namespace plumb::http {
namespace {

using nlohmann::json;

// The parameter names the backend: "Sqlite" or "Postgres".
class HandlersTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/plumb-handlers-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    if (GetParam() == "Postgres") pg_url_ = store::CreateTestDatabase();
    auto store = store::OpenStore(pg_url_.empty() ? dir_ + "/t.db" : pg_url_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    services_.store = store_.get();
    services_.clock = &clock_;
    services_.metrics = std::make_shared<Metrics>();
    for (auto [name, role] :
         {std::pair{"mia", Role::kManager}, {"ann", Role::kAnnotator}, {"bob", Role::kAnnotator}}) {
      auto user = store_->CreateUser(name, "unused", role, clock_.NowMs());
      ASSERT_TRUE(user.ok());
      std::string secret = std::string("token-") + name;
      ASSERT_TRUE(store_->CreateApiToken(HashSecret(secret), user->id, "t", clock_.NowMs()).ok());
      tokens_[name] = secret;
      ids_[name] = user->id;
    }
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
    store::DropTestDatabase(pg_url_);
  }

  Reply Call(const std::string& who, const std::string& method, const std::string& path,
             const std::string& body = "", const std::string& content_type = "application/json") {
    Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.headers["authorization"] = "Bearer " + tokens_[who];
    req.headers["content-type"] = content_type;
    return HandleRequest(services_, req);
  }

  std::string dir_;
  std::string pg_url_;  // "" on SQLite
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  Services services_;
  std::map<std::string, std::string> tokens_;
  std::map<std::string, int64_t> ids_;
};

// The next-task reply is written by hand for speed; it must say what the task
// view says (without annotations), also for data with escapes and non-ASCII.
TEST_P(HandlersTest, NextReplyMatchesTheTaskView) {
  Reply created = Call("mia", "POST", "/api/v1/projects",
                       R"({"name":"p","schema":{"controls":[)"
                       R"({"name":"c","type":"choice","source":"text","labels":["a","b"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string project =
      "/api/v1/projects/" + std::to_string(json::parse(created.body)["id"].get<int64_t>());
  ASSERT_EQ(Call("mia", "POST", project + "/tasks",
                 R"({"data":{"text":"Zoë \"quoted\" 東京 🎉 <b>\n","n":[1,{"k":null}]},)"
                 R"("priority":3})",
                 "application/x-ndjson")
                .status,
            201);
  ASSERT_EQ(Call("mia", "POST", project + "/members", json{{"user_id", ids_["ann"]}}.dump()).status,
            204);
  Reply next = Call("ann", "POST", project + "/next");
  ASSERT_EQ(next.status, 200) << next.body;
  json n = json::parse(next.body);
  json view = json::parse(
      Call("ann", "GET", "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>())).body);
  view.erase("annotations");
  EXPECT_EQ(n["task"], view);
  EXPECT_EQ(n["task"]["data"]["text"], "Zoë \"quoted\" 東京 🎉 <b>\n");
  EXPECT_EQ(n["task"]["priority"], 3);
  EXPECT_EQ(n["rule"], "priority");
  EXPECT_TRUE(n["lease"]["id"].is_number_integer());
  EXPECT_TRUE(n["lease"]["expires_at"].is_string());
}

// The submit reply is written by hand too; it must be the revision as the
// annotation history shows it, also for a result and a username with
// escapes, and media.
TEST_P(HandlersTest, SubmitReplyMatchesTheRevisionHistory) {
  Reply created = Call("mia", "POST", "/api/v1/projects",
                       R"({"name":"p","schema":{"controls":[)"
                       R"({"name":"c","type":"choice","source":"text","labels":["a \"b\" 東","c"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string project =
      "/api/v1/projects/" + std::to_string(json::parse(created.body)["id"].get<int64_t>());
  ASSERT_EQ(Call("mia", "POST", project + "/tasks", R"({"data":{"text":"t"}})",
                 "application/x-ndjson")
                .status,
            201);
  ASSERT_EQ(Call("mia", "POST", project + "/members", json{{"user_id", ids_["ann"]}}.dump()).status,
            204);
  json n = json::parse(Call("ann", "POST", project + "/next").body);
  const std::string task = "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>());
  Reply submitted =
      Call("ann", "POST", task + "/annotations",
           json{{"lease_id", n["lease"]["id"]},
                {"result", {{{"control", "c"}, {"type", "choice"}, {"values", {"a \"b\" 東"}}}}},
                {"lead_time_ms", 1234},
                {"media", {{"width", 640}, {"height", 480}}}}
               .dump());
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  json history = json::parse(Call("ann", "GET", task + "/annotations").body);
  ASSERT_EQ(history["items"].size(), 1u);
  EXPECT_EQ(json::parse(submitted.body), json({{"annotation", history["items"][0]}}));
  EXPECT_EQ(history["items"][0]["lead_time_ms"], 1234);
  EXPECT_EQ(history["items"][0]["annotator"]["username"], "ann");
  EXPECT_EQ(history["items"][0]["media"]["width"], 640);
}

// deadline_soon and the near-deadline gauge follow the clock: a task turns
// "soon" once its deadline is within the project's warning window.
TEST_P(HandlersTest, DeadlineSoonFollowsTheClock) {
  Reply created = Call("mia", "POST", "/api/v1/projects",
                       R"({"name":"p","settings":{"deadline_warning_seconds":60},)"
                       R"("schema":{"controls":[)"
                       R"({"name":"c","type":"choice","source":"text","labels":["a","b"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const int64_t project_id = json::parse(created.body)["id"].get<int64_t>();
  const std::string project = "/api/v1/projects/" + std::to_string(project_id);
  const std::string deadline = FormatIsoTime(clock_.NowMs() + 120'000);
  Reply batch = Call("mia", "POST", project + "/batches",
                     json{{"tasks", {{{"data", {{"text", "t"}}}, {"deadline", deadline}}}}}.dump());
  ASSERT_EQ(batch.status, 201) << batch.body;
  ASSERT_EQ(Call("mia", "POST", project + "/members", json{{"user_id", ids_["ann"]}}.dump()).status,
            204);
  Reply next = Call("ann", "POST", project + "/next");
  ASSERT_EQ(next.status, 200) << next.body;
  json n = json::parse(next.body);
  const std::string task = "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>());
  EXPECT_EQ(n["task"]["deadline"], deadline);
  EXPECT_EQ(n["task"]["deadline_soon"], false);
  EXPECT_EQ(n["task"]["batch_id"], json::parse(batch.body)["batch"]["id"]);
  EXPECT_FALSE(n["task"].contains("golden"));
  const std::string gauge =
      "plumb_tasks_near_deadline{project=\"" + std::to_string(project_id) + "\"} ";
  EXPECT_NE(services_.metrics->Render(*store_, clock_.NowMs()).find(gauge + "0\n"),
            std::string::npos);

  clock_.AdvanceMs(61'000);
  EXPECT_EQ(json::parse(Call("ann", "GET", task).body)["deadline_soon"], true);
  EXPECT_EQ(json::parse(Call("ann", "POST", project + "/next").body)["task"]["deadline_soon"],
            true);
  EXPECT_NE(services_.metrics->Render(*store_, clock_.NowMs()).find(gauge + "1\n"),
            std::string::npos);
  json view = json::parse(Call("mia", "GET", task).body);
  EXPECT_EQ(view["golden"], false);
  EXPECT_EQ(view["deadline_soon"], true);
}

// A model's prediction comes with the task as its pre-label: the newest one.
TEST_P(HandlersTest, NextTaskCarriesTheNewestPredictionAsPrelabel) {
  Reply created =
      Call("mia", "POST", "/api/v1/projects",
           R"({"name":"p","schema":{"controls":[)"
           R"({"name":"box","type":"bbox","source":"image","labels":["bus","car"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  int64_t project_id = json::parse(created.body)["id"].get<int64_t>();
  std::string project = "/api/v1/projects/" + std::to_string(project_id);
  {
    auto writer = store_->BeginImport(project_id, clock_.NowMs());
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    store::NewTask plain{R"({"image":"/media/a.png"})", 5, std::nullopt, {}};
    store::NewTask predicted{R"({"image":"/media/b.png"})", 1, std::nullopt, {}};
    for (const char* version : {"v1", "v2"}) {
      predicted.predictions.push_back({"detector", version, 0.75,
                                       std::string(R"([{"control":"box","type":"bbox","label":")") +
                                           (std::string(version) == "v1" ? "car" : "bus") +
                                           R"(","x":1,"y":2,"w":30,"h":40,"rotation":0}])",
                                       R"({"width":640,"height":480})"});
    }
    ASSERT_TRUE((*writer)->Add(plain).ok());
    ASSERT_TRUE((*writer)->Add(predicted).ok());
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  ASSERT_EQ(Call("mia", "POST", project + "/members", json{{"user_id", ids_["ann"]}}.dump()).status,
            204);
  // Priority 5 first: no prediction, no pre-label.
  Reply first = Call("ann", "POST", project + "/next");
  ASSERT_EQ(first.status, 200) << first.body;
  json n = json::parse(first.body);
  EXPECT_FALSE(n["task"].contains("prelabel")) << first.body;
  json item = {{"control", "box"}, {"label", "bus"}, {"x", 1}, {"y", 2}, {"w", 5}, {"h", 5}};
  ASSERT_EQ(Call("ann", "POST",
                 "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>()) + "/annotations",
                 json{{"result", {item}},
                      {"media", {{"width", 640}, {"height", 480}}},
                      {"lease_id", n["lease"]["id"]}}
                     .dump())
                .status,
            201);
  Reply second = Call("ann", "POST", project + "/next");
  ASSERT_EQ(second.status, 200) << second.body;
  json prelabel = json::parse(second.body)["task"]["prelabel"];
  EXPECT_EQ(prelabel["model_name"], "detector");
  EXPECT_EQ(prelabel["model_version"], "v2");
  EXPECT_EQ(prelabel["score"], 0.75);
  EXPECT_EQ(prelabel["result"][0]["label"], "bus");
  EXPECT_EQ(prelabel["media"], json::parse(R"({"width":640,"height":480})"));
}

TEST_P(HandlersTest, ExpiredLeaseIsRejectedAndTheTaskGoesBackToTheQueue) {
  Reply created = Call("mia", "POST", "/api/v1/projects",
                       R"({"name":"p","settings":{"lease_seconds":60},"schema":{"controls":[)"
                       R"({"name":"c","type":"choice","source":"text","labels":["a","b"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  std::string project =
      "/api/v1/projects/" + std::to_string(json::parse(created.body)["id"].get<int64_t>());
  ASSERT_EQ(
      Call("mia", "POST", project + "/tasks", R"({"text":"x"})", "application/x-ndjson").status,
      201);
  for (const char* who : {"ann", "bob"}) {
    ASSERT_EQ(Call("mia", "POST", project + "/members", json{{"user_id", ids_[who]}}.dump()).status,
              204);
  }
  json lease = json::parse(Call("ann", "POST", project + "/next").body);
  // The only task is leased: nothing for bob while ann's lease lives.
  EXPECT_EQ(Call("bob", "POST", project + "/next").status, 204);

  clock_.AdvanceMs(61'000);
  std::string submit =
      "/api/v1/tasks/" + std::to_string(lease["task"]["id"].get<int64_t>()) + "/annotations";
  json body = {{"result", {{{"control", "c"}, {"values", {"a"}}}}},
               {"lease_id", lease["lease"]["id"]}};
  Reply late = Call("ann", "POST", submit, body.dump());
  EXPECT_EQ(late.status, 409);
  EXPECT_EQ(json::parse(late.body)["error"]["code"], "lease_expired");

  // The slot is free again: bob gets the task and can submit.
  Reply bobs = Call("bob", "POST", project + "/next");
  ASSERT_EQ(bobs.status, 200);
  json bob_lease = json::parse(bobs.body);
  body["lease_id"] = bob_lease["lease"]["id"];
  EXPECT_EQ(Call("bob", "POST", submit, body.dump()).status, 201);
  EXPECT_EQ(Call("ann", "POST", project + "/next").status, 204);
}

// Settled days come from the analytics cache, recent ones from the store on
// every call; the two add up, and a new label on a recent day shows at once.
TEST_P(HandlersTest, AnalyticsAddTheCachedSettledDaysToTheRecentOnes) {
  services_.analytics_cache = NewAnalyticsCache();
  Reply created = Call("mia", "POST", "/api/v1/projects",
                       R"({"name":"p","schema":{"controls":[)"
                       R"({"name":"c","type":"choice","source":"text","labels":["a","b"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string project =
      "/api/v1/projects/" + std::to_string(json::parse(created.body)["id"].get<int64_t>());
  ASSERT_EQ(Call("mia", "POST", project + "/tasks",
                 "{\"data\":{\"text\":\"x\"}}\n{\"data\":{\"text\":\"y\"}}\n",
                 "application/x-ndjson")
                .status,
            201);
  ASSERT_EQ(Call("mia", "POST", project + "/members",
                 json{{"user_id", ids_["ann"]}}.dump())
                .status,
            204);
  auto label = [&]() {
    Reply next = Call("ann", "POST", project + "/next");
    ASSERT_EQ(next.status, 200) << next.body;
    json n = json::parse(next.body);
    Reply sub = Call("ann", "POST",
                     "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>()) +
                         "/annotations",
                     json{{"lease_id", n["lease"]["id"]},
                          {"lead_time_ms", 1000},
                          {"result", json::parse(R"([{"control":"c","values":["a"]}])")}}
                         .dump());
    ASSERT_EQ(sub.status, 201) << sub.body;
  };
  auto labels = [&]() {
    Reply r = Call("mia", "GET", project + "/analytics/summary");
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["totals"]["labels"].get<int64_t>();
  };
  label();
  EXPECT_EQ(labels(), 1);
  clock_.AdvanceMs(2 * 86'400'000);  // the first label's day is settled now
  EXPECT_EQ(labels(), 1);             // from the cache's read
  label();
  EXPECT_EQ(labels(), 2);  // one cached, one recent
  EXPECT_EQ(labels(), 2);
  Reply days = Call("mia", "GET", project + "/analytics/timeseries");
  json items = json::parse(days.body)["items"];
  ASSERT_GE(items.size(), 3u);
  EXPECT_EQ(items[items.size() - 1]["labels"], 1);
  EXPECT_EQ(items[items.size() - 3]["labels"], 1);
}

TEST_P(HandlersTest, UnknownRoutesAndStaticFallback) {
  Reply r = Call("mia", "GET", "/api/v1/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "not_found");
  EXPECT_EQ(Call("mia", "PUT", "/api/v1/projects").status, 405);
  // No UI configured: a browser path is a JSON 404 too.
  EXPECT_EQ(Call("mia", "GET", "/projects/3").status, 404);
}

TEST_P(HandlersTest, ServesTheUiAndMediaOnlyToSignedInUsers) {
  std::filesystem::create_directories(dir_ + "/web/assets");
  std::filesystem::create_directories(dir_ + "/media/images");
  auto write = [](const std::string& path, const std::string& text) {
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(text.c_str(), f);
    std::fclose(f);
  };
  write(dir_ + "/web/index.html", "<html>app</html>");
  write(dir_ + "/web/assets/app.js", "console.log(1)");
  write(dir_ + "/media/images/a.png", "png");
  write(dir_ + "/secret.txt", "secret");
  services_.web_root = dir_ + "/web";
  services_.media_root = dir_ + "/media";

  Reply index = Call("mia", "GET", "/projects/3/label");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.file, dir_ + "/web/index.html");
  Reply js = Call("mia", "GET", "/assets/app.js");
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  // API paths never fall back to the app.
  EXPECT_EQ(Call("mia", "GET", "/api/v1/nope").status, 404);

  Request anonymous;
  anonymous.method = "GET";
  anonymous.path = "/media/images/a.png";
  EXPECT_EQ(HandleRequest(services_, anonymous).status, 401);
  Reply png = Call("ann", "GET", "/media/images/a.png");
  EXPECT_EQ(png.status, 200);
  EXPECT_EQ(png.content_type, "image/png");
  bool sandboxed = false;
  for (const auto& [name, value] : png.headers) {
    sandboxed |= name == "Content-Security-Policy" && value.find("sandbox") != std::string::npos;
  }
  EXPECT_TRUE(sandboxed);
  // Nothing outside the roots, whatever the path says.
  EXPECT_EQ(Call("ann", "GET", "/media/../secret.txt").status, 404);
  EXPECT_EQ(Call("ann", "GET", "/media/images/missing.png").status, 404);
  EXPECT_NE(Call("ann", "GET", "/../secret.txt").file, dir_ + "/secret.txt");
}

// Video and audio players seek with Range requests.
TEST_P(HandlersTest, MediaAnswerByteRanges) {
  std::filesystem::create_directories(dir_ + "/media");
  {
    FILE* f = std::fopen((dir_ + "/media/clip.webm").c_str(), "w");
    std::fputs("0123456789", f);
    std::fclose(f);
  }
  services_.media_root = dir_ + "/media";
  auto get = [&](const std::string& range) {
    Request req;
    req.method = "GET";
    req.path = "/media/clip.webm";
    req.headers["authorization"] = "Bearer " + tokens_["ann"];
    if (!range.empty()) req.headers["range"] = range;
    return HandleRequest(services_, req);
  };
  auto header = [](const Reply& r, const std::string& name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return std::string();
  };
  Reply whole = get("");
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.content_type, "video/webm");
  EXPECT_EQ(header(whole, "Accept-Ranges"), "bytes");
  struct RangeCase {
    const char* range;
    int status;
    const char* body;
    const char* content_range;
  };
  const RangeCase cases[] = {
      {"bytes=2-4", 206, "234", "bytes 2-4/10"},
      {"bytes=7-", 206, "789", "bytes 7-9/10"},
      {"bytes=-3", 206, "789", "bytes 7-9/10"},
      {"bytes=-30", 206, "0123456789", "bytes 0-9/10"},
      {"bytes=8-100", 206, "89", "bytes 8-9/10"},
      {"bytes=10-", 416, nullptr, "bytes */10"},
      // Not one satisfiable byte range: the whole file.
      {"bytes=4-2", 200, nullptr, ""},
      {"bytes=0-1,4-5", 200, nullptr, ""},
      {"items=0-1", 200, nullptr, ""},
      {"bytes=x-", 200, nullptr, ""},
  };
  for (const RangeCase& c : cases) {
    Reply r = get(c.range);
    EXPECT_EQ(r.status, c.status) << c.range;
    if (c.body != nullptr) EXPECT_EQ(r.body, c.body) << c.range;
    if (c.status == 200) EXPECT_EQ(r.file, dir_ + "/media/clip.webm") << c.range;
    EXPECT_EQ(header(r, "Content-Range"), c.content_range) << c.range;
  }
  Request anonymous;
  anonymous.method = "GET";
  anonymous.path = "/media/clip.webm";
  anonymous.headers["range"] = "bytes=0-3";
  EXPECT_EQ(HandleRequest(services_, anonymous).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, HandlersTest, ::testing::Values("Sqlite", "Postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace plumb::http
