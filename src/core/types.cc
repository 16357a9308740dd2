#include "core/types.h"

namespace plumb {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAnnotator: return "annotator";
    case Role::kReviewer: return "reviewer";
    case Role::kManager: return "manager";
    case Role::kAdmin: return "admin";
  }
  return "annotator";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAnnotator, Role::kReviewer, Role::kManager, Role::kAdmin}) {
    if (name == RoleName(r)) return r;
  }
  return std::nullopt;
}

const char* TaskStateName(TaskState state) {
  switch (state) {
    case TaskState::kNew: return "new";
    case TaskState::kAnnotating: return "annotating";
    case TaskState::kDone: return "done";
  }
  return "new";
}

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (TaskState s : {TaskState::kNew, TaskState::kAnnotating, TaskState::kDone}) {
    if (name == TaskStateName(s)) return s;
  }
  return std::nullopt;
}

const char* RevisionSourceName(RevisionSource source) {
  switch (source) {
    case RevisionSource::kHuman: return "human";
    case RevisionSource::kPrediction: return "prediction";
    case RevisionSource::kReviewFix: return "review_fix";
    case RevisionSource::kImport: return "import";
  }
  return "human";
}

}  // namespace plumb
