#include "store/sqlite/bakeoffs_sql.h"

#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/sqlite/queries.h"

namespace plumb::store::sqlite {
namespace {

Result<std::vector<BakeoffCandidate>> CandidatesWhere(Connection& c, std::string_view where,
                                                      int64_t arg) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_CANDIDATE_COLS
                                                " FROM bakeoff_candidates c JOIN bakeoffs b"
                                                " ON b.id = c.bakeoff_id WHERE " +
                                                std::string(where) + " ORDER BY c.id"));
  s.Bind(arg);
  return ReadAll<BakeoffCandidate>(s, [](const Statement& r) { return ReadCandidate(r, 0); });
}

Result<BakeoffCandidate> LoadCandidate(Connection& c, int64_t candidate_id) {
  PLUMB_ASSIGN_OR_RETURN(auto found, CandidatesWhere(c, "c.id = ?", candidate_id));
  if (found.empty()) {
    return Status::NotFound("candidate " + std::to_string(candidate_id) + " not found");
  }
  return found.front();
}

}  // namespace

Result<GoldenSet> CreateGoldenSet(Connection& c, int64_t project_id, std::string_view name,
                                  std::string_view note, const std::vector<int64_t>& task_ids,
                                  int64_t user_id, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckNewGoldenSet(name, task_ids));
  PLUMB_RETURN_IF_ERROR(LoadSettings(c, project_id).status());
  PLUMB_ASSIGN_OR_RETURN(int64_t user,
                         QueryInt(c, "SELECT COUNT(*) FROM users WHERE id = ?", user_id));
  if (user == 0) return Status::NotFound("user " + std::to_string(user_id) + " not found");
  std::vector<int64_t> ids = task_ids;
  if (ids.empty()) {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT t.id FROM tasks t INDEXED BY tasks_golden"
                                     " WHERE t.project_id = ? AND t.golden = 1 ORDER BY t.id"));
    s.Bind(project_id);
    PLUMB_ASSIGN_OR_RETURN(ids, ReadAll<int64_t>(s, [](const Statement& r) { return r.Int(0); }));
    if (ids.empty()) {
      return Status::InvalidArgument("the project has no golden tasks", "task_ids");
    }
  } else {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM tasks t JOIN golden_answers a"
                                                  " ON a.task_id = t.id"
                                                  " WHERE t.id = ? AND t.project_id = ?"));
    for (size_t i = 0; i < ids.size(); ++i) {
      s.BindAll(ids[i], project_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      s.Reset();
      if (!row) {
        return Status::InvalidArgument(
            "task " + std::to_string(ids[i]) + " is not a golden task of the project",
            "task_ids[" + std::to_string(i) + "]");
      }
    }
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement insert,
      c.Prepare("INSERT INTO golden_sets (project_id, name, version, note, tasks, created_by,"
                " created_at) VALUES (?1, ?2, (SELECT COALESCE(MAX(version), 0) + 1"
                " FROM golden_sets WHERE project_id = ?1 AND name = ?2), ?3, ?4, ?5, ?6)"
                " RETURNING id"));
  insert.BindAll(project_id, name, note, static_cast<int64_t>(ids.size()), user_id, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, insert.Step());
  if (!row) return Status::Internal("golden set insert returned no id");
  const int64_t set_id = insert.Int(0);
  insert.Reset();
  PLUMB_ASSIGN_OR_RETURN(Statement copy,
                         c.Prepare("INSERT INTO golden_set_tasks (golden_set_id, task_id, result,"
                                   " media) SELECT ?1, task_id, result, media FROM golden_answers"
                                   " WHERE task_id = ?2"));
  for (int64_t id : ids) {
    PLUMB_RETURN_IF_ERROR(copy.BindAll(set_id, id).Run());
    copy.Reset();
  }
  return GetGoldenSet(c, set_id);
}

Result<bool> IsBakeoffLabeler(Connection& c, int64_t project_id, int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare(
          "SELECT EXISTS (SELECT 1 FROM bakeoffs b JOIN bakeoff_candidates c ON c.bakeoff_id = b.id"
          " AND c.kind = 0 JOIN workforce_members m ON m.workforce_id = c.workforce_id"
          " AND m.user_id = ?2 WHERE b.project_id = ?1 AND b.closed = 0)"));
  s.BindAll(project_id, user_id);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  return row && s.Int(0) != 0;
}

Result<std::vector<GoldenSet>> ListGoldenSets(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT " PLUMB_GOLDEN_SET_COLS " FROM golden_sets g JOIN users u"
                             " ON u.id = g.created_by WHERE g.project_id = ?"
                             " ORDER BY g.id DESC"));
  s.Bind(project_id);
  return ReadAll<GoldenSet>(s, [](const Statement& r) { return ReadGoldenSet(r, 0); });
}

Result<GoldenSet> GetGoldenSet(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("SELECT " PLUMB_GOLDEN_SET_COLS " FROM golden_sets g JOIN users u"
                             " ON u.id = g.created_by WHERE g.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto found,
                         QueryOptional(s, [](const Statement& r) { return ReadGoldenSet(r, 0); }));
  if (!found) return Status::NotFound("golden set " + std::to_string(id) + " not found");
  return *found;
}

Result<std::vector<GoldenSetItem>> ListGoldenSetItems(Connection& c, int64_t golden_set_id) {
  PLUMB_RETURN_IF_ERROR(GetGoldenSet(c, golden_set_id).status());
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT g.task_id, t.data, g.result, g.media"
                                   " FROM golden_set_tasks g JOIN tasks t ON t.id = g.task_id"
                                   " WHERE g.golden_set_id = ? ORDER BY g.task_id"));
  s.Bind(golden_set_id);
  return ReadAll<GoldenSetItem>(s, [](const Statement& r) {
    return GoldenSetItem{r.Int(0), r.Text(1), GoldenAnswer{r.Text(2), r.Text(3)}};
  });
}

Result<Bakeoff> CreateBakeoff(Connection& c, const Bakeoff& b, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckNewBakeoff(b));
  PLUMB_RETURN_IF_ERROR(LoadSettings(c, b.project_id).status());
  PLUMB_ASSIGN_OR_RETURN(GoldenSet set, GetGoldenSet(c, b.golden_set_id));
  if (set.project_id != b.project_id) {
    return Status::InvalidArgument(
        "golden set " + std::to_string(set.id) + " belongs to another project", "golden_set_id");
  }
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO bakeoffs (project_id, name, golden_set_id, instructions_version,"
                " closed, w_accuracy, w_speed, w_cost, created_by, created_at)"
                " VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, ?) RETURNING id"));
  s.BindAll(b.project_id, b.name, b.golden_set_id, b.instructions_version, b.weights.accuracy,
            b.weights.speed, b.weights.cost, b.created_by, now_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("bake-off insert returned no id");
  const int64_t id = s.Int(0);
  s.Reset();
  PLUMB_ASSIGN_OR_RETURN(
      Statement insert,
      c.Prepare("INSERT INTO bakeoff_candidates (bakeoff_id, name, kind, workforce_id, format,"
                " pricing_model, rate, currency, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  PLUMB_ASSIGN_OR_RETURN(Statement workforce, c.Prepare("SELECT 1 FROM workforces WHERE id = ?"));
  for (const BakeoffCandidate& k : b.candidates) {
    if (k.workforce_id) {
      workforce.Bind(*k.workforce_id);
      PLUMB_ASSIGN_OR_RETURN(bool found, workforce.Step());
      workforce.Reset();
      if (!found) {
        return Status::NotFound("workforce " + std::to_string(*k.workforce_id) + " not found");
      }
    }
    std::optional<int64_t> sent;
    if (k.kind == CandidateKind::kWorkforce) sent = now_ms;
    PLUMB_RETURN_IF_ERROR(insert
                              .BindAll(id, k.name, k.kind, k.workforce_id, k.format,
                                       k.pricing_model, ScoreText(k.rate), k.currency, sent)
                              .Run());
    insert.Reset();
  }
  return GetBakeoff(c, id);
}

Result<Bakeoff> GetBakeoff(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_BAKEOFF_COLS " FROM bakeoffs b JOIN users u"
                                   " ON u.id = b.created_by WHERE b.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto found,
                         QueryOptional(s, [](const Statement& r) { return ReadBakeoff(r, 0); }));
  if (!found) return Status::NotFound("bake-off " + std::to_string(id) + " not found");
  std::vector<Bakeoff> one{std::move(*found)};
  PLUMB_ASSIGN_OR_RETURN(auto candidates, CandidatesWhere(c, "b.id = ?", id));
  AttachCandidates(one, std::move(candidates));
  return std::move(one.front());
}

Result<std::vector<Bakeoff>> ListBakeoffs(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_BAKEOFF_COLS " FROM bakeoffs b JOIN users u"
                                   " ON u.id = b.created_by WHERE b.project_id = ?"
                                   " ORDER BY b.id DESC"));
  s.Bind(project_id);
  PLUMB_ASSIGN_OR_RETURN(auto bakeoffs,
                         ReadAll<Bakeoff>(s, [](const Statement& r) { return ReadBakeoff(r, 0); }));
  PLUMB_ASSIGN_OR_RETURN(auto candidates, CandidatesWhere(c, "b.project_id = ?", project_id));
  AttachCandidates(bakeoffs, std::move(candidates));
  return bakeoffs;
}

Result<Bakeoff> UpdateBakeoff(Connection& c, int64_t id,
                              const std::optional<BakeoffWeights>& weights, bool close,
                              int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(Bakeoff b, GetBakeoff(c, id));
  if (weights) {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("UPDATE bakeoffs SET w_accuracy = ?, w_speed = ?, w_cost = ? WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(weights->accuracy, weights->speed, weights->cost, id).Run());
  }
  if (close && !b.closed) {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("UPDATE bakeoffs SET closed = 1, closed_at = ? WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(now_ms, id).Run());
  }
  return GetBakeoff(c, id);
}

Status MarkCandidateSent(Connection& c, int64_t candidate_id, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(LoadCandidate(c, candidate_id).status());
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE bakeoff_candidates SET sent_at = ?"
                                                " WHERE id = ? AND sent_at IS NULL"));
  return s.BindAll(now_ms, candidate_id).Run();
}

Status ReplaceVendorLabels(Connection& c, int64_t candidate_id,
                           const std::vector<BakeoffLabel>& labels, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckVendorLabels(labels));
  PLUMB_ASSIGN_OR_RETURN(BakeoffCandidate candidate, LoadCandidate(c, candidate_id));
  PLUMB_ASSIGN_OR_RETURN(Bakeoff bakeoff, GetBakeoff(c, candidate.bakeoff_id));
  if (candidate.kind != CandidateKind::kVendor) {
    return Status::Conflict("candidate " + candidate.name + " labels in Plumb, not from a file");
  }
  if (bakeoff.closed) return Status::Conflict("the bake-off is closed");
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("DELETE FROM bakeoff_labels WHERE candidate_id = ?"));
    PLUMB_RETURN_IF_ERROR(s.Bind(candidate_id).Run());
  }
  PLUMB_ASSIGN_OR_RETURN(Statement in_set,
                         c.Prepare("SELECT 1 FROM golden_set_tasks WHERE golden_set_id = ?"
                                   " AND task_id = ?"));
  PLUMB_ASSIGN_OR_RETURN(
      Statement insert,
      c.Prepare("INSERT INTO bakeoff_labels (candidate_id, task_id, user_id, revision_id, result,"
                " media, lead_time_ms, created_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?)"));
  for (size_t i = 0; i < labels.size(); ++i) {
    const BakeoffLabel& l = labels[i];
    in_set.BindAll(bakeoff.golden_set_id, l.task_id);
    PLUMB_ASSIGN_OR_RETURN(bool found, in_set.Step());
    in_set.Reset();
    if (!found) {
      return Status::InvalidArgument(
          "task " + std::to_string(l.task_id) + " is not in the bake-off's golden set",
          "[" + std::to_string(i) + "].task_id");
    }
    PLUMB_RETURN_IF_ERROR(insert
                              .BindAll(candidate_id, l.task_id, l.user_id, l.result_json,
                                       UnlessEmpty(l.media_json), l.lead_time_ms, now_ms)
                              .Run());
    insert.Reset();
  }
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("UPDATE bakeoff_candidates SET returned_at = ?1,"
                                                " sent_at = COALESCE(sent_at, ?1) WHERE id = ?2"));
  return s.BindAll(now_ms, candidate_id).Run();
}

Result<std::vector<BakeoffLabel>> ListBakeoffLabels(Connection& c, int64_t bakeoff_id) {
  PLUMB_RETURN_IF_ERROR(GetBakeoff(c, bakeoff_id).status());
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("SELECT " PLUMB_BAKEOFF_LABEL_COLS
                                   " FROM bakeoff_candidates c JOIN bakeoff_labels l"
                                   " ON l.candidate_id = c.id"
                                   " LEFT JOIN revisions r ON r.id = l.revision_id"
                                   " WHERE c.bakeoff_id = ? ORDER BY l.candidate_id, l.task_id"));
  s.Bind(bakeoff_id);
  return ReadAll<BakeoffLabel>(s, [](const Statement& r) { return ReadBakeoffLabel(r, 0); });
}

Status RecordBakeoffLabel(Connection& c, int64_t task_id, int64_t user_id, int64_t revision_id,
                          const NewRevision& rev, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT OR IGNORE INTO bakeoff_labels (candidate_id, task_id, user_id,"
                " revision_id, result, media, lead_time_ms, created_at)"
                " SELECT x.candidate_id, x.task_id, x.user_id, ?3, ?4, ?5, ?6, ?7"
                " FROM bakeoff_assignments x JOIN bakeoff_candidates c ON c.id = x.candidate_id"
                " JOIN bakeoffs b ON b.id = c.bakeoff_id AND b.closed = 0"
                " WHERE x.task_id = ?1 AND x.user_id = ?2"));
  return s
      .BindAll(task_id, user_id, revision_id, rev.result_json, UnlessEmpty(rev.media_json),
               rev.lead_time_ms, now_ms)
      .Run();
}

}  // namespace plumb::store::sqlite
