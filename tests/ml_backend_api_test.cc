// API tests of ML backends (docs/automation.md) against the real `plumb
// serve` on both backends, with real HTTP backends the test runs on
// loopback: predictions arrive as pre-labels and stay apart from human
// labels in the export; a backend that times out or answers garbage leaves
// labeling working and shows its error; a Label Studio-protocol stand-in
// checks the translation both ways; acceptance statistics and the model's
// accuracy; and who may do what.

#include <gtest/gtest.h>

#include <csignal>
#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "automation/active_learner.h"
#include "automation/test_receiver.h"
#include "choice_api_fixture.h"
#include "store/store.h"

namespace plumb::test {
namespace {

using automation::testing::ReceivedRequest;
using automation::testing::TestReceiver;
using automation::testing::TestResponse;
using nlohmann::json;

// A Plumb-protocol backend that says `label` for every task it is sent.
TestResponse PlumbBackend(const ReceivedRequest& r, const std::string& label) {
  if (r.target == "/health") return {200, R"({"model_version":"v1"})"};
  if (r.target != "/predict") return {200, "{}"};
  json req = json::parse(r.body, nullptr, false);
  json results = json::array();
  for (const json& t : req["tasks"]) {
    results.push_back({{"task_id", t["id"]}, {"result", Choice(label)}, {"score", 0.8}});
  }
  return {200, json{{"model_version", "v1"}, {"results", results}}.dump()};
}

class MlBackendApiTest : public ChoiceApiTest {
 protected:
  void SetUp() override {
    ChoiceApiTest::SetUp();
    manager_ = std::make_unique<Client>(NewUser("mia", "manager", &manager_id_));
    annotator_ = std::make_unique<Client>(NewUser("ann", "annotator", &annotator_id_));
    project_ = NewProject(*manager_, {{"overlap", 1}}, "Automation");
    AddMember(*manager_, project_, annotator_id_);
  }

  int64_t AddBackend(const json& body) {
    auto res = manager_->Post(P(project_, "/ml-backends"), body.dump());
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res).value("id", int64_t{0});
  }

  // Polls the project's newest job until it ends (or 30 s pass).
  json WaitForJob(int64_t job_id) {
    json job;
    for (int i = 0; i < 300; ++i) {
      job = Body(manager_->Get("/api/v1/prediction-jobs/" + std::to_string(job_id)));
      const std::string state = job.value("state", "");
      if (state != "queued" && state != "running") return job;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "job did not end: " << job.dump();
    return job;
  }

  json NewestJob() {
    json jobs = Body(manager_->Get(P(project_, "/prediction-jobs")));
    if (jobs["items"].empty()) {
      ADD_FAILURE() << "no job";
      return json();
    }
    return jobs["items"][0];
  }

  json Next() {
    auto res = annotator_->Post(P(project_, "/next"), "");
    EXPECT_EQ(res.status, 200) << res.body;
    return Body(res);
  }

  HttpResponse SubmitAs(const json& next, const std::string& value, int64_t lead_ms) {
    json body = {{"result", Choice(value)},
                 {"lease_id", next["lease"]["id"]},
                 {"lead_time_ms", lead_ms}};
    if (next["task"].contains("prelabel")) body["prelabel_id"] = next["task"]["prelabel"]["id"];
    return annotator_->Post(T(next["task"]["id"].get<int64_t>(), "/annotations"), body.dump());
  }

  // Polls the backend until its model_version is `version` (or 10 s pass).
  json WaitForModelVersion(int64_t id, const std::string& version) {
    json b;
    for (int i = 0; i < 100; ++i) {
      b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(id)));
      if (b["model_version"] == version) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return b;
  }

  json WaitForBackend(int64_t id, const std::string& health) {
    json b;
    for (int i = 0; i < 100; ++i) {
      b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(id)));
      if (b.value("health", "") == health) return b;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "backend health never became " << health << ": " << b.dump();
    return b;
  }

  std::unique_ptr<Client> manager_, annotator_;
  int64_t manager_id_ = 0, annotator_id_ = 0, project_ = 0;
};

TEST_P(MlBackendApiTest, PredictionsArriveAsPrelabelsAndTheExportKeepsThemApart) {
  TestReceiver backend([](const ReceivedRequest& r) { return PlumbBackend(r, "positive"); });
  const int64_t id = AddBackend({{"name", "sentiment-model"},
                                 {"url", backend.Url("")},
                                 {"on_import", true},
                                 {"train", true},
                                 {"batch_size", 2}});
  Import(*manager_, project_, 3);
  json job = WaitForJob(NewestJob()["id"].get<int64_t>());
  EXPECT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["trigger"], "import");
  EXPECT_EQ(job["predicted"], 3) << job.dump();
  EXPECT_EQ(job["failed"], 0);
  size_t predicts = 0;
  for (const ReceivedRequest& r : backend.Requests()) {
    if (r.target != "/predict") continue;
    ++predicts;
    json req = json::parse(r.body);
    EXPECT_LE(req["tasks"].size(), 2u) << "batches of batch_size";
    EXPECT_EQ(req["project"]["schema"]["controls"][0]["name"], "sentiment");
  }
  EXPECT_EQ(predicts, 2u) << "3 tasks in batches of 2";

  // The editor gets the pre-label; one is accepted unchanged, one replaced.
  json first = Next();
  ASSERT_TRUE(first["task"].contains("prelabel")) << first.dump();
  const json& prelabel = first["task"]["prelabel"];
  EXPECT_EQ(prelabel["model_name"], "sentiment-model");
  EXPECT_EQ(prelabel["model_version"], "v1");
  EXPECT_EQ(prelabel["score"], 0.8);
  EXPECT_EQ(prelabel["result"], Choice("positive"));
  ASSERT_EQ(SubmitAs(first, "positive", 1000).status, 201);
  json second = Next();
  ASSERT_EQ(SubmitAs(second, "negative", 3000).status, 201);

  // The train call of each accepted label.
  ASSERT_GE(backend.WaitForRequests(predicts + 1 + 2, std::chrono::seconds(10)), predicts + 2);
  std::vector<json> trained;
  for (const ReceivedRequest& r : backend.Requests()) {
    if (r.target == "/train") trained.push_back(json::parse(r.body));
  }
  ASSERT_EQ(trained.size(), 2u);
  EXPECT_EQ(trained[0]["event"], "label.accepted");
  EXPECT_EQ(trained[0]["task"]["id"], first["task"]["id"]);
  EXPECT_EQ(trained[1]["label"]["result"], Choice("negative"));

  // The export: annotations hold the human labels only, predictions apart.
  json exported = Body(manager_->Get(P(project_, "/export?format=json")));
  ASSERT_TRUE(exported.is_array());
  for (const json& record : exported) {
    for (const json& a : record["annotations"]) {
      EXPECT_EQ(a["annotator"], "ann") << "no model's result is an annotation";
    }
    if (record["id"] == second["task"]["id"]) {
      EXPECT_EQ(record["label"]["sentiment"], "negative") << "the human label, not the model's";
    }
  }
  json ls = Body(manager_->Get(P(project_, "/export?format=label_studio")));
  ASSERT_EQ(ls.size(), 3u);
  int with_annotation = 0;
  for (const json& record : ls) {
    ASSERT_EQ(record["predictions"].size(), 1u);
    EXPECT_EQ(record["predictions"][0]["model_version"], "sentiment-model@v1");
    EXPECT_EQ(record["predictions"][0]["result"][0]["value"]["choices"], json::array({"positive"}));
    with_annotation += static_cast<int>(record["annotations"].size());
  }
  EXPECT_EQ(with_annotation, 2);

  // Acceptance, time with and without a pre-label, and the model's accuracy.
  json stats = Body(manager_->Get(P(project_, "/automation/stats")));
  ASSERT_EQ(stats["models"].size(), 1u) << stats.dump();
  const json& m = stats["models"][0];
  EXPECT_EQ(m["model_name"], "sentiment-model");
  EXPECT_EQ(m["model_version"], "v1");
  EXPECT_EQ(m["unchanged"], 1);
  EXPECT_EQ(m["edited"], 0);
  EXPECT_EQ(m["discarded"], 1);
  EXPECT_EQ(m["mean_time_ms"], 2000.0);
  EXPECT_EQ(stats["time_per_task"]["with_prelabel"]["labels"], 2);
  EXPECT_EQ(stats["time_per_task"]["without_prelabel"]["labels"], 0);
  ASSERT_EQ(stats["accuracy"].size(), 1u);
  ASSERT_EQ(stats["accuracy"][0]["points"].size(), 1u);
  EXPECT_EQ(stats["accuracy"][0]["points"][0]["scored"], 2);
  EXPECT_EQ(stats["accuracy"][0]["points"][0]["accuracy"], 0.5);

  // The third task, labeled without its pre-label shown (prelabel_id of
  // another task is refused and changes nothing).
  json third = Next();
  const std::string before = manager_->Get(T(third["task"]["id"].get<int64_t>())).body;
  json bad = {{"result", Choice("neutral")}, {"lease_id", third["lease"]["id"]},
              {"prelabel_id", 999999}};
  auto refused = annotator_->Post(T(third["task"]["id"].get<int64_t>(), "/annotations"), bad.dump());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Body(refused)["error"]["field"], "prelabel_id");
  EXPECT_EQ(manager_->Get(T(third["task"]["id"].get<int64_t>())).body, before) << "nothing stored";
  EXPECT_TRUE(Body(manager_->Get(T(third["task"]["id"].get<int64_t>())))["annotations"].empty());
  (void)id;
}

TEST_P(MlBackendApiTest, ABackendThatTimesOutOrAnswersGarbageLeavesLabelingWorking) {
  TestReceiver silent([](const ReceivedRequest&) { return TestResponse{0, ""}; });
  TestReceiver garbage([](const ReceivedRequest&) { return TestResponse{200, "{\"results\": [oops"}; });
  const int64_t slow = AddBackend(
      {{"name", "slow"}, {"url", silent.Url("")}, {"timeout_ms", 300}, {"batch_size", 10}});
  const int64_t broken = AddBackend({{"name", "broken"}, {"url", garbage.Url("/v1")}});
  std::vector<int64_t> tasks = Import(*manager_, project_, 2);

  for (int64_t backend : {slow, broken}) {
    auto res = manager_->Post(P(project_, "/predict"),
                              json{{"backend_id", backend}, {"tasks", {{"state", "new"}}}}.dump());
    ASSERT_EQ(res.status, 201) << res.body;
    json job = WaitForJob(Body(res)["id"].get<int64_t>());
    EXPECT_EQ(job["state"], "done") << job.dump();
    EXPECT_EQ(job["total"], 2);
    EXPECT_EQ(job["predicted"], 0);
    EXPECT_EQ(job["failed"], 2);
    EXPECT_NE(job["last_error"].get<std::string>(), "");
  }
  json slow_b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(slow)));
  EXPECT_EQ(slow_b["health"], "error");
  EXPECT_NE(slow_b["last_error"].get<std::string>().find("timed out"), std::string::npos)
      << slow_b.dump();
  json broken_b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(broken)));
  EXPECT_EQ(broken_b["health"], "error");
  EXPECT_NE(broken_b["last_error"].get<std::string>().find("malformed JSON"), std::string::npos)
      << broken_b.dump();
  // The timeout was retried with backoff; the garbage was not.
  auto predicts = [](const TestReceiver& r, const std::string& target) {
    size_t n = 0;
    for (const ReceivedRequest& q : r.Requests()) n += q.target == target;
    return n;
  };
  EXPECT_EQ(predicts(silent, "/predict"), 3u) << "3 attempts";
  EXPECT_EQ(predicts(garbage, "/v1/predict"), 1u) << "routes go under the base URL";

  // Labeling goes on without a pre-label.
  json next = Next();
  EXPECT_FALSE(next["task"].contains("prelabel")) << next.dump();
  EXPECT_EQ(SubmitAs(next, "neutral", 500).status, 201);
  json stats = Body(manager_->Get(P(project_, "/automation/stats")));
  EXPECT_EQ(stats["time_per_task"]["without_prelabel"]["labels"], 1);
  EXPECT_EQ(stats["time_per_task"]["without_prelabel"]["mean_ms"], 500.0);
  (void)tasks;
}

TEST_P(MlBackendApiTest, ALabelStudioBackendIsTranslatedBothWays) {
  TestReceiver ls([](const ReceivedRequest& r) -> TestResponse {
    if (r.target == "/health") return {200, R"({"status":"UP","model_class":"Stand-in"})"};
    if (r.target == "/setup") return {200, R"({"model_version":"ls-7"})"};
    if (r.target == "/webhook") return {200, "{}"};
    json req = json::parse(r.body, nullptr, false);
    json results = json::array();
    for (size_t i = 0; i < req["tasks"].size(); ++i) {
      results.push_back(
          {{"result",
            {{{"id", "r1"}, {"from_name", "sentiment"}, {"to_name", "text"}, {"type", "choices"},
              {"value", {{"choices", {"negative"}}}}}}},
           {"score", 0.7},
           {"model_version", "ls-7"}});
    }
    return {200, json{{"results", results}}.dump()};
  });
  const int64_t id = AddBackend({{"name", "ls"},
                                 {"url", ls.Url("")},
                                 {"protocol", "label_studio"},
                                 {"auth_header", "Token secret-1"},
                                 {"train", true}});
  json b = WaitForBackend(id, "ok");  // creating one checks its health and sets it up
  EXPECT_EQ(b["model_version"], "ls-7");
  EXPECT_EQ(b["has_auth"], true);
  EXPECT_FALSE(b.contains("auth_header")) << "the secret is not shown";

  Import(*manager_, project_, 1);
  auto res = manager_->Post(P(project_, "/predict"), json{{"backend_id", id}}.dump());
  ASSERT_EQ(res.status, 201) << res.body;
  json job = WaitForJob(Body(res)["id"].get<int64_t>());
  EXPECT_EQ(job["predicted"], 1) << job.dump();

  bool saw_predict = false, saw_setup = false;
  for (const ReceivedRequest& r : ls.Requests()) {
    EXPECT_EQ(r.Header("authorization"), "Token secret-1");
    json req = json::parse(r.body, nullptr, false);
    if (r.target == "/predict") {
      saw_predict = true;
      const std::string config = req["label_config"].get<std::string>();
      EXPECT_NE(config.find(R"(<Text name="text" value="$text"/>)"), std::string::npos) << config;
      EXPECT_NE(config.find(R"(<Choices name="sentiment" toName="text" choice="single">)"),
                std::string::npos)
          << config;
      EXPECT_EQ(req["tasks"][0]["data"]["text"], "text 0");
    }
    if (r.target == "/setup") {
      saw_setup = true;
      EXPECT_NE(req["schema"].get<std::string>().find("<View>"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_predict);
  EXPECT_TRUE(saw_setup);

  // Label Studio's result became Plumb's pre-label…
  json next = Next();
  ASSERT_TRUE(next["task"].contains("prelabel")) << next.dump();
  EXPECT_EQ(next["task"]["prelabel"]["result"], Choice("negative"));
  EXPECT_EQ(next["task"]["prelabel"]["model_version"], "ls-7");
  EXPECT_EQ(next["task"]["prelabel"]["score"], 0.7);
  const size_t before = ls.Requests().size();
  ASSERT_EQ(SubmitAs(next, "positive", 700).status, 201);
  // …and the accepted label goes back in Label Studio's format.
  ASSERT_GT(ls.WaitForRequests(before + 1, std::chrono::seconds(10)), before);
  const ReceivedRequest hook = ls.Requests().back();
  EXPECT_EQ(hook.target, "/webhook");
  json event = json::parse(hook.body);
  EXPECT_EQ(event["action"], "ANNOTATION_CREATED");
  EXPECT_EQ(event["task"]["id"], next["task"]["id"]);
  const json& item = event["annotation"]["result"][0];
  EXPECT_EQ(item["from_name"], "sentiment");
  EXPECT_EQ(item["to_name"], "text");
  EXPECT_EQ(item["type"], "choices");
  EXPECT_EQ(item["value"]["choices"], json::array({"positive"}));
}

// The built-in active learner: taught by accepted labels, persisted, and its
// predictions become pre-labels with their probability.
TEST_P(MlBackendApiTest, TheBuiltInLearnerLearnsFromAcceptedLabelsAndPrelabels) {
  const int64_t id = AddBackend({{"protocol", "builtin_learner"}});
  json b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(id)));
  EXPECT_EQ(b["name"], "plumb-active-learner");
  EXPECT_EQ(manager_->Post(P(project_, "/ml-backends"),
                           json{{"protocol", "builtin_learner"}, {"name", "x"}, {"url", "http://h/"}}
                               .dump())
                .status,
            400)
      << "the built-in learner takes no url";
  json tasks = json::array({{{"text", "great fun, great cast"}},
                            {{"text", "awful bore, awful plot"}},
                            {{"text", "a great great film"}},
                            {{"text", "an awful awful film"}}});
  ASSERT_EQ(manager_->Post(P(project_, "/tasks"), tasks.dump(), "application/json").status, 201);

  // Before any label it proposes nothing.
  auto res = manager_->Post(P(project_, "/predict"), json{{"backend_id", id}}.dump());
  ASSERT_EQ(res.status, 201) << res.body;
  json job = WaitForJob(Body(res)["id"].get<int64_t>());
  EXPECT_EQ(job["predicted"], 0) << job.dump();
  EXPECT_EQ(job["failed"], 0);

  json first = Next();
  ASSERT_EQ(SubmitAs(first, "positive", 100).status, 201);
  json second = Next();
  ASSERT_EQ(SubmitAs(second, "negative", 100).status, 201);
  json learned = WaitForModelVersion(id, "2");
  ASSERT_EQ(learned["model_version"], "2") << "two accepted labels, two updates: " << learned.dump();

  res = manager_->Post(P(project_, "/predict"),
                       json{{"backend_id", id}, {"tasks", {{"state", "new"}}}}.dump());
  ASSERT_EQ(res.status, 201) << res.body;
  job = WaitForJob(Body(res)["id"].get<int64_t>());
  EXPECT_EQ(job["predicted"], 2) << job.dump();
  for (const json& expected : {json("positive"), json("negative")}) {
    json next = Next();
    ASSERT_TRUE(next["task"].contains("prelabel")) << next.dump();
    const json& p = next["task"]["prelabel"];
    EXPECT_EQ(p["model_name"], "plumb-active-learner");
    EXPECT_EQ(p["model_version"], "2");
    EXPECT_GT(p["score"].get<double>(), 0.5) << "the probability of the proposed label";
    EXPECT_LT(p["score"].get<double>(), 1.0);
    EXPECT_EQ(p["result"][0]["values"][0], expected) << next["task"]["data"].dump();
    ASSERT_EQ(SubmitAs(next, expected.get<std::string>(), 100).status, 201);
  }
  json stats = Body(manager_->Get(P(project_, "/automation/stats")));
  ASSERT_EQ(stats["models"].size(), 1u) << stats.dump();
  EXPECT_EQ(stats["models"][0]["unchanged"], 2);
  EXPECT_EQ(stats["time_per_task"]["without_prelabel"]["labels"], 2);
}

// A server that stops before its learner was told of accepted labels
// leaves them in the train queue; the next start teaches them.
TEST_P(MlBackendApiTest, TheLearnerLearnsAtStartTheLabelsAStoppedServerLeftQueued) {
  const int64_t id = AddBackend({{"protocol", "builtin_learner"}});
  ASSERT_EQ(Send(*manager_, "PATCH", "/api/v1/ml-backends/" + std::to_string(id),
                 json{{"enabled", false}}.dump())
                .status,
            200);
  json tasks = json::array({{{"text", "great fun, great cast"}}, {{"text", "awful bore"}}});
  ASSERT_EQ(manager_->Post(P(project_, "/tasks"), tasks.dump(), "application/json").status, 201);
  std::vector<int64_t> accepted;
  for (const char* label : {"positive", "negative"}) {
    json next = Next();
    ASSERT_EQ(SubmitAs(next, label, 100).status, 201);
    accepted.push_back(next["task"]["id"].get<int64_t>());
  }
  ASSERT_EQ(server_.Stop(SIGTERM), 0);
  {
    // What a server that was stopped right after accepting them leaves: the
    // labels queued, the learner enabled, nothing learned.
    auto opened = store::OpenStore(server_.db_path());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store::Store& db = **opened;
    auto pending = db.PendingTrains(INT64_MAX, 10);
    ASSERT_TRUE(pending.ok());
    EXPECT_TRUE(pending->empty()) << "no learning backend was enabled: nothing queued";
    auto backend = db.GetMlBackend(id);
    ASSERT_TRUE(backend.ok());
    backend->enabled = true;
    ASSERT_TRUE(db.UpdateMlBackend(*backend).ok());
    for (int64_t task : accepted) ASSERT_TRUE(db.QueueTrain(project_, task, 1).ok());
    ASSERT_TRUE(db.QueueTrain(project_, accepted[0], 2).ok()) << "a second queueing is one";
  }
  ASSERT_TRUE(server_.Start());
  json learned = WaitForModelVersion(id, "2");
  EXPECT_EQ(learned["model_version"], "2") << "both queued labels taught once: " << learned.dump();
  auto opened = store::OpenStore(server_.db_path());
  ASSERT_TRUE(opened.ok());
  // The queue, once it empties (or after 5 s).
  auto queue_left = [&] {
    std::vector<store::TrainQueueItem> left;
    for (int i = 0; i < 50; ++i) {
      auto pending = (*opened)->PendingTrains(INT64_MAX, 10);
      if (!pending.ok()) return std::vector<store::TrainQueueItem>{{-1, -1}};
      left = *pending;
      if (left.empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return left;
  };
  EXPECT_TRUE(queue_left().empty()) << "told labels leave the queue";

  // A label accepted while the learner runs is taught and leaves the queue too.
  json more = json::array({{{"text", "a great great film"}}});
  ASSERT_EQ(manager_->Post(P(project_, "/tasks"), more.dump(), "application/json").status, 201);
  ASSERT_EQ(SubmitAs(Next(), "positive", 100).status, 201);
  learned = WaitForModelVersion(id, "3");
  EXPECT_EQ(learned["model_version"], "3") << learned.dump();
  EXPECT_TRUE(queue_left().empty());
}

TEST_P(MlBackendApiTest, BackendAdminIsForManagersAndBadInputChangesNothing) {
  const json good = {{"name", "m"}, {"url", "http://127.0.0.1:9/model"}};
  EXPECT_EQ(annotator_->Post(P(project_, "/ml-backends"), good.dump()).status, 403);
  EXPECT_EQ(annotator_->Get(P(project_, "/ml-backends")).status, 403);
  EXPECT_EQ(annotator_->Get(P(project_, "/automation/stats")).status, 403);
  EXPECT_EQ(annotator_->Post(P(project_, "/predict"), json{{"backend_id", 1}}.dump()).status, 403);

  struct Case {
    json body;
    const char* field;
  };
  const Case cases[] = {
      {{{"url", "http://127.0.0.1:9"}}, "name"},
      {{{"name", "m"}}, "url"},
      {{{"name", "m"}, {"url", "ftp://host/model"}}, "url"},
      {{{"name", "m"}, {"url", "https://host/model"}}, "url"},
      {{{"name", "m"}, {"url", "http://169.254.169.254/latest"}}, "url"},
      {{{"name", "m"}, {"url", "http://user:pw@host/"}}, "url"},
      {{{"name", "<b>"}, {"url", "http://host/"}}, "name"},
      {{{"name", "m"}, {"url", "http://host/"}, {"protocol", "grpc"}}, "protocol"},
      {{{"name", "m"}, {"url", "http://host/"}, {"batch_size", 0}}, "batch_size"},
      {{{"name", "m"}, {"url", "http://host/"}, {"timeout_ms", "fast"}}, "timeout_ms"},
      {{{"name", "m"}, {"url", "http://host/"}, {"auth_header", "a\r\nX-Evil: 1"}}, "auth_header"},
  };
  for (const Case& c : cases) {
    auto res = manager_->Post(P(project_, "/ml-backends"), c.body.dump());
    EXPECT_EQ(res.status, 400) << c.body.dump() << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << c.body.dump();
  }
  EXPECT_TRUE(Body(manager_->Get(P(project_, "/ml-backends")))["items"].empty())
      << "nothing stored";

  const int64_t id = AddBackend(good);
  EXPECT_EQ(manager_->Post(P(project_, "/ml-backends"), good.dump()).status, 409);
  auto patched = Send(*manager_, "PATCH", "/api/v1/ml-backends/" + std::to_string(id),
                      json{{"url", "gopher://x"}}.dump());
  EXPECT_EQ(patched.status, 400);
  EXPECT_EQ(Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(id)))["url"],
            "http://127.0.0.1:9/model")
      << "a refused PATCH changes nothing";
  EXPECT_EQ(Send(*annotator_, "PATCH", "/api/v1/ml-backends/" + std::to_string(id),
                 json{{"enabled", false}}.dump())
                .status,
            403);
  EXPECT_EQ(Send(*annotator_, "DELETE", "/api/v1/ml-backends/" + std::to_string(id), "").status,
            403);
  // A job needs a backend of the project and a well-formed scope.
  const int64_t other = NewProject(*manager_, {{"overlap", 1}}, "Other");
  EXPECT_EQ(manager_->Post(P(other, "/predict"), json{{"backend_id", id}}.dump()).status, 400);
  auto bad_scope = manager_->Post(
      P(project_, "/predict"), json{{"backend_id", id}, {"tasks", {{"state", "finished"}}}}.dump());
  EXPECT_EQ(bad_scope.status, 400);
  EXPECT_EQ(Body(bad_scope)["error"]["field"], "tasks.state");
  EXPECT_TRUE(Body(manager_->Get(P(project_, "/prediction-jobs")))["items"].empty());
  EXPECT_EQ(Send(*manager_, "DELETE", "/api/v1/ml-backends/" + std::to_string(id), "").status, 204);
  EXPECT_EQ(manager_->Get("/api/v1/ml-backends/" + std::to_string(id)).status, 404);
}

// The texts of the uncertainty test, and the label its annotator gives each:
// by which of "great" and "awful" it says more often.
std::string LabelOf(const std::string& text) {
  auto count = [&](const std::string& word) {
    int n = 0;
    for (size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++n;
    return n;
  };
  const int great = count("great"), awful = count("awful");
  return great > awful ? "positive" : awful > great ? "negative" : "neutral";
}

TEST_P(MlBackendApiTest, UncertaintyOrderHandsOutTheLeastCertainTasksFirst) {
  // The learner as a project setting, and the queue in its uncertainty order.
  auto patched = Send(*manager_, "PATCH", P(project_),
                      json{{"settings",
                            {{"learner_control", "sentiment"},
                             {"queue_order", "uncertainty"},
                             {"uncertainty", "margin"}}}}
                          .dump());
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(Body(patched)["settings"]["queue_order"], "uncertainty");
  json backends = Body(manager_->Get(P(project_, "/ml-backends")))["items"];
  ASSERT_EQ(backends.size(), 1u) << backends.dump();
  EXPECT_EQ(backends[0]["protocol"], "builtin_learner");
  EXPECT_EQ(backends[0]["name"], "plumb-active-learner");
  EXPECT_TRUE(backends[0]["enabled"].get<bool>());
  const int64_t learner_id = backends[0]["id"].get<int64_t>();

  const std::vector<std::string> texts = {
      "great fun, great cast",
      "awful bore, awful plot",
      "a film about a dog",
      "great great great",
      "awful awful",
      "great but awful",
      "the cast was great",
      "an awful awful mess",
      "great story, awful ending",
      "a film with a cast",
      "great",
      "awful",
      "plot and cast and story",
      "great great but awful",
      "it was a great bore",
      "awful fun",
  };
  json records = json::array();
  for (const std::string& t : texts) records.push_back({{"text", t}});
  ASSERT_EQ(manager_->Post(P(project_, "/tasks"), records.dump(), "application/json").status, 201);

  // The annotator labels the first tasks the queue hands out (all unranked
  // until the learner has learned: id order); the learner learns each in
  // submit order, and reranks the open tasks after each.
  automation::TextClassifier model({"positive", "negative", "neutral"});
  constexpr int kLabeled = 6;
  for (int i = 0; i < kLabeled; ++i) {
    json next = Next();
    const std::string text = next["task"]["data"]["text"].get<std::string>();
    const std::string label = LabelOf(text);
    ASSERT_EQ(SubmitAs(next, label, 100).status, 201);
    const int32_t k = label == "positive" ? 0 : label == "negative" ? 1 : 2;
    ASSERT_TRUE(model.Update(text, k).ok());
    // One update at a time, so the test's model is the server's.
    for (int w = 0; w < 200; ++w) {
      json b = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(learner_id)));
      if (b["model_version"] == std::to_string(i + 1)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  // The last update queued a rerank before its version showed: wait for it.
  json jobs;
  for (int w = 0; w < 300; ++w) {
    jobs = Body(manager_->Get(P(project_, "/prediction-jobs")))["items"];
    bool busy = false;
    for (const json& j : jobs) busy = busy || j["state"] == "queued" || j["state"] == "running";
    if (!busy) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(
      Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(learner_id)))["model_version"],
      std::to_string(kLabeled));
  bool reranked = false;
  for (const json& j : jobs) {
    reranked = reranked || (j["trigger"] == "rerank" && j["state"] == "done");
    EXPECT_NE(j["state"], "failed") << j.dump();
  }
  EXPECT_TRUE(reranked) << jobs.dump();

  // The open tasks, ranked by the test's own model: least certain first
  // (margin), ties by id.
  json page = Body(manager_->Get(P(project_, "/tasks?limit=100&state=new")));
  struct Ranked {
    int64_t id;
    double uncertainty;
  };
  std::vector<Ranked> expected;
  for (const json& t : page["items"]) {
    const std::vector<double> p = model.Predict(t["data"]["text"].get<std::string>());
    expected.push_back({t["id"].get<int64_t>(),
                        automation::Uncertainty(p, automation::UncertaintyMeasure::kMargin)});
  }
  ASSERT_EQ(expected.size(), texts.size() - kLabeled);
  std::stable_sort(expected.begin(), expected.end(),
                   [](const Ranked& a, const Ranked& b) { return a.uncertainty > b.uncertainty; });
  // Skips teach nothing, so the order stays while the annotator walks it.
  std::vector<int64_t> want, got;
  for (const Ranked& r : expected) want.push_back(r.id);
  std::vector<double> got_uncertainty;
  while (true) {
    auto res = annotator_->Post(P(project_, "/next"), "");
    if (res.status == 204) break;
    ASSERT_EQ(res.status, 200) << res.body;
    json next = Body(res);
    EXPECT_EQ(next["rule"], "uncertainty") << next.dump();
    const int64_t id = next["task"]["id"].get<int64_t>();
    got.push_back(id);
    got_uncertainty.push_back(
        automation::Uncertainty(model.Predict(next["task"]["data"]["text"].get<std::string>()),
                                automation::UncertaintyMeasure::kMargin));
    ASSERT_EQ(
        annotator_->Post(T(id, "/skip"), json{{"lease_id", next["lease"]["id"]}}.dump()).status,
        200);
  }
  EXPECT_EQ(got, want);
  EXPECT_TRUE(std::is_sorted(got_uncertainty.begin(), got_uncertainty.end(), std::greater<>()))
      << "ascending certainty";
  EXPECT_GT(got_uncertainty.front(), got_uncertainty.back()) << "the ranks differ at all";

  // The order's settings are checked against the schema; refused, nothing changes.
  struct Case {
    json settings;
    const char* field;
  };
  const Case cases[] = {
      {{{"queue_order", "random"}}, "settings.queue_order"},
      {{{"uncertainty", "variance"}}, "settings.uncertainty"},
      {{{"learner_control", "nope"}}, "settings.learner_control"},
      {{{"learner_control", nullptr}}, "settings.queue_order"},
  };
  for (const Case& c : cases) {
    auto res = Send(*manager_, "PATCH", P(project_), json{{"settings", c.settings}}.dump());
    EXPECT_EQ(res.status, 400) << c.settings.dump() << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << c.settings.dump();
  }
  EXPECT_EQ(Send(*annotator_, "PATCH", P(project_),
                 json{{"settings", {{"queue_order", "import"}}}}.dump())
                .status,
            403);
  EXPECT_EQ(Body(manager_->Get(P(project_)))["settings"]["queue_order"], "uncertainty");
  // Back to import order; turning the learner off disables its backend.
  ASSERT_EQ(
      Send(*manager_, "PATCH", P(project_),
           json{{"settings", {{"queue_order", "import"}, {"learner_control", nullptr}}}}.dump())
          .status,
      200);
  EXPECT_FALSE(Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(learner_id)))["enabled"]
                   .get<bool>());
}

TEST_P(MlBackendApiTest, TheSpanPrelabelerLabelsImportsAndOnDemand) {
  const json schema = json::parse(
      R"({"controls":[{"name":"entities","type":"span","source":"text","labels":["PER","LOC"]}]})");
  auto created = manager_->Post(
      "/api/v1/projects",
      json{{"name", "NER"}, {"schema", schema}, {"settings", {{"overlap", 1}}}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const int64_t ner = Body(created)["id"].get<int64_t>();
  AddMember(*manager_, ner, annotator_id_);
  const std::string route = P(ner, "/span-prelabeler");
  EXPECT_EQ(manager_->Get(route).status, 404);

  // Bad rules are refused naming the label and the pattern; nothing changes.
  struct Case {
    json body;
    int status;
    const char* field;
  };
  const Case cases[] = {
      {{{"labels", json::object()}}, 400, "control"},
      {{{"control", "nope"}, {"labels", json::object()}}, 400, "control"},
      {{{"control", "entities"}, {"labels", {{"PER", {{"patterns", {"Dr\\. [A-Z"}}}}}}},
       422,
       "labels.PER.patterns[0]"},
      {{{"control", "entities"}, {"labels", {{"ORG", {{"terms", {"Acme"}}}}}}}, 422, "labels.ORG"},
      {{{"control", "entities"}, {"labels", {{"PER", {{"colour", "red"}}}}}},
       422,
       "labels.PER.colour"},
  };
  for (const Case& c : cases) {
    auto res = Send(*manager_, "PUT", route, c.body.dump());
    EXPECT_EQ(res.status, c.status) << c.body.dump() << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << res.body;
  }
  auto bad_pattern = Send(
      *manager_, "PUT", route,
      json{{"control", "entities"}, {"labels", {{"PER", {{"patterns", {"Dr\\. [A-Z"}}}}}}}.dump());
  const std::string message = Body(bad_pattern)["error"]["message"].get<std::string>();
  EXPECT_NE(message.find("PER"), std::string::npos) << message;
  EXPECT_NE(message.find("Dr\\. [A-Z"), std::string::npos) << message;
  EXPECT_EQ(manager_->Get(route).status, 404) << "nothing stored";
  EXPECT_TRUE(Body(manager_->Get(P(ner, "/ml-backends")))["items"].empty());
  EXPECT_EQ(Send(*annotator_, "PUT", route,
                 json{{"control", "entities"}, {"labels", json::object()}}.dump())
                .status,
            403);
  EXPECT_EQ(manager_
                ->Post(P(ner, "/ml-backends"),
                       json{{"name", "s"}, {"protocol", "span_prelabeler"}}.dump())
                .status,
            400)
      << "only the project setting makes one";

  const json config = {
      {"control", "entities"},
      {"labels",
       {{"PER",
         {{"terms", {"Zoë Saldaña", "Ada Lovelace"}}, {"patterns", {"\\bDr\\. [A-Z][a-z]+"}}}},
        {"LOC", {{"terms", {"東京", "Paris"}}}}}}};
  auto saved = Send(*manager_, "PUT", route, config.dump());
  ASSERT_EQ(saved.status, 200) << saved.body;
  const json prelabeler = Body(saved);
  const std::string version = prelabeler["version"].get<std::string>();
  EXPECT_EQ(version.size(), 12u);
  const int64_t backend_id = prelabeler["backend_id"].get<int64_t>();
  json backend = Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(backend_id)));
  EXPECT_EQ(backend["protocol"], "span_prelabeler");
  EXPECT_TRUE(backend["on_import"].get<bool>());
  EXPECT_EQ(Body(manager_->Get(route))["labels"], config["labels"]);

  // An import gets its spans from the job it queues (code points, non-ASCII).
  json tasks = json::array({{{"text", "Zoë Saldaña met Dr. Who in 東京."}},
                            {{"text", "nothing to see here"}},
                            {{"text", "Ada Lovelace left Paris"}}});
  ASSERT_EQ(manager_->Post(P(ner, "/tasks"), tasks.dump(), "application/json").status, 201);
  json jobs = Body(manager_->Get(P(ner, "/prediction-jobs")))["items"];
  ASSERT_EQ(jobs.size(), 1u);
  json job = WaitForJob(jobs[0]["id"].get<int64_t>());
  EXPECT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["trigger"], "import");
  EXPECT_EQ(job["predicted"], 2) << "the task without a span gets no prediction";
  EXPECT_EQ(job["failed"], 0);
  json page = Body(manager_->Get(P(ner, "/tasks?limit=10")));
  ASSERT_EQ(page["items"].size(), 3u);
  std::vector<int64_t> ids;
  for (const json& t : page["items"]) ids.push_back(t["id"].get<int64_t>());
  auto spans_of = [&](int64_t task) {
    json out = json::array();
    json predictions = Body(manager_->Get(T(task, "/predictions")));
    json items = predictions.is_array() ? predictions : predictions["items"];
    for (const json& p : items) {
      EXPECT_EQ(p["model_name"], "spans");
      EXPECT_EQ(p["model_version"], version);
      for (const json& item : p["result"]) {
        out.push_back({item["label"], item["start"], item["end"], item["text"]});
      }
    }
    return out;
  };
  EXPECT_EQ(spans_of(ids[0]), json::parse(R"([["PER",0,11,"Zoë Saldaña"],["PER",16,23,"Dr. Who"],)"
                                          R"(["LOC",27,29,"東京"]])"));
  EXPECT_EQ(spans_of(ids[1]), json::array());
  EXPECT_EQ(spans_of(ids[2]),
            json::parse(R"([["PER",0,12,"Ada Lovelace"],["LOC",18,23,"Paris"]])"));

  // On demand, with a changed configuration: a new version for every task.
  json changed = config;
  changed["labels"]["LOC"]["terms"].push_back("here");
  auto resaved = Send(*manager_, "PUT", route, changed.dump());
  ASSERT_EQ(resaved.status, 200);
  const std::string version2 = Body(resaved)["version"].get<std::string>();
  EXPECT_NE(version2, version);
  auto started = manager_->Post(P(ner, "/predict"), json{{"backend_id", backend_id}}.dump());
  ASSERT_EQ(started.status, 201) << started.body;
  job = WaitForJob(Body(started)["id"].get<int64_t>());
  EXPECT_EQ(job["predicted"], 3) << job.dump();
  // The same job again stores nothing twice (one prediction per version).
  started = manager_->Post(P(ner, "/predict"), json{{"backend_id", backend_id}}.dump());
  job = WaitForJob(Body(started)["id"].get<int64_t>());
  EXPECT_EQ(job["predicted"], 0) << job.dump();

  // The annotator starts from the spans; the export keeps them apart.
  auto claimed = annotator_->Post(P(ner, "/next"), "");
  ASSERT_EQ(claimed.status, 200) << claimed.body;
  json next = Body(claimed);
  ASSERT_TRUE(next["task"].contains("prelabel")) << next.dump();
  EXPECT_EQ(next["task"]["prelabel"]["model_name"], "spans");
  ASSERT_EQ(next["task"]["id"], ids[0]);
  json human = json::array({{{"control", "entities"},
                             {"type", "span"},
                             {"label", "PER"},
                             {"start", 0},
                             {"end", 3},
                             {"text", "Zoë"}}});
  ASSERT_EQ(annotator_
                ->Post(T(next["task"]["id"].get<int64_t>(), "/annotations"),
                       json{{"result", human}, {"lease_id", next["lease"]["id"]}}.dump())
                .status,
            201);
  json ls = Body(manager_->Get(P(ner, "/export?format=label_studio")));
  ASSERT_EQ(ls.size(), 3u);
  int annotations = 0, predictions = 0;
  for (const json& record : ls) {
    annotations += static_cast<int>(record["annotations"].size());
    predictions += static_cast<int>(record["predictions"].size());
    for (const json& a : record["annotations"]) {
      EXPECT_EQ(a["result"].size(), 1u) << "the human's one span, not the model's";
    }
  }
  EXPECT_EQ(annotations, 1);
  EXPECT_EQ(predictions, 5) << "2 of version 1 and 3 of version 2";

  ASSERT_EQ(Send(*manager_, "DELETE", route, "").status, 204);
  EXPECT_EQ(manager_->Get(route).status, 404);
  EXPECT_FALSE(Body(manager_->Get("/api/v1/ml-backends/" + std::to_string(backend_id)))["enabled"]
                   .get<bool>());
}

INSTANTIATE_TEST_SUITE_P(Backends, MlBackendApiTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
