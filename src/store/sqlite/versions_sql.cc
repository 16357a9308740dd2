#include "store/sqlite/versions_sql.h"

#include <string>
#include <utility>

#include "store/backend_common.h"

namespace plumb::store::sqlite {
namespace {

// Labels per ForEachVersionLabel batch, as for exports.
constexpr int kLabelBatch = kExportBatch;

Result<DatasetVersion> VersionById(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                   " JOIN users u ON u.id = v.created_by"
                                   " WHERE v.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("dataset version " + std::to_string(id) + " not found");
  return ReadVersion(s, 0);
}

}  // namespace

Result<DatasetVersion> CreateDatasetVersion(Connection& c, int64_t project_id,
                                            std::string_view name, std::string_view note,
                                            int64_t user_id, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckVersionName(name));
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT 1 FROM projects WHERE id = ? AND deleted = 0"));
    s.Bind(project_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("project " + std::to_string(project_id) + " not found");
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM users WHERE id = ?"));
    s.Bind(user_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("user " + std::to_string(user_id) + " not found");
  }
  int64_t version_id = 0;
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("INSERT INTO dataset_versions (project_id, name, note, hash,"
                                     " tasks, created_by, created_at)"
                                     " VALUES (?, ?, ?, '', 0, ?, ?) RETURNING id"));
    s.BindAll(project_id, name, note, user_id, now_ms);
    auto row = s.Step();
    if (!row.ok()) {
      if (row.status().code() == StatusCode::kAlreadyExists) {
        return Status::AlreadyExists("the project has a version named '" + std::string(name) + "'",
                                     "name");
      }
      return row.status();
    }
    version_id = s.Int(0);
  }
  // One pass over the project's final labels in task id order; the blob and
  // membership statements stay prepared for the whole pass.
  PLUMB_ASSIGN_OR_RETURN(Statement labels,
                         c.Prepare("SELECT f.task_id, f.result, f.media, f.method"
                                   " FROM tasks t JOIN final_labels f ON f.task_id = t.id"
                                   " WHERE t.project_id = ? ORDER BY t.id"));
  PLUMB_ASSIGN_OR_RETURN(Statement blob,
                         c.Prepare("INSERT OR IGNORE INTO label_blobs (hash, result, media, method)"
                                   " VALUES (?, ?, ?, ?)"));
  PLUMB_ASSIGN_OR_RETURN(
      Statement member,
      c.Prepare("INSERT INTO dataset_version_labels (version_id, task_id, label_hash)"
                " VALUES (?, ?, ?)"));
  labels.Bind(project_id);
  // The project's previous version, read alongside in task order: a task
  // whose label it already has needs no blob written (blobs are never
  // deleted while a version names them), which is most of a new version.
  PLUMB_ASSIGN_OR_RETURN(Statement previous,
                         c.Prepare("SELECT l.task_id, l.label_hash FROM dataset_version_labels l"
                                   " WHERE l.version_id = (SELECT max(id) FROM dataset_versions"
                                   " WHERE project_id = ?1 AND id < ?2)"
                                   " ORDER BY l.task_id"));
  previous.BindAll(project_id, version_id);
  PLUMB_ASSIGN_OR_RETURN(bool previous_row, previous.Step());
  VersionHasher hasher;
  SnapshotBlobs stored;
  int64_t count = 0;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, labels.Step());
    if (!row) break;
    const int64_t task_id = labels.Int(0);
    PLUMB_ASSIGN_OR_RETURN(CanonicalLabel label, CanonicalizeLabel(task_id, labels.Text(1),
                                                                   labels.Text(2), labels.Text(3)));
    while (previous_row && previous.Int(0) < task_id) {
      PLUMB_ASSIGN_OR_RETURN(previous_row, previous.Step());
    }
    const bool shared =
        previous_row && previous.Int(0) == task_id && previous.Text(1) == label.hash;
    if (!shared && stored.IsNew(label.hash)) {
      blob.BindAll(label.hash, label.result_json, UnlessEmpty(label.media_json), label.method);
      PLUMB_RETURN_IF_ERROR(blob.Run());
      blob.Reset();
    }
    member.BindAll(version_id, task_id, label.hash);
    PLUMB_RETURN_IF_ERROR(member.Run());
    member.Reset();
    hasher.Add(task_id, label.hash);
    ++count;
  }
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s, c.Prepare("UPDATE dataset_versions SET hash = ?, tasks = ? WHERE id = ?"));
    s.BindAll(hasher.Finish(), count, version_id);
    PLUMB_RETURN_IF_ERROR(s.Run());
  }
  return VersionById(c, version_id);
}

Result<std::vector<DatasetVersion>> ListDatasetVersions(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                   " JOIN users u ON u.id = v.created_by"
                                   " WHERE v.project_id = ? ORDER BY v.id DESC"));
  s.Bind(project_id);
  std::vector<DatasetVersion> out;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadVersion(s, 0));
  }
}

Result<DatasetVersion> GetDatasetVersion(Connection& c, int64_t project_id, std::string_view name) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_VERSION_COLS " FROM dataset_versions v"
                                   " JOIN users u ON u.id = v.created_by"
                                   " WHERE v.project_id = ? AND v.name = ?"));
  s.BindAll(project_id, name);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::NotFound("no version named '" + std::string(name) + "'", "name");
  return ReadVersion(s, 0);
}

Status ForEachVersionLabel(Connection& c, int64_t version_id,
                           const std::function<Status(const VersionLabel&)>& fn) {
  PLUMB_RETURN_IF_ERROR(VersionById(c, version_id).status());
  int64_t after_id = 0;
  std::vector<VersionLabel> batch;
  while (true) {
    batch.clear();
    {
      PLUMB_ASSIGN_OR_RETURN(
          Statement s,
          c.Prepare("SELECT l.task_id, l.label_hash, t.data, b.result, b.media, b.method"
                    " FROM dataset_version_labels l"
                    " JOIN label_blobs b ON b.hash = l.label_hash"
                    " JOIN tasks t ON t.id = l.task_id"
                    " WHERE l.version_id = ? AND l.task_id > ? ORDER BY l.task_id LIMIT ?"));
      s.BindAll(version_id, after_id, kLabelBatch);
      while (true) {
        PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) break;
        batch.push_back(
            VersionLabel{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
      }
    }
    // The statement is reset before calling out, so `fn` may use the store.
    for (const VersionLabel& label : batch) PLUMB_RETURN_IF_ERROR(fn(label));
    if (static_cast<int>(batch.size()) < kLabelBatch) return Status::Ok();
    after_id = batch.back().task_id;
  }
}

Result<VersionDiff> DiffVersions(Connection& c, int64_t from_id, int64_t to_id) {
  PLUMB_ASSIGN_OR_RETURN(DatasetVersion from, VersionById(c, from_id));
  PLUMB_RETURN_IF_ERROR(VersionById(c, to_id).status());
  // A merge of the two versions' rows, both in task id order by the primary
  // key: SQLite plans a FULL JOIN of two subqueries as a nested loop.
  // Two texts, so that the statement cache hands out two statements.
  PLUMB_ASSIGN_OR_RETURN(Statement a,
                         c.Prepare("SELECT task_id, label_hash FROM dataset_version_labels"
                                   " WHERE version_id = ? ORDER BY task_id /* from */"));
  PLUMB_ASSIGN_OR_RETURN(Statement b,
                         c.Prepare("SELECT task_id, label_hash FROM dataset_version_labels"
                                   " WHERE version_id = ? ORDER BY task_id /* to */"));
  PLUMB_ASSIGN_OR_RETURN(Statement blob,
                         c.Prepare("SELECT result FROM label_blobs WHERE hash = ?"));
  a.Bind(from_id);
  b.Bind(to_id);
  auto result_of = [&](const std::string& hash) -> Result<std::string> {
    blob.Reset();
    blob.Bind(hash);
    PLUMB_ASSIGN_OR_RETURN(bool row, blob.Step());
    if (!row) return Status::Internal("label blob " + hash + " is missing");
    return blob.Text(0);
  };
  VersionDiffBuilder builder;
  PLUMB_ASSIGN_OR_RETURN(bool in_a, a.Step());
  PLUMB_ASSIGN_OR_RETURN(bool in_b, b.Step());
  while (in_a || in_b) {
    const int64_t ta = in_a ? a.Int(0) : INT64_MAX;
    const int64_t tb = in_b ? b.Int(0) : INT64_MAX;
    if (ta == tb) {
      const std::string ha = a.Text(1), hb = b.Text(1);
      if (ha != hb) {
        PLUMB_ASSIGN_OR_RETURN(std::string ra, result_of(ha));
        PLUMB_ASSIGN_OR_RETURN(std::string rb, result_of(hb));
        builder.AddChange(ta, ra, rb);
      }
      PLUMB_ASSIGN_OR_RETURN(in_a, a.Step());
      PLUMB_ASSIGN_OR_RETURN(in_b, b.Step());
    } else if (ta < tb) {
      PLUMB_ASSIGN_OR_RETURN(std::string ra, result_of(a.Text(1)));
      builder.AddChange(ta, ra, std::nullopt);
      PLUMB_ASSIGN_OR_RETURN(in_a, a.Step());
    } else {
      PLUMB_ASSIGN_OR_RETURN(std::string rb, result_of(b.Text(1)));
      builder.AddChange(tb, std::nullopt, rb);
      PLUMB_ASSIGN_OR_RETURN(in_b, b.Step());
    }
  }
  return builder.Finish(from.tasks);
}

Result<int64_t> AppendAudit(Connection& c, const AuditEntry& entry) {
  PLUMB_ASSIGN_OR_RETURN(std::string details, CheckAuditEntry(entry));
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM users WHERE id = ?"));
    s.Bind(entry.user_id);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::NotFound("user " + std::to_string(entry.user_id) + " not found");
  }
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("INSERT INTO audit_log (at, user_id, action, project_id,"
                                   " target, details) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(entry.at_ms, entry.user_id, entry.action, entry.project_id, entry.target, details);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("INSERT INTO audit_log returned no id");
  return s.Int(0);
}

Result<AuditPage> ListAudit(Connection& c, const AuditQuery& query) {
  PLUMB_RETURN_IF_ERROR(CheckAuditQuery(query));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_AUDIT_COLS " FROM audit_log a JOIN users u ON u.id = a.user_id"
                " WHERE (?1 IS NULL OR a.project_id = ?1) AND a.id < ?2"
                " AND (?4 = 0 OR a.project_id IS NOT NULL)"
                " ORDER BY a.id DESC LIMIT ?3"));
  s.BindAll(query.project_id, query.before_id.value_or(INT64_MAX), query.limit + 1,
            query.projects_only ? 1 : 0);
  AuditPage page;
  while (true) {
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return page;
    if (static_cast<int32_t>(page.items.size()) == query.limit) {
      page.next_before_id = page.items.back().id;
      return page;
    }
    page.items.push_back(ReadAuditEntry(s, 0));
  }
}

}  // namespace plumb::store::sqlite
