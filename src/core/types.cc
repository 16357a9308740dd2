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
    case TaskState::kReviewing: return "reviewing";
    case TaskState::kAdjudicating: return "adjudicating";
  }
  return "new";
}

std::optional<TaskState> ParseTaskState(std::string_view name) {
  for (TaskState s : {TaskState::kNew, TaskState::kAnnotating, TaskState::kDone,
                      TaskState::kReviewing, TaskState::kAdjudicating}) {
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
    case RevisionSource::kAdjudication: return "adjudication";
  }
  return "human";
}

const char* ConsensusMethodName(ConsensusMethod method) {
  return method == ConsensusMethod::kDawidSkene ? "dawid_skene" : "majority";
}

const char* QueueOrderName(QueueOrder order) {
  return order == QueueOrder::kUncertainty ? "uncertainty" : "import";
}

const char* UncertaintyKindName(UncertaintyKind kind) {
  return kind == UncertaintyKind::kEntropy ? "entropy" : "margin";
}

const char* WorkforceKindName(WorkforceKind kind) {
  return kind == WorkforceKind::kVendor ? "vendor" : "internal";
}

std::optional<WorkforceKind> ParseWorkforceKind(std::string_view name) {
  if (name == "internal") return WorkforceKind::kInternal;
  if (name == "vendor") return WorkforceKind::kVendor;
  return std::nullopt;
}

const char* PricingModelName(PricingModel model) {
  return model == PricingModel::kPerHour ? "per_hour" : "per_label";
}

std::optional<PricingModel> ParsePricingModel(std::string_view name) {
  if (name == "per_label") return PricingModel::kPerLabel;
  if (name == "per_hour") return PricingModel::kPerHour;
  return std::nullopt;
}

}  // namespace plumb
