#pragma once
// workflow: the labeling flow on top of the store — which task a person gets
// next (a chain of queue rules, each named so the UI and tests can tell which
// one picked a task), submitting a result checked against the project's
// schema, and skipping. Holds no state of its own; thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "core/core.h"
#include "store/store.h"

namespace plumb::workflow {

struct NextTask {
  Task task;
  Lease lease;
  // The queue rule that picked the task: "existing_lease" (the caller's live
  // lease handed out again) or "priority" (highest priority, then import order).
  std::string rule;
  // The task's newest prediction, which the editor starts from (a pre-label).
  std::optional<store::Prediction> prelabel;
};

struct Submission {
  std::optional<int64_t> lease_id;
  std::string idempotency_key;
  std::string result_json;  // as sent; validated here
  std::string media_json;   // as sent, "" when not sent; validated here
  int64_t lead_time_ms = 0;
};

class Queue {
 public:
  Queue(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // The caller's next task in the project with its lease and pre-label, or
  // nullopt when nothing is left for them. Errors come from the store.
  Result<std::optional<NextTask>> Next(const Project& project, const User& user);

  // Validates the result and media against the project's schema and the
  // task's data (kInvalidResult naming the item), then appends a revision to `task`, a
  // task of `project` (see store::Store::AppendRevision for kConflict /
  // kLeaseExpired and idempotent replay).
  Result<Revision> Submit(const Project& project, const Task& task, const User& user,
                          const Submission& submission);

  // kConflict when the lease is not the caller's.
  Status Skip(const User& user, int64_t task_id, int64_t lease_id);

 private:
  store::Store& store_;
  const Clock& clock_;
};

}  // namespace plumb::workflow
