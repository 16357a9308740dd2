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

#define PLUMB_VERSION_COLS                                                          \
  "v.id, v.project_id, v.name, v.note, v.hash, v.tasks, v.created_by, u.username, " \
  "v.created_at"

namespace plumb::store::postgres {
namespace {

// Labels per fetch: a batch's COPY buffers stay a few MB.
constexpr int kSnapshotFetchRows = 10000;
constexpr int kLabelBatch = kExportBatch;

DatasetVersion ReadVersion(const PgRow& r) {
  DatasetVersion v;
  v.id = r.Int(0);
  v.project_id = r.Int(1);
  v.name = r.Text(2);
  v.note = r.Text(3);
  v.hash = r.Text(4);
  v.tasks = r.Int(5);
  v.created_by = r.Int(6);
  v.created_by_name = r.Text(7);
  v.created_at_ms = r.Int(8);
  return v;
}

Result<DatasetVersion> VersionById(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                             " JOIN users u ON u.id = v.created_by"
                                             " WHERE v.id = $1",
                                             id));
  if (r.empty()) return Status::NotFound("dataset version " + std::to_string(id) + " not found");
  return ReadVersion(r.front());
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
      if (stored.IsNew(label.hash)) {
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
  PLUMB_RETURN_IF_ERROR(c.Exec("CLOSE plumb_labels"));
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
    return ReadAll<DatasetVersion>(r, ReadVersion);
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
    return ReadVersion(r.front());
  });
}

Status PgStore::ForEachVersionLabel(int64_t version_id,
                                    const std::function<Status(const VersionLabel&)>& fn) {
  return Transact(
      Mode::kSnapshot,
      [&](PgConnection& c) -> Status {
        PLUMB_RETURN_IF_ERROR(VersionById(c, version_id).status());
        int64_t after_id = 0;
        while (true) {
          PLUMB_ASSIGN_OR_RETURN(
              PgResult r,
              c.Query("SELECT l.task_id, l.label_hash, t.data, b.result, b.media, b.method"
                      " FROM dataset_version_labels l"
                      " JOIN label_blobs b ON b.hash = l.label_hash"
                      " JOIN tasks t ON t.id = l.task_id"
                      " WHERE l.version_id = $1 AND l.task_id > $2 ORDER BY l.task_id LIMIT $3",
                      version_id, after_id, kLabelBatch));
          for (int i = 0; i < r.rows(); ++i) {
            PgRow row = r.row(i);
            PLUMB_RETURN_IF_ERROR(fn(VersionLabel{row.Int(0), row.Text(1), row.Json(2), row.Text(3),
                                                  row.Text(4), row.Text(5)}));
          }
          if (r.rows() < kLabelBatch) return Status::Ok();
          after_id = r.row(r.rows() - 1).Int(0);
        }
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
        c.Query("SELECT a.id, a.at, a.user_id, u.username, a.action, a.project_id, a.target,"
                " a.details FROM audit_log a JOIN users u ON u.id = a.user_id"
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
      PgRow row = r.row(i);
      AuditEntry e;
      e.id = row.Int(0);
      e.at_ms = row.Int(1);
      e.user_id = row.Int(2);
      e.username = row.Text(3);
      e.action = row.Text(4);
      e.project_id = row.OptionalInt(5);
      e.target = row.Text(6);
      e.details_json = row.Text(7);
      page.items.push_back(std::move(e));
    }
    return page;
  });
}

}  // namespace plumb::store::postgres
