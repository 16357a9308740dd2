// API tests of golden sets and bake-offs (docs/bakeoffs.md) against the real
// `plumb serve` on both backends: two simulated vendors of known error rates
// (one returns a COCO file, the other a CSV) ranked, with intervals that
// cover their true error; an internal workforce labeling the golden tasks as
// ordinary tasks; and the error paths, which change nothing.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "choice_api_fixture.h"

namespace plumb::test {
namespace {

using nlohmann::json;

constexpr const char* kBoxSchema =
    R"({"controls":[{"name":"objects","type":"bbox","source":"image",)"
    R"("labels":["car","person","bus"]}]})";
const std::vector<std::string> kLabels = {"car", "person", "bus"};

std::string B(int64_t project, const std::string& rest = "") {
  return P(project, "/bakeoffs" + rest);
}

const json& CandidateNamed(const json& report, const std::string& name) {
  for (const json& c : report["candidates"]) {
    if (c["name"] == name) return c;
  }
  static const json kNone;
  ADD_FAILURE() << "no candidate " << name;
  return kNone;
}

class BakeoffApiTest : public ChoiceApiTest {
 protected:
  void SetUp() override {
    ChoiceApiTest::SetUp();
    manager_ = std::make_unique<Client>(NewUser("mia", "manager", &manager_id_));
  }

  int64_t NewBoxProject() {
    auto res = manager_->Post("/api/v1/projects",
                              json{{"name", "Boxes"}, {"schema", json::parse(kBoxSchema)}}.dump());
    EXPECT_EQ(res.status, 201) << res.body;
    return Body(res)["id"].get<int64_t>();
  }

  std::unique_ptr<Client> manager_;
  int64_t manager_id_ = 0;
};

struct Box {
  int label;
  double x, y, w, h;
};

json BoxItem(const Box& b, const std::string& label) {
  return {{"control", "objects"},
          {"type", "bbox"},
          {"label", label},
          {"x", b.x},
          {"y", b.y},
          {"w", b.w},
          {"h", b.h}};
}

// 160 golden images with one box each; vendor A (COCO) mislabels each box
// with probability 0.10, vendor B (CSV) with 0.35, drawn from a seeded
// generator. The report must score each at 1 - its observed error, cover the
// true error with its interval, rank A first on accuracy and B first on cost,
// and call the gap significant.
TEST_P(BakeoffApiTest, TwoVendorsOfKnownErrorRatesAreRankedAndCoverTheirTrueError) {
  const int64_t project = NewBoxProject();
  constexpr int kTasks = 160;
  json records = json::array();
  for (int i = 0; i < kTasks; ++i)
    records.push_back({{"image", "img/" + std::to_string(i) + ".jpg"}});
  ASSERT_EQ(manager_->Post(P(project, "/tasks"), records.dump(), "application/json").status, 201);
  json page = Body(manager_->Get(P(project, "/tasks?limit=1000")));
  std::mt19937_64 rng(20261202);
  std::map<int64_t, Box> truth;  // by task id
  const json media = {{"width", 640}, {"height", 480}};
  for (const json& t : page["items"]) {
    const int64_t id = t["id"].get<int64_t>();
    Box b{static_cast<int>(rng() % 3), static_cast<double>(rng() % 400),
          static_cast<double>(rng() % 300), 60 + static_cast<double>(rng() % 100),
          50 + static_cast<double>(rng() % 100)};
    truth[id] = b;
    auto put = Send(*manager_, "PUT", T(id, "/golden"),
                    json{{"result", {BoxItem(b, kLabels[b.label])}}, {"media", media}}.dump());
    ASSERT_EQ(put.status, 200) << put.body;
  }
  auto set_res = manager_->Post(P(project, "/golden-sets"), json{{"name", "boxes"}}.dump());
  ASSERT_EQ(set_res.status, 201) << set_res.body;
  json set = Body(set_res);
  EXPECT_EQ(set["tasks"], kTasks);
  EXPECT_EQ(set["version"], 1);

  // Untrusted names end up in the HTML report: they must come out escaped.
  const std::string vendor_b = "<b>Acme & Co</b>";
  auto created = manager_->Post(
      B(project),
      json{{"name", "Q4 vendors"},
           {"golden_set_id", set["id"]},
           {"candidates",
            {{{"kind", "vendor"},
              {"name", "Vendor A"},
              {"format", "coco"},
              {"pricing", {{"model", "per_label"}, {"rate", 0.10}, {"currency", "USD"}}}},
             {{"kind", "vendor"},
              {"name", vendor_b},
              {"format", "csv"},
              {"pricing", {{"model", "quote"}, {"rate", 5}, {"currency", "USD"}}}}}}}
          .dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json bakeoff = Body(created);
  const int64_t id = bakeoff["id"].get<int64_t>();
  const int64_t a = bakeoff["candidates"][0]["id"].get<int64_t>();
  const int64_t b = bakeoff["candidates"][1]["id"].get<int64_t>();
  EXPECT_TRUE(bakeoff["candidates"][0]["sent_at"].is_null()) << "sent when its file is fetched";

  // The files sent to vendors carry the tasks and never the answers.
  auto coco = manager_->Get(
      B(project, "/" + std::to_string(id) + "/candidates/" + std::to_string(a) + "/export"));
  ASSERT_EQ(coco.status, 200) << coco.body;
  json coco_doc = json::parse(coco.body);
  ASSERT_EQ(coco_doc["images"].size(), static_cast<size_t>(kTasks));
  EXPECT_TRUE(coco_doc["annotations"].empty());
  EXPECT_EQ(coco_doc["images"][0]["width"], 640);
  auto csv = manager_->Get(
      B(project, "/" + std::to_string(id) + "/candidates/" + std::to_string(b) + "/export"));
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.body.substr(0, csv.body.find('\r')), "id,image,objects");
  EXPECT_EQ(csv.body.find("\"x\""), std::string::npos) << "no answer in the vendor's file";
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), kTasks + 1);

  // Vendor A returns COCO: image ids and file names as sent, a box shifted
  // by a few pixels (IoU well above 0.5), mislabeled at rate 0.10.
  int wrong_a = 0, wrong_b = 0;
  std::set<int64_t> wrong_a_tasks;
  std::bernoulli_distribution err_a(0.10), err_b(0.35);
  json annotations = json::array();
  int ann_id = 0;
  for (const json& image : coco_doc["images"]) {
    const int64_t task = image["id"].get<int64_t>();
    const Box& t = truth[task];
    int label = t.label;
    if (err_a(rng)) {
      label = (label + 1) % 3;
      ++wrong_a;
      wrong_a_tasks.insert(task);
    }
    annotations.push_back({{"id", ++ann_id},
                           {"image_id", task},
                           {"category_id", label + 1},
                           {"bbox", {t.x + 2, t.y + 1, t.w - 3, t.h}},
                           {"iscrowd", 0}});
  }
  coco_doc["annotations"] = annotations;
  const std::string import_a =
      B(project, "/" + std::to_string(id) + "/candidates/" + std::to_string(a) + "/import");
  auto imported = manager_->Post(import_a, coco_doc.dump(), "application/json");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Body(imported)["imported"], kTasks);

  // Vendor B returns the CSV with a JSON list of boxes per row.
  std::string returned = "id,image,objects\n";
  for (const auto& [task, t] : truth) {
    int label = t.label;
    if (err_b(rng)) {
      label = (label + 2) % 3;
      ++wrong_b;
    }
    std::string cell = json::array({BoxItem(t, kLabels[label])}).dump();
    std::string quoted;
    for (char ch : cell) quoted += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    returned += std::to_string(task) + ",img/x.jpg,\"" + quoted + "\"\n";
  }
  const std::string import_b =
      B(project, "/" + std::to_string(id) + "/candidates/" + std::to_string(b) + "/import");
  imported = manager_->Post(import_b, returned, "text/csv");
  ASSERT_EQ(imported.status, 201) << imported.body;

  // Accuracy only: A first, the gap significant.
  const std::string report_url = B(project, "/" + std::to_string(id) + "/report");
  auto res = manager_->Get(report_url + "?w_accuracy=100&w_speed=0&w_cost=0");
  ASSERT_EQ(res.status, 200) << res.body;
  json report = Body(res);
  const json& ra = CandidateNamed(report, "Vendor A");
  const json& rb = CandidateNamed(report, vendor_b);
  for (const auto& [c, wrong, p] :
       {std::tuple{&ra, wrong_a, 0.10}, std::tuple{&rb, wrong_b, 0.35}}) {
    const json& score = (*c)["accuracy"]["score"];
    SCOPED_TRACE((*c)["name"].get<std::string>());
    EXPECT_NEAR(score["estimate"].get<double>(), 1.0 - static_cast<double>(wrong) / kTasks, 1e-9);
    EXPECT_LE(score["low"].get<double>(), 1.0 - p) << "the interval covers the true accuracy";
    EXPECT_GE(score["high"].get<double>(), 1.0 - p);
    EXPECT_LT(score["high"].get<double>() - score["low"].get<double>(), 0.25);
    EXPECT_EQ((*c)["labels"], kTasks);
    EXPECT_EQ((*c)["coverage"], 1.0);
    const json& objects = (*c)["accuracy"]["controls"][0];
    EXPECT_EQ(objects["control"], "objects");
    EXPECT_EQ(objects["figures"][0]["metric"], "f1_at_iou");
    // One box per image: F1 at IoU 0.5 is the share labeled right.
    EXPECT_NEAR(objects["figures"][0]["estimate"].get<double>(), 1.0 - double(wrong) / kTasks,
                1e-9);
    EXPECT_EQ(objects["figures"][1]["metric"], "map");
    EXPECT_EQ(objects["classes"].size(), 3u);
    int64_t support = 0;
    for (const json& cl : objects["classes"]) support += cl["support"].get<int64_t>();
    EXPECT_EQ(support, kTasks);
  }
  EXPECT_EQ(report["ranking"][0], a);
  EXPECT_EQ(ra["rank"], 1);
  EXPECT_EQ(report["comparison"]["first"], a);
  EXPECT_TRUE(report["comparison"]["significant"]) << report["comparison"].dump();
  EXPECT_LT(report["comparison"]["p_value"].get<double>(), 0.01);
  EXPECT_GT(report["comparison"]["difference"]["low"].get<double>(), 0);
  // A's worst tasks are tasks it mislabeled, scored 0.
  ASSERT_FALSE(ra["worst_tasks"].empty());
  for (const json& w : ra["worst_tasks"]) {
    EXPECT_EQ(w["score"], 0.0);
    EXPECT_TRUE(wrong_a_tasks.count(w["task_id"].get<int64_t>())) << w.dump();
  }
  // Cost from pricing: per label × labels, and the quote.
  EXPECT_NEAR(ra["cost"]["total"].get<double>(), 0.10 * kTasks, 1e-9);
  EXPECT_EQ(rb["cost"]["total"], 5.0);
  EXPECT_FALSE(ra["speed"]["turnaround_ms"].is_null());

  // Cost only: the cheaper B first.
  json by_cost = Body(manager_->Get(report_url + "?w_accuracy=0&w_speed=0&w_cost=100"));
  EXPECT_EQ(by_cost["ranking"][0], b);
  // The same report every time (seeded).
  json again = Body(manager_->Get(report_url + "?w_accuracy=100&w_speed=0&w_cost=0"));
  EXPECT_EQ(again["candidates"], report["candidates"]);

  // The CLI prints the same report from the database.
  std::string output;
  ASSERT_EQ(RunPlumb({"bakeoff", "report", std::to_string(id), "--db", server_.db_path(),
                      "--format", "json", "--w-accuracy", "100", "--w-speed", "0", "--w-cost", "0"},
                     {}, &output),
            0)
      << output;
  json cli = json::parse(output, nullptr, false);
  ASSERT_FALSE(cli.is_discarded()) << output;
  EXPECT_EQ(cli["candidates"], report["candidates"]);
  ASSERT_EQ(
      RunPlumb({"bakeoff", "report", std::to_string(id), "--db", server_.db_path()}, {}, &output),
      0);
  EXPECT_NE(output.find("Vendor A"), std::string::npos) << output;
  EXPECT_NE(RunPlumb({"bakeoff", "report", "999999", "--db", server_.db_path()}, {}, &output), 0);

  // The HTML export: self-contained and escaped.
  auto html = manager_->Get(report_url + "?format=html&download=1");
  ASSERT_EQ(html.status, 200);
  EXPECT_EQ(html.headers["content-type"], "text/html; charset=utf-8");
  EXPECT_NE(html.headers["content-disposition"].find("bakeoff-"), std::string::npos);
  EXPECT_EQ(html.body.find("<b>Acme"), std::string::npos);
  EXPECT_NE(html.body.find("&lt;b&gt;Acme &amp; Co&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.body.find("<script"), std::string::npos);
  EXPECT_NE(html.body.find("<svg"), std::string::npos);

  // Kept: the project's history, and a second version of the set.
  json history = Body(manager_->Get(B(project)));
  ASSERT_EQ(history["items"].size(), 1u);
  EXPECT_EQ(history["items"][0]["candidates"][0]["labels"], kTasks);
  EXPECT_FALSE(history["items"][0]["candidates"][0]["sent_at"].is_null());
  json v2 = Body(manager_->Post(P(project, "/golden-sets"), json{{"name", "boxes"}}.dump()));
  EXPECT_EQ(v2["version"], 2);

  // A re-import replaces the vendor's labels; a bad one changes nothing.
  std::string bad = "id,image,objects\n999999,img/x.jpg,[]\n";
  auto refused = manager_->Post(import_b, bad, "text/csv");
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Body(refused)["error"]["code"], "invalid_argument");
  std::string unfit =
      "id,image,objects\n" + std::to_string(truth.begin()->first) +
      ",img/x.jpg,\"[{\"\"type\"\":\"\"bbox\"\",\"\"label\"\":\"\"tree\"\",\"\"x\"\":1,"
      "\"\"y\"\":1,\"\"w\"\":5,\"\"h\"\":5}]\"\n";
  refused = manager_->Post(import_b, unfit, "text/csv");
  EXPECT_EQ(refused.status, 422) << refused.body;
  json unchanged = Body(manager_->Get(report_url + "?w_accuracy=100&w_speed=0&w_cost=0"));
  EXPECT_EQ(CandidateNamed(unchanged, vendor_b)["accuracy"], rb["accuracy"]);
}

// An internal workforce labels the golden set inside Plumb: its members get
// the golden tasks first, as ordinary tasks (no golden flag, rule
// "priority", no answer anywhere), and the report has their speed and cost.
TEST_P(BakeoffApiTest, WorkforceCandidateLabelsGoldenTasksAsOrdinaryTasks) {
  const int64_t project = NewProject(*manager_, json::object());
  std::vector<int64_t> tasks = Import(*manager_, project, 6);
  const std::vector<std::string> answers = {"positive", "negative", "neutral", "positive"};
  for (size_t i = 0; i < answers.size(); ++i) {
    ASSERT_EQ(
        Send(*manager_, "PUT", T(tasks[i], "/golden"), json{{"result", Choice(answers[i])}}.dump())
            .status,
        200);
  }
  int64_t ann_id = 0, other_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  Client other = NewUser("otto", "annotator", &other_id);
  auto wf =
      manager_->Post("/api/v1/workforces",
                     json{{"name", "In-house"},
                          {"kind", "internal"},
                          {"pricing", {{"model", "per_hour"}, {"rate", 30}, {"currency", "EUR"}}}}
                         .dump());
  ASSERT_EQ(wf.status, 201) << wf.body;
  const int64_t workforce = Body(wf)["id"].get<int64_t>();
  json set = Body(manager_->Post(
      P(project, "/golden-sets"),
      json{{"name", "sentiment"}, {"task_ids", {tasks[0], tasks[1], tasks[2], tasks[3]}}}.dump()));
  ASSERT_EQ(set["tasks"], 4) << set.dump();
  json body = {{"name", "in-house"},
               {"golden_set_id", set["id"]},
               {"candidates", {{{"kind", "workforce"}, {"workforce_id", workforce}}}}};
  // Without project access its members could not label: refused, nothing stored.
  auto refused = manager_->Post(B(project), body.dump());
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Body(refused)["error"]["field"], "candidates[0].workforce_id");
  EXPECT_TRUE(Body(manager_->Get(B(project)))["items"].empty());

  ASSERT_EQ(
      manager_->Post(P(project, "/workforces"), json{{"workforce_id", workforce}}.dump()).status,
      204);
  ASSERT_EQ(manager_
                ->Post("/api/v1/workforces/" + std::to_string(workforce) + "/members",
                       json{{"user_id", ann_id}}.dump())
                .status,
            204);
  AddMember(*manager_, project, other_id);
  auto created = manager_->Post(B(project), body.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json bakeoff = Body(created);
  const int64_t id = bakeoff["id"].get<int64_t>();
  EXPECT_EQ(bakeoff["candidates"][0]["name"], "In-house");
  EXPECT_EQ(bakeoff["candidates"][0]["pricing"]["model"], "per_hour");

  // Ann gets the four golden tasks first, unmarked; she gets one wrong.
  std::set<int64_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto next = ann.Post(P(project, "/next"), "");
    ASSERT_EQ(next.status, 200) << next.body;
    json n = Body(next);
    EXPECT_EQ(n["rule"], "priority");
    EXPECT_FALSE(n["task"].contains("golden"));
    EXPECT_EQ(next.body.find("golden"), std::string::npos) << next.body;
    const int64_t task = n["task"]["id"].get<int64_t>();
    seen.insert(task);
    auto pos = std::find(tasks.begin(), tasks.end(), task) - tasks.begin();
    ASSERT_LT(pos, 4) << "a golden task of the bake-off comes first";
    const std::string value = pos == 2 ? "positive" : answers[pos];
    auto sub = ann.Post(
        T(task, "/annotations"),
        json{{"result", Choice(value)}, {"lease_id", n["lease"]["id"]}, {"lead_time_ms", 90000}}
            .dump());
    ASSERT_EQ(sub.status, 201) << sub.body;
    auto view = ann.Get(T(task));
    EXPECT_EQ(view.body.find("golden"), std::string::npos) << view.body;
  }
  EXPECT_EQ(seen.size(), 4u);
  // Then her ordinary tasks.
  json n = Body(ann.Post(P(project, "/next"), ""));
  EXPECT_EQ(n["rule"], "priority");
  EXPECT_EQ(n["task"]["id"], tasks[4]);
  // Otto is not in the workforce: no bake-off task for him (Ann holds the 5th).
  json o = Body(other.Post(P(project, "/next"), ""));
  EXPECT_EQ(o["task"]["id"], tasks[5]);

  // Annotators see no bake-off and no golden set.
  EXPECT_EQ(ann.Get(B(project)).status, 403);
  EXPECT_EQ(ann.Get(B(project, "/" + std::to_string(id) + "/report")).status, 403);
  EXPECT_EQ(ann.Get(P(project, "/golden-sets")).status, 403);

  json report = Body(manager_->Get(B(project, "/" + std::to_string(id) + "/report")));
  const json& c = report["candidates"][0];
  EXPECT_EQ(c["labels"], 4);
  EXPECT_EQ(c["accuracy"]["correct"], 3);
  EXPECT_NEAR(c["accuracy"]["score"]["estimate"].get<double>(), 0.75, 1e-12);
  EXPECT_EQ(c["accuracy"]["controls"][0]["figures"][0]["metric"], "accuracy");
  // 4 labels in 6 active minutes: 40 an hour, 0.1 h × 30 EUR.
  EXPECT_NEAR(c["speed"]["labels_per_hour"].get<double>(), 40.0, 1e-9);
  EXPECT_NEAR(c["cost"]["total"].get<double>(), 3.0, 1e-9);
  EXPECT_EQ(c["cost"]["currency"], "EUR");
  EXPECT_EQ(c["speed"]["labelers"], 1);
  EXPECT_EQ(c["worst_tasks"].size(), 1u);
  EXPECT_EQ(c["worst_tasks"][0]["task_id"], tasks[2]);
  EXPECT_TRUE(report["comparison"].is_null()) << "one candidate: nothing to compare";

  // A workforce candidate takes no file; closing stops the handing out.
  const std::string cand =
      B(project, "/" + std::to_string(id) + "/candidates/" +
                     std::to_string(bakeoff["candidates"][0]["id"].get<int64_t>()));
  EXPECT_EQ(manager_->Post(cand + "/import?format=json", "[]").status, 409);
  EXPECT_EQ(manager_->Get(cand + "/export").status, 409);
  auto bad_weights =
      manager_->Patch(B(project, "/" + std::to_string(id)),
                      json{{"weights", {{"accuracy", 0}, {"speed", 0}, {"cost", 0}}}}.dump());
  EXPECT_EQ(bad_weights.status, 400);
  auto closed =
      manager_->Patch(B(project, "/" + std::to_string(id)), json{{"state", "closed"}}.dump());
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(Body(closed)["state"], "closed");
  EXPECT_EQ(
      manager_->Patch(B(project, "/" + std::to_string(id)), json{{"state", "open"}}.dump()).status,
      409);
  EXPECT_EQ(manager_->Get(B(project, "/999999")).status, 404);
}

TEST_P(BakeoffApiTest, BadRequestsAreRefusedAndStoreNothing) {
  const int64_t project = NewProject(*manager_, json::object());
  std::vector<int64_t> tasks = Import(*manager_, project, 3);
  // No golden tasks yet.
  auto none = manager_->Post(P(project, "/golden-sets"), json{{"name", "g"}}.dump());
  EXPECT_EQ(none.status, 400);
  EXPECT_EQ(Body(none)["error"]["field"], "task_ids");
  ASSERT_EQ(
      Send(*manager_, "PUT", T(tasks[0], "/golden"), json{{"result", Choice("positive")}}.dump())
          .status,
      200);
  auto not_golden = manager_->Post(P(project, "/golden-sets"),
                                   json{{"name", "g"}, {"task_ids", {tasks[0], tasks[1]}}}.dump());
  EXPECT_EQ(not_golden.status, 400);
  EXPECT_EQ(Body(not_golden)["error"]["field"], "task_ids[1]");
  EXPECT_EQ(
      manager_->Post(P(project, "/golden-sets"), json{{"task_ids", {tasks[0]}}}.dump()).status,
      400);
  EXPECT_TRUE(Body(manager_->Get(P(project, "/golden-sets")))["items"].empty());
  json set = Body(manager_->Post(P(project, "/golden-sets"), json{{"name", "g"}}.dump()));
  ASSERT_EQ(set["tasks"], 1);

  const json vendor = {{"kind", "vendor"}, {"name", "V"}, {"format", "json"}};
  struct Case {
    json body;
    const char* field;
  } cases[] = {
      {{{"golden_set_id", set["id"]}, {"candidates", {vendor}}}, "name"},
      {{{"name", "x"}, {"golden_set_id", 999999}, {"candidates", {vendor}}}, "golden_set_id"},
      {{{"name", "x"}, {"golden_set_id", set["id"]}, {"candidates", json::array()}}, "candidates"},
      {{{"name", "x"}, {"golden_set_id", set["id"]}, {"candidates", {vendor, vendor}}},
       "candidates[1].name"},
      {{{"name", "x"},
        {"golden_set_id", set["id"]},
        {"candidates", {{{"kind", "vendor"}, {"name", "V"}, {"format", "yolo"}}}}},
       "candidates[0].format"},
      {{{"name", "x"},
        {"golden_set_id", set["id"]},
        {"candidates", {{{"kind", "robot"}, {"name", "V"}}}}},
       "candidates[0].kind"},
      {{{"name", "x"},
        {"golden_set_id", set["id"]},
        {"candidates", {{{"kind", "vendor"}, {"name", "V"}, {"pricing", {{"rate", -1}}}}}}},
       "candidates[0].pricing.rate"},
      {{{"name", "x"},
        {"golden_set_id", set["id"]},
        {"weights", {{"accuracy", 101}}},
        {"candidates", {vendor}}},
       "weights.accuracy"},
      {{{"name", "x"},
        {"golden_set_id", set["id"]},
        {"instructions_version", 3},
        {"candidates", {vendor}}},
       "instructions_version"},
  };
  for (const Case& c : cases) {
    auto res = manager_->Post(B(project), c.body.dump());
    EXPECT_EQ(res.status, 400) << c.body.dump() << " " << res.body;
    EXPECT_EQ(Body(res)["error"]["field"], c.field) << c.body.dump() << " " << res.body;
  }
  EXPECT_TRUE(Body(manager_->Get(B(project)))["items"].empty());

  // Managers only; a reviewer member of the project is refused.
  int64_t rev_id = 0;
  Client rev = NewUser("rita", "reviewer", &rev_id);
  AddMember(*manager_, project, rev_id);
  json ok = {{"name", "x"}, {"golden_set_id", set["id"]}, {"candidates", {vendor}}};
  EXPECT_EQ(rev.Post(B(project), ok.dump()).status, 403);
  EXPECT_EQ(rev.Post(P(project, "/golden-sets"), json{{"name", "g"}}.dump()).status, 403);
  auto created = manager_->Post(B(project), ok.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  json b = Body(created);
  const std::string cand =
      B(project, "/" + std::to_string(b["id"].get<int64_t>()) + "/candidates/" +
                     std::to_string(b["candidates"][0]["id"].get<int64_t>()));
  EXPECT_EQ(rev.Post(cand + "/import", "[]").status, 403);
  EXPECT_EQ(manager_->Get(cand + "/export?format=coco").status, 400) << "no image control";
  auto bad_json = manager_->Post(cand + "/import", "{not json");
  EXPECT_EQ(bad_json.status, 400);
  // The vendor answers with JSON by id.
  auto good = manager_->Post(
      cand + "/import", json::array({{{"id", tasks[0]}, {"result", Choice("negative")}}}).dump());
  ASSERT_EQ(good.status, 201) << good.body;
  json report =
      Body(manager_->Get(B(project, "/" + std::to_string(b["id"].get<int64_t>()) + "/report")));
  EXPECT_EQ(report["candidates"][0]["accuracy"]["score"]["estimate"], 0.0);
  EXPECT_EQ(
      manager_->Get(B(project, "/" + std::to_string(b["id"].get<int64_t>()) + "/report?format=pdf"))
          .status,
      400);
  // Another project's bake-off is not found through this one.
  const int64_t other = NewProject(*manager_, json::object(), "Other");
  EXPECT_EQ(manager_->Get(B(other, "/" + std::to_string(b["id"].get<int64_t>()))).status, 404);
}

// An expert's labeled file marks tasks golden, all of it or none.
TEST_P(BakeoffApiTest, AnExpertFileMakesItsTasksGolden) {
  const int64_t project = NewProject(*manager_, json::object());
  std::vector<int64_t> tasks = Import(*manager_, project, 4);
  const std::string url = P(project, "/golden/import?format=csv");
  // The second row's label is not in the schema: refused, nothing golden.
  std::string bad = "id,text,sentiment\n" + std::to_string(tasks[0]) + ",text 0,positive\n" +
                    std::to_string(tasks[1]) + ",text 1,angry\n";
  auto refused = manager_->Post(url, bad, "text/csv");
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_EQ(Body(manager_->Get(T(tasks[0])))["golden"], false);
  EXPECT_EQ(manager_->Post(url, "id,text,sentiment\n999999,x,positive\n", "text/csv").status, 400);
  int64_t ann_id = 0;
  Client ann = NewUser("ann", "annotator", &ann_id);
  AddMember(*manager_, project, ann_id);
  EXPECT_EQ(ann.Post(url, "id,text,sentiment\n", "text/csv").status, 403);

  std::string good = "id,text,sentiment\n" + std::to_string(tasks[0]) + ",text 0,positive\n" +
                     std::to_string(tasks[2]) + ",text 2,neutral\n";
  auto imported = manager_->Post(url, good, "text/csv");
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(Body(imported)["imported"], 2);
  json t0 = Body(manager_->Get(T(tasks[0])));
  EXPECT_EQ(t0["golden"], true);
  EXPECT_EQ(t0["golden_answer"]["result"], Choice("positive"));
  EXPECT_EQ(Body(manager_->Get(T(tasks[1])))["golden"], false);
  // JSON by id too.
  auto by_json =
      manager_->Post(P(project, "/golden/import?format=json"),
                     json::array({{{"id", tasks[3]}, {"result", Choice("negative")}}}).dump());
  ASSERT_EQ(by_json.status, 201) << by_json.body;
  json set = Body(manager_->Post(P(project, "/golden-sets"), json{{"name", "expert"}}.dump()));
  EXPECT_EQ(set["tasks"], 3);
}

INSTANTIATE_TEST_SUITE_P(Backends, BakeoffApiTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), ParamName);

}  // namespace
}  // namespace plumb::test
