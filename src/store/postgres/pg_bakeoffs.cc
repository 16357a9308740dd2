// Golden sets and bake-offs on PostgreSQL (docs/bakeoffs.md). A golden set
// takes its version number under the project row's FOR UPDATE lock, so two
// sets of one name made at once get distinct versions; a vendor import
// locks its candidate row, so two imports of one candidate take turns.

#include <algorithm>
#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/postgres/pg_store.h"

namespace plumb::store::postgres {
namespace {

Result<std::vector<BakeoffCandidate>> CandidatesWhere(PgConnection& c, std::string_view where,
                                                      int64_t arg) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_CANDIDATE_COLS
                                             " FROM bakeoff_candidates c JOIN bakeoffs b"
                                             " ON b.id = c.bakeoff_id WHERE " +
                                                 std::string(where) + " ORDER BY c.id",
                                             arg));
  return ReadAll<BakeoffCandidate>(r, [](const PgRow& row) { return ReadCandidate(row, 0); });
}

Result<GoldenSet> GoldenSetById(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r,
                         c.Query("SELECT " PLUMB_GOLDEN_SET_COLS " FROM golden_sets g JOIN users u"
                                 " ON u.id = g.created_by WHERE g.id = $1",
                                 id));
  if (r.empty()) return Status::NotFound("golden set " + std::to_string(id) + " not found");
  return ReadGoldenSet(r.front(), 0);
}

Result<Bakeoff> BakeoffById(PgConnection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(PgResult r,
                         c.Query("SELECT " PLUMB_BAKEOFF_COLS " FROM bakeoffs b JOIN users u"
                                 " ON u.id = b.created_by WHERE b.id = $1",
                                 id));
  if (r.empty()) return Status::NotFound("bake-off " + std::to_string(id) + " not found");
  std::vector<Bakeoff> one{ReadBakeoff(r.front(), 0)};
  PLUMB_ASSIGN_OR_RETURN(auto candidates, CandidatesWhere(c, "b.id = $1", id));
  AttachCandidates(one, std::move(candidates));
  return std::move(one.front());
}

}  // namespace

Result<GoldenSet> PgStore::CreateGoldenSet(int64_t project_id, std::string_view name,
                                           std::string_view note,
                                           const std::vector<int64_t>& task_ids, int64_t user_id,
                                           int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckNewGoldenSet(name, task_ids));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<GoldenSet> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult project,
        c.Query("SELECT 1 FROM projects WHERE id = $1 AND deleted = 0 FOR UPDATE", project_id));
    if (project.empty()) {
      return Status::NotFound("project " + std::to_string(project_id) + " not found");
    }
    PLUMB_ASSIGN_OR_RETURN(PgResult user, c.Query("SELECT 1 FROM users WHERE id = $1", user_id));
    if (user.empty()) return Status::NotFound("user " + std::to_string(user_id) + " not found");
    std::vector<int64_t> ids = task_ids;
    if (ids.empty()) {
      PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT id FROM tasks WHERE project_id = $1"
                                                 " AND golden = 1 ORDER BY id",
                                                 project_id));
      for (int i = 0; i < r.rows(); ++i) ids.push_back(r.row(i).Int(0));
      if (ids.empty()) {
        return Status::InvalidArgument("the project has no golden tasks", "task_ids");
      }
    } else {
      for (size_t i = 0; i < ids.size(); ++i) {
        PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT 1 FROM tasks t JOIN golden_answers a"
                                                   " ON a.task_id = t.id"
                                                   " WHERE t.id = $1 AND t.project_id = $2",
                                                   ids[i], project_id));
        if (r.empty()) {
          return Status::InvalidArgument(
              "task " + std::to_string(ids[i]) + " is not a golden task of the project",
              "task_ids[" + std::to_string(i) + "]");
        }
      }
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult inserted,
        c.Query("INSERT INTO golden_sets (project_id, name, version, note, tasks, created_by,"
                " created_at) VALUES ($1, $2, (SELECT COALESCE(MAX(version), 0) + 1"
                " FROM golden_sets WHERE project_id = $1 AND name = $2), $3, $4, $5, $6)"
                " RETURNING id",
                project_id, name, note, static_cast<int64_t>(ids.size()), user_id, now_ms));
    const int64_t set_id = inserted.front().Int(0);
    PLUMB_RETURN_IF_ERROR(
        c.Query("INSERT INTO golden_set_tasks (golden_set_id, task_id, result, media)"
                " SELECT $1, task_id, result, media FROM golden_answers"
                " WHERE task_id = ANY($2::bigint[])",
                set_id, BigintArray(ids))
            .status());
    return GoldenSetById(c, set_id);
  });
}

Status PgStore::SetGoldenAnswers(int64_t project_id,
                                 const std::vector<std::pair<int64_t, GoldenAnswer>>& answers) {
  for (const auto& [task_id, answer] : answers) {
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer.result_json, "result"));
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(answer.media_json, "media"));
  }
  // Tasks are locked in id order, so two such imports cannot deadlock.
  std::vector<size_t> order(answers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return answers[a].first < answers[b].first; });
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    for (size_t i : order) {
      PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT 1 FROM tasks WHERE id = $1 AND"
                                                 " project_id = $2",
                                                 answers[i].first, project_id));
      if (r.empty()) {
        return Status::NotFound("task " + std::to_string(answers[i].first) + " not found",
                                "[" + std::to_string(i) + "].task_id");
      }
      PLUMB_RETURN_IF_ERROR(SetGoldenIn(c, answers[i].first, answers[i].second));
    }
    return Status::Ok();
  });
}

Result<std::vector<GoldenSet>> PgStore::ListGoldenSets(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<GoldenSet>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_GOLDEN_SET_COLS " FROM golden_sets g JOIN users u"
                            " ON u.id = g.created_by WHERE g.project_id = $1"
                            " ORDER BY g.id DESC",
                            project_id));
    return ReadAll<GoldenSet>(r, [](const PgRow& row) { return ReadGoldenSet(row, 0); });
  });
}

Result<GoldenSet> PgStore::GetGoldenSet(int64_t id) {
  return Read([&](PgConnection& c) { return GoldenSetById(c, id); });
}

Result<std::vector<GoldenSetItem>> PgStore::ListGoldenSetItems(int64_t golden_set_id) {
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<std::vector<GoldenSetItem>> {
    PLUMB_RETURN_IF_ERROR(GoldenSetById(c, golden_set_id).status());
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT g.task_id, t.data, g.result, g.media"
                                   " FROM golden_set_tasks g JOIN tasks t ON t.id = g.task_id"
                                   " WHERE g.golden_set_id = $1 ORDER BY g.task_id",
                                   golden_set_id));
    return ReadAll<GoldenSetItem>(r, [](const PgRow& row) {
      return GoldenSetItem{row.Int(0), row.Json(1), GoldenAnswer{row.Json(2), row.Json(3)}};
    });
  });
}

Result<Bakeoff> PgStore::CreateBakeoff(const Bakeoff& b, int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckNewBakeoff(b));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Bakeoff> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult project,
        c.Query("SELECT 1 FROM projects WHERE id = $1 AND deleted = 0 FOR KEY SHARE",
                b.project_id));
    if (project.empty()) {
      return Status::NotFound("project " + std::to_string(b.project_id) + " not found");
    }
    PLUMB_ASSIGN_OR_RETURN(GoldenSet set, GoldenSetById(c, b.golden_set_id));
    if (set.project_id != b.project_id) {
      return Status::InvalidArgument(
          "golden set " + std::to_string(set.id) + " belongs to another project", "golden_set_id");
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult inserted,
        c.Query("INSERT INTO bakeoffs (project_id, name, golden_set_id, instructions_version,"
                " closed, w_accuracy, w_speed, w_cost, created_by, created_at)"
                " VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9) RETURNING id",
                b.project_id, b.name, b.golden_set_id, b.instructions_version, b.weights.accuracy,
                b.weights.speed, b.weights.cost, b.created_by, now_ms));
    const int64_t id = inserted.front().Int(0);
    for (const BakeoffCandidate& k : b.candidates) {
      if (k.workforce_id) {
        PLUMB_ASSIGN_OR_RETURN(PgResult w,
                               c.Query("SELECT 1 FROM workforces WHERE id = $1", *k.workforce_id));
        if (w.empty()) {
          return Status::NotFound("workforce " + std::to_string(*k.workforce_id) + " not found");
        }
      }
      std::optional<int64_t> sent;
      if (k.kind == CandidateKind::kWorkforce) sent = now_ms;
      PLUMB_RETURN_IF_ERROR(
          c.Query("INSERT INTO bakeoff_candidates (bakeoff_id, name, kind, workforce_id, format,"
                  " pricing_model, rate, currency, sent_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                  id, k.name, k.kind, k.workforce_id, k.format, k.pricing_model, ScoreText(k.rate),
                  k.currency, sent)
              .status());
    }
    return BakeoffById(c, id);
  });
}

Result<Bakeoff> PgStore::GetBakeoff(int64_t id) {
  return Transact(Mode::kSnapshot, [&](PgConnection& c) { return BakeoffById(c, id); });
}

Result<std::vector<Bakeoff>> PgStore::ListBakeoffs(int64_t project_id) {
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<std::vector<Bakeoff>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_BAKEOFF_COLS " FROM bakeoffs b JOIN users u"
                                   " ON u.id = b.created_by WHERE b.project_id = $1"
                                   " ORDER BY b.id DESC",
                                   project_id));
    PLUMB_ASSIGN_OR_RETURN(
        auto bakeoffs, ReadAll<Bakeoff>(r, [](const PgRow& row) { return ReadBakeoff(row, 0); }));
    PLUMB_ASSIGN_OR_RETURN(auto candidates, CandidatesWhere(c, "b.project_id = $1", project_id));
    AttachCandidates(bakeoffs, std::move(candidates));
    return bakeoffs;
  });
}

Result<Bakeoff> PgStore::UpdateBakeoff(int64_t id, const std::optional<BakeoffWeights>& weights,
                                       bool close, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<Bakeoff> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT 1 FROM bakeoffs WHERE id = $1 FOR UPDATE", id));
    if (r.empty()) return Status::NotFound("bake-off " + std::to_string(id) + " not found");
    if (weights) {
      PLUMB_RETURN_IF_ERROR(
          c.Query("UPDATE bakeoffs SET w_accuracy = $1, w_speed = $2, w_cost = $3 WHERE id = $4",
                  weights->accuracy, weights->speed, weights->cost, id)
              .status());
    }
    if (close) {
      PLUMB_RETURN_IF_ERROR(c.Query("UPDATE bakeoffs SET closed = 1, closed_at = $1"
                                    " WHERE id = $2 AND closed = 0",
                                    now_ms, id)
                                .status());
    }
    return BakeoffById(c, id);
  });
}

Status PgStore::MarkCandidateSent(int64_t candidate_id, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("UPDATE bakeoff_candidates SET sent_at = COALESCE(sent_at, $1)"
                                   " WHERE id = $2 RETURNING id",
                                   now_ms, candidate_id));
    if (r.empty()) {
      return Status::NotFound("candidate " + std::to_string(candidate_id) + " not found");
    }
    return Status::Ok();
  });
}

Status PgStore::ReplaceVendorLabels(int64_t candidate_id, const std::vector<BakeoffLabel>& labels,
                                    int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(CheckVendorLabels(labels));
  for (const BakeoffLabel& l : labels) {
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(l.result_json, "result"));
    PLUMB_RETURN_IF_ERROR(CheckJsonbStorable(l.media_json, "media"));
  }
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("SELECT c.kind, c.name, b.closed, b.golden_set_id FROM bakeoff_candidates c"
                " JOIN bakeoffs b ON b.id = c.bakeoff_id WHERE c.id = $1 FOR UPDATE OF c",
                candidate_id));
    if (r.empty()) {
      return Status::NotFound("candidate " + std::to_string(candidate_id) + " not found");
    }
    if (static_cast<CandidateKind>(r.front().Int(0)) != CandidateKind::kVendor) {
      return Status::Conflict("candidate " + r.front().Text(1) +
                              " labels in Plumb, not from a file");
    }
    if (r.front().Int(2) != 0) return Status::Conflict("the bake-off is closed");
    const int64_t set_id = r.front().Int(3);
    PLUMB_RETURN_IF_ERROR(
        c.Query("DELETE FROM bakeoff_labels WHERE candidate_id = $1", candidate_id).status());
    for (size_t i = 0; i < labels.size(); ++i) {
      const BakeoffLabel& l = labels[i];
      PLUMB_ASSIGN_OR_RETURN(PgResult in_set,
                             c.Query("SELECT 1 FROM golden_set_tasks WHERE golden_set_id = $1"
                                     " AND task_id = $2",
                                     set_id, l.task_id));
      if (in_set.empty()) {
        return Status::InvalidArgument(
            "task " + std::to_string(l.task_id) + " is not in the bake-off's golden set",
            "[" + std::to_string(i) + "].task_id");
      }
      PLUMB_RETURN_IF_ERROR(
          c.Query("INSERT INTO bakeoff_labels (candidate_id, task_id, user_id, revision_id,"
                  " result, media, lead_time_ms, created_at)"
                  " VALUES ($1, $2, $3, NULL, $4::jsonb, $5::jsonb, $6, $7)",
                  candidate_id, l.task_id, l.user_id, l.result_json, UnlessEmpty(l.media_json),
                  l.lead_time_ms, now_ms)
              .status());
    }
    return c
        .Query(
            "UPDATE bakeoff_candidates SET returned_at = $1, sent_at = COALESCE(sent_at, $1)"
            " WHERE id = $2",
            now_ms, candidate_id)
        .status();
  });
}

Result<std::vector<BakeoffLabel>> PgStore::ListBakeoffLabels(int64_t bakeoff_id) {
  return Transact(Mode::kSnapshot, [&](PgConnection& c) -> Result<std::vector<BakeoffLabel>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult b, c.Query("SELECT 1 FROM bakeoffs WHERE id = $1", bakeoff_id));
    if (b.empty()) return Status::NotFound("bake-off " + std::to_string(bakeoff_id) + " not found");
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_BAKEOFF_LABEL_COLS
                                   " FROM bakeoff_candidates c JOIN bakeoff_labels l"
                                   " ON l.candidate_id = c.id"
                                   " LEFT JOIN revisions r ON r.id = l.revision_id"
                                   " WHERE c.bakeoff_id = $1 ORDER BY l.candidate_id, l.task_id",
                                   bakeoff_id));
    return ReadAll<BakeoffLabel>(r, [](const PgRow& row) { return ReadBakeoffLabel(row, 0); });
  });
}

Status RecordBakeoffLabel(PgConnection& c, int64_t task_id, const Revision& rev, int64_t now_ms) {
  return c
      .Query(
          "INSERT INTO bakeoff_labels (candidate_id, task_id, user_id, revision_id, result,"
          " media, lead_time_ms, created_at)"
          " SELECT x.candidate_id, x.task_id, x.user_id, $3, $4::jsonb, $5::jsonb, $6, $7"
          " FROM bakeoff_assignments x JOIN bakeoff_candidates c ON c.id = x.candidate_id"
          " JOIN bakeoffs b ON b.id = c.bakeoff_id AND b.closed = 0"
          " WHERE x.task_id = $1 AND x.user_id = $2 ON CONFLICT DO NOTHING",
          task_id, rev.user_id, rev.id, rev.result_json, UnlessEmpty(rev.media_json),
          rev.lead_time_ms, now_ms)
      .status();
}

}  // namespace plumb::store::postgres
