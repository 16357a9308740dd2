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

// A task's place in the labeling flow. Stored as these integers.
enum class TaskState : int8_t { kNew = 0, kAnnotating = 1, kDone = 2 };

const char* TaskStateName(TaskState state);
std::optional<TaskState> ParseTaskState(std::string_view name);

// Where a revision came from.
// kImport: brought in with the task by an import (Label Studio, COCO, ...).
enum class RevisionSource : int8_t { kHuman = 0, kPrediction = 1, kReviewFix = 2, kImport = 3 };
const char* RevisionSourceName(RevisionSource source);

struct User {
  int64_t id = 0;
  std::string username;
  Role role = Role::kAnnotator;
  int64_t created_at_ms = 0;
};

struct ProjectSettings {
  int32_t overlap = 1;         // distinct people per task
  int32_t lease_seconds = 600; // how long a handed-out task stays reserved
};

struct TaskCounts {
  int64_t total = 0;
  int64_t new_tasks = 0;
  int64_t annotating = 0;
  int64_t done = 0;
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
};

}  // namespace plumb
