#include "store/sqlite/training_sql.h"

#include <string>
#include <utility>

#include "store/backend_common.h"
#include "store/sqlite/queries.h"

namespace plumb::store::sqlite {
namespace {

Status SaveLabelerTraining(Connection& c, const LabelerTraining& t) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE labeler_training SET attempts = ?3, last_score = ?4, best_score = ?5,"
                " last_failed_at = ?6, passed_at = ?7, passed_version = ?8,"
                " first_passed_at = ?9, practice_since_fail = ?10"
                " WHERE project_id = ?1 AND user_id = ?2"));
  return s
      .BindAll(t.project_id, t.user_id, t.attempts, ScoreText(t.last_score),
               ScoreText(t.best_score), t.last_failed_at_ms, t.passed_at_ms, t.passed_version,
               t.first_passed_at_ms, t.practice_since_fail)
      .Run();
}

}  // namespace

Result<std::vector<PracticeItem>> ListPracticeItems(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_PRACTICE_COLS
                                                " FROM practice_items p WHERE p.project_id = ?"
                                                " ORDER BY p.position, p.task_id"));
  s.Bind(project_id);
  return ReadAll<PracticeItem>(s, [](const Statement& r) { return ReadPracticeItem(r, 0); });
}

Status SetPracticeItems(Connection& c, int64_t project_id, const std::vector<PracticeItem>& items) {
  PLUMB_RETURN_IF_ERROR(CheckPracticeItems(items));
  PLUMB_RETURN_IF_ERROR(LoadSettings(c, project_id).status());
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT 1 FROM tasks t JOIN golden_answers a"
                                                  " ON a.task_id = t.id"
                                                  " WHERE t.id = ? AND t.project_id = ?"));
    for (size_t i = 0; i < items.size(); ++i) {
      s.BindAll(items[i].task_id, project_id);
      PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
      s.Reset();
      if (!row) {
        return Status::InvalidArgument(
            "task " + std::to_string(items[i].task_id) + " is not a golden task of the project",
            "items[" + std::to_string(i) + "].task_id");
      }
    }
  }
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("DELETE FROM practice_items WHERE project_id = ?"));
    PLUMB_RETURN_IF_ERROR(s.Bind(project_id).Run());
  }
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("INSERT INTO practice_items (project_id, task_id,"
                                                " position, explanation, anchor)"
                                                " VALUES (?, ?, ?, ?, ?)"));
  for (size_t i = 0; i < items.size(); ++i) {
    PLUMB_RETURN_IF_ERROR(s.BindAll(project_id, items[i].task_id, static_cast<int64_t>(i),
                                    items[i].explanation, items[i].anchor)
                              .Run());
    s.Reset();
  }
  return Status::Ok();
}

Result<std::optional<LabelerTraining>> GetLabelerTraining(Connection& c, int64_t project_id,
                                                          int64_t user_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_LABELER_TRAINING_COLS
                                                " FROM labeler_training l JOIN users u"
                                                " ON u.id = l.user_id"
                                                " WHERE l.project_id = ? AND l.user_id = ?"));
  s.BindAll(project_id, user_id);
  return QueryOptional(s, [](const Statement& r) { return ReadLabelerTraining(r, 0); });
}

Result<std::vector<LabelerTraining>> ListLabelerTraining(Connection& c, int64_t project_id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_LABELER_TRAINING_COLS
                                                " FROM labeler_training l JOIN users u"
                                                " ON u.id = l.user_id WHERE l.project_id = ?"
                                                " ORDER BY l.user_id"));
  s.Bind(project_id);
  return ReadAll<LabelerTraining>(s, [](const Statement& r) { return ReadLabelerTraining(r, 0); });
}

Status EnsureLabelerTraining(Connection& c, int64_t project_id, int64_t user_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO labeler_training (project_id, user_id, first_at, practice_done,"
                " practice_correct, practice_since_fail, attempts, passed_version, checked_since)"
                " VALUES (?, ?, ?, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING"));
  return s.BindAll(project_id, user_id, now_ms).Run();
}

Result<TrainingAnswer> RecordPracticeAnswer(Connection& c, const TrainingAnswer& answer) {
  if (answer.attempt_id) return Status::InvalidArgument("a practice answer has no attempt");
  PLUMB_RETURN_IF_ERROR(LoadSettings(c, answer.project_id).status());
  PLUMB_RETURN_IF_ERROR(
      EnsureLabelerTraining(c, answer.project_id, answer.user_id, answer.created_at_ms));
  TrainingAnswer out = answer;
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO training_answers (project_id, user_id, task_id, attempt_id, result,"
                  " media, lead_time_ms, score, correct, created_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
    s.BindAll(answer.project_id, answer.user_id, answer.task_id, answer.attempt_id,
              answer.result_json, UnlessEmpty(answer.media_json), answer.lead_time_ms,
              ScoreText(answer.score), answer.correct ? 1 : 0, answer.created_at_ms);
    PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Status::Internal("training answer insert returned no id");
    out.id = s.Int(0);
  }
  PLUMB_ASSIGN_OR_RETURN(Statement s,
                         c.Prepare("UPDATE labeler_training SET practice_done = practice_done + 1,"
                                   " practice_correct = practice_correct + ?3,"
                                   " practice_since_fail = practice_since_fail + 1"
                                   " WHERE project_id = ?1 AND user_id = ?2"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(answer.project_id, answer.user_id, answer.correct ? 1 : 0).Run());
  return out;
}

Result<std::vector<TrainingAnswer>> ListTrainingAnswers(Connection& c, int64_t project_id,
                                                        int64_t user_id,
                                                        std::optional<int64_t> attempt_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare(attempt_id ? "SELECT " PLUMB_TRAINING_ANSWER_COLS
                             " FROM training_answers a WHERE a.project_id = ? AND a.user_id = ?"
                             " AND a.attempt_id = ? ORDER BY a.id"
                           : "SELECT " PLUMB_TRAINING_ANSWER_COLS
                             " FROM training_answers a WHERE a.project_id = ? AND a.user_id = ?"
                             " AND a.attempt_id IS NULL ORDER BY a.id"));
  s.BindAll(project_id, user_id);
  if (attempt_id) s.Bind(*attempt_id);
  return ReadAll<TrainingAnswer>(s, [](const Statement& r) { return ReadTrainingAnswer(r, 0); });
}

Result<QualificationAttempt> GetQualificationAttempt(Connection& c, int64_t id) {
  PLUMB_ASSIGN_OR_RETURN(Statement s, c.Prepare("SELECT " PLUMB_ATTEMPT_COLS
                                                " FROM qualification_attempts q WHERE q.id = ?"));
  s.Bind(id);
  PLUMB_ASSIGN_OR_RETURN(auto found,
                         QueryOptional(s, [](const Statement& r) { return ReadAttempt(r, 0); }));
  if (!found) return Status::NotFound("attempt " + std::to_string(id) + " not found");
  return *found;
}

Result<std::vector<QualificationAttempt>> ListQualificationAttempts(
    Connection& c, int64_t project_id, std::optional<int64_t> user_id) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT " PLUMB_ATTEMPT_COLS " FROM qualification_attempts q"
                " WHERE q.project_id = ?1 AND (?2 IS NULL OR q.user_id = ?2) ORDER BY q.id DESC"));
  s.BindAll(project_id, user_id);
  return ReadAll<QualificationAttempt>(s, [](const Statement& r) { return ReadAttempt(r, 0); });
}

Result<QualificationAttempt> StartQualification(Connection& c,
                                                const QualificationAttempt& attempt) {
  PLUMB_RETURN_IF_ERROR(LoadSettings(c, attempt.project_id).status());
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("SELECT 1 FROM qualification_attempts WHERE project_id = ?"
                                     " AND user_id = ? AND finished_at IS NULL"));
    s.BindAll(attempt.project_id, attempt.user_id);
    PLUMB_ASSIGN_OR_RETURN(bool open, s.Step());
    if (open) return Status::Conflict("a qualification test is already under way");
  }
  PLUMB_ASSIGN_OR_RETURN(int64_t set, QueryInt(c, "SELECT COUNT(*) FROM golden_sets WHERE id = ?",
                                               attempt.golden_set_id));
  if (set == 0) {
    return Status::NotFound("golden set " + std::to_string(attempt.golden_set_id) + " not found");
  }
  PLUMB_RETURN_IF_ERROR(
      EnsureLabelerTraining(c, attempt.project_id, attempt.user_id, attempt.started_at_ms));
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("INSERT INTO qualification_attempts (project_id, user_id, golden_set_id,"
                " instructions_version, pass_mark, tasks, answered, started_at)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, ?) RETURNING id"));
  s.BindAll(attempt.project_id, attempt.user_id, attempt.golden_set_id,
            attempt.instructions_version, ScoreText(attempt.pass_mark), attempt.tasks,
            attempt.started_at_ms);
  PLUMB_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status::Internal("attempt insert returned no id");
  const int64_t id = s.Int(0);
  s.Reset();
  return GetQualificationAttempt(c, id);
}

Result<QualificationAttempt> RecordQualificationAnswer(Connection& c,
                                                       const TrainingAnswer& answer) {
  if (!answer.attempt_id) return Status::InvalidArgument("a test answer needs its attempt");
  PLUMB_ASSIGN_OR_RETURN(QualificationAttempt attempt,
                         GetQualificationAttempt(c, *answer.attempt_id));
  if (attempt.finished_at_ms) return Status::Conflict("the qualification test is finished");
  {
    PLUMB_ASSIGN_OR_RETURN(
        Statement s,
        c.Prepare("INSERT INTO training_answers (project_id, user_id, task_id, attempt_id, result,"
                  " media, lead_time_ms, score, correct, created_at)"
                  " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    Status inserted =
        s.BindAll(attempt.project_id, attempt.user_id, answer.task_id, attempt.id,
                  answer.result_json, UnlessEmpty(answer.media_json), answer.lead_time_ms,
                  ScoreText(answer.score), answer.correct ? 1 : 0, answer.created_at_ms)
            .Run();
    if (inserted.code() == StatusCode::kAlreadyExists) {
      return Status::AlreadyExists(
          "task " + std::to_string(answer.task_id) + " is answered in this test already",
          "task_id");
    }
    PLUMB_RETURN_IF_ERROR(inserted);
  }
  PLUMB_ASSIGN_OR_RETURN(Statement u,
                         c.Prepare("UPDATE qualification_attempts SET answered = answered + 1"
                                   " WHERE id = ? RETURNING answered"));
  u.Bind(attempt.id);
  PLUMB_ASSIGN_OR_RETURN(bool row, u.Step());
  if (!row) return Status::Internal("attempt vanished");
  attempt.answered = u.Int(0);
  u.Reset();
  if (attempt.answered < attempt.tasks) return attempt;
  PLUMB_ASSIGN_OR_RETURN(std::vector<TrainingAnswer> answers,
                         ListTrainingAnswers(c, attempt.project_id, attempt.user_id, attempt.id));
  std::vector<double> scores;
  for (const TrainingAnswer& a : answers) scores.push_back(a.score);
  const AttemptOutcome outcome = ScoreAttempt(scores, attempt.tasks, attempt.pass_mark);
  {
    PLUMB_ASSIGN_OR_RETURN(Statement s,
                           c.Prepare("UPDATE qualification_attempts SET score = ?, passed = ?,"
                                     " finished_at = ? WHERE id = ?"));
    PLUMB_RETURN_IF_ERROR(s.BindAll(ScoreText(outcome.score), outcome.passed ? 1 : 0,
                                    answer.created_at_ms, attempt.id)
                              .Run());
  }
  PLUMB_ASSIGN_OR_RETURN(std::optional<LabelerTraining> t,
                         GetLabelerTraining(c, attempt.project_id, attempt.user_id));
  if (!t) return Status::Internal("labeler record vanished");
  ApplyAttemptOutcome(*t, outcome, attempt.instructions_version, answer.created_at_ms);
  PLUMB_RETURN_IF_ERROR(SaveLabelerTraining(c, *t));
  return GetQualificationAttempt(c, attempt.id);
}

Result<bool> UnpauseLabeler(Connection& c, int64_t project_id, int64_t user_id, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("UPDATE labeler_training SET paused_at = NULL, pause = NULL, checked_since = ?3"
                " WHERE project_id = ?1 AND user_id = ?2 AND paused_at IS NOT NULL"));
  // Grades from the unpause's millisecond on start the new window.
  PLUMB_RETURN_IF_ERROR(s.BindAll(project_id, user_id, now_ms).Run());
  return sqlite3_changes(c.handle()) > 0;
}

Result<std::vector<WindowGrade>> GoldenWindow(Connection& c, int64_t project_id, int64_t user_id,
                                              int64_t since_ms, int32_t limit) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s,
      c.Prepare("SELECT task_id, score, correct FROM golden_grades INDEXED BY golden_grades_by_user"
                " WHERE project_id = ? AND user_id = ? AND created_at >= ?"
                " ORDER BY created_at DESC, task_id DESC LIMIT ?"));
  s.BindAll(project_id, user_id, since_ms, static_cast<int64_t>(limit));
  return ReadAll<WindowGrade>(s, [](const Statement& r) {
    return WindowGrade{r.Int(0), ParseScore(r.Text(1)).value_or(0), r.Int(2) != 0};
  });
}

Result<bool> PauseLabeler(Connection& c, int64_t project_id, int64_t user_id,
                          const std::string& data_json, int64_t now_ms) {
  PLUMB_ASSIGN_OR_RETURN(
      Statement s, c.Prepare("UPDATE labeler_training SET paused_at = ?3, pause = ?4"
                             " WHERE project_id = ?1 AND user_id = ?2 AND paused_at IS NULL"));
  PLUMB_RETURN_IF_ERROR(s.BindAll(project_id, user_id, now_ms, data_json).Run());
  return sqlite3_changes(c.handle()) > 0;
}

}  // namespace plumb::store::sqlite
