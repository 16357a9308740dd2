// Dataset versions and the audit log on PostgreSQL (docs/datasets.md).
//
// A snapshot reads the project's final labels through a cursor in task id
// order and, per fetched batch, hashes them in C++, copies the batch's new
// blobs into a temporary table (inserted with ON CONFLICT DO NOTHING, so
// blobs shared with earlier versions or with a concurrent snapshot are kept
// once) and its (task, label hash) rows straight into dataset_version_labels:
// COPY throughout, no statement per label.

#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/postgres/pg_store.h"

namespace plumb::store::postgres {
namespace {

// Labels per fetch: a batch's COPY buffers stay a few MB.
constexpr int kSnapshotFetchRows = 10000;
constexpr int kLabelBatch = kExportBatch;

Result<DatasetVersion> VersionById(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                             " JOIN users u ON u.id = v.created_by"
                                             " WHERE v.id = $1",
                                             id));
  if (r.empty()) return Status::NotFound("dataset version " + std::to_string(id) + " not found");
  return ReadVersion(r.front(), 0);
}

Status CopyRows(PgConnection& c, std::string_view copy_sql, const std::string& rows) {
  if (rows.empty()) return Status::Ok();
  PLUMB_RETURN_IF_ERROR(c.CopyStart(copy_sql));
  Status put = c.CopyPut(rows);
  if (!put.ok()) {
    c.CopyAbort();
    return put;
  }
  return c.CopyEnd();
}

Result<DatasetVersion> Snapshot(PgConnection& c, int64_t project_id, std::string_view name,
                                std::string_view note, int64_t user_id, int64_t now_ms) {
  // Rule 2: the project cannot be deleted under the snapshot.
  PLUMB_ASSIGN_OR_RETURN(
      PgResult project,
      c.Query("SELECT 1 FROM projects WHERE id = $1 AND deleted = 0 FOR KEY SHARE", project_id));
  if (project.empty())
    return Status::NotFound("project " + std::to_string(project_id) + " not found");
  PLUMB_ASSIGN_OR_RETURN(PgResult user, c.Query("SELECT 1 FROM users WHERE id = $1", user_id));
  if (user.empty()) return Status::NotFound("user " + std::to_string(user_id) + " not found");
  auto inserted = c.Query(
      "INSERT INTO dataset_versions (project_id, name, note, hash, tasks, created_by, created_at)"
      " VALUES ($1, $2, $3, '', 0, $4, $5) RETURNING id",
      project_id, name, note, user_id, now_ms);
  if (!inserted.ok()) {
    if (c.last_sqlstate() == kUniqueViolation) {
      return Status::AlreadyExists("the project has a version named '" + std::string(name) + "'",
                                   "name");
    }
    return inserted.status();
  }
  const int64_t version_id = inserted->front().Int(0);
  PLUMB_RETURN_IF_ERROR(
      c.Exec("CREATE TEMP TABLE plumb_new_blobs (hash text, result text, media text,"
             " method text) ON COMMIT DROP"));
  // project_id is an integer: pasted, since a cursor's query takes no parameters.
  PLUMB_RETURN_IF_ERROR(
      c.Exec("DECLARE plumb_labels NO SCROLL CURSOR FOR SELECT f.task_id, f.result, f.media,"
             " f.method FROM tasks t JOIN final_labels f ON f.task_id = t.id"
             " WHERE t.project_id = " +
             std::to_string(project_id) + " ORDER BY t.id"));
  // The project's previous version, read alongside in task order: a task
  // whose label it already has needs no blob sent (blobs are never deleted
  // while a version names them), which is most of a new version.
  PLUMB_RETURN_IF_ERROR(
      c.Exec("DECLARE plumb_previous NO SCROLL CURSOR FOR SELECT task_id, label_hash"
             " FROM dataset_version_labels WHERE version_id = (SELECT max(id) FROM"
             " dataset_versions WHERE project_id = " +
             std::to_string(project_id) + " AND id < " + std::to_string(version_id) +
             ") ORDER BY task_id"));
  std::optional<PgResult> previous;
  int previous_at = 0;
  bool previous_done = false;
  // Whether the previous version gave `task_id` the label `hash`.
  auto shared_before = [&](int64_t task_id, const std::string& hash) -> Result<bool> {
    while (!previous_done) {
      if (!previous || previous_at >= previous->rows()) {
        PLUMB_ASSIGN_OR_RETURN(previous, c.Query("FETCH " + std::to_string(kSnapshotFetchRows) +
                                                 " FROM plumb_previous"));
        previous_at = 0;
        if (previous->rows() == 0) {
          previous_done = true;
          break;
        }
      }
      PgRow row = previous->row(previous_at);
      if (row.Int(0) > task_id) return false;
      if (row.Int(0) == task_id) return row.View(1) == hash;
      ++previous_at;
    }
    return false;
  };
  VersionHasher hasher;
  int64_t count = 0;
  std::string blobs, members;
  SnapshotBlobs stored;
  const std::string version_prefix = std::to_string(version_id) + "\t";
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(PgResult rows, c.Query("FETCH " + std::to_string(kSnapshotFetchRows) +
                                                  " FROM plumb_labels"));
    if (rows.empty()) break;
    blobs.clear();
    members.clear();
    for (int i = 0; i < rows.rows(); ++i) {
      PgRow r = rows.row(i);
      const int64_t task_id = r.Int(0);
      PLUMB_ASSIGN_OR_RETURN(CanonicalLabel label,
                             CanonicalizeLabel(task_id, r.View(1), r.View(2), r.View(3)));
      PLUMB_ASSIGN_OR_RETURN(bool shared, shared_before(task_id, label.hash));
      if (!shared && stored.IsNew(label.hash)) {
        blobs += label.hash;
        blobs += '\t';
        AppendCopyField(blobs, label.result_json);
        blobs += '\t';
        if (label.media_json.empty()) {
          blobs += "\\N";
        } else {
          AppendCopyField(blobs, label.media_json);
        }
        blobs += '\t';
        AppendCopyField(blobs, label.method);
        blobs += '\n';
      }
      members += version_prefix;
      members += std::to_string(task_id);
      members += '\t';
      members += label.hash;
      members += '\n';
      hasher.Add(task_id, label.hash);
      ++count;
    }
    PLUMB_RETURN_IF_ERROR(
        CopyRows(c, "COPY plumb_new_blobs (hash, result, media, method) FROM STDIN", blobs));
    PLUMB_RETURN_IF_ERROR(
        c.Exec("INSERT INTO label_blobs (hash, result, media, method)"
               " SELECT hash, result, media, method FROM plumb_new_blobs ON CONFLICT DO NOTHING;"
               " TRUNCATE plumb_new_blobs"));
    PLUMB_RETURN_IF_ERROR(CopyRows(
        c, "COPY dataset_version_labels (version_id, task_id, label_hash) FROM STDIN", members));
    if (rows.rows() < kSnapshotFetchRows) break;
  }
  PLUMB_RETURN_IF_ERROR(c.Exec("CLOSE plumb_labels; CLOSE plumb_previous"));
  PLUMB_RETURN_IF_ERROR(c.Query("UPDATE dataset_versions SET hash = $1, tasks = $2 WHERE id = $3",
                                hasher.Finish(), count, version_id)
                            .status());
  return VersionById(c, version_id);
}

}  // namespace

Result<DatasetVersion> PgStore::CreateDatasetVersion(int64_t project_id, std::string_view name,
                                                     std::string_view note, int64_t user_id,
                                                     int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckVersionName(name));
  return Transact(Mode::kWrite, [&](PgConnection& c) {
    return Snapshot(c, project_id, name, note, user_id, now_ms);
  });
}

Result<std::vector<DatasetVersion>> PgStore::ListDatasetVersions(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<DatasetVersion>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                   " JOIN users u ON u.id = v.created_by"
                                   " WHERE v.project_id = $1 ORDER BY v.id DESC",
                                   project_id));
    return ReadAll<DatasetVersion>(r, [](const PgRow& row) { return ReadVersion(row, 0); });
  });
}

Result<DatasetVersion> PgStore::GetDatasetVersion(int64_t project_id, std::string_view name) {
  return Read([&](PgConnection& c) -> Result<DatasetVersion> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                   " JOIN users u ON u.id = v.created_by"
                                   " WHERE v.project_id = $1 AND v.name = $2",
                                   project_id, name));
    if (r.empty()) return Status::NotFound("no version named '" + std::string(name) + "'", "name");
    return ReadVersion(r.front(), 0);
  });
}

Status PgStore::ForEachVersionLabel(int64_t version_id,
                                    const std::function<Status(const VersionLabel&)>& fn) {
  return Transact(
      Mode::kSnapshot,
      [&](PgConnection& c) -> Status {
        PLUMB_RETURN_IF_ERROR(VersionById(c, version_id).status());
        // One cursor, so one plan for the whole version: a keyset page per
        // query let the planner pick a scan of every task for each page
        // when few labels are distinct (165 s for 1,000,000 labels).
        // version_id is an integer: pasted, since a cursor's query takes no
        // parameters.
        PLUMB_RETURN_IF_ERROR(
            c.Exec("DECLARE plumb_version NO SCROLL CURSOR FOR"
                   " SELECT l.task_id, l.label_hash, t.data, b.result, b.media, b.method"
                   " FROM dataset_version_labels l"
                   " JOIN label_blobs b ON b.hash = l.label_hash"
                   " JOIN tasks t ON t.id = l.task_id"
                   " WHERE l.version_id = " +
                   std::to_string(version_id) + " ORDER BY l.task_id"));
        while (true) {
          PLUMB_ASSIGN_OR_RETURN(
              PgResult r, c.Query("FETCH " + std::to_string(kLabelBatch) + " FROM plumb_version"));
          for (int i = 0; i < r.rows(); ++i) {
            PgRow row = r.row(i);
            PLUMB_RETURN_IF_ERROR(fn(VersionLabel{row.Int(0), row.Text(1), row.Json(2), row.Text(3),
                                                  row.Text(4), row.Text(5)}));
          }
          if (r.rows() < kLabelBatch) break;
        }
        return c.Exec("CLOSE plumb_version");
      },
      Rerun::kNever);
}

Result<VersionDiff> PgStore::DiffVersions(int64_t from_id, int64_t to_id) {
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<VersionDiff> {
    PLUMB_ASSIGN_OR_RETURN(DatasetVersion from, VersionById(c, from_id));
    PLUMB_RETURN_IF_ERROR(VersionById(c, to_id).status());
    // Ids are integers: pasted, since a cursor's query takes no parameters.
    PLUMB_RETURN_IF_ERROR(
        c.Exec("DECLARE plumb_diff NO SCROLL CURSOR FOR"
               " SELECT COALESCE(a.task_id, b.task_id), la.result, lb.result FROM"
               " (SELECT task_id, label_hash FROM dataset_version_labels WHERE version_id = " +
               std::to_string(from_id) +
               ") a FULL JOIN"
               " (SELECT task_id, label_hash FROM dataset_version_labels WHERE version_id = " +
               std::to_string(to_id) +
               ") b ON a.task_id = b.task_id"
               " LEFT JOIN label_blobs la ON la.hash = a.label_hash"
               " LEFT JOIN label_blobs lb ON lb.hash = b.label_hash"
               " WHERE a.label_hash IS DISTINCT FROM b.label_hash ORDER BY 1"));
    VersionDiffBuilder builder;
    while (true) {
      PLUMB_ASSIGN_OR_RETURN(
          PgResult r, c.Query("FETCH " + std::to_string(kSnapshotFetchRows) + " FROM plumb_diff"));
      for (int i = 0; i < r.rows(); ++i) {
        PgRow row = r.row(i);
        std::optional<std::string> a, b;
        if (!row.IsNull(1)) a = row.Text(1);
        if (!row.IsNull(2)) b = row.Text(2);
        builder.AddChange(row.Int(0), a, b);
      }
      if (r.rows() < kSnapshotFetchRows) break;
    }
    PLUMB_RETURN_IF_ERROR(c.Exec("CLOSE plumb_diff"));
    return builder.Finish(from.tasks);
  });
}

Result<int64_t> PgStore::AppendAudit(const AuditEntry& entry) {
  PLUMB_ASSIGN_OR_RETURN(std::string details, CheckAuditEntry(entry));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<int64_t> {
    PLUMB_ASSIGN_OR_RETURN(PgResult user,
                           c.Query("SELECT 1 FROM users WHERE id = $1", entry.user_id));
    if (user.empty())
      return Status::NotFound("user " + std::to_string(entry.user_id) + " not found");
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO audit_log (at, user_id, action, project_id, target, details)"
                " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                entry.at_ms, entry.user_id, entry.action, entry.project_id, entry.target, details));
    return r.front().Int(0);
  });
}

Result<AuditPage> PgStore::ListAudit(const AuditQuery& query) {
  PLUMB_RETURN_IF_ERROR(CheckAuditQuery(query));
  return Read([&](PgConnection& c) -> Result<AuditPage> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT " PLUMB_AUDIT_COLS " FROM audit_log a JOIN users u ON u.id = a.user_id"
                " WHERE ($1::bigint IS NULL OR a.project_id = $1) AND a.id < $2"
                " AND ($4 = 0 OR a.project_id IS NOT NULL)"
                " ORDER BY a.id DESC LIMIT $3",
                query.project_id, query.before_id.value_or(INT64_MAX), query.limit + 1,
                query.projects_only ? 1 : 0));
    AuditPage page;
    for (int i = 0; i < r.rows(); ++i) {
      if (static_cast<int32_t>(page.items.size()) == query.limit) {
        page.next_before_id = page.items.back().id;
        break;
      }
      page.items.push_back(ReadAuditEntry(r.row(i), 0));
    }
    return page;
  });
}

}  // namespace plumb::store::postgres
