#pragma once
// Training and qualification (docs/training.md): practice on a project's
// practice set of golden tasks with the expert answer shown after each
// answer, a qualification test over a golden set without feedback, the gate
// that keeps unqualified or paused labelers from real tasks, and the
// ongoing check's rule passed to the store with golden submits. Practice and
// test answers are stored apart from annotations (store::TrainingAnswer), so
// they never count as labels. Thread-safe (no state of its own).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/core.h"
#include "store/store.h"
#include "workflow/workflow.h"

namespace plumb::workflow {

// Whether the project's queue consults training records at all: a
// qualification test is required or the ongoing check is on. When false,
// next and submit read nothing of training.
inline bool TrainingGated(const ProjectSettings& s) {
  return s.qualification_set_id != 0 || s.pause_threshold > 0;
}

// Whether labelers of this role are gated (managers and admins write the
// expert answers and are not).
bool GatedRole(Role role);

// Whether the record's newest pass qualifies under the settings and the
// project's current instructions version (requalification).
bool Qualified(const ProjectSettings& s, const store::LabelerTraining* record,
               int64_t current_instructions_version);

// kLabelerPaused when the record is paused, kNotQualified when the project
// requires a test the record has not passed (or a pass that no longer
// counts), else OK.
Status CheckStanding(const ProjectSettings& s, const std::optional<store::LabelerTraining>& record,
                     int64_t current_instructions_version);

// A labeler's standing in a project, for the status call and the UI.
struct LabelerStanding {
  std::optional<store::LabelerTraining> record;
  bool required = false;   // the project requires a test
  bool qualified = false;  // may take real tasks as far as the test goes
  bool paused = false;
  // Why a labeler gets no real tasks: "", "not_qualified", "requalify", "paused".
  std::string reason;
  bool can_start = false;              // may start a test now
  std::optional<int64_t> retry_at_ms;  // after a failure: when the wait ends
  int64_t practice_to_retry = 0;       // practice answers still needed for an early retry
  std::optional<store::QualificationAttempt> open_attempt;
  std::vector<store::QualificationAttempt> attempts;  // newest first
  int64_t instructions_version = 0;                   // the project's current one
};

// A practice task handed out.
struct PracticeTask {
  Task task;
  store::PracticeItem item;
  int64_t total = 0;  // tasks in the practice set
  int64_t round = 1;  // how many times the labeler has been through this task, this one included
};

// What a practice answer gets back: the expert answer beside the labeler's,
// the grade with each control's score, the explanation and the instructions
// version it points into.
struct PracticeFeedback {
  store::TrainingAnswer answer;
  store::GoldenAnswer expert;
  std::vector<std::pair<std::string, double>> controls;  // control name, score
  store::PracticeItem item;
  int64_t instructions_version = 0;
};

// A task of a qualification test, without its answer.
struct TestTask {
  int64_t task_id = 0;
  std::string data_json;
  int64_t answered = 0;
  int64_t total = 0;
};

class Training {
 public:
  Training(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  Result<LabelerStanding> Standing(const Project& project, int64_t user_id);

  // The practice task the labeler has done least often (practice-set order
  // among equals), or nullopt when the set is empty.
  Result<std::optional<PracticeTask>> NextPractice(const Project& project, const User& user);
  // Validates (kInvalidResult), grades against the task's current golden
  // answer and stores a practice answer. kInvalidArgument (field "task_id")
  // for a task not in the practice set; kConflict when it is no longer golden.
  Result<PracticeFeedback> SubmitPractice(const Project& project, const User& user, int64_t task_id,
                                          const Submission& submission);

  // Starts a test, or returns the labeler's unfinished one (started = false).
  // kConflict when the project requires none, when the labeler is qualified
  // already, or while the wait after a failure runs (the message says until
  // when); kInstructionsNotAcknowledged as for next.
  Result<store::QualificationAttempt> StartTest(const Project& project, const User& user,
                                                bool* started);
  // The attempt if it is the user's in this project (kNotFound otherwise).
  Result<store::QualificationAttempt> Attempt(const Project& project, int64_t user_id,
                                              int64_t attempt_id);
  // The next unanswered task of the attempt, in task id order, or nullopt
  // when it is finished.
  Result<std::optional<TestTask>> NextTestTask(const Project& project, const User& user,
                                               int64_t attempt_id);
  // Validates and grades an answer against the set's frozen answer and stores
  // it; the last one finishes the attempt. kInvalidArgument (field
  // "task_id") for a task not in the test; kConflict for a finished attempt;
  // kAlreadyExists for a task answered already.
  Result<store::QualificationAttempt> SubmitTest(const Project& project, const User& user,
                                                 int64_t attempt_id, int64_t task_id,
                                                 const Submission& submission);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace plumb::workflow
