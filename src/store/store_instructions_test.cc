// The conformance suite's part for labeling instructions
// (docs/instructions.md): versions, images, acknowledgements, the version
// each revision records, counters per version, and outdated tasks with their
// rework.

#include <algorithm>
#include <string>
#include <vector>

#include "core/stats.h"
#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
const char* kCat = R"([{"control":"pet","type":"choice","values":["cat"]}])";

std::vector<DumpedRow> RowsOf(Store& store, const std::string& table) {
  std::vector<DumpedRow> out;
  for (DumpedRow& row : DumpAll(store)) {
    if (row.table == table) out.push_back(std::move(row));
  }
  return out;
}

// (metric, count) of every counter of a user in the project on kT0's day.
int64_t CountOf(Store& store, int64_t project_id, int64_t user_id, const std::string& metric) {
  const int64_t day = stats::DayOf(kT0);
  for (const StatRow& r : Ok(store.ReadStats({project_id, day, day + 1}))) {
    if (r.user_id == user_id && r.metric == metric) return r.count;
  }
  return 0;
}

TEST_P(StoreConformanceTest, SavedInstructionsAreNumberedFromOnePerProject) {
  Project p = AddProject(), q = AddProject();
  User mia = AddUser("mia", Role::kManager);
  EXPECT_EQ(store().GetInstructions(p.id, std::nullopt).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(Ok(store().ListInstructionVersions(p.id)).empty());
  EXPECT_EQ(Ok(store().GetInstructionsStatus(p.id, mia.id)).current, 0);

  InstructionsVersion v1 = Ok(store().SaveInstructions(
      {.project_id = p.id, .author_id = mia.id, .body = "# one", .note = "first"}, kT0));
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.author_username, "mia");
  EXPECT_EQ(v1.examples_json, "[]");
  const std::string examples = R"([{"kind":"example","title":"cat","task_id":null}])";
  InstructionsVersion v2 = Ok(store().SaveInstructions(
      {.project_id = p.id, .author_id = mia.id, .body = "# two", .examples_json = examples},
      kT0 + 1));
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(Ok(store().SaveInstructions({.project_id = q.id, .author_id = mia.id, .body = "q"},
                                        kT0))
                .version,
            1)
      << "numbers count per project";

  InstructionsVersion current = Ok(store().GetInstructions(p.id, std::nullopt));
  EXPECT_EQ(current.version, 2);
  EXPECT_EQ(current.body, "# two");
  EXPECT_EQ(current.examples_json, examples) << "examples are kept byte for byte";
  EXPECT_EQ(current.created_at_ms, kT0 + 1);
  InstructionsVersion old = Ok(store().GetInstructions(p.id, 1));
  EXPECT_EQ(old.body, "# one");
  EXPECT_EQ(old.note, "first");
  EXPECT_EQ(store().GetInstructions(p.id, 3).status().code(), StatusCode::kNotFound);

  std::vector<InstructionsVersion> list = Ok(store().ListInstructionVersions(p.id));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].version, 2) << "newest first";
  EXPECT_EQ(list[1].version, 1);
  EXPECT_EQ(list[1].note, "first");
  EXPECT_TRUE(list[0].body.empty());
  EXPECT_EQ(Ok(store().GetInstructionsStatus(p.id, mia.id)).current, 2);

  EXPECT_EQ(store()
                .SaveInstructions({.project_id = 999'999, .author_id = mia.id, .body = "x"}, kT0)
                .status()
                .code(),
            StatusCode::kNotFound);
}

TEST_P(StoreConformanceTest, ImagesAreStoredOnceByHashWithTheirBytes) {
  const std::string bytes("\x89PNG\r\n\x1a\n\0\xff\x00 end", 15);
  const std::string hash(64, 'b');
  EXPECT_FALSE(Ok(store().HasInstructionImage(hash)));
  EXPECT_TRUE(Ok(store().PutInstructionImage({hash, "image/png", bytes})));
  EXPECT_FALSE(Ok(store().PutInstructionImage({hash, "image/gif", "other"})))
      << "the same hash stores nothing new";
  EXPECT_TRUE(Ok(store().HasInstructionImage(hash)));
  InstructionImage image = Ok(store().GetInstructionImage(hash));
  EXPECT_EQ(image.data, bytes);
  EXPECT_EQ(image.content_type, "image/png");
  EXPECT_EQ(store().GetInstructionImage(std::string(64, 'c')).status().code(),
            StatusCode::kNotFound);

  // A dump carries the bytes as hex, and a load puts them back.
  std::vector<DumpedRow> rows = RowsOf(store(), "instruction_images");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].values[2], "89504e470d0a1a0a00ff0020656e64");
}

TEST_P(StoreConformanceTest, OnlyTheCurrentVersionCanBeAcknowledged) {
  Project p = AddProject();
  User mia = AddUser("mia", Role::kManager), ann = AddUser("ann"), vic = AddUser("vic");
  EXPECT_EQ(store().Acknowledge(p.id, ann.id, 1, kT0).code(), StatusCode::kConflict)
      << "nothing to acknowledge";
  Ok(store().SaveInstructions({.project_id = p.id, .author_id = mia.id, .body = "1"}, kT0));
  Ok(store().Acknowledge(p.id, ann.id, 1, kT0 + 1));
  EXPECT_EQ(Ok(store().GetInstructionsStatus(p.id, ann.id)).acknowledged, 1);
  Ok(store().SaveInstructions({.project_id = p.id, .author_id = mia.id, .body = "2"}, kT0 + 2));
  EXPECT_EQ(store().Acknowledge(p.id, ann.id, 1, kT0 + 3).code(), StatusCode::kConflict);
  EXPECT_EQ(store().Acknowledge(p.id, ann.id, 3, kT0 + 3).code(), StatusCode::kConflict);
  InstructionsStatus status = Ok(store().GetInstructionsStatus(p.id, ann.id));
  EXPECT_EQ(status.current, 2);
  EXPECT_EQ(status.acknowledged, 1);
  Ok(store().Acknowledge(p.id, ann.id, 2, kT0 + 4));
  Ok(store().Acknowledge(p.id, ann.id, 2, kT0 + 5));  // again: fine

  // Every member, and every member of a workforce with access, once.
  Ok(store().AddMember(p.id, ann.id));
  Workforce team = Ok(store().CreateWorkforce({.name = "team"}, kT0));
  Ok(store().AddWorkforceMember(team.id, vic.id));
  Ok(store().AddWorkforceMember(team.id, ann.id));
  Ok(store().GrantProjectAccess(p.id, team.id));
  std::vector<InstructionAck> acks = Ok(store().ListAcks(p.id));
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].user_id, ann.id);
  EXPECT_EQ(acks[0].username, "ann");
  EXPECT_EQ(acks[0].version, 2);
  EXPECT_EQ(acks[0].at_ms, kT0 + 5);
  EXPECT_EQ(acks[1].user_id, vic.id);
  EXPECT_EQ(acks[1].version, 0);
  EXPECT_FALSE(acks[1].at_ms);
  EXPECT_EQ(RowsOf(store(), "instruction_acks").size(), 1u) << "one row per user: the newest";
}

TEST_P(StoreConformanceTest, RevisionsRecordTheInstructionsVersionAndCountersKeepIt) {
  Project p = AddProject(/*overlap=*/1);
  User mia = AddUser("mia", Role::kManager), ann = AddUser("ann");
  AddTasks(p.id, 3);
  auto c1 = ClaimNext(p.id, ann.id);
  ASSERT_TRUE(c1);
  EXPECT_EQ(Ok(Submit(*c1, kCat)).instructions_version, 0) << "no instructions yet";
  Ok(store().SaveInstructions({.project_id = p.id, .author_id = mia.id, .body = "1"}, kT0));
  auto c2 = ClaimNext(p.id, ann.id);
  ASSERT_TRUE(c2);
  Revision r2 = Ok(Submit(*c2, kCat));
  EXPECT_EQ(r2.instructions_version, 1);
  Ok(store().SaveInstructions({.project_id = p.id, .author_id = mia.id, .body = "2"}, kT0));
  // An edit records the version of its own time.
  Revision edit = Ok(store().AppendRevision(
      {.task_id = c2->task.id, .user_id = ann.id, .result_json = kCat}, kT0 + 1));
  EXPECT_EQ(edit.instructions_version, 2);
  std::vector<Revision> all = Ok(store().ListRevisions(c2->task.id, std::nullopt));
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].instructions_version, 1);
  EXPECT_EQ(Ok(store().CurrentRevisions({c2->task.id}))[0].instructions_version, 2);

  EXPECT_EQ(CountOf(store(), p.id, ann.id, "labels"), 2);
  EXPECT_EQ(CountOf(store(), p.id, ann.id, "labels.v0"), 1);
  EXPECT_EQ(CountOf(store(), p.id, ann.id, "labels.v1"), 1);

  // Golden grades are counted per version too.
  Ok(store().SetGoldenAnswer(c1->task.id, GoldenAnswer{kCat, ""}));
  User bob = AddUser("bob");
  auto golden = Ok(store().ClaimGoldenTask(p.id, bob.id, kT0));
  ASSERT_TRUE(golden);
  RevisionHooks hooks;
  hooks.grade = [](const GoldenAnswer&, const Revision& rev) -> Result<GoldenGrade> {
    return GoldenGrade{.revision_id = rev.id, .score = 1, .correct = true};
  };
  Ok(store().AppendRevision({.task_id = golden->task.id,
                             .user_id = bob.id,
                             .lease_id = golden->lease.id,
                             .result_json = kCat,
                             .hooks = &hooks},
                            kT0));
  EXPECT_EQ(CountOf(store(), p.id, bob.id, "golden.v2"), 1);
  EXPECT_EQ(CountOf(store(), p.id, bob.id, "golden_correct.v2"), 1);
  EXPECT_EQ(CountOf(store(), p.id, bob.id, "golden"), 1);
}

TEST_P(StoreConformanceTest, OutdatedTasksAreListedAndSentBackAsRework) {
  Project p = AddProject(/*overlap=*/1);
  User mia = AddUser("mia", Role::kManager), ann = AddUser("ann"), rev = AddUser("rev");
  // Events are stored only for a subscriber.
  Ok(store().CreateWebhook(
      {.project_id = p.id, .url = "http://127.0.0.1:9/hook", .events = {"review.rejected"}}, "k",
      kT0));
  std::vector<int64_t> ids = AddTasks(p.id, 4);
  // Tasks 0 and 1 are done under version 0, task 2 waits in review, task 3
  // is done under version 1.
  RevisionHooks review;
  review.complete = [](const CompletionInput& input) -> Result<Completion> {
    Completion c = DefaultCompletion(input);
    c.state = TaskState::kReviewing;
    return c;
  };
  for (int i = 0; i < 3; ++i) {
    auto c = ClaimNext(p.id, ann.id);
    ASSERT_TRUE(c);
    Ok(store().AppendRevision({.task_id = c->task.id,
                               .user_id = ann.id,
                               .lease_id = c->lease.id,
                               .result_json = kCat,
                               .hooks = i == 2 ? &review : nullptr},
                              kT0));
  }
  Ok(store().SaveInstructions({.project_id = p.id, .author_id = mia.id, .body = "1"}, kT0));
  auto c3 = ClaimNext(p.id, ann.id);
  ASSERT_TRUE(c3);
  Ok(Submit(*c3, kCat));

  EXPECT_EQ(store().ListOutdatedTasks({.project_id = p.id, .before = 1, .limit = 0}).status().code(),
            StatusCode::kInvalidArgument);
  OutdatedPage page = Ok(store().ListOutdatedTasks({.project_id = p.id, .before = 1, .limit = 2}));
  ASSERT_EQ(page.items.size(), 2u);
  EXPECT_EQ(page.items[0].id, ids[0]);
  EXPECT_EQ(page.items[1].id, ids[1]);
  EXPECT_EQ(page.total, 3);
  ASSERT_TRUE(page.next_after_id);
  page = Ok(store().ListOutdatedTasks(
      {.project_id = p.id, .before = 1, .limit = 2, .after_id = *page.next_after_id}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, ids[2]);
  EXPECT_FALSE(page.next_after_id);
  EXPECT_EQ(Ok(store().ListOutdatedTasks({.project_id = p.id, .before = 2})).total, 4);
  EXPECT_EQ(Ok(store().ListOutdatedTasks({.project_id = p.id, .before = 0})).total, 0);

  // A reviewer holds task 2; the rework ends that lease.
  auto held = Ok(store().ClaimReviewTask(p.id, rev.id, std::nullopt, kT0));
  ASSERT_TRUE(held);
  EXPECT_EQ(held->task.id, ids[2]);

  const std::string comment = "instructions changed (version 1)";
  EXPECT_EQ(store()
                .ReworkOutdated(p.id, mia.id, 1, std::vector<int64_t>(1001, ids[0]), comment, kT0)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  std::vector<int64_t> sent = Ok(store().ReworkOutdated(
      p.id, mia.id, 1, {ids[3], ids[2], ids[0], 999'999}, comment, kT0 + 10));
  EXPECT_EQ(sent, (std::vector<int64_t>{ids[2], ids[0]})) << "only outdated tasks, in order";
  EXPECT_EQ(Ok(store().GetTask(ids[0])).state, TaskState::kAnnotating);
  EXPECT_EQ(Ok(store().GetTask(ids[2])).state, TaskState::kAnnotating);
  EXPECT_EQ(Ok(store().GetTask(ids[3])).state, TaskState::kDone);
  std::vector<Store::ReviewNote> notes = Ok(store().ListReviews(ids[0]));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].comment, comment);
  EXPECT_EQ(notes[0].reviewer, "mia");
  EXPECT_EQ(notes[0].decision, Store::Decision::kInstructionsRework);
  int rejected_events = 0;
  for (const DumpedRow& row : RowsOf(store(), "events")) {
    if (row.values[2] == "review.rejected") ++rejected_events;
  }
  EXPECT_EQ(rejected_events, 2);
  EXPECT_EQ(store()
                .RecordReview({.task_id = ids[2],
                               .reviewer_id = rev.id,
                               .lease_id = held->lease.id,
                               .decision = Store::Decision::kAccept},
                              kT0 + 11)
                .code(),
            StatusCode::kLeaseExpired);
  EXPECT_EQ(Ok(store().ListOutdatedTasks({.project_id = p.id, .before = 1})).total, 1);

  // The annotator gets both back as rework; a new revision completes them
  // under the current version.
  for (int i = 0; i < 2; ++i) {
    auto c = ClaimNext(p.id, ann.id, kT0 + 20);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->rule, ClaimRule::kRework);
    Revision r = Ok(store().AppendRevision(
        {.task_id = c->task.id, .user_id = ann.id, .lease_id = c->lease.id, .result_json = kCat},
        kT0 + 21));
    EXPECT_EQ(r.instructions_version, 1);
    EXPECT_EQ(Ok(store().GetTask(c->task.id)).state, TaskState::kDone);
  }
  EXPECT_EQ(Ok(store().ListOutdatedTasks({.project_id = p.id, .before = 1})).total, 1);
  // Done again is not done twice: task 0 was counted done once already.
  EXPECT_EQ(CountOf(store(), p.id, 0, "done"), 4);
}

}  // namespace
}  // namespace plumb::store
