// The conformance suite's part for training and qualification
// (docs/training.md): the practice set, practice answers counted in the
// labeler's record, tests that finish with their last answer, one open test
// per labeler, the ongoing check's pause in a golden submit's transaction
// with its event, unpausing, and the tables in dumps.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Answer(const std::string& value) {
  return R"([{"control":"pet","type":"choice","values":[")" + value + R"("]}])";
}

TEST_P(StoreConformanceTest, PracticeSetsTakeGoldenTasksOfTheProjectOnly) {
  Project p = AddProject();
  Project other = AddProject();
  std::vector<int64_t> t = AddTasks(p.id, 3);
  std::vector<int64_t> o = AddTasks(other.id, 1);
  Ok(store().SetGoldenAnswer(t[0], GoldenAnswer{Answer("cat"), ""}));
  Ok(store().SetGoldenAnswer(t[2], GoldenAnswer{Answer("dog"), ""}));
  Ok(store().SetGoldenAnswer(o[0], GoldenAnswer{Answer("dog"), ""}));
  struct Case {
    std::vector<int64_t> ids;
    const char* field;
  };
  const Case cases[] = {{{t[0], t[1]}, "items[1].task_id"},
                        {{t[2], t[2]}, "items[1].task_id"},
                        {{o[0]}, "items[0].task_id"}};
  for (const Case& c : cases) {
    std::vector<PracticeItem> items;
    for (int64_t id : c.ids) items.push_back({.task_id = id});
    Status s = store().SetPracticeItems(p.id, items);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.field(), c.field);
  }
  EXPECT_TRUE(Ok(store().ListPracticeItems(p.id)).empty()) << "refused sets store nothing";
  EXPECT_EQ(store().SetPracticeItems(987654, {}).code(), StatusCode::kNotFound);

  Ok(store().SetPracticeItems(p.id, {{.task_id = t[2], .explanation = "a \"dog\" ☕"},
                                     {.task_id = t[0], .anchor = "cats"}}));
  auto items = Ok(store().ListPracticeItems(p.id));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].task_id, t[2]);
  EXPECT_EQ(items[0].position, 0);
  EXPECT_EQ(items[0].explanation, "a \"dog\" ☕");
  EXPECT_EQ(items[1].anchor, "cats");
  Ok(store().SetPracticeItems(p.id, {{.task_id = t[0]}}));
  EXPECT_EQ(Ok(store().ListPracticeItems(p.id)).size(), 1u) << "replaced as a whole";
}

TEST_P(StoreConformanceTest, PracticeAnswersAndTestsFillTheLabelersRecord) {
  User m = AddUser("m", Role::kManager);
  User ann = AddUser("ann");
  Project p = AddProject();
  std::vector<int64_t> t = AddTasks(p.id, 2);
  Ok(store().SetGoldenAnswer(t[0], GoldenAnswer{Answer("cat"), ""}));
  Ok(store().SetGoldenAnswer(t[1], GoldenAnswer{Answer("dog"), ""}));
  GoldenSet set = Ok(store().CreateGoldenSet(p.id, "q", "", {}, m.id, kT0));
  EXPECT_FALSE(Ok(store().GetLabelerTraining(p.id, ann.id)).has_value());

  TrainingAnswer practice{.project_id = p.id,
                          .user_id = ann.id,
                          .task_id = t[0],
                          .result_json = Answer("cat"),
                          .score = 1,
                          .correct = true,
                          .created_at_ms = kT0 + 1};
  TrainingAnswer stored = Ok(store().RecordPracticeAnswer(practice));
  EXPECT_GT(stored.id, 0);
  practice.correct = false;
  practice.score = 0.25;
  practice.created_at_ms = kT0 + 2;
  Ok(store().RecordPracticeAnswer(practice));
  auto answers = Ok(store().ListTrainingAnswers(p.id, ann.id, std::nullopt));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_DOUBLE_EQ(answers[1].score, 0.25);
  EXPECT_EQ(answers[1].result_json.empty(), false);
  LabelerTraining record = Ok(store().GetLabelerTraining(p.id, ann.id)).value();
  EXPECT_EQ(record.username, "ann");
  EXPECT_EQ(record.first_at_ms, kT0 + 1);
  EXPECT_EQ(record.practice_done, 2);
  EXPECT_EQ(record.practice_correct, 1);
  EXPECT_EQ(record.practice_since_fail, 2);
  // Practice answers are no annotations.
  EXPECT_TRUE(Ok(store().ListRevisions(t[0], std::nullopt)).empty());

  auto attempt_of = [&](int64_t at) {
    return QualificationAttempt{.project_id = p.id,
                                .user_id = ann.id,
                                .golden_set_id = set.id,
                                .instructions_version = 3,
                                .pass_mark = 0.75,
                                .tasks = 2,
                                .started_at_ms = at};
  };
  QualificationAttempt first = Ok(store().StartQualification(attempt_of(kT0 + 10)));
  EXPECT_EQ(first.answered, 0);
  EXPECT_FALSE(first.finished_at_ms.has_value());
  EXPECT_EQ(store().StartQualification(attempt_of(kT0 + 11)).status().code(), StatusCode::kConflict)
      << "one open test per labeler";
  TrainingAnswer a{.task_id = t[0],
                   .attempt_id = first.id,
                   .result_json = Answer("cat"),
                   .score = 1,
                   .correct = true,
                   .created_at_ms = kT0 + 12};
  QualificationAttempt after = Ok(store().RecordQualificationAnswer(a));
  EXPECT_EQ(after.answered, 1);
  EXPECT_FALSE(after.score.has_value());
  auto twice = store().RecordQualificationAnswer(a);
  EXPECT_EQ(twice.status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(twice.status().field(), "task_id");
  a.task_id = t[1];
  a.score = 0;
  a.correct = false;
  a.created_at_ms = kT0 + 13;
  QualificationAttempt failed = Ok(store().RecordQualificationAnswer(a));
  EXPECT_EQ(failed.answered, 2);
  EXPECT_DOUBLE_EQ(failed.score.value_or(-1), 0.5);
  EXPECT_EQ(failed.passed, false);
  EXPECT_EQ(failed.finished_at_ms, kT0 + 13);
  EXPECT_EQ(store().RecordQualificationAnswer(a).status().code(), StatusCode::kConflict);
  record = Ok(store().GetLabelerTraining(p.id, ann.id)).value();
  EXPECT_EQ(record.attempts, 1);
  EXPECT_EQ(record.last_failed_at_ms, kT0 + 13);
  EXPECT_EQ(record.practice_since_fail, 0);
  EXPECT_FALSE(record.passed_at_ms.has_value());

  QualificationAttempt second = Ok(store().StartQualification(attempt_of(kT0 + 20)));
  for (int64_t task : t) {
    Ok(store().RecordQualificationAnswer({.task_id = task,
                                          .attempt_id = second.id,
                                          .result_json = Answer("cat"),
                                          .score = 1,
                                          .correct = true,
                                          .created_at_ms = kT0 + 21}));
  }
  QualificationAttempt passed = Ok(store().GetQualificationAttempt(second.id));
  EXPECT_EQ(passed.passed, true);
  record = Ok(store().GetLabelerTraining(p.id, ann.id)).value();
  EXPECT_EQ(record.attempts, 2);
  EXPECT_EQ(record.passed_at_ms, kT0 + 21);
  EXPECT_EQ(record.first_passed_at_ms, kT0 + 21);
  EXPECT_EQ(record.passed_version, 3);
  EXPECT_DOUBLE_EQ(record.best_score.value_or(-1), 1.0);
  EXPECT_DOUBLE_EQ(record.last_score.value_or(-1), 1.0);
  auto attempts = Ok(store().ListQualificationAttempts(p.id, ann.id));
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].id, second.id) << "newest first";
  EXPECT_EQ(Ok(store().ListQualificationAttempts(p.id, std::nullopt)).size(), 2u);
  EXPECT_EQ(Ok(store().ListTrainingAnswers(p.id, ann.id, second.id)).size(), 2u);
  EXPECT_EQ(Ok(store().ListLabelerTraining(p.id)).size(), 1u);
  EXPECT_EQ(store().GetQualificationAttempt(987654).status().code(), StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, GoldenGradesBelowTheThresholdPauseInTheSubmit) {
  User ann = AddUser("ann");
  Project p = AddProject();
  std::vector<int64_t> t = AddTasks(p.id, 5);
  for (int64_t id : t) Ok(store().SetGoldenAnswer(id, GoldenAnswer{Answer("cat"), ""}));
  Ok(store().CreateWebhook(
      {.project_id = p.id, .url = "http://127.0.0.1:9/hook", .events = {"labeler.paused"}},
      "secret", kT0));
  RevisionHooks hooks;
  hooks.grade = [](const GoldenAnswer& answer, const Revision& rev) -> Result<GoldenGrade> {
    const bool right = rev.result_json.find("cat") != std::string::npos;
    (void)answer;
    return GoldenGrade{.revision_id = rev.id, .score = right ? 1.0 : 0.0, .correct = right};
  };
  const PauseRule rule{.threshold = 0.5, .window = 2};
  auto label = [&](const std::string& value, int64_t at) {
    auto claim = Ok(store().ClaimGoldenTask(p.id, ann.id, at));
    if (!claim) {
      ADD_FAILURE() << "no golden task";
      return;
    }
    Ok(store().AppendRevision({.task_id = claim->task.id,
                               .user_id = ann.id,
                               .lease_id = claim->lease.id,
                               .result_json = Answer(value),
                               .hooks = &hooks,
                               .pause = rule},
                              at));
  };
  label("dog", kT0 + 1);
  EXPECT_FALSE(Ok(store().GetLabelerTraining(p.id, ann.id)).value().paused_at_ms)
      << "a window of one is not full";
  label("cat", kT0 + 2);
  label("dog", kT0 + 3);
  EXPECT_FALSE(Ok(store().GetLabelerTraining(p.id, ann.id)).value().paused_at_ms)
      << "the newest two are 50 % correct";
  label("dog", kT0 + 4);
  LabelerTraining paused = Ok(store().GetLabelerTraining(p.id, ann.id)).value();
  EXPECT_EQ(paused.paused_at_ms, kT0 + 4);
  nlohmann::json data = nlohmann::json::parse(paused.pause_json);
  ASSERT_EQ(data["wrong_tasks"].size(), 2u);
  EXPECT_EQ(data["wrong_tasks"][0]["task_id"], t[3]) << "newest first";
  EXPECT_EQ(data["wrong_tasks"][1]["task_id"], t[2]);
  EXPECT_EQ(data["accuracy"], 0.0);
  EXPECT_EQ(data["username"], "ann");
  auto deliveries = Ok(store().ClaimDueDeliveries(kT0 + 10, 10, 1000));
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].event_type, "labeler.paused");
  EXPECT_NE(deliveries[0].body_json.find("wrong_tasks"), std::string::npos);

  EXPECT_TRUE(Ok(store().UnpauseLabeler(p.id, ann.id, kT0 + 20)));
  EXPECT_FALSE(Ok(store().UnpauseLabeler(p.id, ann.id, kT0 + 21))) << "not paused";
  LabelerTraining resumed = Ok(store().GetLabelerTraining(p.id, ann.id)).value();
  EXPECT_FALSE(resumed.paused_at_ms.has_value());
  EXPECT_EQ(resumed.pause_json, "");
  EXPECT_EQ(resumed.checked_since_ms, kT0 + 20);
  // The window starts over: one new wrong grade is not a full window.
  label("dog", kT0 + 30);
  EXPECT_FALSE(Ok(store().GetLabelerTraining(p.id, ann.id)).value().paused_at_ms);
}

}  // namespace
}  // namespace plumb::store
