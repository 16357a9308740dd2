// The conformance suite's part for dataset versions and the audit log
// (docs/datasets.md): snapshots of final labels with shared label blobs and
// content hashes, their diffs, and the audit log's paging.

#include <string>
#include <vector>

#include "store/store_conformance_test.h"

namespace plumb::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;

std::string Choice(const std::string& value) {
  // Keys out of order on purpose: versions store labels canonically.
  return R"([{"values":[")" + value + R"("],"control":"pet"}])";
}

int64_t RowsOf(Store& store, const std::string& table) {
  int64_t n = 0;
  for (const DumpedRow& row : DumpAll(store)) n += row.table == table ? 1 : 0;
  return n;
}

std::vector<VersionLabel> LabelsOf(Store& store, int64_t version_id) {
  std::vector<VersionLabel> out;
  Ok(store.ForEachVersionLabel(version_id, [&](const VersionLabel& label) {
    out.push_back(label);
    return Status::Ok();
  }));
  return out;
}

// Annotates the project's open tasks with `values` in order (overlap 1: each
// becomes done with that final label); returns the task ids.
std::vector<int64_t> Label(Store& store, int64_t project_id, int64_t user_id,
                           const std::vector<std::string>& values) {
  std::vector<int64_t> ids;
  for (const std::string& v : values) {
    auto claim = Ok(store.ClaimNextTask(project_id, user_id, kT0));
    EXPECT_TRUE(claim.has_value());
    if (!claim) break;
    Ok(store.AppendRevision({.task_id = claim->task.id,
                             .user_id = user_id,
                             .lease_id = claim->lease.id,
                             .result_json = Choice(v)},
                            kT0));
    ids.push_back(claim->task.id);
  }
  return ids;
}

// Sends a done task to review and fixes its label to `value`.
void Fix(Store& store, int64_t project_id, int64_t task_id, int64_t reviewer_id,
         const std::string& value) {
  EXPECT_EQ(Ok(store.SendToReview({task_id}, kT0)), std::vector<int64_t>{task_id});
  auto claim = Ok(store.ClaimReviewTask(project_id, reviewer_id, std::nullopt, kT0));
  ASSERT_TRUE(claim);
  ASSERT_EQ(claim->task.id, task_id);
  Ok(store.RecordReview({.task_id = task_id,
                         .reviewer_id = reviewer_id,
                         .lease_id = claim->lease.id,
                         .decision = Store::Decision::kFix,
                         .label = GoldenAnswer{Choice(value), ""}},
                        kT0 + 1));
}

TEST_P(StoreConformanceTest, AVersionSnapshotsFinalLabelsAndSharesTheirBlobs) {
  Project p = AddProject();
  User ann = AddUser("ann"), owner = Ok(store().FindUserByName("owner")).user;
  AddTasks(p.id, 4);
  auto ids = Label(store(), p.id, ann.id, {"cat", "cat", "dog"});  // the 4th has no final label

  DatasetVersion v1 = Ok(store().CreateDatasetVersion(p.id, "v1", "first cut", owner.id, kT0 + 5));
  EXPECT_EQ(v1.name, "v1");
  EXPECT_EQ(v1.note, "first cut");
  EXPECT_EQ(v1.project_id, p.id);
  EXPECT_EQ(v1.tasks, 3);
  EXPECT_EQ(v1.hash.size(), 64u);
  EXPECT_EQ(v1.created_by, owner.id);
  EXPECT_EQ(v1.created_by_name, "owner");
  EXPECT_EQ(v1.created_at_ms, kT0 + 5);

  auto labels = LabelsOf(store(), v1.id);
  ASSERT_EQ(labels.size(), 3u);
  for (size_t i = 0; i < labels.size(); ++i) {
    EXPECT_EQ(labels[i].task_id, ids[i]);
    EXPECT_EQ(labels[i].method, "single");
    EXPECT_EQ(labels[i].media_json, "");
    EXPECT_EQ(labels[i].data_json, R"({"n":)" + std::to_string(i) + "}");
  }
  // Canonical bytes, the same on every backend, and their SHA-256.
  EXPECT_EQ(labels[0].result_json, R"([{"control":"pet","values":["cat"]}])");
  EXPECT_EQ(labels[0].label_hash,
            "2885b403e39a959456fcb8e1dff277be66e194dc16ad46bc8bdfbe9611be7826");
  EXPECT_EQ(labels[1].label_hash, labels[0].label_hash);
  EXPECT_NE(labels[2].label_hash, labels[0].label_hash);
  EXPECT_EQ(RowsOf(store(), "label_blobs"), 2) << "two cats share a blob";

  // Nothing changed: the same hash, and no new blob.
  DatasetVersion v2 = Ok(store().CreateDatasetVersion(p.id, "v2", "", owner.id, kT0 + 6));
  EXPECT_EQ(v2.hash, v1.hash);
  EXPECT_EQ(v2.tasks, 3);
  EXPECT_EQ(RowsOf(store(), "label_blobs"), 2);
  EXPECT_EQ(RowsOf(store(), "dataset_version_labels"), 6);

  auto list = Ok(store().ListDatasetVersions(p.id));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "v2");
  EXPECT_EQ(list[1].name, "v1");
  DatasetVersion got = Ok(store().GetDatasetVersion(p.id, "v1"));
  EXPECT_EQ(got.id, v1.id);
  EXPECT_EQ(got.hash, v1.hash);

  // A second project with the same labels has the same hash only if its task
  // ids are the same: the hash covers the ids.
  Project q = AddProject();
  AddTasks(q.id, 1);
  Label(store(), q.id, ann.id, {"cat"});
  DatasetVersion other = Ok(store().CreateDatasetVersion(q.id, "v1", "", owner.id, kT0));
  EXPECT_NE(other.hash, v1.hash) << "the name is per project; the hash covers task ids";
  EXPECT_EQ(RowsOf(store(), "label_blobs"), 2) << "the cat blob is shared across projects";
}

TEST_P(StoreConformanceTest, VersionErrors) {
  Project p = AddProject();
  User owner = Ok(store().FindUserByName("owner")).user;
  Ok(store().CreateDatasetVersion(p.id, "v1", "", owner.id, kT0));
  EXPECT_EQ(store().CreateDatasetVersion(p.id, "v1", "", owner.id, kT0).status().code(),
            StatusCode::kAlreadyExists);
  for (const char* bad : {"", "a b", "diff", "ü", "x/y"}) {
    Status s = store().CreateDatasetVersion(p.id, bad, "", owner.id, kT0).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.field(), "name") << bad;
  }
  EXPECT_EQ(
      store().CreateDatasetVersion(p.id, std::string(65, 'a'), "", owner.id, kT0).status().code(),
      StatusCode::kInvalidArgument);
  Ok(store().CreateDatasetVersion(p.id, std::string(64, 'a'), "", owner.id, kT0));
  Ok(store().CreateDatasetVersion(p.id, "Release_1.0-rc", "", owner.id, kT0));
  EXPECT_EQ(store().CreateDatasetVersion(p.id + 100, "v1", "", owner.id, kT0).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store().GetDatasetVersion(p.id, "v9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store().DiffVersions(1, 999).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(
      store().ForEachVersionLabel(999, [](const VersionLabel&) { return Status::Ok(); }).code(),
      StatusCode::kNotFound);
  // Deleting the project takes its versions along.
  Ok(store().DeleteProject(p.id));
  EXPECT_EQ(RowsOf(store(), "dataset_versions"), 0);
}

TEST_P(StoreConformanceTest, ADiffCountsTasksAndClasses) {
  Project p = AddProject();
  User ann = AddUser("ann"), rev = AddUser("rev", Role::kReviewer);
  User owner = Ok(store().FindUserByName("owner")).user;
  AddTasks(p.id, 4);
  auto ids = Label(store(), p.id, ann.id, {"cat", "cat", "dog"});
  DatasetVersion v1 = Ok(store().CreateDatasetVersion(p.id, "v1", "", owner.id, kT0));

  Fix(store(), p.id, ids[0], rev.id, "dog");           // relabeled: cat → dog
  auto more = Label(store(), p.id, ann.id, {"bird"});  // added
  DatasetVersion v2 = Ok(store().CreateDatasetVersion(p.id, "v2", "", owner.id, kT0 + 2));
  EXPECT_NE(v2.hash, v1.hash);
  EXPECT_EQ(v2.tasks, 4);
  // Every label of v2 has its blob: the two v1 shared, the fix's and the bird's new.
  auto v2_labels = LabelsOf(store(), v2.id);
  ASSERT_EQ(v2_labels.size(), 4u);
  EXPECT_EQ(v2_labels[0].method, "review_fix");
  EXPECT_EQ(v2_labels[3].result_json, R"([{"control":"pet","values":["bird"]}])");
  EXPECT_EQ(RowsOf(store(), "label_blobs"), 4);

  VersionDiff d = Ok(store().DiffVersions(v1.id, v2.id));
  EXPECT_EQ(d.added, 1);
  EXPECT_EQ(d.removed, 0);
  EXPECT_EQ(d.relabeled, 1);
  EXPECT_EQ(d.unchanged, 2);
  EXPECT_EQ(d.added_ids, more);
  EXPECT_EQ(d.relabeled_ids, std::vector<int64_t>{ids[0]});
  EXPECT_TRUE(d.removed_ids.empty());
  ASSERT_EQ(d.classes.size(), 3u);
  EXPECT_EQ(d.classes[0].name, "bird");
  EXPECT_EQ(d.classes[0].added, 1);
  EXPECT_EQ(d.classes[0].removed, 0);
  EXPECT_EQ(d.classes[1].name, "cat");
  EXPECT_EQ(d.classes[1].added, 0);
  EXPECT_EQ(d.classes[1].removed, 1);
  EXPECT_EQ(d.classes[2].name, "dog");
  EXPECT_EQ(d.classes[2].added, 1);
  EXPECT_EQ(d.classes[2].removed, 0);

  // Backwards: the new task is removed, the classes swap.
  VersionDiff back = Ok(store().DiffVersions(v2.id, v1.id));
  EXPECT_EQ(back.added, 0);
  EXPECT_EQ(back.removed, 1);
  EXPECT_EQ(back.relabeled, 1);
  EXPECT_EQ(back.unchanged, 2);
  EXPECT_EQ(back.removed_ids, more);
  ASSERT_EQ(back.classes.size(), 3u);
  EXPECT_EQ(back.classes[0].removed, 1);  // bird
  EXPECT_EQ(back.classes[1].added, 1);    // cat
  EXPECT_EQ(back.classes[2].removed, 1);  // dog

  VersionDiff same = Ok(store().DiffVersions(v1.id, v1.id));
  EXPECT_EQ(same.unchanged, 3);
  EXPECT_EQ(same.added + same.removed + same.relabeled, 0);
  EXPECT_TRUE(same.classes.empty());
}

TEST_P(StoreConformanceTest, TheAuditLogPagesNewestFirstAndFiltersByProject) {
  User admin = AddUser("admin", Role::kAdmin);
  Project p = AddProject();
  for (int i = 0; i < 5; ++i) {
    AuditEntry e;
    e.at_ms = kT0 + i;
    e.user_id = admin.id;
    e.action = i % 2 == 0 ? "project.update" : "user.create";
    if (i % 2 == 0) e.project_id = p.id;
    e.target = "t" + std::to_string(i);
    e.details_json = i == 0 ? "" : R"({"i":)" + std::to_string(i) + "}";
    Ok(store().AppendAudit(e));
  }
  AuditPage first = Ok(store().ListAudit({.limit = 2}));
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].target, "t4");
  EXPECT_EQ(first.items[1].target, "t3");
  EXPECT_EQ(first.items[0].username, "admin");
  EXPECT_EQ(first.items[0].at_ms, kT0 + 4);
  EXPECT_EQ(first.items[0].details_json, R"({"i":4})");
  EXPECT_EQ(first.items[1].project_id, std::nullopt);
  ASSERT_TRUE(first.next_before_id);
  AuditPage second = Ok(store().ListAudit({.limit = 2, .before_id = first.next_before_id}));
  ASSERT_EQ(second.items.size(), 2u);
  EXPECT_EQ(second.items[0].target, "t2");
  AuditPage last = Ok(store().ListAudit({.limit = 2, .before_id = second.next_before_id}));
  ASSERT_EQ(last.items.size(), 1u);
  EXPECT_EQ(last.items[0].details_json, "{}");
  EXPECT_FALSE(last.next_before_id);

  AuditPage of_project = Ok(store().ListAudit({.project_id = p.id, .limit = 100}));
  ASSERT_EQ(of_project.items.size(), 3u);
  for (const AuditEntry& e : of_project.items) EXPECT_EQ(e.action, "project.update");

  EXPECT_EQ(Ok(store().ListAudit({.projects_only = true, .limit = 100})).items.size(), 3u);
  EXPECT_EQ(store().ListAudit({.limit = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store().AppendAudit({.user_id = admin.id, .action = ""}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store()
                .AppendAudit({.user_id = admin.id, .action = "x", .details_json = "[1]"})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store().AppendAudit({.user_id = 9999, .action = "x"}).status().code(),
            StatusCode::kNotFound);
  // A deleted project's entries stay.
  Ok(store().DeleteProject(p.id));
  EXPECT_EQ(Ok(store().ListAudit({.project_id = p.id, .limit = 100})).items.size(), 3u);
}

}  // namespace
}  // namespace plumb::store
