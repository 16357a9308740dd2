// Training and qualification on PostgreSQL (docs/training.md). A test answer
// locks its attempt row FOR UPDATE, so two answers of one attempt take turns
// and exactly one of them finishes it; the partial unique index
// qualification_attempts_open keeps a labeler to one unfinished test.

#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/postgres/pg_store.h"

namespace plumb::store::postgres {
namespace {

Result<std::optional<LabelerTraining>> LabelerTrainingIn(PgConnection& c, int64_t project_id,
                                                         int64_t user_id, bool lock) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r, c.Query(std::string("SELECT " PLUMB_LABELER_TRAINING_COLS
                                      " FROM labeler_training l JOIN users u ON u.id = l.user_id"
                                      " WHERE l.project_id = $1 AND l.user_id = $2") +
                              (lock ? " FOR UPDATE OF l" : ""),
                          project_id, user_id));
  if (r.empty()) return std::optional<LabelerTraining>();
  return std::optional(ReadLabelerTraining(r.front(), 0));
}

Status EnsureLabeler(PgConnection& c, int64_t project_id, int64_t user_id, int64_t now_ms) {
  return c
      .Query(
          "INSERT INTO labeler_training (project_id, user_id, first_at, practice_done,"
          " practice_correct, practice_since_fail, attempts, passed_version, checked_since)"
          " VALUES ($1, $2, $3, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING",
          project_id, user_id, now_ms)
      .status();
}

Result<QualificationAttempt> AttemptById(PgConnection& c, int64_t id, bool lock) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r, c.Query(std::string("SELECT " PLUMB_ATTEMPT_COLS " FROM qualification_attempts q"
                                      " WHERE q.id = $1") +
                              (lock ? " FOR UPDATE" : ""),
                          id));
  if (r.empty()) return Status::NotFound("attempt " + std::to_string(id) + " not found");
  return ReadAttempt(r.front(), 0);
}

Result<std::vector<TrainingAnswer>> AnswersIn(PgConnection& c, int64_t project_id, int64_t user_id,
                                              std::optional<int64_t> attempt_id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT " PLUMB_TRAINING_ANSWER_COLS " FROM training_answers a"
              " WHERE a.project_id = $1 AND a.user_id = $2 AND a.attempt_id IS NOT DISTINCT FROM $3"
              " ORDER BY a.id",
              project_id, user_id, attempt_id));
  return ReadAll<TrainingAnswer>(r, [](const PgRow& row) { return ReadTrainingAnswer(row, 0); });
}

Status RequireProject(PgConnection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r, c.Query("SELECT 1 FROM projects WHERE id = $1 AND deleted = 0", project_id));
  if (r.empty()) return Status::NotFound("project " + std::to_string(project_id) + " not found");
  return Status::Ok();
}

}  // namespace

Status CheckPause(PgConnection& c, int64_t project_id, int64_t user_id, const PauseRule& rule,
                  int64_t now_ms) {
  PLUMB_RETURN_IF_ERROR(EnsureLabeler(c, project_id, user_id, now_ms));
  PLUMB_ASSIGN_OR_RETURN(std::optional<LabelerTraining> t,
                         LabelerTrainingIn(c, project_id, user_id, /*lock=*/true));
  if (!t || t->paused_at_ms) return Status::Ok();
  PLUMB_ASSIGN_OR_RETURN(
      PgResult r,
      c.Query("SELECT task_id, score, correct FROM golden_grades"
              " WHERE project_id = $1 AND user_id = $2 AND created_at >= $3"
              " ORDER BY created_at DESC, task_id DESC LIMIT $4",
              project_id, user_id, t->checked_since_ms, static_cast<int64_t>(rule.window)));
  PLUMB_ASSIGN_OR_RETURN(
      std::vector<WindowGrade> window, ReadAll<WindowGrade>(r, [](const PgRow& row) {
        return WindowGrade{row.Int(0), ParseScore(row.Text(1)).value_or(0), row.Int(2) != 0};
      }));
  std::optional<std::string> data = PauseEventData(project_id, user_id, t->username, rule, window);
  if (!data) return Status::Ok();
  PLUMB_RETURN_IF_ERROR(c.Query("UPDATE labeler_training SET paused_at = $3, pause = $4"
                                " WHERE project_id = $1 AND user_id = $2",
                                project_id, user_id, now_ms, *data)
                            .status());
  return WritePlainEvent(c, project_id, "labeler.paused", *data, now_ms);
}

Result<std::vector<PracticeItem>> PgStore::ListPracticeItems(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<PracticeItem>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT " PLUMB_PRACTICE_COLS
                                               " FROM practice_items p WHERE p.project_id = $1"
                                               " ORDER BY p.position, p.task_id",
                                               project_id));
    return ReadAll<PracticeItem>(r, [](const PgRow& row) { return ReadPracticeItem(row, 0); });
  });
}

Status PgStore::SetPracticeItems(int64_t project_id, const std::vector<PracticeItem>& items) {
  PLUMB_RETURN_IF_ERROR(CheckPracticeItems(items));
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Status {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult project,
        c.Query("SELECT 1 FROM projects WHERE id = $1 AND deleted = 0 FOR UPDATE", project_id));
    if (project.empty()) {
      return Status::NotFound("project " + std::to_string(project_id) + " not found");
    }
    for (size_t i = 0; i < items.size(); ++i) {
      PLUMB_ASSIGN_OR_RETURN(PgResult r, c.Query("SELECT 1 FROM tasks t JOIN golden_answers a"
                                                 " ON a.task_id = t.id"
                                                 " WHERE t.id = $1 AND t.project_id = $2",
                                                 items[i].task_id, project_id));
      if (r.empty()) {
        return Status::InvalidArgument(
            "task " + std::to_string(items[i].task_id) + " is not a golden task of the project",
            "items[" + std::to_string(i) + "].task_id");
      }
    }
    PLUMB_RETURN_IF_ERROR(
        c.Query("DELETE FROM practice_items WHERE project_id = $1", project_id).status());
    for (size_t i = 0; i < items.size(); ++i) {
      PLUMB_RETURN_IF_ERROR(c.Query("INSERT INTO practice_items (project_id, task_id, position,"
                                    " explanation, anchor) VALUES ($1, $2, $3, $4, $5)",
                                    project_id, items[i].task_id, static_cast<int64_t>(i),
                                    items[i].explanation, items[i].anchor)
                                .status());
    }
    return Status::Ok();
  });
}

Result<std::optional<LabelerTraining>> PgStore::GetLabelerTraining(int64_t project_id,
                                                                   int64_t user_id) {
  return Read(
      [&](PgConnection& c) { return LabelerTrainingIn(c, project_id, user_id, /*lock=*/false); });
}

Result<std::vector<LabelerTraining>> PgStore::ListLabelerTraining(int64_t project_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<LabelerTraining>> {
    PLUMB_ASSIGN_OR_RETURN(PgResult r,
                           c.Query("SELECT " PLUMB_LABELER_TRAINING_COLS
                                   " FROM labeler_training l JOIN users u ON u.id = l.user_id"
                                   " WHERE l.project_id = $1 ORDER BY l.user_id",
                                   project_id));
    return ReadAll<LabelerTraining>(r,
                                    [](const PgRow& row) { return ReadLabelerTraining(row, 0); });
  });
}

Result<TrainingAnswer> PgStore::RecordPracticeAnswer(const TrainingAnswer& answer) {
  if (answer.attempt_id) return Status::InvalidArgument("a practice answer has no attempt");
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<TrainingAnswer> {
    PLUMB_RETURN_IF_ERROR(RequireProject(c, answer.project_id));
    PLUMB_RETURN_IF_ERROR(
        EnsureLabeler(c, answer.project_id, answer.user_id, answer.created_at_ms));
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO training_answers (project_id, user_id, task_id, attempt_id, result,"
                " media, lead_time_ms, score, correct, created_at)"
                " VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9) RETURNING id",
                answer.project_id, answer.user_id, answer.task_id, answer.result_json,
                UnlessEmpty(answer.media_json), answer.lead_time_ms, ScoreText(answer.score),
                answer.correct ? 1 : 0, answer.created_at_ms));
    TrainingAnswer out = answer;
    out.id = r.front().Int(0);
    PLUMB_RETURN_IF_ERROR(c.Query("UPDATE labeler_training SET practice_done = practice_done + 1,"
                                  " practice_correct = practice_correct + $3,"
                                  " practice_since_fail = practice_since_fail + 1"
                                  " WHERE project_id = $1 AND user_id = $2",
                                  answer.project_id, answer.user_id, answer.correct ? 1 : 0)
                              .status());
    return out;
  });
}

Result<std::vector<TrainingAnswer>> PgStore::ListTrainingAnswers(
    int64_t project_id, int64_t user_id, std::optional<int64_t> attempt_id) {
  return Read([&](PgConnection& c) { return AnswersIn(c, project_id, user_id, attempt_id); });
}

Result<QualificationAttempt> PgStore::StartQualification(const QualificationAttempt& attempt) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<QualificationAttempt> {
    PLUMB_RETURN_IF_ERROR(RequireProject(c, attempt.project_id));
    PLUMB_RETURN_IF_ERROR(
        EnsureLabeler(c, attempt.project_id, attempt.user_id, attempt.started_at_ms));
    // The labeler's record row serializes two starts of one labeler.
    PLUMB_RETURN_IF_ERROR(
        LabelerTrainingIn(c, attempt.project_id, attempt.user_id, /*lock=*/true).status());
    PLUMB_ASSIGN_OR_RETURN(PgResult open,
                           c.Query("SELECT 1 FROM qualification_attempts WHERE project_id = $1"
                                   " AND user_id = $2 AND finished_at IS NULL",
                                   attempt.project_id, attempt.user_id));
    if (!open.empty()) return Status::Conflict("a qualification test is already under way");
    PLUMB_ASSIGN_OR_RETURN(
        PgResult set, c.Query("SELECT 1 FROM golden_sets WHERE id = $1", attempt.golden_set_id));
    if (set.empty()) {
      return Status::NotFound("golden set " + std::to_string(attempt.golden_set_id) + " not found");
    }
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("INSERT INTO qualification_attempts (project_id, user_id, golden_set_id,"
                " instructions_version, pass_mark, tasks, answered, started_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
                attempt.project_id, attempt.user_id, attempt.golden_set_id,
                attempt.instructions_version, ScoreText(attempt.pass_mark), attempt.tasks,
                attempt.started_at_ms));
    return AttemptById(c, r.front().Int(0), /*lock=*/false);
  });
}

Result<QualificationAttempt> PgStore::GetQualificationAttempt(int64_t id) {
  return Read([&](PgConnection& c) { return AttemptById(c, id, /*lock=*/false); });
}

Result<std::vector<QualificationAttempt>> PgStore::ListQualificationAttempts(
    int64_t project_id, std::optional<int64_t> user_id) {
  return Read([&](PgConnection& c) -> Result<std::vector<QualificationAttempt>> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r, c.Query("SELECT " PLUMB_ATTEMPT_COLS " FROM qualification_attempts q"
                            " WHERE q.project_id = $1 AND ($2::bigint IS NULL OR q.user_id = $2)"
                            " ORDER BY q.id DESC",
                            project_id, user_id));
    return ReadAll<QualificationAttempt>(r, [](const PgRow& row) { return ReadAttempt(row, 0); });
  });
}

Result<QualificationAttempt> PgStore::RecordQualificationAnswer(const TrainingAnswer& answer) {
  if (!answer.attempt_id) return Status::InvalidArgument("a test answer needs its attempt");
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<QualificationAttempt> {
    PLUMB_ASSIGN_OR_RETURN(QualificationAttempt attempt,
                           AttemptById(c, *answer.attempt_id, /*lock=*/true));
    if (attempt.finished_at_ms) return Status::Conflict("the qualification test is finished");
    PLUMB_ASSIGN_OR_RETURN(
        PgResult inserted,
        c.Query("INSERT INTO training_answers (project_id, user_id, task_id, attempt_id, result,"
                " media, lead_time_ms, score, correct, created_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                attempt.project_id, attempt.user_id, answer.task_id, attempt.id, answer.result_json,
                UnlessEmpty(answer.media_json), answer.lead_time_ms, ScoreText(answer.score),
                answer.correct ? 1 : 0, answer.created_at_ms));
    if (inserted.affected() == 0) {
      return Status::AlreadyExists(
          "task " + std::to_string(answer.task_id) + " is answered in this test already",
          "task_id");
    }
    PLUMB_ASSIGN_OR_RETURN(PgResult u,
                           c.Query("UPDATE qualification_attempts SET answered = answered + 1"
                                   " WHERE id = $1 RETURNING answered",
                                   attempt.id));
    attempt.answered = u.front().Int(0);
    if (attempt.answered < attempt.tasks) return attempt;
    PLUMB_ASSIGN_OR_RETURN(std::vector<TrainingAnswer> answers,
                           AnswersIn(c, attempt.project_id, attempt.user_id, attempt.id));
    std::vector<double> scores;
    for (const TrainingAnswer& a : answers) scores.push_back(a.score);
    const AttemptOutcome outcome = ScoreAttempt(scores, attempt.tasks, attempt.pass_mark);
    PLUMB_RETURN_IF_ERROR(c.Query("UPDATE qualification_attempts SET score = $1, passed = $2,"
                                  " finished_at = $3 WHERE id = $4",
                                  ScoreText(outcome.score), outcome.passed ? 1 : 0,
                                  answer.created_at_ms, attempt.id)
                              .status());
    PLUMB_ASSIGN_OR_RETURN(std::optional<LabelerTraining> t,
                           LabelerTrainingIn(c, attempt.project_id, attempt.user_id, true));
    if (!t) return Status::Internal("labeler record vanished");
    ApplyAttemptOutcome(*t, outcome, attempt.instructions_version, answer.created_at_ms);
    PLUMB_RETURN_IF_ERROR(
        c.Query("UPDATE labeler_training SET attempts = $3, last_score = $4, best_score = $5,"
                " last_failed_at = $6, passed_at = $7, passed_version = $8,"
                " first_passed_at = $9, practice_since_fail = $10"
                " WHERE project_id = $1 AND user_id = $2",
                t->project_id, t->user_id, t->attempts, ScoreText(t->last_score),
                ScoreText(t->best_score), t->last_failed_at_ms, t->passed_at_ms, t->passed_version,
                t->first_passed_at_ms, t->practice_since_fail)
            .status());
    return AttemptById(c, attempt.id, /*lock=*/false);
  });
}

Result<bool> PgStore::UnpauseLabeler(int64_t project_id, int64_t user_id, int64_t now_ms) {
  return Transact(Mode::kWrite, [&](PgConnection& c) -> Result<bool> {
    PLUMB_ASSIGN_OR_RETURN(
        PgResult r,
        c.Query("UPDATE labeler_training SET paused_at = NULL, pause = NULL, checked_since = $3"
                " WHERE project_id = $1 AND user_id = $2 AND paused_at IS NOT NULL",
                project_id, user_id, now_ms));
    return r.affected() > 0;
  });
}

}  // namespace plumb::store::postgres
