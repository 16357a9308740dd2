// API tests against the real `plumb serve` on a loopback port with a
// temporary database: the whole labeling flow and its error paths.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "server_process.h"

namespace plumb::test {
namespace {

using nlohmann::json;

constexpr const char* kSchema =
    R"({"controls":[{"name":"sentiment","type":"choice","source":"text",)"
    R"("labels":["positive","negative","neutral"]}]})";

json Body(const HttpResponse& res) {
  json j = json::parse(res.body, nullptr, false);
  return j;
}

// Every API test runs on both store backends.
class ApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  explicit ApiTest(std::vector<std::string> serve_args = {})
      : database_(GetParam()),
        server_(ServerConfig{.serve_args = std::move(serve_args), .db = database_.location()}) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << "plumb serve did not start";
    admin_ = std::make_unique<Client>(
        Client::Login(server_, "admin", ServerProcess::kAdminPassword));
  }

  // Creates a user through the API and returns a signed-in client for them.
  Client NewUser(const std::string& name, const std::string& role, int64_t* id = nullptr) {
    auto res = admin_->Post("/api/v1/users", json{{"username", name},
                                                  {"password", name + "-password"},
                                                  {"role", role}}
                                                 .dump());
    EXPECT_EQ(res.status, 201) << res.body;
    if (id) *id = Body(res)["id"].get<int64_t>();
    return Client::Login(server_, name, name + "-password");
  }

  int64_t NewProject(const Client& manager, const std::string& settings = "{}") {
    auto res = manager.Post("/api/v1/projects", std::string(R"({"name":"Reviews","schema":)") +
                                                    kSchema + R"(,"settings":)" + settings + "}");
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

  std::string P(int64_t project, const std::string& rest = "") {
    return "/api/v1/projects/" + std::to_string(project) + rest;
  }

  TestDatabase database_;  // outlives server_
  ServerProcess server_;
  std::unique_ptr<Client> admin_;
};

std::string ParamName(const ::testing::TestParamInfo<Backend>& info) {
  return BackendName(info.param);
}

TEST_P(ApiTest, LoginProjectImportNextSubmitExport) {
  Client manager = NewUser("mia", "manager");
  int64_t annotator_id = 0;
  Client annotator = NewUser("ann", "annotator", &annotator_id);
  EXPECT_EQ(Body(annotator.Get("/api/v1/me"))["role"], "annotator");

  int64_t project = NewProject(manager);
  auto imported = manager.Post(P(project, "/tasks"),
                               "{\"text\":\"great \xC3\xA9 \xF0\x9F\x98\x80\"}\n"
                               "{\"data\":{\"text\":\"awful\"},\"priority\":5}\n"
                               "{\"text\":\"<b>meh</b>\"}\n",
                               "application/x-ndjson");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Body(imported)["imported"], 3);

  // Not a member yet: no access.
  EXPECT_EQ(annotator.Post(P(project, "/next"), "").status, 403);
  ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", annotator_id}}.dump()).status,
            204);

  // Priority first: the "awful" task comes first; asking again returns the same lease.
  auto next = annotator.Post(P(project, "/next"), "");
  ASSERT_EQ(next.status, 200) << next.body;
  json n = Body(next);
  EXPECT_EQ(n["task"]["data"]["text"], "awful");
  auto again = Body(annotator.Post(P(project, "/next"), ""));
  EXPECT_EQ(again["lease"]["id"], n["lease"]["id"]);
  EXPECT_EQ(again["rule"], "existing_lease");

  std::vector<std::string> chosen = {"negative", "positive", "neutral"};
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (i > 0) n = Body(annotator.Post(P(project, "/next"), ""));
    int64_t task = n["task"]["id"].get<int64_t>();
    json body = {{"result", {{{"control", "sentiment"}, {"type", "choice"}, {"values", {chosen[i]}}}}},
                 {"lease_id", n["lease"]["id"]},
                 {"lead_time_ms", 1200}};
    auto sub = annotator.Post("/api/v1/tasks/" + std::to_string(task) + "/annotations", body.dump());
    ASSERT_EQ(sub.status, 201) << sub.body;
    EXPECT_EQ(Body(sub)["annotation"]["revision"], 1);
  }
  EXPECT_EQ(annotator.Post(P(project, "/next"), "").status, 204);
  auto progress = Body(annotator.Get(P(project, "/progress")));
  EXPECT_EQ(progress["done"], 3);
  EXPECT_EQ(progress["mine"], 3);

  // Task table: filters and pagination.
  auto page = Body(manager.Get(P(project, "/tasks?state=done&limit=2")));
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["annotations"][0]["annotator"]["username"], "ann");
  auto page2 = Body(manager.Get(P(project, "/tasks?state=done&limit=2&cursor=") +
                                page["next_cursor"].get<std::string>()));
  ASSERT_EQ(page2["items"].size(), 1u);
  EXPECT_TRUE(page2["next_cursor"].is_null());
  EXPECT_EQ(Body(manager.Get(P(project, "/tasks?state=new")))["total"], 0);

  // Export in every format holds the labels.
  auto exp = manager.Get(P(project, "/export?format=json"));
  ASSERT_EQ(exp.status, 200) << exp.body;
  json records = Body(exp);
  ASSERT_EQ(records.size(), 3u);
  std::multiset<std::string> labels;
  for (const json& r : records) {
    labels.insert(r["label"]["sentiment"].get<std::string>());
    EXPECT_EQ(r["annotator"], "ann");
  }
  EXPECT_EQ(labels, (std::multiset<std::string>{"negative", "positive", "neutral"}));
  EXPECT_EQ(records[0]["data"]["text"], "great \xC3\xA9 \xF0\x9F\x98\x80");
  auto jsonl = manager.Get(P(project, "/export?format=jsonl"));
  EXPECT_EQ(std::count(jsonl.body.begin(), jsonl.body.end(), '\n'), 3);
  auto csv = manager.Get(P(project, "/export?format=csv"));
  EXPECT_NE(csv.body.find("negative"), std::string::npos);
  EXPECT_EQ(csv.headers["content-disposition"].find("attachment"), 0u);
}

// The io and handler threads run under SCHED_BATCH (server.cc says why).
TEST_P(ApiTest, TheServersThreadsRunUnderBatchScheduling) {
  int batch = 0, threads = 0;
  const std::string dir = "/proc/" + std::to_string(server_.pid()) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const pid_t tid = std::stoi(entry.path().filename().string());
    const int policy = sched_getscheduler(tid);
    if (policy < 0) continue;  // the thread ended meanwhile
    ++threads;
    if (policy == SCHED_BATCH) ++batch;
  }
  // 48 handler threads and 2 io threads by default; other threads of the
  // process (webhooks, the prediction runner) may start before the server.
  EXPECT_GE(batch, 50) << threads << " threads";
}

TEST_P(ApiTest, ErrorsAreJsonWithTheRightStatus) {
  Client manager = NewUser("mia", "manager");
  auto bad_json = manager.Post("/api/v1/projects", "{\"name\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(Body(bad_json)["error"]["code"], "invalid_argument");

  auto bad_schema = manager.Post(
      "/api/v1/projects",
      R"({"name":"x","schema":{"controls":[{"name":"a","type":"choice","source":"t","labels":["x","x"]}]}})");
  EXPECT_EQ(bad_schema.status, 400);
  EXPECT_EQ(Body(bad_schema)["error"]["field"], "schema.controls[0].labels[1]");

  auto unknown = manager.Get("/api/v1/nothing/here");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Body(unknown)["error"]["code"], "not_found");
  EXPECT_EQ(manager.Get("/api/v1/projects/999999").status, 404);

  Client nobody(server_, "");
  EXPECT_EQ(nobody.Get("/api/v1/projects").status, 401);
  int status = 0;
  Client::Login(server_, "mia", "wrong-password", &status);
  EXPECT_EQ(status, 401);

  int64_t project = NewProject(manager);
  auto wrong_type = manager.Post(P(project, "/tasks"), "text=1", "application/x-www-form-urlencoded");
  EXPECT_EQ(wrong_type.status, 415);
  // A stranger's upload is refused from its headers alone.
  auto stranger = nobody.Post(P(project, "/tasks"), R"([{"text":"x"}])", "application/json");
  EXPECT_EQ(stranger.status, 401);
  EXPECT_EQ(Body(stranger)["error"]["code"], "unauthenticated");
  EXPECT_EQ(manager.Post(P(999999, "/tasks"), "[]", "application/json").status, 404);
}

TEST_P(ApiTest, BadImportLineStoresNothing) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  auto res = manager.Post(P(project, "/tasks"),
                          "{\"text\":\"a\"}\n{\"text\":\"b\"}\n{\"text\": oops}\n{\"text\":\"d\"}\n",
                          "application/x-ndjson");
  EXPECT_EQ(res.status, 400);
  EXPECT_EQ(Body(res)["error"]["line"], 3);
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["total"], 0);

  auto missing = manager.Post(P(project, "/tasks"), "text,other\nfine,1\n", "text/csv");
  EXPECT_EQ(missing.status, 201) << missing.body;
  auto no_field = manager.Post(P(project, "/tasks"), "[{\"text\":\"a\"},\n{\"body\":\"b\"}]",
                               "application/json");
  EXPECT_EQ(no_field.status, 400);
  EXPECT_EQ(Body(no_field)["error"]["line"], 2);
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["total"], 1);
}

TEST_P(ApiTest, RolesAreEnforced) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0, bob_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  int64_t project = NewProject(manager, R"({"overlap":2})");
  ASSERT_EQ(manager.Post(P(project, "/tasks"), R"([{"text":"one"}])", "application/json").status,
            201);
  for (int64_t id : {ann_id, bob_id}) {
    ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", id}}.dump()).status, 204);
  }

  EXPECT_EQ(ann.Post("/api/v1/projects", std::string(R"({"name":"x","schema":)") + kSchema + "}")
                .status,
            403);
  EXPECT_EQ(ann.Post(P(project, "/tasks"), R"([{"text":"x"}])", "application/json").status, 403);
  EXPECT_EQ(ann.Get(P(project, "/export?format=json")).status, 403);
  EXPECT_EQ(ann.Get(P(project, "/tasks")).status, 403);
  EXPECT_EQ(ann.Post("/api/v1/users", R"({"username":"x","password":"xxxxxxxx","role":"admin"})")
                .status,
            403);
  EXPECT_EQ(ann.Delete(P(project)).status, 403);
  EXPECT_EQ(ann.Patch(P(project), R"({"name":"mine"})").status, 403);

  // Both label the same task (overlap 2); each sees only their own annotation.
  int64_t task = 0;
  for (const Client* c : {&ann, &bob}) {
    json n = Body(c->Post(P(project, "/next"), ""));
    task = n["task"]["id"].get<int64_t>();
    json body = {{"result", {{{"control", "sentiment"}, {"values", {"positive"}}}}},
                 {"lease_id", n["lease"]["id"]}};
    ASSERT_EQ(c->Post("/api/v1/tasks/" + std::to_string(task) + "/annotations", body.dump()).status,
              201);
  }
  std::string history = "/api/v1/tasks/" + std::to_string(task) + "/annotations";
  auto mine = Body(ann.Get(history));
  ASSERT_EQ(mine["items"].size(), 1u);
  EXPECT_EQ(mine["items"][0]["annotator"]["username"], "ann");
  auto task_view = Body(bob.Get("/api/v1/tasks/" + std::to_string(task)));
  ASSERT_EQ(task_view["annotations"].size(), 1u);
  EXPECT_EQ(task_view["annotations"][0]["annotator"]["username"], "bob");
  EXPECT_EQ(Body(manager.Get(history))["items"].size(), 2u);
  // The same person never gets the task twice.
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 204);
}

TEST_P(ApiTest, DuplicateSubmitWithIdempotencyKeyMakesOneAnnotation) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager);
  manager.Post(P(project, "/tasks"), R"([{"text":"one"},{"text":"two"}])", "application/json");
  manager.Post(P(project, "/members"), json{{"user_id", ann_id}}.dump());
  json n = Body(ann.Post(P(project, "/next"), ""));
  std::string target = "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>()) +
                       "/annotations";
  json body = {{"result", {{{"control", "sentiment"}, {"values", {"neutral"}}}}},
               {"lease_id", n["lease"]["id"]}};
  auto first = ann.Post(target, body.dump(), "application/json", {{"Idempotency-Key", "k-1"}});
  auto second = ann.Post(target, body.dump(), "application/json", {{"Idempotency-Key", "k-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_EQ(second.status, 201) << second.body;
  EXPECT_EQ(Body(first)["annotation"]["id"], Body(second)["annotation"]["id"]);
  EXPECT_EQ(Body(ann.Get(target))["items"].size(), 1u);
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["done"], 1);

  // A result that does not fit the schema: 422 naming the item, nothing stored.
  json n2 = Body(ann.Post(P(project, "/next"), ""));
  std::string target2 = "/api/v1/tasks/" + std::to_string(n2["task"]["id"].get<int64_t>()) +
                        "/annotations";
  json bad = {{"result", {{{"control", "sentiment"}, {"values", {"furious"}}}}},
              {"lease_id", n2["lease"]["id"]}};
  auto rejected = ann.Post(target2, bad.dump());
  EXPECT_EQ(rejected.status, 422);
  EXPECT_EQ(Body(rejected)["error"]["field"], "result[0].values[0]");
  EXPECT_EQ(Body(ann.Get(target2))["items"].size(), 0u);
  // Someone else's lease is a conflict.
  Client bob = NewUser("bob", "annotator");
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["done"], 1);
  auto skip = ann.Post("/api/v1/tasks/" + std::to_string(n2["task"]["id"].get<int64_t>()) + "/skip",
                       json{{"lease_id", n2["lease"]["id"]}}.dump());
  EXPECT_EQ(skip.status, 200) << skip.body;
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 204);
}

TEST_P(ApiTest, BoxesAreCheckedAgainstTheSubmittedMedia) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  auto created =
      manager.Post("/api/v1/projects",
                   R"({"name":"Boxes","schema":{"controls":[{"name":"objects","type":"bbox",)"
                   R"("source":"image","labels":["bus","truck"]}]}})");
  ASSERT_EQ(created.status, 201) << created.body;
  int64_t project = Body(created)["id"].get<int64_t>();
  manager.Post(P(project, "/tasks"), R"([{"image":"/media/a.png"}])", "application/json");
  manager.Post(P(project, "/members"), json{{"user_id", ann_id}}.dump());
  json n = Body(ann.Post(P(project, "/next"), ""));
  std::string target =
      "/api/v1/tasks/" + std::to_string(n["task"]["id"].get<int64_t>()) + "/annotations";
  json box = {
      {"control", "objects"}, {"label", "bus"}, {"x", 600}, {"y", 10}, {"w", 40}, {"h", 30}};
  // Without the media's natural size a box cannot be checked: 422, nothing stored.
  auto no_media = ann.Post(target, json{{"result", {box}}, {"lease_id", n["lease"]["id"]}}.dump());
  EXPECT_EQ(no_media.status, 422) << no_media.body;
  EXPECT_EQ(Body(no_media)["error"]["field"], "media.width");
  // 600 + 40 leaves a 620-pixel-wide image.
  auto outside = ann.Post(target, json{{"result", {box}},
                                       {"media", {{"width", 620}, {"height", 400}}},
                                       {"lease_id", n["lease"]["id"]}}
                                      .dump());
  EXPECT_EQ(outside.status, 422) << outside.body;
  EXPECT_EQ(Body(outside)["error"]["field"], "result[0].w");
  EXPECT_EQ(Body(ann.Get(target))["items"].size(), 0u);
  auto ok = ann.Post(target, json{{"result", {box}},
                                  {"media", {{"width", 640}, {"height", 400}, {"zoom", 3}}},
                                  {"lease_id", n["lease"]["id"]}}
                                 .dump());
  ASSERT_EQ(ok.status, 201) << ok.body;
  json history = Body(ann.Get(target))["items"];
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["media"], json::parse(R"({"width":640,"height":400})"));
  EXPECT_EQ(history[0]["result"][0]["w"], 40);
  EXPECT_EQ(history[0]["result"][0]["rotation"], 0);
}

TEST_P(ApiTest, MetricsAndHealth) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  manager.Post(P(project, "/tasks"), R"([{"text":"one"}])", "application/json");
  HttpRequest req;
  req.target = "/metrics";
  auto metrics = server_.Send(req);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("plumb_http_requests_total{route=\"/api/v1/projects\",method=\"POST\""
                              ",status=\"201\"} 1"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("plumb_http_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(metrics.body.find("plumb_tasks{project=\"" + std::to_string(project) +
                              "\",state=\"new\"} 1"),
            std::string::npos);
}

TEST_P(ApiTest, GracefulShutdownKeepsAcknowledgedWrites) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  ASSERT_EQ(manager.Post(P(project, "/tasks"), R"([{"text":"one"},{"text":"two"}])",
                         "application/json")
                .status,
            201);
  EXPECT_EQ(server_.Stop(SIGTERM), 0);
  std::string out;
  ASSERT_EQ(RunPlumb({"export", "--db", server_.db_path(), "--project", std::to_string(project),
                      "--format", "jsonl"},
                     {}, &out),
            0)
      << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
}

TEST_P(ApiTest, CliImportPicksTheFormatByExtensionAndIsAllOrNothing) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  ASSERT_EQ(server_.Stop(SIGTERM), 0);
  const std::string id = std::to_string(project);
  const std::string good = server_.dir() + "/tasks.csv", bad = server_.dir() + "/bad.jsonl";
  FILE* f = std::fopen(good.c_str(), "w");
  std::fputs("text,lang\n\"hello, world\",en\nbonjour,fr\n", f);
  std::fclose(f);
  f = std::fopen(bad.c_str(), "w");
  std::fputs("{\"text\":\"a\"}\n{\"nope\":1}\n", f);
  std::fclose(f);
  std::string out;
  EXPECT_EQ(RunPlumb({"import", "--db", server_.db_path(), "--project", id, good}, {}, &out), 0)
      << out;
  EXPECT_NE(RunPlumb({"import", "--db", server_.db_path(), "--project", id, bad}, {}, &out), 0);
  EXPECT_NE(out.find("line 2"), std::string::npos) << out;
  ASSERT_EQ(RunPlumb({"export", "--db", server_.db_path(), "--project", id, "--format", "csv"}, {},
                     &out),
            0);
  EXPECT_NE(out.find("hello, world"), std::string::npos) << out;
  EXPECT_EQ(out.find("\"a\""), std::string::npos) << out;
}

// A handler's worker sends a small reply itself; a large one the
// connection's io thread writes. Three requests sent at once by a client
// that reads slowly through a small receive buffer: a ~5 MB page (past
// what a worker sends, and past what the socket buffers), a small page and
// a smaller one. Each arrives whole and in order on the one kept
// connection. (SendNow's own test fills a socket to see the partial send.)
TEST_P(ApiTest, PipelinedRepliesToASlowReaderArriveWholeAndInOrder) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  json tasks = json::array();
  for (int i = 0; i < 1000; ++i) tasks.push_back({{"text", std::string(5000, 'a' + i % 26)}});
  ASSERT_EQ(manager.Post(P(project, "/tasks"), tasks.dump(), "application/json").status, 201);

  const int fd = ConnectLoopback(server_.port(), /*rcvbuf=*/4096);
  ASSERT_GE(fd, 0);
  const std::vector<int> limits = {1000, 8, 1};
  std::string requests;
  for (int limit : limits) {
    requests += "GET " + P(project, "/tasks?limit=") + std::to_string(limit) +
                " HTTP/1.1\r\nHost: x\r\nCookie: " + manager.cookie() + "\r\n\r\n";
  }
  ASSERT_EQ(::send(fd, requests.data(), requests.size(), 0),
            static_cast<ssize_t>(requests.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the server fills the socket
  std::string pending;
  // One response: headers, then Content-Length bytes of body.
  auto read_reply = [&]() {
    char buf[4096];
    size_t end = std::string::npos;
    size_t length = 0;
    while (true) {
      if (end == std::string::npos && (end = pending.find("\r\n\r\n")) != std::string::npos) {
        const size_t at = pending.find("Content-Length: ");
        if (at == std::string::npos || at > end) return std::string("no Content-Length");
        length = std::stoul(pending.substr(at + 16));
      }
      if (end != std::string::npos && pending.size() >= end + 4 + length) {
        std::string reply = pending.substr(0, end + 4 + length);
        pending.erase(0, reply.size());
        return reply;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return std::string("closed after ") + std::to_string(pending.size()) + " bytes";
      pending.append(buf, static_cast<size_t>(n));
    }
  };
  for (int limit : limits) {
    const std::string reply = read_reply();
    ASSERT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply.substr(0, 200);
    json page = json::parse(reply.substr(reply.find("\r\n\r\n") + 4));
    EXPECT_EQ(page["items"].size(), static_cast<size_t>(limit));
    if (limit == 8) {
      EXPECT_LT(reply.size(), 64u * 1024) << "one the worker sends";
    }
  }
  ::close(fd);
}

TEST_P(ApiTest, ShutdownLetsAnInFlightRequestFinish) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  // Send an import's headers and half its body, then SIGTERM the server: the
  // request is in flight, so the server must read the rest, answer, and only
  // then exit.
  const std::string body = "{\"text\":\"first\"}\n{\"text\":\"second\"}\n";
  const std::string head = "POST " + P(project, "/tasks") +
                           " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                           "Expect: 100-continue\r\n"
                           "Content-Length: " + std::to_string(body.size()) +
                           "\r\nCookie: " + manager.cookie() + "\r\n\r\n";
  const int fd = ConnectLoopback(server_.port());
  ASSERT_GE(fd, 0);
  // With Expect: 100-continue the server says when it has checked the
  // headers and is reading the body: from then on the request is in flight.
  ASSERT_EQ(::send(fd, head.data(), head.size(), 0), static_cast<ssize_t>(head.size()));
  std::string interim;
  char buf[4096];
  while (interim.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "no 100 Continue";
    interim.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(interim.rfind("HTTP/1.1 100", 0), 0u) << interim;
  std::string first = body.substr(0, 10);
  ASSERT_EQ(::send(fd, first.data(), first.size(), 0), static_cast<ssize_t>(first.size()));
  ASSERT_EQ(server_.Signal(SIGTERM), 0);
  std::string rest = body.substr(10);
  ASSERT_EQ(::send(fd, rest.data(), rest.size(), 0), static_cast<ssize_t>(rest.size()));
  std::string reply;
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  EXPECT_EQ(reply.rfind("HTTP/1.1 201", 0), 0u) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
  EXPECT_EQ(server_.Stop(0), 0);
  std::string out;
  ASSERT_EQ(RunPlumb({"export", "--db", server_.db_path(), "--project", std::to_string(project),
                      "--format", "jsonl"},
                     {}, &out),
            0);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 2);
}

TEST_P(ApiTest, TokensLogoutUsersAndProjectEdits) {
  Client manager = NewUser("mia", "manager");
  auto token = manager.Post("/api/v1/tokens", R"({"name":"script"})");
  ASSERT_EQ(token.status, 201) << token.body;
  Client program(server_, "Authorization\nBearer " + Body(token)["token"].get<std::string>());
  EXPECT_EQ(Body(program.Get("/api/v1/me"))["username"], "mia");
  Client forged(server_, "Authorization\nBearer not-a-token");
  EXPECT_EQ(forged.Get("/api/v1/me").status, 401);

  auto users = Body(manager.Get("/api/v1/users"))["items"];
  EXPECT_EQ(users.size(), 2u);  // admin and mia
  EXPECT_EQ(admin_->Post("/api/v1/users", R"({"username":"mia","password":"xxxxxxxx","role":"annotator"})")
                .status,
            409);
  EXPECT_EQ(Body(admin_->Post("/api/v1/users", R"({"username":"z","password":"x","role":"annotator"})"))
                ["error"]["field"],
            "password");

  int64_t project = NewProject(manager);
  auto patched = manager.Patch(P(project), R"({"name":"Renamed","settings":{"overlap":3}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["name"], "Renamed");
  EXPECT_EQ(Body(patched)["settings"]["overlap"], 3);
  EXPECT_EQ(Body(patched)["settings"]["lease_seconds"], 600);
  EXPECT_EQ(Body(manager.Patch(P(project), R"({"settings":{"overlap":0}})"))["error"]["field"],
            "settings.overlap");
  EXPECT_EQ(manager.Delete(P(project)).status, 204);
  EXPECT_EQ(manager.Get(P(project)).status, 404);

  // After logout the session cookie no longer works; the token still does.
  EXPECT_EQ(manager.Post("/api/v1/auth/logout", "").status, 204);
  EXPECT_EQ(manager.Get("/api/v1/me").status, 401);
  EXPECT_EQ(program.Get("/api/v1/me").status, 200);
}

TEST(InitTest, GeneratesAnAdminPasswordOnceAndItSignsIn) {
  ServerProcess server;
  // Replace the database the harness made with one whose password is generated.
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((server.db_path() + suffix).c_str());
  std::string out;
  ASSERT_EQ(RunPlumb({"init", "--db", server.db_path()}, {}, &out), 0) << out;
  const std::string marker = "admin password (shown once): ";
  size_t at = out.find(marker);
  ASSERT_NE(at, std::string::npos) << out;
  std::string password = out.substr(at + marker.size(), out.find('\n', at) - at - marker.size());
  EXPECT_GE(password.size(), 16u);
  ASSERT_EQ(RunPlumb({"init", "--db", server.db_path()}, {}, &out), 0);
  EXPECT_EQ(out.find(marker), std::string::npos) << "shown twice: " << out;
  EXPECT_NE(RunPlumb({"init", "--db", server.dir() + "/other.db"}, {"PLUMB_ADMIN_PASSWORD=short"}),
            0);

  ASSERT_TRUE(server.Start());
  int status = 0;
  Client::Login(server, "admin", password, &status);
  EXPECT_EQ(status, 200);
}

class SmallLimitsApiTest : public ApiTest {
 protected:
  SmallLimitsApiTest()
      : ApiTest({"--max-body-bytes", "2000", "--max-upload-bytes", "5000"}) {}
};

TEST_P(SmallLimitsApiTest, OversizeBodiesAre413) {
  Client manager = NewUser("mia", "manager");
  int64_t project = NewProject(manager);
  std::string big_name(3000, 'x');
  auto res = manager.Post("/api/v1/projects", R"({"name":")" + big_name + R"("})");
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(Body(res)["error"]["code"], "payload_too_large");
  std::string upload;
  for (int i = 0; i < 400; ++i) upload += "{\"text\":\"task number " + std::to_string(i) + "\"}\n";
  auto big_import = manager.Post(P(project, "/tasks"), upload, "application/x-ndjson");
  EXPECT_EQ(big_import.status, 413);
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["total"], 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);
INSTANTIATE_TEST_SUITE_P(Backends, SmallLimitsApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
