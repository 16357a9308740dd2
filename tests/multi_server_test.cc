// Several servers on one PostgreSQL database: two `plumb serve` processes,
// Debian's nginx in front of both with the config of deploy/nginx/, and 32
// annotators labeling 2,000 tasks at once, some talking to server A, some to
// B and some through nginx. Halfway through, A is killed with SIGKILL while
// requests are in flight and while some of its annotators hold leases. B (and
// nginx, which moves over to B) must finish the work, the dead server's leases
// coming back into the queue when they expire; afterwards every task has
// exactly one annotation, nobody labeled a task twice, and every submission
// that was acknowledged is in the export with its result.
//
// No timing is asserted: the deadline only bounds a run that stopped making
// progress.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nginx_process.h"
#include "server_process.h"

namespace plumb::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kTasks = 2000;
// 32 annotators: the first kOnA use server A, of which the first kHolders
// stop to hold a lease when A is about to be killed; then kOnB on server B;
// the rest go through nginx to either.
constexpr int kOnA = 12;
constexpr int kHolders = 6;
constexpr int kOnB = 12;
constexpr int kViaNginx = 8;
constexpr int kAnnotators = kOnA + kOnB + kViaNginx;
// The shortest lease ParseSettings allows: how long the tasks held through
// the dead server stay out of the queue.
constexpr int kLeaseSeconds = 10;
// Bounds a run that stopped making progress; not a speed requirement (the
// labeling takes about 15 s on a 2-core machine, 10 s of it waiting for the
// stranded leases to expire).
constexpr auto kDeadline = std::chrono::seconds(120);
// nginx answers 502 for a request that was in flight to the server that
// died; its annotators send it again (a submission with the same
// Idempotency-Key, so it cannot label twice).
constexpr int kNginxRetries = 50;

constexpr const char* kSchema =
    R"({"controls":[{"name":"sentiment","type":"choice","source":"text",)"
    R"("labels":["positive","negative","neutral"]}]})";
constexpr const char* kLabels[] = {"positive", "negative", "neutral"};

json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

std::string P(int64_t project, const std::string& rest = "") {
  return "/api/v1/projects/" + std::to_string(project) + rest;
}

// Requests to one port (a server's or nginx's) with a session cookie.
struct Endpoint {
  uint16_t port = 0;
  std::string cookie;

  HttpResponse Send(const std::string& method, const std::string& target,
                    const std::string& body = "",
                    const std::string& content_type = "application/json",
                    const std::map<std::string, std::string>& headers = {}) const {
    HttpRequest req;
    req.method = method;
    req.target = target;
    req.body = body;
    req.headers = headers;
    if (!body.empty()) req.headers["Content-Type"] = content_type;
    if (!cookie.empty()) req.headers["Cookie"] = cookie;
    return test::Send(port, req);
  }
};

// Signs in at `port`; the endpoint carries the session cookie ("" on failure).
Endpoint Login(uint16_t port, const std::string& username, const std::string& password) {
  Endpoint endpoint{port, ""};
  HttpResponse res = endpoint.Send("POST", "/api/v1/auth/login",
                                   json{{"username", username}, {"password", password}}.dump());
  std::string cookie = res.status == 200 ? res.headers["set-cookie"] : "";
  endpoint.cookie = cookie.substr(0, cookie.find(';'));
  return endpoint;
}

enum class Route { kServerA, kServerB, kNginx };

const char* RouteName(Route route) {
  switch (route) {
    case Route::kServerA:
      return "A";
    case Route::kServerB:
      return "B";
    case Route::kNginx:
      return "nginx";
  }
  return "?";
}

// A submission the server acknowledged with 201.
struct Ack {
  int64_t task_id = 0;
  int64_t annotation_id = 0;
  std::string label;
};

// One simulated annotator: its own user and session, one route.
struct Annotator {
  std::string username;
  Route route = Route::kServerA;
  bool holder = false;  // stops with a lease in hand when A is about to die
  Endpoint endpoint;

  std::vector<Ack> acks;
  // A's annotators: the task of the lease they held (claimed and not
  // acknowledged) when their server went away; 0 if none.
  int64_t stranded_task = 0;
  bool lost_server = false;
  int retries = 0;      // nginx's 502s and dropped connections, sent again
  std::string failure;  // why it stopped early, "" if it did not
};

// What the annotators share with the test's main thread.
struct Shared {
  int64_t project = 0;
  Clock::time_point deadline;
  std::atomic<int> acked{0};
  std::atomic<int> holding{0};        // holders with a lease in hand
  std::atomic<bool> a_killed{false};  // set before A gets SIGKILL
  std::atomic<int> finished{0};
};

std::string SubmitBody(const std::string& label, int64_t lease_id) {
  return json{{"result", {{{"control", "sentiment"}, {"type", "choice"}, {"values", {label}}}}},
              {"lease_id", lease_id},
              {"lead_time_ms", 900}}
      .dump();
}

// Sends one call of the labeling loop. Through nginx, a 502/503/504 or a
// dropped connection is sent again (nginx moves to the live server); a
// direct call is sent once.
HttpResponse Call(Annotator& a, const std::string& target, const std::string& body,
                  const std::map<std::string, std::string>& headers = {}) {
  HttpResponse res;
  for (int attempt = 0;; ++attempt) {
    res = a.endpoint.Send("POST", target, body, "application/json", headers);
    const bool retry =
        res.status == 0 || res.status == 502 || res.status == 503 || res.status == 504;
    if (a.route != Route::kNginx || !retry || attempt == kNginxRetries) return res;
    ++a.retries;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// True when a direct call to A failed because the test killed A: the
// annotator stops, as a person whose server went away would.
bool LostServer(Annotator& a, const HttpResponse& res, const Shared& run) {
  if (a.route != Route::kServerA || res.status != 0 || !run.a_killed) return false;
  a.lost_server = true;
  return true;
}

// next, then submit with an Idempotency-Key, until the project is done.
void Label(Annotator& a, int index, Shared& run) {
  const std::string next_target = P(run.project, "/next");
  while (Clock::now() < run.deadline) {
    HttpResponse next = Call(a, next_target, "");
    if (LostServer(a, next, run)) return;
    if (next.status == 204) {
      // Nothing for this annotator now: either every task is done, or the
      // rest is leased to others (among them leases held through the dead
      // server, which come back when they expire).
      json project = Body(a.endpoint.Send("GET", P(run.project)));
      if (project.is_object() && project["counts"]["done"] == kTasks) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    json claim = Body(next);
    if (next.status != 200 || !claim.is_object()) {
      a.failure = "next: HTTP " + std::to_string(next.status) + " " + next.body;
      return;
    }
    const int64_t task = claim["task"]["id"].get<int64_t>();
    const int64_t lease = claim["lease"]["id"].get<int64_t>();
    if (a.holder && run.acked >= kTasks / 2) {
      // Hold the lease until A is gone, then try to submit as if nothing
      // happened: the server is unreachable and the lease stays in the
      // database until it expires.
      a.stranded_task = task;
      ++run.holding;
      while (!run.a_killed && Clock::now() < run.deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    const std::string label = kLabels[(task + index) % 3];
    HttpResponse submitted =
        Call(a, "/api/v1/tasks/" + std::to_string(task) + "/annotations", SubmitBody(label, lease),
             {{"Idempotency-Key", "lease-" + std::to_string(lease)}});
    if (a.route == Route::kServerA && submitted.status == 0) a.stranded_task = task;
    if (LostServer(a, submitted, run)) return;
    json annotation = Body(submitted);
    if (submitted.status != 201 || !annotation.is_object()) {
      a.failure = "submit task " + std::to_string(task) + ": HTTP " +
                  std::to_string(submitted.status) + " " + submitted.body;
      return;
    }
    a.stranded_task = 0;
    a.acks.push_back({task, annotation["annotation"]["annotation_id"].get<int64_t>(), label});
    ++run.acked;
  }
  a.failure = "the deadline passed before the project was done";
}

class MultiServerTest : public ::testing::Test {
 protected:
  MultiServerTest()
      : db_(Backend::kPostgres),
        server_a_(ServerConfig{.serve_args = {}, .db = db_.location(), .init = true}),
        server_b_(ServerConfig{.serve_args = {}, .db = db_.location(), .init = false}) {}

  uint16_t PortOf(Route route) const {
    switch (route) {
      case Route::kServerA:
        return server_a_.port();
      case Route::kServerB:
        return server_b_.port();
      case Route::kNginx:
        return nginx_->port();
    }
    return 0;
  }

  TestDatabase db_;
  ServerProcess server_a_;
  ServerProcess server_b_;
  std::unique_ptr<NginxProcess> nginx_;
};

TEST_F(MultiServerTest, TwoServersAndNginxLabelEveryTaskOnceThroughAKill) {
  ASSERT_FALSE(db_.location().empty()) << "no PostgreSQL test database";
  ASSERT_TRUE(server_a_.Start()) << "server A: " << server_a_.log();
  ASSERT_TRUE(server_b_.Start()) << "server B: " << server_b_.log();
  nginx_ =
      std::make_unique<NginxProcess>(std::vector<uint16_t>{server_a_.port(), server_b_.port()});
  ASSERT_TRUE(nginx_->Start()) << nginx_->error();

  const auto setup_started = Clock::now();
  // The admin signs in on A; the session lives in the database, so the same
  // cookie works on B and through nginx.
  Endpoint admin = Login(server_a_.port(), "admin", ServerProcess::kAdminPassword);
  ASSERT_FALSE(admin.cookie.empty());
  Endpoint admin_via_nginx{nginx_->port(), admin.cookie};
  Endpoint admin_on_b{server_b_.port(), admin.cookie};
  ASSERT_EQ(admin_on_b.Send("GET", "/api/v1/me").status, 200);

  auto created =
      admin_via_nginx.Send("POST", "/api/v1/projects",
                           json{{"name", "multi-server"},
                                {"schema", json::parse(kSchema)},
                                {"settings", {{"overlap", 1}, {"lease_seconds", kLeaseSeconds}}}}
                               .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  Shared run;
  run.project = Body(created)["id"].get<int64_t>();

  // 2,000 tasks imported through nginx: over 1 MB, more than nginx's
  // default client_max_body_size, so the config's own limit is exercised.
  std::string tasks;
  const std::string padding(600, 'x');
  for (int i = 1; i <= kTasks; ++i) {
    tasks += json{{"text", "task " + std::to_string(i) + " " + padding}}.dump() + "\n";
  }
  ASSERT_GT(tasks.size(), 1u << 20);
  auto imported =
      admin_via_nginx.Send("POST", P(run.project, "/tasks"), tasks, "application/x-ndjson");
  ASSERT_EQ(imported.status, 201) << imported.body;
  ASSERT_EQ(Body(imported)["imported"], kTasks);

  // The annotators: created, made members and signed in on their own route,
  // all at once (each costs two Argon2 hashes on a server).
  std::vector<Annotator> annotators(kAnnotators);
  {
    std::vector<std::thread> threads;
    for (int i = 0; i < kAnnotators; ++i) {
      Annotator& a = annotators[i];
      a.username = "annotator-" + std::to_string(i + 1);
      a.route = i < kOnA ? Route::kServerA : i < kOnA + kOnB ? Route::kServerB : Route::kNginx;
      a.holder = i < kHolders;
      threads.emplace_back([&a, this, &run, &admin] {
        Endpoint as_admin{PortOf(a.route), admin.cookie};
        const std::string password = a.username + "-password";
        auto user = as_admin.Send(
            "POST", "/api/v1/users",
            json{{"username", a.username}, {"password", password}, {"role", "annotator"}}.dump());
        if (user.status != 201) {
          a.failure = "create user: HTTP " + std::to_string(user.status) + " " + user.body;
          return;
        }
        auto member = as_admin.Send("POST", P(run.project, "/members"),
                                    json{{"user_id", Body(user)["id"]}}.dump());
        if (member.status != 204) {
          a.failure = "add member: HTTP " + std::to_string(member.status) + " " + member.body;
          return;
        }
        a.endpoint = Login(PortOf(a.route), a.username, password);
        if (a.endpoint.cookie.empty()) a.failure = "login failed";
      });
    }
    for (std::thread& t : threads) t.join();
  }
  for (const Annotator& a : annotators) ASSERT_EQ(a.failure, "") << a.username;

  // Label. Once half the tasks are acknowledged and A's holders each sit on a
  // lease, A is killed with requests of its other annotators in flight.
  const auto labeling_started = Clock::now();
  run.deadline = labeling_started + kDeadline;
  std::vector<std::thread> threads;
  for (int i = 0; i < kAnnotators; ++i) {
    threads.emplace_back([&annotators, i, &run] {
      Label(annotators[i], i, run);
      ++run.finished;
    });
  }
  while (run.holding < kHolders && run.finished < kAnnotators && Clock::now() < run.deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int acked_at_kill = run.acked;
  run.a_killed = true;
  const int a_exit = server_a_.Stop(SIGKILL);
  const auto killed_at = Clock::now();
  for (std::thread& t : threads) t.join();
  const auto labeled_at = Clock::now();

  EXPECT_EQ(a_exit, 128 + SIGKILL);
  EXPECT_EQ(run.holding, kHolders) << "A was killed before its holders held their leases";
  EXPECT_GE(acked_at_kill, kTasks / 2);
  EXPECT_LT(acked_at_kill, kTasks);

  // Who stopped how: A's annotators because their server went away, nobody
  // else at all.
  int retries = 0, stranded = 0;
  for (const Annotator& a : annotators) {
    SCOPED_TRACE(a.username + " via " + RouteName(a.route));
    EXPECT_EQ(a.failure, "");
    EXPECT_EQ(a.lost_server, a.route == Route::kServerA);
    if (a.holder) {
      EXPECT_NE(a.stranded_task, 0);
    }
    retries += a.retries;
    stranded += a.stranded_task != 0;
  }

  // Every task done, none new or still leased.
  auto project = Body(admin_on_b.Send("GET", P(run.project)));
  EXPECT_EQ(project["counts"]["total"], kTasks);
  EXPECT_EQ(project["counts"]["done"], kTasks);
  for (const char* state : {"new", "annotating"}) {
    auto listed = admin_on_b.Send("GET", P(run.project, "/tasks?state=") + state);
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(Body(listed)["total"], 0) << state;
  }
  EXPECT_EQ(Body(admin_on_b.Send("GET", P(run.project, "/tasks?state=done&limit=1")))["total"],
            kTasks);

  // The export, through nginx (which now reaches only B): exactly one
  // annotation per task, in its first revision.
  auto exported = admin_via_nginx.Send("GET", P(run.project, "/export?format=json"));
  ASSERT_EQ(exported.status, 200) << exported.body.substr(0, 500);
  json records = Body(exported);
  ASSERT_TRUE(records.is_array()) << exported.body.substr(0, 500);
  ASSERT_EQ(records.size(), static_cast<size_t>(kTasks));
  struct Labeled {
    std::string annotator;
    int64_t annotation_id = 0;
    std::string label;
  };
  std::map<int64_t, Labeled> by_task;
  for (const json& r : records) {
    const int64_t id = r["id"].get<int64_t>();
    SCOPED_TRACE("task " + std::to_string(id));
    EXPECT_EQ(r["state"], "done");
    ASSERT_EQ(r["annotations"].size(), 1u) << r.dump();
    std::set<std::string> people;
    for (const json& an : r["annotations"]) {
      EXPECT_TRUE(people.insert(an["annotator"].get<std::string>()).second)
          << "one person twice on a task: " << r.dump();
      EXPECT_EQ(an["revision"], 1);
    }
    const json& an = r["annotations"][0];
    by_task[id] = {an["annotator"].get<std::string>(), an["annotation_id"].get<int64_t>(),
                   r["label"]["sentiment"].get<std::string>()};
  }
  ASSERT_EQ(by_task.size(), static_cast<size_t>(kTasks)) << "task ids repeat in the export";

  // Every acknowledged submission is there, by its annotator, with its
  // result; no task was acknowledged twice.
  std::map<int64_t, std::string> acked_by;
  size_t acks = 0;
  for (const Annotator& a : annotators) {
    for (const Ack& ack : a.acks) {
      ++acks;
      SCOPED_TRACE(a.username + " task " + std::to_string(ack.task_id));
      EXPECT_TRUE(acked_by.emplace(ack.task_id, a.username).second) << "acknowledged twice";
      auto it = by_task.find(ack.task_id);
      ASSERT_NE(it, by_task.end()) << "acknowledged task missing from the export";
      EXPECT_EQ(it->second.annotator, a.username);
      EXPECT_EQ(it->second.annotation_id, ack.annotation_id);
      EXPECT_EQ(it->second.label, ack.label);
    }
  }
  // The rest were submitted to A just before it died: stored, but the
  // reply never came. Only A's annotators can have such tasks.
  std::set<std::string> on_a;
  for (int i = 0; i < kOnA; ++i) on_a.insert(annotators[i].username);
  for (const auto& [task, labeled] : by_task) {
    if (acked_by.count(task) == 0) {
      EXPECT_EQ(on_a.count(labeled.annotator), 1u)
          << "task " << task << " labeled by " << labeled.annotator << " without an acknowledgment";
    }
  }
  EXPECT_LE(static_cast<size_t>(kTasks) - acks, static_cast<size_t>(kOnA - kHolders));

  // The holders' leases expired and their tasks went to someone else.
  for (const Annotator& a : annotators) {
    if (!a.holder || a.stranded_task == 0) continue;
    auto it = by_task.find(a.stranded_task);
    ASSERT_NE(it, by_task.end());
    EXPECT_NE(it->second.annotator, a.username)
        << "task " << a.stranded_task << " held through the dead server";
  }

  // nginx really balanced over both servers (and left A once it was gone).
  const std::string access = nginx_->access_log();
  for (uint16_t port : {server_a_.port(), server_b_.port()}) {
    EXPECT_NE(access.find("upstream=127.0.0.1:" + std::to_string(port)), std::string::npos)
        << "nginx sent nothing to port " << port << "; access log:\n"
        << access.substr(0, 2000);
  }

  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "multi-server: %d tasks, %zu acknowledged (%d before A was killed), %zu stored without "
      "an acknowledgment, %d leases stranded on A, %d nginx retries; setup %.1f s, labeling "
      "%.1f s before the kill and %.1f s after\n",
      kTasks, acks, acked_at_kill, static_cast<size_t>(kTasks) - acks, stranded, retries,
      seconds(labeling_started - setup_started), seconds(killed_at - labeling_started),
      seconds(labeled_at - killed_at));
}

// The config's limits and streaming as a client sees them through nginx: an
// import over nginx's default 1 MB body limit and an export stream through,
// an upload over the servers' limit is refused with Plumb's JSON 413, and
// /metrics is not balanced.
class NginxConfigTest : public ::testing::Test {
 protected:
  // The servers' upload limit, also given to nginx as its own.
  static constexpr const char* kMaxUpload = "3000000";

  NginxConfigTest()
      : db_(Backend::kPostgres),
        server_a_(ServerConfig{
            .serve_args = {"--max-upload-bytes", kMaxUpload}, .db = db_.location(), .init = true}),
        server_b_(ServerConfig{.serve_args = {"--max-upload-bytes", kMaxUpload},
                               .db = db_.location(),
                               .init = false}) {}

  void SetUp() override {
    ASSERT_FALSE(db_.location().empty()) << "no PostgreSQL test database";
    ASSERT_TRUE(server_a_.Start()) << "server A: " << server_a_.log();
    ASSERT_TRUE(server_b_.Start()) << "server B: " << server_b_.log();
    nginx_ = std::make_unique<NginxProcess>(
        std::vector<uint16_t>{server_a_.port(), server_b_.port()}, kMaxUpload);
    ASSERT_TRUE(nginx_->Start()) << nginx_->error();
    admin_ = Login(nginx_->port(), "admin", ServerProcess::kAdminPassword);
    ASSERT_FALSE(admin_.cookie.empty());
    auto created = admin_.Send("POST", "/api/v1/projects",
                               json{{"name", "limits"}, {"schema", json::parse(kSchema)}}.dump());
    ASSERT_EQ(created.status, 201) << created.body;
    project_ = Body(created)["id"].get<int64_t>();
    // 2 MB: over nginx's default limit, under the servers'.
    for (int i = 0; tasks_.size() < (2u << 20); ++i) {
      tasks_ += json{{"text", "task " + std::to_string(i) + " " + std::string(500, 'y')}}.dump();
      tasks_ += "\n";
    }
  }

  TestDatabase db_;
  ServerProcess server_a_;
  ServerProcess server_b_;
  std::unique_ptr<NginxProcess> nginx_;
  Endpoint admin_;
  int64_t project_ = 0;
  std::string tasks_;
};

TEST_F(NginxConfigTest, ImportsExportsLimitsAndMetricsThroughNginx) {
  const size_t lines = static_cast<size_t>(std::count(tasks_.begin(), tasks_.end(), '\n'));
  auto imported = admin_.Send("POST", P(project_, "/tasks"), tasks_, "application/x-ndjson");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Body(imported)["imported"], lines);

  // Over the servers' limit: refused from the declared length by nginx, in
  // the shape of Plumb's own error.
  const std::string huge = tasks_ + tasks_;
  auto too_large = admin_.Send("POST", P(project_, "/tasks"), huge, "application/x-ndjson");
  EXPECT_EQ(too_large.status, 413);
  EXPECT_EQ(too_large.headers["content-type"], "application/json");
  json error = Body(too_large);
  ASSERT_TRUE(error.is_object()) << too_large.body.substr(0, 300);
  EXPECT_EQ(error["error"]["code"], "payload_too_large");

  auto exported = admin_.Send("GET", P(project_, "/export?format=jsonl"));
  ASSERT_EQ(exported.status, 200);
  EXPECT_EQ(static_cast<size_t>(std::count(exported.body.begin(), exported.body.end(), '\n')),
            lines);
  EXPECT_EQ(Body(admin_.Send("GET", P(project_)))["counts"]["total"], lines);

  const Endpoint anyone{nginx_->port(), ""};
  EXPECT_EQ(anyone.Send("GET", "/metrics").status, 404);
  const Endpoint direct{server_b_.port(), ""};
  EXPECT_EQ(direct.Send("GET", "/metrics").status, 200);
}

// A server that refuses an upload from its headers (here: no session)
// replies before reading the body. Were it to close at once, the unread body
// would reset the connection: nginx, still sending it, would answer 502
// instead of the 401 and count the server as failed. The server drains the
// rest for a bounded time before closing (src/http/server.cc).
TEST_F(NginxConfigTest, AStrangersUploadIsRefusedWith401ThroughNginx) {
  const Endpoint stranger{nginx_->port(), ""};
  auto refused = stranger.Send("POST", P(project_, "/tasks"), tasks_, "application/x-ndjson");
  EXPECT_EQ(refused.status, 401) << refused.body.substr(0, 300);
  const json error = Body(refused);
  EXPECT_EQ(error.is_object() ? error["error"]["code"] : json(), "unauthenticated");
  EXPECT_EQ(nginx_->error_log().find("temporarily disabled"), std::string::npos)
      << nginx_->error_log();
}

}  // namespace
}  // namespace plumb::test
