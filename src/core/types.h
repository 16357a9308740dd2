#pragma once
// Domain types shared by every module. JSON payloads (task data, results,
// schemas) travel as compact JSON text: the store keeps them verbatim and only
// the layers that need their structure parse them.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plumb {

enum class Role : int8_t { kAnnotator = 0, kReviewer = 1, kManager = 2, kAdmin = 3 };

// "annotator", "reviewer", "manager", "admin".
const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view name);

// A task's place in the labeling flow (docs/workflow.md, "States"). Stored as
// these integers.
enum class TaskState : int8_t {
  kNew = 0,
  kAnnotating = 1,
  kDone = 2,
  kReviewing = 3,     // all annotations in, sampled for review
  kAdjudicating = 4,  // annotations disagree; a reviewer decides
};

const char* TaskStateName(TaskState state);
std::optional<TaskState> ParseTaskState(std::string_view name);

// Where a revision came from.
// kImport: brought in with the task by an import (Label Studio, COCO, ...).
// kReviewFix / kAdjudication: a reviewer's final label, kept as a revision of
// the reviewer's own annotation (which never counts toward the overlap).
enum class RevisionSource : int8_t {
  kHuman = 0,
  kPrediction = 1,
  kReviewFix = 2,
  kImport = 3,
  kAdjudication = 4,
};
const char* RevisionSourceName(RevisionSource source);

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::kAnnotator;
  int64_t created_at_ms = 0;
};

// How choice controls are reconciled across annotators.
enum class ConsensusMethod : int8_t { kMajority = 0, kDawidSkene = 1 };
const char* ConsensusMethodName(ConsensusMethod method);  // "majority", "dawid_skene"

// The order of the queue after priority and deadline (docs/workflow.md,
// "Queue order"): import order, or the built-in learner's uncertainty, least
// certain first.
enum class QueueOrder : int8_t { kImport = 0, kUncertainty = 1 };
const char* QueueOrderName(QueueOrder order);  // "import", "uncertainty"
// How the learner's uncertainty is measured for the queue (single choice;
// a multiple choice control always uses the mean binary entropy).
enum class UncertaintyKind : int8_t { kMargin = 0, kEntropy = 1 };
const char* UncertaintyKindName(UncertaintyKind kind);  // "margin", "entropy"

// A project's workflow settings (docs/workflow.md, "Workflow settings").
struct ProjectSettings {
  int32_t overlap = 1;          // distinct people per task
  int32_t lease_seconds = 600;  // how long a handed-out task stays reserved
  int32_t review_share = 0;     // percent of completed tasks sampled for review
  double golden_rate = 0;       // share of an annotator's tasks that are golden
  ConsensusMethod consensus = ConsensusMethod::kMajority;
  double agreement_threshold = 0;  // below it a task goes to adjudication
  double iou_threshold = 0.5;      // regions of different annotators match at this IoU
  int32_t deadline_warning_seconds = 3600;
  // Training and qualification (docs/training.md). With qualification_set_id
  // 0 and pause_threshold 0 the queue reads nothing of them.
  int64_t qualification_set_id = 0;             // the golden set of the test; 0: none required
  double qualification_pass_mark = 0.8;         // the least passing score (0..1)
  int32_t qualification_retry_seconds = 86400;  // wait after a failed test
  // Practice answers after a failed test that allow a retry before the wait ends; 0: none.
  int32_t qualification_retry_practice = 0;
  int64_t qualification_min_version = 0;  // passes under an older instructions version do not count
  bool requalify_on_new_instructions = false;  // a pass counts only under the current version
  double pause_threshold = 0;  // golden accuracy below which a labeler is paused; 0: off
  int32_t pause_window = 20;   // over this many of the labeler's newest golden grades
  QueueOrder queue_order = QueueOrder::kImport;
  UncertaintyKind uncertainty = UncertaintyKind::kMargin;
  // The choice control the built-in learner learns (docs/automation.md);
  // empty: no learner setting (a builtin_learner backend then learns the
  // schema's first choice control).
  std::string learner_control;
};

struct TaskCounts {
  int64_t total = 0;
  int64_t new_tasks = 0;
  int64_t annotating = 0;
  int64_t done = 0;
  int64_t reviewing = 0;
  int64_t adjudicating = 0;
};

struct Project {
  int64_t id = 0;
  std::string name;
  std::string schema_json;  // validated label schema (see core/schema.h)
  ProjectSettings settings;
  int64_t created_by = 0;
  int64_t created_at_ms = 0;
};

struct Task {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string data_json;
  int32_t priority = 0;
  TaskState state = TaskState::kNew;
  int64_t created_at_ms = 0;
  std::optional<int64_t> deadline_ms;
  std::optional<int64_t> batch_id;
  // Has an expert answer: served to each annotator once, graded silently,
  // never in consensus. The answer itself is read separately.
  bool golden = false;
};

// The final label of a task: consensus, a reviewer's fix or an adjudication.
struct FinalLabel {
  int64_t task_id = 0;
  std::string result_json;
  std::string media_json;  // "" when none
  std::string method;      // "single", "majority", "dawid_skene", "review_fix", "adjudication"
  double agreement = 1;
  std::optional<int64_t> decided_by;  // the reviewer, for review_fix and adjudication
  int64_t updated_at_ms = 0;
};

enum class WorkforceKind : int8_t { kInternal = 0, kVendor = 1 };
const char* WorkforceKindName(WorkforceKind kind);  // "internal", "vendor"
std::optional<WorkforceKind> ParseWorkforceKind(std::string_view name);

enum class PricingModel : int8_t { kPerLabel = 0, kPerHour = 1 };
const char* PricingModelName(PricingModel model);  // "per_label", "per_hour"
std::optional<PricingModel> ParsePricingModel(std::string_view name);

struct Pricing {
  PricingModel model = PricingModel::kPerLabel;
  double rate = 0;  // per label or per hour, in `currency`
  std::string currency = "USD";
};

// A team of labelers, internal or an external vendor.
struct Workforce {
  int64_t id = 0;
  std::string name;
  WorkforceKind kind = WorkforceKind::kInternal;
  Pricing pricing;
  int64_t created_at_ms = 0;
};

// Tasks sent together by a program, with progress and a completion callback.
struct Batch {
  int64_t id = 0;
  int64_t project_id = 0;
  std::string name;
  std::string callback_url;  // "" when none
  std::optional<int64_t> deadline_ms;
  std::vector<int64_t> workforce_ids;  // empty: anyone with access to the project
  int64_t created_at_ms = 0;
  std::optional<int64_t> completed_at_ms;
  int64_t total = 0;  // tasks
  int64_t done = 0;
};

struct Lease {
  int64_t id = 0;
  int64_t task_id = 0;
  int64_t user_id = 0;
  int64_t expires_at_ms = 0;
};

// One revision of one person's annotation of a task. Revisions are
// append-only; the newest revision of an annotation is its current state.
struct Revision {
  int64_t id = 0;
  int64_t annotation_id = 0;
  int64_t task_id = 0;
  int64_t user_id = 0;
  std::string username;
  int32_t revision = 1;
  std::string result_json;  // the result list
  std::string media_json;   // the media size the editor saw, "" when not sent
  int64_t lead_time_ms = 0;
  RevisionSource source = RevisionSource::kHuman;
  std::optional<int64_t> parent_id;
  int64_t created_at_ms = 0;
  // The project's instructions version when it was made (docs/instructions.md); 0: none.
  int64_t instructions_version = 0;
};

}  // namespace plumb
