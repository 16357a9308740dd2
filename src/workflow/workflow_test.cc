// The workflow's rules over a real SQLite store: golden injection at the
// project's rate, consensus and routing on completion, review decisions.

#include "workflow/workflow.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace plumb::workflow {
namespace {

template <typename T>
T Ok(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : T{};
}
void Ok(const Status& s) { EXPECT_TRUE(s.ok()) << s.ToString(); }

constexpr char kSchema[] =
    R"({"controls":[{"name":"pet","type":"choice","source":"text","labels":["cat","dog","fox"]}]})";

std::string Choice(const std::string& label) {
  return R"([{"control":"pet","type":"choice","values":[")" + label + R"("]}])";
}

class WorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "plumb_workflow_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    store_ = Ok(store::OpenSqliteStore(dir_ + "/plumb.db"));
    ASSERT_NE(store_, nullptr);
    owner_ = Ok(store_->CreateUser("owner", "h", Role::kManager, clock_.NowMs()));
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  Project MakeProject(ProjectSettings settings, int tasks) {
    Project p = Ok(store_->CreateProject(
        {.name = "p", .schema_json = kSchema, .settings = settings, .created_by = owner_.id},
        clock_.NowMs()));
    auto writer = Ok(store_->BeginImport(p.id, clock_.NowMs()));
    for (int i = 0; i < tasks; ++i) {
      Ok(writer->Add({.data_json = R"({"text":"t)" + std::to_string(i) + R"("})"}));
    }
    Ok(writer->Commit());
    return p;
  }
  User MakeUser(const std::string& name, Role role = Role::kAnnotator) {
    return Ok(store_->CreateUser(name, "h", role, clock_.NowMs()));
  }
  // Labels the caller's next task with `label`; returns it.
  NextTask Label(Queue& q, const Project& p, const User& u, const std::string& label) {
    auto next = Ok(q.Next(p, u));
    EXPECT_TRUE(next.has_value()) << u.username << " got no task";
    if (!next) return {};
    Ok(q.Submit(p, next->task, u, {.lease_id = next->lease.id, .result_json = Choice(label)}));
    return *next;
  }

  std::string dir_;
  FakeClock clock_;
  std::unique_ptr<store::Store> store_;
  User owner_;
};

TEST_F(WorkflowTest, GoldenTasksComeAtTheProjectsRateAndAreGradedSilently) {
  ProjectSettings s;
  s.golden_rate = 0.25;
  Project p = MakeProject(s, 12);
  Queue q(*store_, clock_);
  // Every fourth task of the project is golden: ids 1..4 here.
  for (int64_t id = 1; id <= 4; ++id) {
    Task t = Ok(store_->GetTask(id));
    Ok(q.SetGolden(p, t, Submission{.result_json = Choice("fox")}));
  }
  User ann = MakeUser("ann");
  std::vector<std::string> rules;
  for (int i = 0; i < 8; ++i) {
    NextTask n = Label(q, p, ann, i % 2 == 0 ? "fox" : "cat");
    rules.push_back(n.rule);
    EXPECT_EQ(n.task.golden, n.rule == "golden");
  }
  EXPECT_EQ(rules, (std::vector<std::string>{"priority", "priority", "priority", "golden",
                                             "priority", "priority", "priority", "golden"}));
  auto grades = Ok(store_->ListGoldenGrades(p.id));
  ASSERT_EQ(grades.size(), 2u);
  // Submits 4 and 8 (odd-numbered, so "cat") were golden: wrong both times.
  for (const auto& g : grades) {
    EXPECT_FALSE(g.correct);
    EXPECT_DOUBLE_EQ(g.score, 0);
  }
  // A bad expert answer is refused and changes nothing.
  Task plain = Ok(store_->GetTask(9));
  EXPECT_EQ(q.SetGolden(p, plain, Submission{.result_json = Choice("wolf")}).code(),
            StatusCode::kInvalidResult);
  EXPECT_FALSE(Ok(store_->GetTask(9)).golden);
}

TEST_F(WorkflowTest, AgreementBelowTheThresholdGoesToAdjudicationAndMajorityOtherwise) {
  ProjectSettings s;
  s.overlap = 3;
  s.agreement_threshold = 0.9;
  Project p = MakeProject(s, 2);
  Queue q(*store_, clock_);
  User a = MakeUser("a"), b = MakeUser("b"), c = MakeUser("c");
  // Task 1: cat, cat, dog (agreement 2/3 < 0.9); task 2: dog ×3.
  Label(q, p, a, "cat");
  Label(q, p, a, "dog");
  Label(q, p, b, "cat");
  Label(q, p, b, "dog");
  Label(q, p, c, "dog");
  Label(q, p, c, "dog");
  EXPECT_EQ(Ok(store_->GetTask(1)).state, TaskState::kAdjudicating);
  EXPECT_EQ(Ok(store_->GetTask(2)).state, TaskState::kDone);
  auto labels = Ok(store_->FinalLabels({1, 2}));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].method, "majority");
  EXPECT_NEAR(labels[0].agreement, 2.0 / 3, 1e-9);
  EXPECT_NE(labels[0].result_json.find("cat"), std::string::npos);
  EXPECT_DOUBLE_EQ(labels[1].agreement, 1);
  EXPECT_NE(labels[1].result_json.find("dog"), std::string::npos);

  User rev = MakeUser("rev", Role::kReviewer);
  auto r = Ok(q.NextReview(p, rev, std::nullopt));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->task.id, 1);
  EXPECT_EQ(r->stage, TaskState::kAdjudicating);
  ASSERT_EQ(r->annotations.size(), 3u);
  ASSERT_TRUE(r->final_label);
  // Resolving with c's annotation makes "dog" final.
  int64_t c_annotation = 0;
  for (const Revision& x : r->annotations) {
    if (x.user_id == c.id) c_annotation = x.annotation_id;
  }
  EXPECT_EQ(q.Decide(p, r->task, rev,
                     {.lease_id = r->lease.id,
                      .decision = store::Store::Decision::kResolve,
                      .annotation_id = 99999})
                .code(),
            StatusCode::kInvalidArgument);
  Ok(q.Decide(p, r->task, rev,
              {.lease_id = r->lease.id,
               .decision = store::Store::Decision::kResolve,
               .annotation_id = c_annotation}));
  EXPECT_EQ(Ok(store_->GetTask(1)).state, TaskState::kDone);
  labels = Ok(store_->FinalLabels({1}));
  EXPECT_EQ(labels[0].method, "adjudication");
  EXPECT_NE(labels[0].result_json.find("dog"), std::string::npos);
}

TEST_F(WorkflowTest, RejectedWorkComesBackWithTheCommentAndReturnsToReview) {
  ProjectSettings s;
  s.review_share = 100;
  Project p = MakeProject(s, 1);
  Queue q(*store_, clock_);
  User ann = MakeUser("ann"), rev = MakeUser("rev", Role::kReviewer);
  Label(q, p, ann, "cat");
  EXPECT_EQ(Ok(store_->GetTask(1)).state, TaskState::kReviewing);
  auto r = Ok(q.NextReview(p, rev, TaskState::kReviewing));
  ASSERT_TRUE(r);
  // A fix must be a valid result.
  EXPECT_EQ(q.Decide(p, r->task, rev,
                     {.lease_id = r->lease.id,
                      .decision = store::Store::Decision::kFix,
                      .result_json = Choice("wolf")})
                .code(),
            StatusCode::kInvalidResult);
  Ok(q.Decide(p, r->task, rev,
              {.lease_id = r->lease.id,
               .decision = store::Store::Decision::kReject,
               .comment = "it is a fox"}));
  auto again = Ok(q.Next(p, ann));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->rule, "rework");
  ASSERT_TRUE(again->review);
  EXPECT_EQ(again->review->comment, "it is a fox");
  EXPECT_EQ(again->review->reviewer, "rev");
  ASSERT_TRUE(again->previous);
  EXPECT_NE(again->previous->result_json.find("cat"), std::string::npos);
  // Asking again while holding it still says rework.
  EXPECT_EQ(Ok(q.Next(p, ann))->rule, "rework");
  Ok(q.Submit(p, again->task, ann, {.lease_id = again->lease.id, .result_json = Choice("fox")}));
  EXPECT_EQ(Ok(store_->GetTask(1)).state, TaskState::kReviewing);
  r = Ok(q.NextReview(p, rev, std::nullopt));
  ASSERT_TRUE(r);
  Ok(q.Decide(p, r->task, rev,
              {.lease_id = r->lease.id, .decision = store::Store::Decision::kAccept}));
  EXPECT_EQ(Ok(store_->GetTask(1)).state, TaskState::kDone);
  EXPECT_NE(Ok(store_->FinalLabels({1}))[0].result_json.find("fox"), std::string::npos);
  EXPECT_FALSE(Ok(q.Next(p, ann)));
}

TEST_F(WorkflowTest, DawidSkeneOutvotesAnUninformativeMajority) {
  // "n" answers "cat" whatever the task; g1 is always right; g2 is right but
  // says "cat" on every fourth task. On those tasks the majority is "cat";
  // Dawid–Skene, once it has learned that n's "cat" carries no information,
  // follows g1. The models are fitted before a submit and refitted every 200
  // submits (the clock stands still here), so early tasks still go by majority.
  ProjectSettings s;
  s.overlap = 3;
  s.consensus = ConsensusMethod::kDawidSkene;
  Project p = MakeProject(s, 80);
  Queue q(*store_, clock_);
  User noisy = MakeUser("n"), good1 = MakeUser("g1"), good2 = MakeUser("g2");
  for (int i = 0; i < 80; ++i) {
    const std::string truth = i % 2 == 0 ? "dog" : "fox";
    Label(q, p, noisy, "cat");
    Label(q, p, good1, truth);
    Label(q, p, good2, i % 4 == 1 ? "cat" : truth);
  }
  // Task i + 1 got the i-th round of votes.
  auto early = Ok(store_->FinalLabels({2}));
  ASSERT_EQ(early.size(), 1u);
  EXPECT_EQ(early[0].method, "majority");
  EXPECT_NE(early[0].result_json.find("cat"), std::string::npos) << early[0].result_json;
  auto late = Ok(store_->FinalLabels({74}));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].method, "dawid_skene");
  EXPECT_NE(late[0].result_json.find("fox"), std::string::npos) << late[0].result_json;
}

}  // namespace
}  // namespace plumb::workflow
