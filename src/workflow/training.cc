#include "workflow/training.h"

#include <algorithm>
#include <map>

#include "quality/quality.h"

namespace plumb::workflow {
namespace {

// Validates a submission against the schema and the task's data.
Result<ValidAnnotation> ValidateFor(const Project& project, const std::string& data_json,
                                    const Submission& submission) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  return ValidateAnnotation(*schema, data_json, submission.result_json, submission.media_json);
}

Result<quality::Grade> GradeFor(const Project& project, const std::string& answer_result_json,
                                const std::string& result_json) {
  PLUMB_ASSIGN_OR_RETURN(std::shared_ptr<const Schema> schema,
                         ParseSchemaCached(project.schema_json));
  return quality::GradeAgainstAnswer(*schema, answer_result_json, result_json,
                                     project.settings.iou_threshold);
}

// A practice or test answer of `user` to `task_id` as graded.
store::TrainingAnswer GradedAnswer(const Project& project, const User& user, int64_t task_id,
                                   ValidAnnotation valid, const quality::Grade& grade,
                                   int64_t lead_time_ms, int64_t now_ms) {
  store::TrainingAnswer answer;
  answer.project_id = project.id;
  answer.user_id = user.id;
  answer.task_id = task_id;
  answer.result_json = std::move(valid.result_json);
  answer.media_json = std::move(valid.media_json);
  answer.lead_time_ms = lead_time_ms;
  answer.score = grade.score;
  answer.correct = grade.correct;
  answer.created_at_ms = now_ms;
  return answer;
}

}  // namespace

bool GatedRole(Role role) { return role == Role::kAnnotator || role == Role::kReviewer; }

bool Qualified(const ProjectSettings& s, const store::LabelerTraining* record,
               int64_t current_instructions_version) {
  if (s.qualification_set_id == 0) return true;
  if (record == nullptr || !record->passed_at_ms) return false;
  int64_t least = s.qualification_min_version;
  if (s.requalify_on_new_instructions) least = std::max(least, current_instructions_version);
  return record->passed_version >= least;
}

Status CheckStanding(const ProjectSettings& s, const std::optional<store::LabelerTraining>& record,
                     int64_t current_instructions_version) {
  if (record && record->paused_at_ms) {
    return Status::LabelerPaused(
        "you are paused from this project: your accuracy on golden tasks fell below " +
        std::to_string(static_cast<int>(s.pause_threshold * 100 + 0.5)) +
        "%; a manager can resume you");
  }
  if (Qualified(s, record ? &*record : nullptr, current_instructions_version)) return Status::Ok();
  if (record && record->passed_at_ms) {
    return Status::NotQualified(
        "the project's instructions changed: pass its qualification test again to get tasks");
  }
  return Status::NotQualified("pass the project's qualification test to get tasks");
}

Result<LabelerStanding> Training::Standing(const Project& project, int64_t user_id) {
  const ProjectSettings& s = project.settings;
  LabelerStanding out;
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus instructions,
                         store_.GetInstructionsStatus(project.id, user_id));
  out.instructions_version = instructions.current;
  PLUMB_ASSIGN_OR_RETURN(out.record, store_.GetLabelerTraining(project.id, user_id));
  PLUMB_ASSIGN_OR_RETURN(out.attempts, store_.ListQualificationAttempts(project.id, user_id));
  for (const store::QualificationAttempt& a : out.attempts) {
    if (!a.finished_at_ms) out.open_attempt = a;
  }
  const store::LabelerTraining* record = out.record ? &*out.record : nullptr;
  out.required = s.qualification_set_id != 0;
  out.qualified = Qualified(s, record, instructions.current);
  out.paused = record != nullptr && record->paused_at_ms.has_value();
  if (out.paused) {
    out.reason = "paused";
  } else if (!out.qualified) {
    out.reason = record != nullptr && record->passed_at_ms ? "requalify" : "not_qualified";
  }
  if (out.required && !out.qualified && !out.open_attempt) {
    out.can_start = true;
    if (record != nullptr && record->last_failed_at_ms) {
      const int64_t wait_ends = *record->last_failed_at_ms + s.qualification_retry_seconds * 1000LL;
      const bool practiced = s.qualification_retry_practice > 0 &&
                             record->practice_since_fail >= s.qualification_retry_practice;
      if (s.qualification_retry_practice > 0) {
        out.practice_to_retry =
            std::max<int64_t>(0, s.qualification_retry_practice - record->practice_since_fail);
      }
      if (clock_.NowMs() < wait_ends && !practiced) {
        out.can_start = false;
        out.retry_at_ms = wait_ends;
      }
    }
  }
  return out;
}

Result<std::optional<PracticeTask>> Training::NextPractice(const Project& project,
                                                           const User& user) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PracticeItem> items,
                         store_.ListPracticeItems(project.id));
  if (items.empty()) return std::optional<PracticeTask>();
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::TrainingAnswer> answers,
                         store_.ListTrainingAnswers(project.id, user.id, std::nullopt));
  std::map<int64_t, int64_t> done;
  for (const store::TrainingAnswer& a : answers) ++done[a.task_id];
  const store::PracticeItem* pick = &items.front();
  for (const store::PracticeItem& item : items) {
    if (done[item.task_id] < done[pick->task_id]) pick = &item;
  }
  PLUMB_ASSIGN_OR_RETURN(Task task, store_.GetTask(pick->task_id));
  PracticeTask out;
  out.task = std::move(task);
  out.item = *pick;
  out.total = static_cast<int64_t>(items.size());
  out.round = done[pick->task_id] + 1;
  return std::optional<PracticeTask>(std::move(out));
}

Result<PracticeFeedback> Training::SubmitPractice(const Project& project, const User& user,
                                                  int64_t task_id, const Submission& submission) {
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::PracticeItem> items,
                         store_.ListPracticeItems(project.id));
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const store::PracticeItem& i) { return i.task_id == task_id; });
  if (it == items.end()) {
    return Status::InvalidArgument(
        "task " + std::to_string(task_id) + " is not in the project's practice set", "task_id");
  }
  PLUMB_ASSIGN_OR_RETURN(Task task, store_.GetTask(task_id));
  PLUMB_ASSIGN_OR_RETURN(std::optional<store::GoldenAnswer> expert,
                         store_.GetGoldenAnswer(task_id));
  if (!expert) {
    return Status::Conflict("task " + std::to_string(task_id) + " has no expert answer any more");
  }
  PLUMB_ASSIGN_OR_RETURN(ValidAnnotation valid, ValidateFor(project, task.data_json, submission));
  PLUMB_ASSIGN_OR_RETURN(quality::Grade grade,
                         GradeFor(project, expert->result_json, valid.result_json));
  const store::TrainingAnswer answer = GradedAnswer(project, user, task_id, std::move(valid), grade,
                                                    submission.lead_time_ms, clock_.NowMs());
  PracticeFeedback out;
  PLUMB_ASSIGN_OR_RETURN(out.answer, store_.RecordPracticeAnswer(answer));
  out.expert = std::move(*expert);
  for (const quality::ControlAgreement& c : grade.controls) {
    out.controls.emplace_back(c.control, c.agreement);
  }
  out.item = *it;
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus instructions,
                         store_.GetInstructionsStatus(project.id, user.id));
  out.instructions_version = instructions.current;
  return out;
}

Result<store::QualificationAttempt> Training::StartTest(const Project& project, const User& user,
                                                        bool* started) {
  *started = false;
  const ProjectSettings& s = project.settings;
  if (s.qualification_set_id == 0) {
    return Status::Conflict("the project requires no qualification test");
  }
  PLUMB_ASSIGN_OR_RETURN(LabelerStanding standing, Standing(project, user.id));
  if (standing.open_attempt) return *standing.open_attempt;
  if (standing.qualified) return Status::Conflict("you are qualified for this project already");
  PLUMB_ASSIGN_OR_RETURN(store::InstructionsStatus instructions,
                         store_.GetInstructionsStatus(project.id, user.id));
  if (instructions.current > instructions.acknowledged) {
    return Status::InstructionsNotAcknowledged(
        "acknowledge version " + std::to_string(instructions.current) +
            " of the project's instructions before taking the test",
        instructions.current);
  }
  if (!standing.can_start) {
    std::string msg = "you can retake the test from " + FormatIsoTime(*standing.retry_at_ms);
    if (standing.practice_to_retry > 0) {
      msg += ", or after " + std::to_string(standing.practice_to_retry) + " more practice tasks";
    }
    return Status::Conflict(msg);
  }
  PLUMB_ASSIGN_OR_RETURN(store::GoldenSet set, store_.GetGoldenSet(s.qualification_set_id));
  if (set.project_id != project.id) {
    return Status::Conflict(
        "the project's qualification test names a golden set of another project");
  }
  store::QualificationAttempt attempt;
  attempt.project_id = project.id;
  attempt.user_id = user.id;
  attempt.golden_set_id = set.id;
  attempt.instructions_version = instructions.current;
  attempt.pass_mark = s.qualification_pass_mark;
  attempt.tasks = set.tasks;
  attempt.started_at_ms = clock_.NowMs();
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt stored, store_.StartQualification(attempt));
  *started = true;
  return stored;
}

Result<store::QualificationAttempt> Training::Attempt(const Project& project, int64_t user_id,
                                                      int64_t attempt_id) {
  Result<store::QualificationAttempt> attempt = store_.GetQualificationAttempt(attempt_id);
  if (attempt.ok() && (attempt->project_id != project.id || attempt->user_id != user_id)) {
    return Status::NotFound("attempt " + std::to_string(attempt_id) + " not found");
  }
  return attempt;
}

Result<std::optional<TestTask>> Training::NextTestTask(const Project& project, const User& user,
                                                       int64_t attempt_id) {
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt attempt,
                         Attempt(project, user.id, attempt_id));
  if (attempt.finished_at_ms) return std::optional<TestTask>();
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::GoldenSetItem> items,
                         store_.ListGoldenSetItems(attempt.golden_set_id));
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::TrainingAnswer> answers,
                         store_.ListTrainingAnswers(project.id, user.id, attempt.id));
  for (const store::GoldenSetItem& item : items) {
    const bool answered =
        std::any_of(answers.begin(), answers.end(),
                    [&](const store::TrainingAnswer& a) { return a.task_id == item.task_id; });
    if (answered) continue;
    return std::optional<TestTask>(
        TestTask{item.task_id, item.data_json, attempt.answered, attempt.tasks});
  }
  return std::optional<TestTask>();
}

Result<store::QualificationAttempt> Training::SubmitTest(const Project& project, const User& user,
                                                         int64_t attempt_id, int64_t task_id,
                                                         const Submission& submission) {
  PLUMB_ASSIGN_OR_RETURN(store::QualificationAttempt attempt,
                         Attempt(project, user.id, attempt_id));
  if (attempt.finished_at_ms) return Status::Conflict("the qualification test is finished");
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::GoldenSetItem> items,
                         store_.ListGoldenSetItems(attempt.golden_set_id));
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const store::GoldenSetItem& i) { return i.task_id == task_id; });
  if (it == items.end()) {
    return Status::InvalidArgument("task " + std::to_string(task_id) + " is not in this test",
                                   "task_id");
  }
  PLUMB_ASSIGN_OR_RETURN(ValidAnnotation valid, ValidateFor(project, it->data_json, submission));
  PLUMB_ASSIGN_OR_RETURN(quality::Grade grade,
                         GradeFor(project, it->answer.result_json, valid.result_json));
  store::TrainingAnswer answer = GradedAnswer(project, user, task_id, std::move(valid), grade,
                                              submission.lead_time_ms, clock_.NowMs());
  answer.attempt_id = attempt.id;
  return store_.RecordQualificationAnswer(answer);
}

}  // namespace plumb::workflow
