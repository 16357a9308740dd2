// The workflow engine under load and through a crash, on SQLite: 50
// annotators (distinct users, each with an API token) label a 1,000-task
// project with overlap 3 at once. Halfway through, the server is killed with
// SIGKILL while requests are in flight and restarted on the same database;
// the annotators carry on, sending again what got no reply (a submission with
// its Idempotency-Key). Afterwards every task is done with exactly 3
// annotations from 3 distinct people, every acknowledged submission (before
// the kill and after it) is in the export with its result, and no retried
// submission stored a second annotation or revision.
//
// A second test lets a lease run out: its slot goes back to the queue and a
// late submit on it is a 409 that stores nothing. The server has no fake
// clock, so that test waits for the shortest lease the settings allow (10 s).
//
// No timing is asserted: the deadlines only bound a run that stopped making
// progress.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "server_process.h"

namespace plumb::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kTasks = 1000;
constexpr int kOverlap = 3;
constexpr int kAnnotators = 50;
// Users are created and signed in this many at a time: each costs two
// Argon2 hashes of 64 MiB, and the machine has two cores.
constexpr int kSetupParallel = 4;
// Bounds a run that stopped making progress; not a speed requirement (the
// labeling takes a few seconds on a 2-core machine).
constexpr auto kDeadline = std::chrono::seconds(120);
// How long an annotator waits before sending again a call that got no reply
// (the server is down or restarting).
constexpr auto kRetryPause = std::chrono::milliseconds(20);
// The shortest lease the project settings allow.
constexpr int kShortLeaseSeconds = 10;

constexpr const char* kSchema =
    R"({"controls":[{"name":"sentiment","type":"choice","source":"text",)"
    R"("labels":["positive","negative","neutral"]}]})";
constexpr const char* kLabels[] = {"positive", "negative", "neutral"};

json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

std::string P(int64_t project, const std::string& rest = "") {
  return "/api/v1/projects/" + std::to_string(project) + rest;
}

std::string T(int64_t task, const std::string& rest = "") {
  return "/api/v1/tasks/" + std::to_string(task) + rest;
}

std::string SubmitBody(const std::string& label, int64_t lease_id) {
  return json{{"result", {{{"control", "sentiment"}, {"type", "choice"}, {"values", {label}}}}},
              {"lease_id", lease_id},
              {"lead_time_ms", 700}}
      .dump();
}

// One request with an Authorization or Cookie header ("" for none) to the
// port in `port`, read at the time of the call: the restarted server listens
// on a new one.
HttpResponse Call(const std::atomic<uint16_t>& port, const std::string& method,
                  const std::string& target, const std::string& auth, const std::string& body = "",
                  const std::map<std::string, std::string>& headers = {},
                  const std::string& content_type = "application/json") {
  HttpRequest req;
  req.method = method;
  req.target = target;
  req.body = body;
  req.headers = headers;
  if (!body.empty()) req.headers["Content-Type"] = content_type;
  if (auth.rfind("plumb_session=", 0) == 0) {
    req.headers["Cookie"] = auth;
  } else if (!auth.empty()) {
    req.headers["Authorization"] = "Bearer " + auth;
  }
  return Send(port.load(), req);
}

// Signs in and trades the session for an API token; "" on failure.
std::string TokenFor(const std::atomic<uint16_t>& port, const std::string& username,
                     const std::string& password) {
  HttpResponse login = Call(port, "POST", "/api/v1/auth/login", "",
                            json{{"username", username}, {"password", password}}.dump());
  std::string cookie = login.status == 200 ? login.headers["set-cookie"] : "";
  cookie = cookie.substr(0, cookie.find(';'));
  if (cookie.empty()) return "";
  HttpResponse token = Call(port, "POST", "/api/v1/tokens", cookie, R"({"name":"load test"})");
  json body = Body(token);
  return token.status == 201 && body.is_object() ? body["token"].get<std::string>() : "";
}

struct User {
  std::string username;
  int64_t id = 0;
  std::string token;
  std::string failure;  // why setting it up failed, "" if it did not
};

// Creates `names` with `role` as the admin, kSetupParallel at a time, each
// signed in once for an API token.
std::vector<User> CreateUsers(const std::atomic<uint16_t>& port, const std::string& admin,
                              const std::vector<std::string>& names, const std::string& role) {
  std::vector<User> users(names.size());
  std::atomic<size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kSetupParallel; ++t) {
    threads.emplace_back([&] {
      for (size_t i; (i = next++) < names.size();) {
        User& u = users[i];
        u.username = names[i];
        const std::string password = u.username + "-password";
        HttpResponse created =
            Call(port, "POST", "/api/v1/users", admin,
                 json{{"username", u.username}, {"password", password}, {"role", role}}.dump());
        if (created.status != 201) {
          u.failure = "create: HTTP " + std::to_string(created.status) + " " + created.body;
          continue;
        }
        u.id = Body(created)["id"].get<int64_t>();
        u.token = TokenFor(port, u.username, password);
        if (u.token.empty()) u.failure = "no API token";
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return users;
}

// A test server with the admin signed in, and a manager with a token.
class WorkflowLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << server_.log();
    port_ = server_.port();
    admin_ = TokenFor(port_, "admin", ServerProcess::kAdminPassword);
    ASSERT_FALSE(admin_.empty());
    std::vector<User> managers = CreateUsers(port_, admin_, {"lead"}, "manager");
    ASSERT_EQ(managers[0].failure, "");
    manager_ = managers[0].token;
  }

  // A project of `tasks` texts with `settings`, made by the manager, with
  // `members` added.
  int64_t NewProject(const json& settings, int tasks, const std::vector<User>& members) {
    HttpResponse created = Call(
        port_, "POST", "/api/v1/projects", manager_,
        json{{"name", "load"}, {"schema", json::parse(kSchema)}, {"settings", settings}}.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    const int64_t project = Body(created)["id"].get<int64_t>();
    std::string lines;
    for (int i = 1; i <= tasks; ++i) {
      lines += json{{"text", "load task " + std::to_string(i)}}.dump() + "\n";
    }
    HttpResponse imported =
        Call(port_, "POST", P(project, "/tasks"), manager_, lines, {}, "application/x-ndjson");
    EXPECT_EQ(imported.status, 201) << imported.body;
    EXPECT_EQ(Body(imported)["imported"], tasks);
    for (const User& u : members) {
      HttpResponse added =
          Call(port_, "POST", P(project, "/members"), manager_, json{{"user_id", u.id}}.dump());
      EXPECT_EQ(added.status, 204) << u.username << ": " << added.body;
    }
    return project;
  }

  // The project's JSON export as the manager, one record per task.
  json Export(int64_t project) {
    HttpResponse exported = Call(port_, "GET", P(project, "/export?format=json"), manager_);
    EXPECT_EQ(exported.status, 200) << exported.body.substr(0, 500);
    json records = Body(exported);
    EXPECT_TRUE(records.is_array()) << exported.body.substr(0, 500);
    return records;
  }

  ServerProcess server_;
  std::atomic<uint16_t> port_{0};
  std::string admin_;
  std::string manager_;
};

// A submission the server acknowledged with 201.
struct Ack {
  int64_t task_id = 0;
  int64_t lease_id = 0;
  int64_t annotation_id = 0;
  std::string label;
  bool before_kill = false;  // the reply came from the server that was killed
};

// One simulated annotator.
struct Annotator {
  User user;
  std::vector<Ack> acks;
  int resent_nexts = 0;    // next calls sent again after getting no reply
  int resent_submits = 0;  // submissions sent again with their Idempotency-Key
  std::string failure;     // why it stopped early, "" if it did not
};

// What the annotators share with the test's main thread.
struct LabelingRun {
  const std::atomic<uint16_t>* port = nullptr;
  int64_t project = 0;
  Clock::time_point deadline;
  std::atomic<int> acked{0};
  std::atomic<bool> killed{false};  // set before the server gets SIGKILL
};

// Sends a call until it gets a reply: while the server is down (or was
// killed with the reply on its way) there is none, status 0.
HttpResponse CallUntilAnswered(const LabelingRun& run, const std::string& method,
                               const std::string& target, const std::string& token,
                               const std::string& body, int* resent,
                               const std::map<std::string, std::string>& headers = {}) {
  for (;;) {
    HttpResponse res = Call(*run.port, method, target, token, body, headers);
    if (res.status != 0 || Clock::now() >= run.deadline) return res;
    ++*resent;
    std::this_thread::sleep_for(kRetryPause);
  }
}

// next, then submit with an Idempotency-Key, until every task is done.
void Label(Annotator& a, int index, LabelingRun& run) {
  const std::string next_target = P(run.project, "/next");
  const std::string& token = a.user.token;
  int ignored = 0;
  while (Clock::now() < run.deadline) {
    HttpResponse next = CallUntilAnswered(run, "POST", next_target, token, "", &a.resent_nexts);
    if (next.status == 204) {
      // Nothing for this annotator now: every task is done, or what is left
      // is leased to others or was labeled by this annotator already.
      json project = Body(CallUntilAnswered(run, "GET", P(run.project), token, "", &ignored));
      if (project.is_object() && project["counts"]["done"] == kTasks) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    json claim = Body(next);
    if (next.status != 200 || !claim.is_object()) {
      a.failure = "next: HTTP " + std::to_string(next.status) + " " + next.body;
      return;
    }
    const int64_t task = claim["task"]["id"].get<int64_t>();
    const int64_t lease = claim["lease"]["id"].get<int64_t>();
    const std::string label = kLabels[(task + index) % 3];
    HttpResponse submitted = CallUntilAnswered(
        run, "POST", T(task, "/annotations"), token, SubmitBody(label, lease), &a.resent_submits,
        {{"Idempotency-Key", "lease-" + std::to_string(lease)}});
    const bool before_kill = !run.killed;
    json annotation = Body(submitted);
    if (submitted.status != 201 || !annotation.is_object()) {
      a.failure = "submit task " + std::to_string(task) + ": HTTP " +
                  std::to_string(submitted.status) + " " + submitted.body;
      return;
    }
    a.acks.push_back({task, lease, annotation["annotation"]["annotation_id"].get<int64_t>(), label,
                      before_kill});
    ++run.acked;
  }
  a.failure = "the deadline passed before the project was done";
}

TEST_F(WorkflowLoadTest, FiftyAnnotatorsLabelEveryTaskThreeTimesThroughAKillAndRestart) {
  const auto setup_started = Clock::now();
  std::vector<std::string> names;
  for (int i = 1; i <= kAnnotators; ++i) names.push_back("annotator-" + std::to_string(i));
  std::vector<User> users = CreateUsers(port_, admin_, names, "annotator");
  for (const User& u : users) ASSERT_EQ(u.failure, "") << u.username;
  LabelingRun run;
  run.port = &port_;
  run.project = NewProject({{"overlap", kOverlap}}, kTasks, users);
  ASSERT_FALSE(HasFailure());

  std::vector<Annotator> annotators(kAnnotators);
  for (int i = 0; i < kAnnotators; ++i) annotators[i].user = users[i];
  const auto labeling_started = Clock::now();
  run.deadline = labeling_started + kDeadline;
  std::vector<std::thread> threads;
  for (int i = 0; i < kAnnotators; ++i) {
    threads.emplace_back([&annotators, i, &run] { Label(annotators[i], i, run); });
  }

  // Halfway through, SIGKILL with calls in flight; a moment without a
  // server (the annotators' calls are refused and sent again), then a new
  // server on the same database.
  constexpr int kAnnotations = kTasks * kOverlap;
  while (run.acked < kAnnotations / 2 && Clock::now() < run.deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int acked_at_kill = run.acked;
  run.killed = true;
  const int exit_code = server_.Stop(SIGKILL);
  const auto killed_at = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const bool restarted = server_.Start();
  if (restarted) port_ = server_.port();
  const auto restarted_at = Clock::now();
  for (std::thread& t : threads) t.join();
  const auto labeled_at = Clock::now();
  ASSERT_TRUE(restarted) << server_.log();
  EXPECT_EQ(exit_code, 128 + SIGKILL);
  EXPECT_GE(acked_at_kill, kAnnotations / 2);
  EXPECT_LT(acked_at_kill, kAnnotations) << "the server was killed after the run";

  int resent_nexts = 0, resent_submits = 0, before_kill = 0;
  for (const Annotator& a : annotators) {
    EXPECT_EQ(a.failure, "") << a.user.username;
    resent_nexts += a.resent_nexts;
    resent_submits += a.resent_submits;
    for (const Ack& ack : a.acks) before_kill += ack.before_kill;
  }
  EXPECT_GE(before_kill, acked_at_kill);

  // Every task done, none left new or annotating.
  json project = Body(Call(port_, "GET", P(run.project), manager_));
  EXPECT_EQ(project["counts"]["total"], kTasks);
  EXPECT_EQ(project["counts"]["done"], kTasks);
  for (const char* state : {"new", "annotating"}) {
    HttpResponse listed =
        Call(port_, "GET", P(run.project, "/tasks?limit=1&state=") + state, manager_);
    ASSERT_EQ(listed.status, 200) << listed.body;
    EXPECT_EQ(Body(listed)["total"], 0) << state;
  }

  // The export: 3 annotations per task by 3 people, each in its first
  // revision (a resent submission stored nothing new).
  json records = Export(run.project);
  ASSERT_EQ(records.size(), static_cast<size_t>(kTasks));
  struct Stored {
    std::string annotator;
    std::string label;
  };
  std::map<int64_t, Stored> by_annotation;  // annotation id -> what the export holds
  std::set<int64_t> tasks;
  for (const json& r : records) {
    const int64_t id = r["id"].get<int64_t>();
    SCOPED_TRACE("task " + std::to_string(id));
    EXPECT_TRUE(tasks.insert(id).second) << "the task is in the export twice";
    EXPECT_EQ(r["state"], "done");
    ASSERT_EQ(r["annotations"].size(), static_cast<size_t>(kOverlap)) << r.dump();
    std::set<std::string> people;
    for (const json& an : r["annotations"]) {
      EXPECT_TRUE(people.insert(an["annotator"].get<std::string>()).second)
          << "one person twice on a task: " << r.dump();
      EXPECT_EQ(an["revision"], 1) << r.dump();
      const int64_t annotation_id = an["annotation_id"].get<int64_t>();
      EXPECT_TRUE(
          by_annotation
              .emplace(annotation_id, Stored{an["annotator"].get<std::string>(),
                                             an["result"][0]["values"][0].get<std::string>()})
              .second)
          << "annotation " << annotation_id << " on two tasks";
    }
  }

  // Every acknowledged submission is there, by its annotator, with its
  // result; and since every annotator sent each submission until it got a
  // reply, every stored annotation was acknowledged exactly once.
  size_t acks = 0;
  std::set<int64_t> acked_ids;
  for (const Annotator& a : annotators) {
    for (const Ack& ack : a.acks) {
      ++acks;
      SCOPED_TRACE(a.user.username + " task " + std::to_string(ack.task_id) +
                   (ack.before_kill ? " (before the kill)" : " (after the restart)"));
      EXPECT_TRUE(acked_ids.insert(ack.annotation_id).second) << "acknowledged twice";
      auto it = by_annotation.find(ack.annotation_id);
      ASSERT_NE(it, by_annotation.end()) << "acknowledged annotation missing from the export";
      EXPECT_EQ(it->second.annotator, a.user.username);
      EXPECT_EQ(it->second.label, ack.label);
    }
  }
  EXPECT_EQ(acks, static_cast<size_t>(kAnnotations));
  EXPECT_EQ(by_annotation.size(), static_cast<size_t>(kAnnotations));

  // Whether or not a submission was in flight at the kill, sending one again
  // with its Idempotency-Key (here with another label) returns the first
  // annotation and stores nothing.
  const Annotator& first = annotators[0];
  ASSERT_FALSE(first.acks.empty());
  const Ack& ack = first.acks.front();
  const std::string other_label = ack.label == kLabels[0] ? kLabels[1] : kLabels[0];
  HttpResponse again = Call(port_, "POST", T(ack.task_id, "/annotations"), first.user.token,
                            SubmitBody(other_label, ack.lease_id),
                            {{"Idempotency-Key", "lease-" + std::to_string(ack.lease_id)}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(Body(again)["annotation"]["annotation_id"], ack.annotation_id);
  json own = Body(Call(port_, "GET", T(ack.task_id, "/annotations"), first.user.token));
  ASSERT_EQ(own["items"].size(), 1u) << own.dump();
  EXPECT_EQ(own["items"][0]["revision"], 1);
  EXPECT_EQ(own["items"][0]["result"][0]["values"][0], ack.label);

  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::printf(
      "workflow load: %d tasks x %d by %d annotators; %d acknowledged before the kill (%d when it "
      "was sent), %zu in all; %d next and %d submit calls sent again; setup %.1f s, labeling "
      "%.1f s before the kill, restart %.1f s, %.1f s after\n",
      kTasks, kOverlap, kAnnotators, before_kill, acked_at_kill, acks, resent_nexts, resent_submits,
      seconds(labeling_started - setup_started), seconds(killed_at - labeling_started),
      seconds(restarted_at - killed_at), seconds(labeled_at - restarted_at));
}

TEST_F(WorkflowLoadTest, AnExpiredLeaseReturnsItsSlotAndALateSubmitOnItStoresNothing) {
  std::vector<User> users = CreateUsers(port_, admin_, {"late", "bea", "cal", "dee"}, "annotator");
  for (const User& u : users) ASSERT_EQ(u.failure, "") << u.username;
  const User &late = users[0], &b = users[1], &c = users[2], &d = users[3];
  const int64_t project =
      NewProject({{"overlap", kOverlap}, {"lease_seconds", kShortLeaseSeconds}}, 1, users);
  ASSERT_FALSE(HasFailure());
  auto next = [&](const User& u) { return Call(port_, "POST", P(project, "/next"), u.token); };
  auto submit = [&](const User& u, int64_t task, int64_t lease) {
    return Call(port_, "POST", T(task, "/annotations"), u.token, SubmitBody("positive", lease),
                {{"Idempotency-Key", "lease-" + std::to_string(lease)}});
  };

  HttpResponse held = next(late);
  ASSERT_EQ(held.status, 200) << held.body;
  const auto held_at = Clock::now();
  const int64_t task = Body(held)["task"]["id"].get<int64_t>();
  const int64_t lost_lease = Body(held)["lease"]["id"].get<int64_t>();
  for (const User* u : {&b, &c}) {
    HttpResponse n = next(*u);
    ASSERT_EQ(n.status, 200) << n.body;
    ASSERT_EQ(Body(n)["task"]["id"], task);
    HttpResponse s = submit(*u, task, Body(n)["lease"]["id"].get<int64_t>());
    ASSERT_EQ(s.status, 201) << s.body;
  }
  // Two annotations and a live lease fill the task's three slots. (Only
  // checked while the lease is surely live: the run has no timing asserts.)
  HttpResponse full = next(d);
  if (Clock::now() - held_at < std::chrono::seconds(kShortLeaseSeconds / 2)) {
    EXPECT_EQ(full.status, 204) << full.body;
  }

  // The lease runs out and its slot goes to d.
  HttpResponse freed = full;
  const auto deadline = held_at + std::chrono::seconds(3 * kShortLeaseSeconds);
  while (freed.status == 204 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    freed = next(d);
  }
  ASSERT_EQ(freed.status, 200) << freed.body;
  EXPECT_EQ(Body(freed)["task"]["id"], task);
  EXPECT_NE(Body(freed)["rule"], "existing_lease");

  // The late submit on the lost lease, and the same call sent again: 409,
  // nothing stored.
  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpResponse late_submit = submit(late, task, lost_lease);
    EXPECT_EQ(late_submit.status, 409) << late_submit.body;
    EXPECT_EQ(Body(late_submit)["error"]["code"], "lease_expired") << late_submit.body;
  }
  HttpResponse own = Call(port_, "GET", T(task, "/annotations"), late.token);
  ASSERT_EQ(own.status, 200) << own.body;
  EXPECT_EQ(Body(own)["items"].size(), 0u) << own.body;

  HttpResponse last = submit(d, task, Body(freed)["lease"]["id"].get<int64_t>());
  ASSERT_EQ(last.status, 201) << last.body;
  EXPECT_EQ(next(late).status, 204);  // the task is done

  json records = Export(project);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["state"], "done");
  std::set<std::string> people;
  for (const json& an : records[0]["annotations"])
    people.insert(an["annotator"].get<std::string>());
  EXPECT_EQ(people, (std::set<std::string>{"bea", "cal", "dee"})) << records[0].dump();
}

}  // namespace
}  // namespace plumb::test
