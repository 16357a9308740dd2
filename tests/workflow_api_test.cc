// API tests of the workflow engine (docs/workflow.md) against the real
// `plumb serve` on a loopback port: consensus and adjudication, review and
// rework, golden tasks, batches with signed callbacks, webhooks, workforces,
// deadlines, and the roles and errors of every new route.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "automation/automation.h"
#include "automation/test_receiver.h"
#include "core/clock.h"
#include "server_process.h"

namespace plumb::test {
namespace {

using automation::testing::ReceivedRequest;
using automation::testing::TestReceiver;
using nlohmann::json;

constexpr const char* kSchema =
    R"({"controls":[{"name":"sentiment","type":"choice","source":"text",)"
    R"("labels":["positive","negative","neutral"]}]})";

// Real time the deliverer gets for a delivery: it polls every 500 ms and
// retries a failure after 1 s.
constexpr std::chrono::seconds kDeliveryWait{20};

json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

json Choice(const std::string& value) {
  return json::array({{{"control", "sentiment"}, {"type", "choice"}, {"values", {value}}}});
}

// The delivery log at `target` once its newest delivery is delivered (the
// receiver answers before the deliverer records the attempt), or after 5 s.
json DeliveryLogOnceDelivered(const Client& manager, const std::string& target) {
  json log;
  for (int i = 0; i < 50; ++i) {
    log = Body(manager.Get(target));
    if (!log["items"].empty() && log["items"][0]["state"] == "delivered") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return log;
}

std::string T(int64_t task, const std::string& rest = "") {
  return "/api/v1/tasks/" + std::to_string(task) + rest;
}

class WorkflowApiTest : public ::testing::TestWithParam<Backend> {
 protected:
  WorkflowApiTest() : database_(GetParam()), server_(ServerConfig{.db = database_.location()}) {}

  void SetUp() override {
    ASSERT_TRUE(server_.Start()) << "plumb serve did not start";
    admin_ =
        std::make_unique<Client>(Client::Login(server_, "admin", ServerProcess::kAdminPassword));
  }

  Client NewUser(const std::string& name, const std::string& role, int64_t* id = nullptr) {
    auto res = admin_->Post(
        "/api/v1/users",
        json{{"username", name}, {"password", name + "-password"}, {"role", role}}.dump());
    EXPECT_EQ(res.status, 201) << res.body;
    if (id) *id = Body(res)["id"].get<int64_t>();
    return Client::Login(server_, name, name + "-password");
  }

  int64_t NewProject(const Client& manager, const json& settings) {
    auto res = manager.Post(
        "/api/v1/projects",
        json{{"name", "Workflow"}, {"schema", json::parse(kSchema)}, {"settings", settings}}
            .dump());
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

  // Imports one task per text; returns their ids in import order.
  std::vector<int64_t> Import(const Client& manager, int64_t project,
                              const std::vector<std::string>& texts) {
    json records = json::array();
    for (const std::string& t : texts) records.push_back({{"text", t}});
    auto res = manager.Post(P(project, "/tasks"), records.dump(), "application/json");
    EXPECT_EQ(res.status, 201) << res.body;
    json page = Body(manager.Get(P(project, "/tasks?limit=1000")));
    std::vector<int64_t> ids;
    for (const json& t : page["items"]) ids.push_back(t["id"].get<int64_t>());
    return ids;
  }

  void AddMember(const Client& manager, int64_t project, int64_t user) {
    ASSERT_EQ(manager.Post(P(project, "/members"), json{{"user_id", user}}.dump()).status, 204);
  }

  // The caller's next task and a submit of `value` on it; the next reply.
  json LabelNext(const Client& who, int64_t project, const std::string& value) {
    auto next = who.Post(P(project, "/next"), "");
    EXPECT_EQ(next.status, 200) << next.body;
    json n = Body(next);
    if (next.status != 200) return n;
    auto sub = who.Post(T(n["task"]["id"].get<int64_t>(), "/annotations"),
                        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}}.dump());
    EXPECT_EQ(sub.status, 201) << sub.body;
    return n;
  }

  // A PUT by a signed-in client (Client has no Put of its own).
  HttpResponse Put(const Client& who, const std::string& target, const std::string& body) const {
    HttpRequest req;
    req.method = "PUT";
    req.target = target;
    req.body = body;
    req.headers["Cookie"] = who.cookie();
    req.headers["Content-Type"] = "application/json";
    return server_.Send(req);
  }

  std::string TaskState(int64_t task) {
    return Body(admin_->Get(T(task)))["state"].get<std::string>();
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

TEST_P(WorkflowApiTest, DisagreementGoesToAdjudicationAndTheReviewerResolves) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0, bob_id = 0, rev_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  int64_t project = NewProject(manager, {{"overlap", 2}, {"agreement_threshold", 0.9}});
  int64_t task = Import(manager, project, {"not bad at all"})[0];
  for (int64_t id : {ann_id, bob_id}) AddMember(manager, project, id);

  LabelNext(ann, project, "positive");
  EXPECT_EQ(TaskState(task), "annotating");
  LabelNext(bob, project, "negative");
  EXPECT_EQ(TaskState(task), "adjudicating");
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["adjudicating"], 1);

  // Reviewers need access to the project, annotators never review.
  EXPECT_EQ(rev.Post(P(project, "/review/next"), "").status, 403);
  EXPECT_EQ(ann.Post(P(project, "/review/next"), "").status, 403);
  AddMember(manager, project, rev_id);
  EXPECT_EQ(Body(rev.Post(P(project, "/review/next"), R"({"stage":"later"})"))["error"]["field"],
            "stage");

  auto next = rev.Post(P(project, "/review/next"), "");
  ASSERT_EQ(next.status, 200) << next.body;
  json r = Body(next);
  EXPECT_EQ(r["stage"], "adjudication");
  EXPECT_EQ(r["task"]["id"], task);
  EXPECT_FALSE(r["task"].contains("golden"));
  ASSERT_EQ(r["annotations"].size(), 2u);
  EXPECT_LT(r["final"]["agreement"].get<double>(), 0.9);
  int64_t ann_annotation = 0;
  for (const json& a : r["annotations"]) {
    if (a["username"] == "ann") ann_annotation = a["annotation_id"].get<int64_t>();
  }
  ASSERT_NE(ann_annotation, 0);

  // Bad decisions change nothing.
  auto bad = rev.Post(T(task, "/review"),
                      json{{"lease_id", r["lease"]["id"]}, {"decision", "maybe"}}.dump());
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"]["field"], "decision");
  auto no_lease = rev.Post(T(task, "/review"), R"({"decision":"resolve","annotation_id":1})");
  EXPECT_EQ(Body(no_lease)["error"]["field"], "lease_id");
  auto accept = rev.Post(T(task, "/review"),
                         json{{"lease_id", r["lease"]["id"]}, {"decision", "accept"}}.dump());
  EXPECT_EQ(accept.status, 400) << accept.body;
  EXPECT_EQ(TaskState(task), "adjudicating");

  auto resolved = rev.Post(T(task, "/review"), json{{"lease_id", r["lease"]["id"]},
                                                    {"decision", "resolve"},
                                                    {"annotation_id", ann_annotation}}
                                                   .dump());
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  json out = Body(resolved);
  EXPECT_EQ(out["task"]["state"], "done");
  EXPECT_EQ(out["final"]["result"][0]["values"][0], "positive");
  EXPECT_EQ(rev.Post(P(project, "/review/next"), "").status, 204);
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["done"], 1);
}

TEST_P(WorkflowApiTest, RejectedTaskComesBackAsReworkThenIsAccepted) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0, rev_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client rev = NewUser("rev", "reviewer", &rev_id);
  int64_t project = NewProject(manager, {{"review_share", 100}});
  std::vector<int64_t> tasks = Import(manager, project, {"sarcastic praise", "plain fact"});
  AddMember(manager, project, ann_id);
  AddMember(manager, project, rev_id);

  json first = LabelNext(ann, project, "positive");
  int64_t task = first["task"]["id"].get<int64_t>();
  EXPECT_EQ(TaskState(task), "reviewing");
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["reviewing"], 1);

  json r = Body(rev.Post(P(project, "/review/next"), R"({"stage":"review"})"));
  ASSERT_EQ(r["task"]["id"], task) << r.dump();
  EXPECT_EQ(r["stage"], "review");
  auto silent = rev.Post(T(task, "/review"),
                         json{{"lease_id", r["lease"]["id"]}, {"decision", "reject"}}.dump());
  EXPECT_EQ(silent.status, 400);
  EXPECT_EQ(Body(silent)["error"]["field"], "comment");
  EXPECT_EQ(TaskState(task), "reviewing");
  auto rejected = rev.Post(T(task, "/review"), json{{"lease_id", r["lease"]["id"]},
                                                    {"decision", "reject"},
                                                    {"comment", "read it again: it is sarcasm"}}
                                                   .dump());
  ASSERT_EQ(rejected.status, 200) << rejected.body;
  EXPECT_EQ(TaskState(task), "annotating");

  auto rework = ann.Post(P(project, "/next"), "");
  ASSERT_EQ(rework.status, 200) << rework.body;
  json n = Body(rework);
  EXPECT_EQ(n["rule"], "rework");
  EXPECT_EQ(n["task"]["id"], task);
  EXPECT_EQ(n["review"]["comment"], "read it again: it is sarcasm");
  EXPECT_EQ(n["review"]["reviewer"]["username"], "rev");
  EXPECT_EQ(n["task"]["previous_result"]["result"][0]["values"][0], "positive");
  auto resubmit =
      ann.Post(T(task, "/annotations"),
               json{{"result", Choice("negative")}, {"lease_id", n["lease"]["id"]}}.dump());
  ASSERT_EQ(resubmit.status, 201) << resubmit.body;
  EXPECT_EQ(Body(resubmit)["annotation"]["revision"], 2);
  EXPECT_EQ(TaskState(task), "reviewing");

  json again = Body(rev.Post(P(project, "/review/next"), ""));
  ASSERT_EQ(again["task"]["id"], task) << again.dump();
  EXPECT_EQ(again["annotations"][0]["result"][0]["values"][0], "negative");
  auto accepted = rev.Post(T(task, "/review"),
                           json{{"lease_id", again["lease"]["id"]}, {"decision", "accept"}}.dump());
  ASSERT_EQ(accepted.status, 200) << accepted.body;
  EXPECT_EQ(Body(accepted)["task"]["state"], "done");
  EXPECT_EQ(Body(accepted)["final"]["result"][0]["values"][0], "negative");

  // A fix replaces the final label with the reviewer's.
  json second = LabelNext(ann, project, "neutral");
  int64_t other = second["task"]["id"].get<int64_t>();
  EXPECT_NE(other, task);
  json f = Body(rev.Post(P(project, "/review/next"), ""));
  ASSERT_EQ(f["task"]["id"], other) << f.dump();
  auto no_result = rev.Post(T(other, "/review"),
                            json{{"lease_id", f["lease"]["id"]}, {"decision", "fix"}}.dump());
  EXPECT_EQ(Body(no_result)["error"]["field"], "result");
  auto bad_result = rev.Post(
      T(other, "/review"),
      json{{"lease_id", f["lease"]["id"]}, {"decision", "fix"}, {"result", Choice("furious")}}
          .dump());
  EXPECT_EQ(bad_result.status, 422);
  EXPECT_EQ(Body(bad_result)["error"]["field"], "result[0].values[0]");
  auto fixed = rev.Post(
      T(other, "/review"),
      json{{"lease_id", f["lease"]["id"]}, {"decision", "fix"}, {"result", Choice("positive")}}
          .dump());
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  EXPECT_EQ(Body(fixed)["final"]["method"], "review_fix");
  EXPECT_EQ(Body(fixed)["final"]["result"][0]["values"][0], "positive");
  EXPECT_EQ(TaskState(other), "done");
  EXPECT_EQ(tasks.size(), 2u);
}

TEST_P(WorkflowApiTest, GoldenTasksComeAtTheRateAreGradedAndStayHidden) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager, {{"golden_rate", 0.5}});
  std::vector<int64_t> tasks =
      Import(manager, project, {"g1 great", "g2 awful", "one", "two", "three", "four"});
  AddMember(manager, project, ann_id);
  const int64_t g1 = tasks[0], g2 = tasks[1];

  EXPECT_EQ(Put(ann, T(g1, "/golden"), json{{"result", Choice("positive")}}.dump()).status, 403);
  auto bad = Put(manager, T(g1, "/golden"), json{{"result", Choice("ecstatic")}}.dump());
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(Body(bad)["error"]["field"], "result[0].values[0]");
  EXPECT_EQ(Body(Put(manager, T(g1, "/golden"), "{}"))["error"]["field"], "result");
  auto set = Put(manager, T(g1, "/golden"), json{{"result", Choice("positive")}}.dump());
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(Body(set)["task"]["golden"], true);
  ASSERT_EQ(Put(manager, T(g2, "/golden"), json{{"result", Choice("negative")}}.dump()).status,
            200);
  json seen_by_manager = Body(manager.Get(T(g1)));
  EXPECT_EQ(seen_by_manager["golden"], true);
  EXPECT_EQ(seen_by_manager["golden_answer"]["result"][0]["values"][0], "positive");

  // Every second task is golden while unseen golden tasks remain; the
  // annotator cannot tell them from the others.
  std::vector<int64_t> order;
  for (;;) {
    auto next = ann.Post(P(project, "/next"), "");
    if (next.status == 204) break;
    ASSERT_EQ(next.status, 200) << next.body;
    json n = Body(next);
    EXPECT_FALSE(n["task"].contains("golden")) << n.dump();
    EXPECT_FALSE(n["task"].contains("golden_answer")) << n.dump();
    EXPECT_NE(n["rule"], "golden");
    EXPECT_EQ(next.body.find("golden"), std::string::npos) << next.body;
    int64_t task = n["task"]["id"].get<int64_t>();
    order.push_back(task);
    // The golden answer to g1 is matched, to g2 missed.
    std::string value = task == g1 ? "positive" : task == g2 ? "positive" : "neutral";
    ASSERT_EQ(ann.Post(T(task, "/annotations"),
                       json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}}.dump())
                  .status,
              201);
    json own_view = Body(ann.Get(T(task)));
    EXPECT_FALSE(own_view.contains("golden"));
    EXPECT_FALSE(own_view.contains("golden_answer"));
    ASSERT_LT(order.size(), 10u);
  }
  ASSERT_EQ(order.size(), 6u);
  EXPECT_EQ(order[1], g1);
  EXPECT_EQ(order[3], g2);

  EXPECT_EQ(ann.Get(P(project, "/golden/grades")).status, 403);
  auto grades = manager.Get(P(project, "/golden/grades"));
  ASSERT_EQ(grades.status, 200) << grades.body;
  json g = Body(grades);
  ASSERT_EQ(g["items"].size(), 2u);
  ASSERT_EQ(g["labelers"].size(), 1u);
  EXPECT_EQ(g["labelers"][0]["username"], "ann");
  EXPECT_EQ(g["labelers"][0]["graded"], 2);
  EXPECT_EQ(g["labelers"][0]["correct"], 1);
  EXPECT_DOUBLE_EQ(g["labelers"][0]["accuracy"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(g["labelers"][0]["mean_score"].get<double>(), 0.5);

  // Golden annotations never become final labels: the ordinary four are done.
  EXPECT_EQ(Body(manager.Get(P(project, "/tasks?state=done")))["total"], 4);
  EXPECT_EQ(manager.Delete(T(g2, "/golden")).status, 204);
  EXPECT_EQ(Body(manager.Get(T(g2)))["golden"], false);
}

TEST_P(WorkflowApiTest, BatchIsLabeledAndItsSignedCallbackIsRetried) {
  std::atomic<int> calls{0};
  TestReceiver receiver([&](const ReceivedRequest&) { return ++calls == 1 ? 500 : 200; });
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager, json::object());
  AddMember(manager, project, ann_id);

  // Bad input names the field and stores nothing, however far in it is.
  const json good_task = {{"data", {{"text", "fine"}}}};
  struct BadBatch {
    json body;
    const char* field;
  };
  const BadBatch bad_batches[] = {
      {{{"tasks", json::array()}}, "tasks"},
      {{{"tasks", {good_task, {{"data", {{"body", "no text"}}}}}}}, "tasks[1].data.text"},
      {{{"tasks", {good_task, {{"data", "text"}}}}}, "tasks[1].data"},
      {{{"tasks", {good_task}}, {"deadline", "tomorrow"}}, "deadline"},
      {{{"tasks", {good_task, {{"data", {{"text", "x"}}}, {"deadline", "2026-02-30T00:00:00Z"}}}}},
       "tasks[1].deadline"},
      {{{"tasks", {good_task}}, {"callback_url", "ftp://example.com/x"}}, "callback_url"},
      {{{"tasks", {good_task}}, {"workforce_ids", {999999}}}, "workforce_ids[0]"},
      {{{"tasks", {good_task}}, {"priority", "high"}}, "priority"},
  };
  for (const BadBatch& b : bad_batches) {
    auto res = manager.Post(P(project, "/batches"), b.body.dump());
    EXPECT_EQ(res.status, 400) << b.body.dump() << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], b.field) << b.body.dump();
  }
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["total"], 0);
  EXPECT_EQ(Body(manager.Get(P(project, "/batches")))["items"].size(), 0u);

  auto created = manager.Post(
      P(project, "/batches"),
      json{{"name", "nightly"},
           {"tasks", {{{"data", {{"text", "first"}}}}, {{"data", {{"text", "second"}}}}}},
           {"deadline", "2099-12-01T18:00:00Z"},
           {"callback_url", receiver.Url("/done")}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json c = Body(created);
  const std::string secret = c["callback_secret"].get<std::string>();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(secret.find_first_not_of("0123456789abcdef"), std::string::npos);
  const int64_t batch = c["batch"]["id"].get<int64_t>();
  EXPECT_EQ(c["batch"]["state"], "open");
  EXPECT_EQ(c["batch"]["total"], 2);
  EXPECT_EQ(c["batch"]["deadline"], "2099-12-01T18:00:00.000Z");
  EXPECT_EQ(Body(manager.Get(P(project, "/batches")))["items"].size(), 1u);
  const std::string batch_path = "/api/v1/batches/" + std::to_string(batch);
  EXPECT_FALSE(Body(manager.Get(batch_path)).contains("labels"));

  json n1 = LabelNext(ann, project, "positive");
  EXPECT_EQ(n1["task"]["batch_id"], batch);
  EXPECT_EQ(n1["task"]["deadline"], "2099-12-01T18:00:00.000Z");
  LabelNext(ann, project, "negative");

  json done = Body(manager.Get(batch_path));
  EXPECT_EQ(done["state"], "done") << done.dump();
  EXPECT_EQ(done["done"], 2);
  ASSERT_EQ(done["labels"].size(), 2u);
  EXPECT_EQ(done["labels"][0]["data"]["text"], "first");
  EXPECT_EQ(done["labels"][0]["result"][0]["values"][0], "positive");
  EXPECT_EQ(done["labels"][1]["result"][0]["values"][0], "negative");

  // The first call fails; the retry (after 1 s) carries the same delivery.
  ASSERT_GE(receiver.WaitForRequests(2, kDeliveryWait), 2u);
  std::vector<ReceivedRequest> requests = receiver.Requests();
  for (const ReceivedRequest& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/done");
    EXPECT_EQ(r.Header("x-plumb-event"), "batch.completed");
    EXPECT_TRUE(automation::VerifySignature(secret, r.body, r.Header("x-plumb-signature")))
        << r.Header("x-plumb-signature");
    json event = json::parse(r.body);
    EXPECT_EQ(event["type"], "batch.completed");
    EXPECT_EQ(event["project_id"], project);
    EXPECT_EQ(event["data"]["batch_id"], batch);
  }
  EXPECT_EQ(requests[0].Header("x-plumb-delivery"), requests[1].Header("x-plumb-delivery"));
  EXPECT_FALSE(automation::VerifySignature("another secret", requests[0].body,
                                           requests[0].Header("x-plumb-signature")));
  json log = DeliveryLogOnceDelivered(manager, batch_path + "/deliveries");
  ASSERT_EQ(log["items"].size(), 1u) << log.dump();
  EXPECT_EQ(log["items"][0]["state"], "delivered");
  EXPECT_GE(log["items"][0]["attempts"].get<int>(), 2);
  EXPECT_EQ(log["items"][0]["event"], "batch.completed");
}

TEST_P(WorkflowApiTest, WebhookGetsTaskCompletedSigned) {
  TestReceiver receiver([](const ReceivedRequest&) { return 204; });
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager, json::object());
  int64_t task = Import(manager, project, {"lovely"})[0];
  AddMember(manager, project, ann_id);

  struct BadHook {
    json body;
    const char* field;
  };
  const BadHook bad_hooks[] = {
      {{{"events", {"task.completed"}}}, "url"},
      {{{"url", "not a url"}, {"events", {"task.completed"}}}, "url"},
      {{{"url", receiver.Url()}, {"events", json::array()}}, "events"},
      {{{"url", receiver.Url()}, {"events", {"task.completed", "task.deleted"}}}, "events[1]"},
      {{{"url", receiver.Url()}, {"events", {"task.completed", "task.completed"}}}, "events[1]"},
  };
  for (const BadHook& b : bad_hooks) {
    auto res = manager.Post(P(project, "/webhooks"), b.body.dump());
    EXPECT_EQ(res.status, 400) << b.body.dump();
    EXPECT_EQ(Body(res)["error"]["field"], b.field) << b.body.dump();
  }
  EXPECT_EQ(Body(manager.Get(P(project, "/webhooks")))["items"].size(), 0u);

  auto created = manager.Post(
      P(project, "/webhooks"),
      json{{"url", receiver.Url("/events")}, {"events", {"task.completed", "review.rejected"}}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string secret = Body(created)["secret"].get<std::string>();
  EXPECT_EQ(secret.size(), 64u);
  const int64_t hook = Body(created)["webhook"]["id"].get<int64_t>();
  json listed = Body(manager.Get(P(project, "/webhooks")));
  ASSERT_EQ(listed["items"].size(), 1u);
  EXPECT_FALSE(listed["items"][0].contains("secret"));
  EXPECT_EQ(listed["items"][0]["events"], json({"task.completed", "review.rejected"}));

  LabelNext(ann, project, "positive");
  ASSERT_EQ(receiver.WaitForRequests(1, kDeliveryWait), 1u);
  ReceivedRequest r = receiver.Requests()[0];
  EXPECT_EQ(r.Header("x-plumb-event"), "task.completed");
  EXPECT_FALSE(r.Header("x-plumb-delivery").empty());
  EXPECT_TRUE(automation::VerifySignature(secret, r.body, r.Header("x-plumb-signature")));
  json event = json::parse(r.body);
  EXPECT_EQ(event["type"], "task.completed");
  EXPECT_EQ(event["data"]["task_id"], task);
  EXPECT_EQ(event["data"]["result"][0]["values"][0], "positive");

  const std::string hook_path = "/api/v1/webhooks/" + std::to_string(hook);
  json log = DeliveryLogOnceDelivered(manager, hook_path + "/deliveries");
  ASSERT_EQ(log["items"].size(), 1u) << log.dump();
  EXPECT_EQ(log["items"][0]["attempts"], 1);
  EXPECT_EQ(log["items"][0]["last_status"], 204);
  EXPECT_TRUE(log["items"][0]["next_attempt_at"].is_null());
  EXPECT_FALSE(log["items"][0]["delivered_at"].is_null());
  EXPECT_EQ(Body(manager.Get(hook_path + "/deliveries?limit=0"))["error"]["field"], "limit");

  EXPECT_EQ(ann.Delete(hook_path).status, 403);
  EXPECT_EQ(manager.Delete(hook_path).status, 204);
  EXPECT_EQ(manager.Get(hook_path + "/deliveries").status, 404);
  EXPECT_EQ(manager.Delete(hook_path).status, 404);
}

TEST_P(WorkflowApiTest, WorkforcesGiveAccessAndBatchesGoOnlyToTheirs) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0, bob_id = 0, carl_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client bob = NewUser("bob", "annotator", &bob_id);
  Client carl = NewUser("carl", "annotator", &carl_id);

  struct BadWorkforce {
    json body;
    const char* field;
  };
  const BadWorkforce bad_workforces[] = {
      {{{"kind", "internal"}}, "name"},
      {{{"name", ""}}, "name"},
      {{{"name", "x"}, {"kind", "freelance"}}, "kind"},
      {{{"name", "x"}, {"pricing", 3}}, "pricing"},
      {{{"name", "x"}, {"pricing", {{"model", "per_word"}}}}, "pricing.model"},
      {{{"name", "x"}, {"pricing", {{"rate", -1}}}}, "pricing.rate"},
      {{{"name", "x"}, {"pricing", {{"currency", "dollars"}}}}, "pricing.currency"},
  };
  for (const BadWorkforce& b : bad_workforces) {
    auto res = manager.Post("/api/v1/workforces", b.body.dump());
    EXPECT_EQ(res.status, 400) << b.body.dump();
    EXPECT_EQ(Body(res)["error"]["field"], b.field) << b.body.dump();
  }
  EXPECT_EQ(Body(manager.Get("/api/v1/workforces"))["items"].size(), 0u);

  auto a =
      manager.Post("/api/v1/workforces",
                   json{{"name", "In-house"},
                        {"kind", "internal"},
                        {"pricing", {{"model", "per_hour"}, {"rate", 30}, {"currency", "EUR"}}}}
                       .dump());
  ASSERT_EQ(a.status, 201) << a.body;
  EXPECT_EQ(Body(a)["pricing"]["model"], "per_hour");
  auto b = manager.Post("/api/v1/workforces", R"({"name":"Vendor B","kind":"vendor"})");
  ASSERT_EQ(b.status, 201) << b.body;
  EXPECT_EQ(manager.Post("/api/v1/workforces", R"({"name":"Vendor B"})").status, 409);
  const int64_t wa = Body(a)["id"].get<int64_t>(), wb = Body(b)["id"].get<int64_t>();
  const std::string pa = "/api/v1/workforces/" + std::to_string(wa);
  const std::string pb = "/api/v1/workforces/" + std::to_string(wb);
  ASSERT_EQ(manager.Post(pa + "/members", json{{"user_id", ann_id}}.dump()).status, 204);
  ASSERT_EQ(manager.Post(pb + "/members", json{{"user_id", bob_id}}.dump()).status, 204);
  EXPECT_EQ(manager.Post(pb + "/members", R"({"user_id":999999})").status, 404);
  EXPECT_EQ(Body(manager.Post(pb + "/members", R"({"user_id":"bob"})"))["error"]["field"],
            "user_id");

  int64_t project = NewProject(manager, json::object());
  EXPECT_EQ(Body(manager.Post(P(project, "/workforces"), "{}"))["error"]["field"], "workforce_id");
  EXPECT_EQ(manager.Post(P(project, "/workforces"), R"({"workforce_id":999999})").status, 404);
  for (int64_t w : {wa, wb}) {
    ASSERT_EQ(manager.Post(P(project, "/workforces"), json{{"workforce_id", w}}.dump()).status,
              204);
  }
  EXPECT_EQ(Body(manager.Get(P(project, "/workforces")))["items"].size(), 2u);

  // The batch is routed to workforce A: B's member gets nothing of it.
  auto batch = manager.Post(
      P(project, "/batches"),
      json{{"tasks", {{{"data", {{"text", "for A"}}}}}}, {"workforce_ids", {wa}}}.dump());
  ASSERT_EQ(batch.status, 201) << batch.body;
  EXPECT_EQ(Body(batch)["batch"]["workforce_ids"], json({wa}));
  EXPECT_FALSE(Body(batch).contains("callback_secret"));
  EXPECT_EQ(carl.Post(P(project, "/next"), "").status, 403);
  EXPECT_EQ(carl.Get(P(project)).status, 403);
  EXPECT_EQ(bob.Post(P(project, "/next"), "").status, 204);
  EXPECT_EQ(ann.Get(P(project)).status, 200);
  json n = LabelNext(ann, project, "neutral");
  EXPECT_EQ(n["task"]["data"]["text"], "for A");
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["done"], 1);

  json detail = Body(manager.Get(pa));
  ASSERT_EQ(detail["members"].size(), 1u);
  EXPECT_EQ(detail["members"][0]["username"], "ann");
  ASSERT_EQ(detail["projects"].size(), 1u);
  EXPECT_EQ(detail["projects"][0]["id"], project);
  json own = Body(ann.Get("/api/v1/workforces"));
  ASSERT_EQ(own["items"].size(), 1u);
  EXPECT_EQ(own["items"][0]["id"], wa);
  EXPECT_EQ(ann.Get(pa).status, 200);
  EXPECT_EQ(ann.Get(pb).status, 403);

  auto patched = manager.Patch(pb, R"({"pricing":{"rate":0.05}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["name"], "Vendor B");
  EXPECT_EQ(Body(patched)["kind"], "vendor");
  EXPECT_DOUBLE_EQ(Body(patched)["pricing"]["rate"].get<double>(), 0.05);

  // Access ends with the grant, or with the membership.
  ASSERT_EQ(manager.Delete(P(project, "/workforces/" + std::to_string(wb))).status, 204);
  EXPECT_EQ(bob.Post(P(project, "/next"), "").status, 403);
  ASSERT_EQ(manager.Delete(pa + "/members/" + std::to_string(ann_id)).status, 204);
  EXPECT_EQ(ann.Post(P(project, "/next"), "").status, 403);
}

TEST_P(WorkflowApiTest, DeadlinesOrderTheQueueAndFlagTasksDueSoon) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager, {{"deadline_warning_seconds", 3600}});
  AddMember(manager, project, ann_id);
  const std::string soon = FormatIsoTime(SystemClock().NowMs() + 10 * 60 * 1000);
  auto created =
      manager.Post(P(project, "/batches"),
                   json{{"tasks",
                         {{{"data", {{"text", "none"}}}},
                          {{"data", {{"text", "later"}}}, {"deadline", "2099-01-01T00:00:00Z"}},
                          {{"data", {{"text", "soon"}}}, {"deadline", soon}}}}}
                       .dump());
  ASSERT_EQ(created.status, 201) << created.body;

  json page = Body(manager.Get(P(project, "/tasks")));
  ASSERT_EQ(page["items"].size(), 3u);
  for (const json& t : page["items"]) {
    const std::string text = t["data"]["text"];
    EXPECT_EQ(t["deadline_soon"], text == "soon") << t.dump();
    EXPECT_EQ(t["deadline"].is_null(), text == "none") << t.dump();
    EXPECT_EQ(t["golden"], false);
  }

  HttpRequest metrics_request;
  metrics_request.target = "/metrics";
  std::string metrics = server_.Send(metrics_request).body;
  const std::string id = std::to_string(project);
  EXPECT_NE(metrics.find("plumb_tasks_near_deadline{project=\"" + id + "\"} 1\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("plumb_tasks{project=\"" + id + "\",state=\"adjudicating\"} 0\n"),
            std::string::npos)
      << metrics;

  // Sooner deadlines first, tasks without one last.
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    json n = LabelNext(ann, project, "neutral");
    order.push_back(n["task"]["data"]["text"]);
    EXPECT_EQ(n["task"]["deadline_soon"], order.back() == "soon");
    EXPECT_EQ(n["rule"], "priority");
  }
  EXPECT_EQ(order, (std::vector<std::string>{"soon", "later", "none"}));
  // Done tasks are no longer due.
  metrics = server_.Send(metrics_request).body;
  EXPECT_NE(metrics.find("plumb_tasks_near_deadline{project=\"" + id + "\"} 0\n"),
            std::string::npos);
  for (const json& t : Body(manager.Get(P(project, "/tasks")))["items"]) {
    EXPECT_EQ(t["deadline_soon"], false);
  }
}

TEST_P(WorkflowApiTest, AnnotatorsAreRefusedAndUnknownIdsAre404) {
  Client manager = NewUser("mia", "manager");
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  int64_t project = NewProject(manager, json::object());
  int64_t task = Import(manager, project, {"one"})[0];
  AddMember(manager, project, ann_id);
  auto workforce = manager.Post("/api/v1/workforces", R"({"name":"Team"})");
  ASSERT_EQ(workforce.status, 201);
  const std::string wf =
      "/api/v1/workforces/" + std::to_string(Body(workforce)["id"].get<int64_t>());
  auto batch = manager.Post(P(project, "/batches"), R"({"tasks":[{"data":{"text":"b"}}]})");
  ASSERT_EQ(batch.status, 201) << batch.body;
  const std::string bp =
      "/api/v1/batches/" + std::to_string(Body(batch)["batch"]["id"].get<int64_t>());

  struct Call {
    const char* method;
    std::string target;
    std::string body;
  };
  const Call refused[] = {
      {"POST", P(project, "/review/next"), ""},
      {"POST", T(task, "/review"), R"({"lease_id":1,"decision":"accept"})"},
      {"PUT", T(task, "/golden"), json{{"result", Choice("positive")}}.dump()},
      {"DELETE", T(task, "/golden"), ""},
      {"GET", P(project, "/golden/grades"), ""},
      {"POST", P(project, "/batches"), R"({"tasks":[{"data":{"text":"x"}}]})"},
      {"GET", P(project, "/batches"), ""},
      {"GET", bp, ""},
      {"GET", bp + "/deliveries", ""},
      {"POST", P(project, "/webhooks"),
       R"({"url":"http://127.0.0.1:9/x","events":["task.completed"]})"},
      {"GET", P(project, "/webhooks"), ""},
      {"POST", "/api/v1/workforces", R"({"name":"Mine"})"},
      {"PATCH", wf, R"({"name":"Mine"})"},
      {"POST", wf + "/members", json{{"user_id", ann_id}}.dump()},
      {"DELETE", wf + "/members/" + std::to_string(ann_id), ""},
      {"GET", wf, ""},
      {"GET", P(project, "/workforces"), ""},
      {"POST", P(project, "/workforces"), R"({"workforce_id":1})"},
  };
  auto send = [this](const Client& c, const Call& call) {
    const std::string method = call.method;
    if (method == "GET") return c.Get(call.target);
    if (method == "DELETE") return c.Delete(call.target);
    if (method == "PATCH") return c.Patch(call.target, call.body);
    if (method == "PUT") return Put(c, call.target, call.body);
    return c.Post(call.target, call.body);
  };
  for (const Call& call : refused) {
    auto res = send(ann, call);
    EXPECT_EQ(res.status, 403) << call.method << " " << call.target << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["code"], "permission_denied") << call.target;
  }
  EXPECT_EQ(Body(manager.Get(P(project)))["counts"]["total"], 2);
  EXPECT_EQ(Body(manager.Get(P(project, "/batches")))["items"].size(), 1u);
  EXPECT_EQ(Body(manager.Get("/api/v1/workforces"))["items"].size(), 1u);
  EXPECT_EQ(Body(ann.Get("/api/v1/workforces"))["items"].size(), 0u);

  const Call unknown[] = {
      {"POST", P(999999, "/review/next"), ""},
      {"POST", T(999999, "/review"), R"({"lease_id":1,"decision":"accept"})"},
      {"PUT", T(999999, "/golden"), json{{"result", Choice("positive")}}.dump()},
      {"GET", P(999999, "/golden/grades"), ""},
      {"POST", P(999999, "/batches"), R"({"tasks":[{"data":{"text":"x"}}]})"},
      {"GET", "/api/v1/batches/999999", ""},
      {"GET", "/api/v1/webhooks/999999/deliveries", ""},
      {"DELETE", "/api/v1/webhooks/999999", ""},
      {"GET", "/api/v1/workforces/999999", ""},
      {"PATCH", "/api/v1/workforces/999999", R"({"name":"x"})"},
      {"POST", "/api/v1/workforces/999999/members", json{{"user_id", ann_id}}.dump()},
      {"DELETE", P(project, "/workforces/999999"), ""},
  };
  for (const Call& call : unknown) {
    auto res = send(manager, call);
    EXPECT_EQ(res.status, 404) << call.method << " " << call.target << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["code"], "not_found") << call.target;
  }

  // Malformed bodies are 400s, not 500s.
  EXPECT_EQ(manager.Post(P(project, "/batches"), "[1,2]").status, 400);
  EXPECT_EQ(manager.Post(P(project, "/webhooks"), "{\"url\":").status, 400);
  EXPECT_EQ(Put(manager, T(task, "/golden"), "nope").status, 400);
  EXPECT_EQ(manager.Post(T(task, "/review"), "").status, 400);
}

INSTANTIATE_TEST_SUITE_P(Backends, WorkflowApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
