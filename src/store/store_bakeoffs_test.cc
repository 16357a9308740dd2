// The conformance suite's part for golden sets and bake-offs
// (docs/bakeoffs.md): versioned golden sets that freeze their answers, the
// queue's bake-off rule for workforce candidates with the label its submit
// records, vendor labels replaced as a whole, and the tables in dumps.

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

bool SameJson(const std::string& a, const std::string& b) {
  return nlohmann::json::parse(a) == nlohmann::json::parse(b);
}

int64_t RowsOf(Store& store, const std::string& table) {
  int64_t n = 0;
  for (const DumpedRow& row : DumpAll(store)) n += row.table == table ? 1 : 0;
  return n;
}

TEST_P(StoreConformanceTest, GoldenSetsAreVersionedAndFreezeTheirAnswers) {
  User m = AddUser("m", Role::kManager);
  Project p = AddProject();
  std::vector<int64_t> t = AddTasks(p.id, 4);
  EXPECT_EQ(store().CreateGoldenSet(p.id, "set", "", {}, m.id, kT0).status().code(),
            StatusCode::kInvalidArgument)
      << "no golden task yet";
  Ok(store().SetGoldenAnswer(t[0], GoldenAnswer{Answer("cat"), ""}));
  Ok(store().SetGoldenAnswer(t[2], GoldenAnswer{Answer("dog"), R"({"width":5,"height":5})"}));
  auto bad = store().CreateGoldenSet(p.id, "set", "", {t[0], t[1]}, m.id, kT0);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "task_ids[1]");
  EXPECT_EQ(store().CreateGoldenSet(p.id, "set", "", {t[0], t[0]}, m.id, kT0).status().field(),
            "task_ids[1]");
  EXPECT_TRUE(Ok(store().ListGoldenSets(p.id)).empty()) << "refused sets store nothing";

  GoldenSet v1 = Ok(store().CreateGoldenSet(p.id, "set", "first", {}, m.id, kT0));
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v1.tasks, 2);
  EXPECT_EQ(v1.note, "first");
  EXPECT_EQ(v1.created_by_name, "m");
  // A later answer does not change the frozen one.
  Ok(store().SetGoldenAnswer(t[0], GoldenAnswer{Answer("dog"), ""}));
  GoldenSet v2 = Ok(store().CreateGoldenSet(p.id, "set", "", {t[0]}, m.id, kT0 + 1));
  EXPECT_EQ(v2.version, 2);
  GoldenSet other = Ok(store().CreateGoldenSet(p.id, "other", "", {}, m.id, kT0 + 2));
  EXPECT_EQ(other.version, 1);
  auto items = Ok(store().ListGoldenSetItems(v1.id));
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].task_id, t[0]);
  EXPECT_TRUE(SameJson(items[0].answer.result_json, Answer("cat")));
  EXPECT_TRUE(SameJson(items[1].answer.media_json, R"({"width":5,"height":5})"));
  EXPECT_TRUE(SameJson(Ok(store().ListGoldenSetItems(v2.id))[0].answer.result_json, Answer("dog")));
  auto sets = Ok(store().ListGoldenSets(p.id));
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].id, other.id) << "newest first";
  EXPECT_EQ(store().GetGoldenSet(999999).status().code(), StatusCode::kNotFound);

  // Many answers at once, all or none.
  Project q = AddProject();
  std::vector<int64_t> foreign = AddTasks(q.id, 1);
  auto refused = store().SetGoldenAnswers(p.id, {{t[1], GoldenAnswer{Answer("cat"), ""}},
                                                 {foreign[0], GoldenAnswer{Answer("cat"), ""}}});
  EXPECT_EQ(refused.code(), StatusCode::kNotFound);
  EXPECT_EQ(refused.field(), "[1].task_id");
  EXPECT_FALSE(Ok(store().GetTask(t[1])).golden) << "nothing of a refused call changes";
  Ok(store().SetGoldenAnswers(
      p.id, {{t[3], GoldenAnswer{Answer("dog"), ""}}, {t[1], GoldenAnswer{Answer("cat"), ""}}}));
  EXPECT_TRUE(Ok(store().GetTask(t[1])).golden);
  EXPECT_TRUE(Ok(store().GetTask(t[3])).golden);
}

TEST_P(StoreConformanceTest, WorkforceCandidatesGetTheGoldenTasksAndTheirSubmitsAreLabels) {
  User m = AddUser("m", Role::kManager);
  User a = AddUser("a"), b = AddUser("b"), outsider = AddUser("c");
  Project p = AddProject();
  std::vector<int64_t> t = AddTasks(p.id, 3);
  Ok(store().SetGoldenAnswer(t[0], GoldenAnswer{Answer("cat"), ""}));
  Ok(store().SetGoldenAnswer(t[1], GoldenAnswer{Answer("dog"), ""}));
  GoldenSet set = Ok(store().CreateGoldenSet(p.id, "g", "", {}, m.id, kT0));
  Workforce w;
  w.name = "team";
  w = Ok(store().CreateWorkforce(w, kT0));
  Ok(store().AddWorkforceMember(w.id, a.id));
  Ok(store().AddWorkforceMember(w.id, b.id));
  Ok(store().GrantProjectAccess(p.id, w.id));
  Bakeoff in;
  in.project_id = p.id;
  in.name = "bo";
  in.golden_set_id = set.id;
  in.created_by = m.id;
  BakeoffCandidate team;
  team.name = "team";
  team.kind = CandidateKind::kWorkforce;
  team.workforce_id = w.id;
  BakeoffCandidate vendor;
  vendor.name = "vendor";
  vendor.kind = CandidateKind::kVendor;
  vendor.format = "json";
  vendor.pricing_model = CandidatePricing::kQuote;
  vendor.rate = 12.5;
  in.candidates = {team, team};
  EXPECT_EQ(store().CreateBakeoff(in, kT0).status().field(), "candidates[1].name");
  in.candidates = {team, vendor};
  Bakeoff bo = Ok(store().CreateBakeoff(in, kT0));
  ASSERT_EQ(bo.candidates.size(), 2u);
  EXPECT_EQ(bo.candidates[0].sent_at_ms, kT0);
  EXPECT_FALSE(bo.candidates[1].sent_at_ms.has_value());
  EXPECT_EQ(bo.candidates[1].rate, 12.5);
  EXPECT_EQ(bo.created_by_name, "m");

  // Both members are handed different golden tasks; the outsider none.
  auto ca = Ok(store().ClaimBakeoffTask(p.id, a.id, kT0));
  auto cb = Ok(store().ClaimBakeoffTask(p.id, b.id, kT0));
  ASSERT_TRUE(ca && cb);
  EXPECT_EQ(ca->rule, ClaimRule::kBakeoff);
  EXPECT_EQ(ca->task.id, t[0]);
  EXPECT_EQ(cb->task.id, t[1]);
  EXPECT_FALSE(Ok(store().ClaimBakeoffTask(p.id, outsider.id, kT0)).has_value());
  EXPECT_FALSE(Ok(store().ClaimBakeoffTask(p.id, a.id, kT0)).has_value())
      << "a held lease comes first";
  Ok(store().AppendRevision({.task_id = t[0],
                             .user_id = a.id,
                             .lease_id = ca->lease.id,
                             .result_json = Answer("dog"),
                             .lead_time_ms = 4000},
                            kT0 + 10));
  // B's lease runs out: the task goes to A.
  auto again = Ok(store().ClaimBakeoffTask(p.id, a.id, kT0 + 61'000));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->task.id, t[1]);
  Ok(store().AppendRevision({.task_id = t[1],
                             .user_id = a.id,
                             .lease_id = again->lease.id,
                             .result_json = Answer("dog"),
                             .lead_time_ms = 6000},
                            kT0 + 61'010));
  EXPECT_FALSE(Ok(store().ClaimBakeoffTask(p.id, b.id, kT0 + 62'000)).has_value());
  auto labels = Ok(store().ListBakeoffLabels(bo.id));
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0].task_id, t[0]);
  EXPECT_EQ(labels[0].user_id, a.id);
  EXPECT_EQ(labels[0].lead_time_ms, 4000);
  EXPECT_EQ(labels[0].created_at_ms, kT0 + 10);
  EXPECT_TRUE(labels[0].revision_id.has_value());
  EXPECT_EQ(Ok(store().GetBakeoff(bo.id)).candidates[0].labels, 2);

  // Vendor labels: replaced as a whole; a task outside the set refuses all.
  EXPECT_EQ(store().ReplaceVendorLabels(bo.candidates[0].id, {}, kT0).code(),
            StatusCode::kConflict);
  BakeoffLabel l;
  l.task_id = t[0];
  l.result_json = Answer("cat");
  BakeoffLabel outside = l;
  outside.task_id = t[2];
  auto refused = store().ReplaceVendorLabels(bo.candidates[1].id, {l, outside}, kT0);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field(), "[1].task_id");
  EXPECT_EQ(Ok(store().ListBakeoffLabels(bo.id)).size(), 2u);
  Ok(store().ReplaceVendorLabels(bo.candidates[1].id, {l}, kT0 + 5));
  Ok(store().ReplaceVendorLabels(bo.candidates[1].id, {l}, kT0 + 7));
  Bakeoff now = Ok(store().GetBakeoff(bo.id));
  EXPECT_EQ(now.candidates[1].labels, 1);
  EXPECT_EQ(now.candidates[1].sent_at_ms, kT0 + 5);
  EXPECT_EQ(now.candidates[1].returned_at_ms, kT0 + 7);

  // Closed: no more tasks, no more imports; weights kept.
  Bakeoff closed = Ok(store().UpdateBakeoff(bo.id, BakeoffWeights{100, 0, 0}, true, kT0 + 9));
  EXPECT_TRUE(closed.closed);
  EXPECT_EQ(closed.closed_at_ms, kT0 + 9);
  EXPECT_EQ(closed.weights.accuracy, 100);
  EXPECT_EQ(store().ReplaceVendorLabels(bo.candidates[1].id, {l}, kT0).code(),
            StatusCode::kConflict);
  EXPECT_EQ(Ok(store().ListBakeoffs(p.id)).size(), 1u);

  // The dump carries every new table, and a load takes it back.
  for (const char* table : {"golden_sets", "golden_set_tasks", "bakeoffs", "bakeoff_candidates",
                            "bakeoff_assignments", "bakeoff_labels"}) {
    EXPECT_GT(RowsOf(store(), table), 0) << table;
  }
  std::unique_ptr<Store> copy = OpenNewDatabase();
  Ok(LoadAll(DumpAll(store()), *copy));
  EXPECT_EQ(DumpAll(*copy), DumpAll(store()));
  EXPECT_EQ(Ok(copy->ListBakeoffLabels(bo.id)).size(), 3u);
}

}  // namespace
}  // namespace plumb::store
