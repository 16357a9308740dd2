#include "store/backend_common.h"

#include <sodium.h>

#include "core/stats.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <system_error>
#include <vector>

namespace plumb::store {

Result<ProjectSettings> ParseStoredSettings(int64_t project_id, std::string_view json) {
  // Every claim and submit reads its project's settings; parsing their JSON
  // each time cost ~5 % of a busy server's CPU. A few projects are hot at
  // once, so each thread keeps the last few parsed texts.
  struct Cached {
    std::string text;
    ProjectSettings settings;
  };
  constexpr size_t kPerThread = 8;
  thread_local std::vector<Cached> cache;
  thread_local size_t next_slot = 0;
  for (const Cached& c : cache) {
    if (c.text == json) return c.settings;
  }
  auto settings = ParseSettings(json);
  if (!settings.ok()) {
    return Status::Internal("stored settings of project " + std::to_string(project_id) +
                            " are unreadable: " + settings.status().message());
  }
  if (cache.size() < kPerThread) {
    cache.push_back({std::string(json), *settings});
  } else {
    cache[next_slot] = {std::string(json), *settings};
    next_slot = (next_slot + 1) % kPerThread;
  }
  return *settings;
}

void AddToCounts(TaskCounts& counts, TaskState state, int64_t n) {
  counts.total += n;
  switch (state) {
    case TaskState::kNew:
      counts.new_tasks += n;
      break;
    case TaskState::kAnnotating:
      counts.annotating += n;
      break;
    case TaskState::kDone:
      counts.done += n;
      break;
    case TaskState::kReviewing:
      counts.reviewing += n;
      break;
    case TaskState::kAdjudicating:
      counts.adjudicating += n;
      break;
  }
}

Status VisitBatch(const std::vector<Task>& tasks, std::vector<Revision> revisions,
                  const std::function<Status(const Task&, const std::vector<Revision>&)>& fn) {
  auto next = revisions.begin();
  std::vector<Revision> of_task;
  for (const Task& task : tasks) {
    of_task.clear();
    while (next != revisions.end() && next->task_id == task.id) {
      of_task.push_back(std::move(*next));
      ++next;
    }
    PLUMB_RETURN_IF_ERROR(fn(task, of_task));
  }
  return Status::Ok();
}

Status CheckTaskQuery(const TaskQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be from 1 to 1000", "limit");
  }
  return Status::Ok();
}

Result<StoredLease> CheckOwnLease(const std::optional<StoredLease>& lease, int64_t lease_id,
                                  int64_t task_id, int64_t user_id) {
  if (!lease || lease->user_id != user_id || lease->task_id != task_id) {
    return Status::Conflict("lease " + std::to_string(lease_id) + " is not yours for task " +
                            std::to_string(task_id));
  }
  return *lease;
}

std::optional<std::string> ScoreText(const std::optional<double>& score) {
  if (!score) return std::nullopt;
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), *score);  // shortest exact form
  if (ec != std::errc()) return std::nullopt;
  return std::string(buf, end);
}

std::optional<double> ParseScore(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::string EventBody(int64_t event_id, std::string_view type, int64_t project_id,
                      int64_t created_at_ms, std::string_view data_json) {
  std::string out = "{\"id\":" + std::to_string(event_id) + ",\"type\":";
  out += nlohmann::json(std::string(type)).dump();
  out += ",\"project_id\":" + std::to_string(project_id);
  out += ",\"created_at\":\"" + FormatIsoTime(created_at_ms) + "\",\"data\":";
  out += data_json;
  out += "}";
  return out;
}

std::string TaskCompletedData(const Task& task, const FinalLabel& label) {
  nlohmann::json data = {{"task_id", task.id},
                         {"method", label.method},
                         {"agreement", label.agreement},
                         {"result", nlohmann::json::parse(label.result_json, nullptr, false)}};
  data["batch_id"] = task.batch_id ? nlohmann::json(*task.batch_id) : nlohmann::json();
  data["media"] = label.media_json.empty() ? nlohmann::json()
                                           : nlohmann::json::parse(label.media_json, nullptr, false);
  return data.dump();
}

std::string BatchCompletedData(int64_t batch_id, int64_t total) {
  return nlohmann::json{{"batch_id", batch_id}, {"total", total}}.dump();
}

std::string ReviewRejectedData(int64_t task_id, int64_t reviewer_id, std::string_view comment) {
  return nlohmann::json{
      {"task_id", task_id}, {"reviewer_id", reviewer_id}, {"comment", std::string(comment)}}
      .dump();
}

std::string JoinEvents(const std::vector<std::string>& events) {
  std::string out;
  for (const std::string& e : events) {
    if (!out.empty()) out += ",";
    out += e;
  }
  return out;
}

std::vector<std::string> SplitEvents(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    size_t comma = joined.find(',');
    out.emplace_back(joined.substr(0, comma));
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return out;
}

Completion DefaultCompletion(const CompletionInput& input) {
  Completion c;
  c.state = TaskState::kDone;
  if (!input.current.empty()) {
    const Revision& newest = *std::max_element(
        input.current.begin(), input.current.end(),
        [](const Revision& a, const Revision& b) { return a.id < b.id; });
    c.label.result_json = newest.result_json;
    c.label.media_json = newest.media_json;
  } else {
    c.label.result_json = "[]";
  }
  c.label.method = "single";
  c.label.agreement = 1;
  return c;
}

ImportedTaskCounters CountersForImport(int32_t overlap, bool annotated) {
  if (!annotated) return {TaskState::kNew, 0, overlap};
  if (overlap <= 1) return {TaskState::kDone, 1, 0};
  return {TaskState::kAnnotating, 1, overlap - 1};
}

NewRevision ImportedRevision(int64_t task_id, const NewImportedAnnotation& annotation) {
  NewRevision rev;
  rev.task_id = task_id;
  rev.user_id = annotation.user_id;
  rev.result_json = annotation.result_json;
  rev.media_json = annotation.media_json;
  rev.lead_time_ms = annotation.lead_time_ms;
  rev.source = RevisionSource::kImport;
  return rev;
}

Status CheckPrediction(const NewPrediction& prediction) {
  if (prediction.model_name.size() > kMaxModelNameBytes) {
    return Status::InvalidArgument("model name is longer than 200 bytes", "model_name");
  }
  if (prediction.model_version.size() > kMaxModelNameBytes) {
    return Status::InvalidArgument("model version is longer than 200 bytes", "model_version");
  }
  if (prediction.score && !std::isfinite(*prediction.score)) {
    return Status::InvalidArgument("score must be a finite number", "score");
  }
  return Status::Ok();
}

Status CheckVersionName(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name != "diff";
  for (unsigned char c : name) {
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-')) ok = false;
  }
  if (!ok) {
    return Status::InvalidArgument("a version name is 1 to 64 of A-Z a-z 0-9 . _ - (and not \"diff\")",
                                   "name");
  }
  return Status::Ok();
}

namespace {

std::string Hex(const unsigned char* bytes, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return Hex(digest, sizeof(digest));
}

Result<CanonicalLabel> CanonicalizeLabel(int64_t task_id, std::string_view result_json,
                                         std::string_view media_json, std::string_view method) {
  // nlohmann's objects are std::maps: dump() writes keys sorted, compactly.
  nlohmann::json result = nlohmann::json::parse(result_json, nullptr, false);
  nlohmann::json media = media_json.empty() ? nlohmann::json()
                                            : nlohmann::json::parse(media_json, nullptr, false);
  if (result.is_discarded() || media.is_discarded()) {
    return Status::Internal("the final label of task " + std::to_string(task_id) +
                            " is not valid JSON");
  }
  CanonicalLabel label;
  label.result_json = result.dump();
  label.media_json = media.is_null() ? "" : media.dump();
  label.method = std::string(method);
  std::string text = "{\"media\":";
  text += media.is_null() ? "null" : label.media_json;
  text += ",\"method\":";
  text += nlohmann::json(label.method).dump();
  text += ",\"result\":";
  text += label.result_json;
  text += "}";
  label.hash = Sha256Hex(text);
  return label;
}

static_assert(sizeof(crypto_hash_sha256_state) <= 256);

VersionHasher::VersionHasher() {
  crypto_hash_sha256_init(reinterpret_cast<crypto_hash_sha256_state*>(state_));
}

void VersionHasher::Add(int64_t task_id, std::string_view label_hash) {
  std::string line = std::to_string(task_id);
  line += ' ';
  line += label_hash;
  line += '\n';
  crypto_hash_sha256_update(reinterpret_cast<crypto_hash_sha256_state*>(state_),
                            reinterpret_cast<const unsigned char*>(line.data()), line.size());
}

std::string VersionHasher::Finish() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(reinterpret_cast<crypto_hash_sha256_state*>(state_), digest);
  return Hex(digest, sizeof(digest));
}

void VersionDiffBuilder::AddChange(int64_t task_id, const std::optional<std::string>& from_result,
                                   const std::optional<std::string>& to_result) {
  std::vector<int64_t>* ids = nullptr;
  if (!from_result) {
    ++diff_.added;
    ids = &diff_.added_ids;
  } else if (!to_result) {
    ++diff_.removed;
    ids = &diff_.removed_ids;
  } else {
    ++diff_.relabeled;
    ids = &diff_.relabeled_ids;
  }
  if (ids->size() < kMaxDiffIds) ids->push_back(task_id);
  const std::vector<std::string> before =
      from_result ? ResultClasses(*from_result) : std::vector<std::string>{};
  const std::vector<std::string> after =
      to_result ? ResultClasses(*to_result) : std::vector<std::string>{};
  for (const std::string& c : after) {
    if (std::find(before.begin(), before.end(), c) == before.end()) ++classes_[c].first;
  }
  for (const std::string& c : before) {
    if (std::find(after.begin(), after.end(), c) == after.end()) ++classes_[c].second;
  }
}

VersionDiff VersionDiffBuilder::Finish(int64_t from_tasks) {
  diff_.unchanged = from_tasks - diff_.removed - diff_.relabeled;
  for (const auto& [name, counts] : classes_) {
    diff_.classes.push_back({name, counts.first, counts.second});
  }
  return std::move(diff_);
}

Result<std::string> CheckAuditEntry(const AuditEntry& entry) {
  if (entry.action.empty() || entry.action.size() > 64) {
    return Status::InvalidArgument("an audit entry needs an action of at most 64 bytes", "action");
  }
  if (entry.details_json.empty()) return std::string("{}");
  nlohmann::json details = nlohmann::json::parse(entry.details_json, nullptr, false);
  if (!details.is_object()) {
    return Status::InvalidArgument("audit details must be a JSON object", "details");
  }
  return details.dump();
}

Status CheckAuditQuery(const AuditQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return Status::InvalidArgument("limit must be from 1 to 1000", "limit");
  }
  return Status::Ok();
}

const char* PrelabelOutcomeName(PrelabelOutcome outcome) {
  switch (outcome) {
    case PrelabelOutcome::kUnchanged:
      return "unchanged";
    case PrelabelOutcome::kEdited:
      return "edited";
    case PrelabelOutcome::kDiscarded:
      return "discarded";
  }
  return "unchanged";
}

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "queued";
}

std::vector<StatDelta> PrelabelStats(const NewRevision& rev) {
  if (!rev.track_prelabel) return {};
  const auto lead = static_cast<double>(rev.lead_time_ms);
  if (!rev.prelabel) return {StatDelta{rev.user_id, stats::kPrelabelNone, 1, lead}};
  return {StatDelta{rev.user_id,
                    std::string(stats::kPrelabelPrefix) + PrelabelOutcomeName(rev.prelabel->outcome) +
                        "." + stats::ModelKey(rev.prelabel->model_name, rev.prelabel->model_version),
                    1, lead}};
}

Status CheckMlBackend(const MlBackend& b) {
  if (b.name.empty()) return Status::InvalidArgument("a backend needs a name", "name");
  if (b.url.empty()) return Status::InvalidArgument("a backend needs a url", "url");
  if (b.protocol != "plumb" && b.protocol != "label_studio" && b.protocol != "builtin_learner" &&
      b.protocol != "span_prelabeler") {
    return Status::InvalidArgument(
        "protocol must be plumb, label_studio, builtin_learner or span_prelabeler", "protocol");
  }
  if (b.batch_size < 1 || b.concurrency < 1 || b.timeout_ms < 1) {
    return Status::InvalidArgument("batch_size, concurrency and timeout_ms must be positive",
                                   "batch_size");
  }
  return Status::Ok();
}

std::span<const DumpTable> SchemaTables() {
  static const DumpTable kTables[] = {
      {"users", {"id", "username", "password_hash", "role", "created_at"}, "id", "id"},
      {"sessions", {"secret_hash", "user_id", "expires_at"}, "secret_hash", ""},
      {"api_tokens", {"id", "secret_hash", "user_id", "name", "created_at"}, "id", "id"},
      {"projects",
       {"id", "name", "schema_json", "settings_json", "created_by", "created_at", "deleted"},
       "id",
       "id"},
      {"project_members", {"project_id", "user_id"}, "project_id, user_id", ""},
      {"workforces",
       {"id", "name", "kind", "pricing_model", "rate", "currency", "created_at"},
       "id",
       "id"},
      {"workforce_members", {"workforce_id", "user_id"}, "workforce_id, user_id", ""},
      {"project_workforces", {"project_id", "workforce_id"}, "project_id, workforce_id", ""},
      {"batches",
       {"id", "project_id", "name", "callback_url", "callback_secret", "deadline", "routed",
        "total", "done", "created_at", "completed_at"},
       "id",
       "id"},
      {"batch_workforces", {"batch_id", "workforce_id"}, "batch_id, workforce_id", ""},
      {"tasks",
       {"id", "project_id", "priority", "state", "annotation_count", "lease_count", "open_slots",
        "created_at", "data", "deadline", "batch_id", "routed", "golden", "rejected_count",
        "resent", "uncertainty"},
       "id",
       "id"},
      {"leases",
       {"id", "project_id", "task_id", "user_id", "expires_at", "active", "counted"},
       "id",
       "id"},
      {"annotations",
       {"id", "project_id", "task_id", "user_id", "current_revision_id", "created_at", "kind",
        "rejected"},
       "id",
       "id"},
      {"revisions",
       {"id", "annotation_id", "task_id", "user_id", "revision", "result", "media", "lead_time_ms",
        "source", "parent_id", "idempotency_key", "created_at", "instructions_version"},
       "id",
       "id"},
      {"skips", {"task_id", "user_id"}, "task_id, user_id", ""},
      {"predictions",
       {"id", "project_id", "task_id", "model_name", "model_version", "score", "result_json",
        "media", "created_at"},
       "id",
       "id"},
      {"golden_answers", {"task_id", "result", "media"}, "task_id", ""},
      {"golden_grades",
       {"task_id", "user_id", "project_id", "revision_id", "score", "correct", "created_at"},
       "task_id, user_id",
       ""},
      {"final_labels",
       {"task_id", "result", "media", "method", "agreement", "decided_by", "updated_at"},
       "task_id",
       ""},
      {"reviews",
       {"id", "task_id", "reviewer_id", "decision", "comment", "created_at"},
       "id",
       "id"},
      {"review_leases",
       {"id", "project_id", "task_id", "user_id", "expires_at", "active"},
       "id",
       "id"},
      {"webhooks", {"id", "project_id", "url", "secret", "events", "created_at"}, "id", "id"},
      {"events",
       {"id", "project_id", "type", "task_id", "batch_id", "data", "created_at"},
       "id",
       "id"},
      {"deliveries",
       {"id", "event_id", "webhook_id", "batch_id", "url", "secret", "state", "attempts",
        "last_status", "last_error", "next_attempt_at", "delivered_at"},
       "id",
       "id"},
      {"stat_counters",
       {"project_id", "user_id", "day", "metric", "n", "total"},
       "project_id, day, user_id, metric",
       ""},
      {"disagreements",
       {"prediction_id", "project_id", "task_id", "score", "controls", "labels", "computed_at"},
       "prediction_id",
       ""},
      {"label_blobs", {"hash", "result", "media", "method"}, "hash", ""},
      {"dataset_versions",
       {"id", "project_id", "name", "note", "hash", "tasks", "created_by", "created_at"},
       "id",
       "id"},
      {"dataset_version_labels",
       {"version_id", "task_id", "label_hash"},
       "version_id, task_id",
       ""},
      {"audit_log",
       {"id", "at", "user_id", "action", "project_id", "target", "details"},
       "id",
       "id"},
      {"instructions_versions",
       {"project_id", "version", "body", "examples", "note", "author_id", "created_at"},
       "project_id, version",
       ""},
      {"instruction_images", {"hash", "content_type", "data"}, "hash", "", "data"},
      {"instruction_acks", {"project_id", "user_id", "version", "at"}, "project_id, user_id", ""},
      {"golden_sets",
       {"id", "project_id", "name", "version", "note", "tasks", "created_by", "created_at"},
       "id",
       "id"},
      {"golden_set_tasks",
       {"golden_set_id", "task_id", "result", "media"},
       "golden_set_id, task_id",
       ""},
      {"bakeoffs",
       {"id", "project_id", "name", "golden_set_id", "instructions_version", "closed", "w_accuracy",
        "w_speed", "w_cost", "created_by", "created_at", "closed_at"},
       "id",
       "id"},
      {"bakeoff_candidates",
       {"id", "bakeoff_id", "name", "kind", "workforce_id", "format", "pricing_model", "rate",
        "currency", "sent_at", "returned_at"},
       "id",
       "id"},
      {"bakeoff_assignments",
       {"candidate_id", "task_id", "user_id", "lease_id"},
       "candidate_id, task_id",
       ""},
      {"bakeoff_labels",
       {"candidate_id", "task_id", "user_id", "revision_id", "result", "media", "lead_time_ms",
        "created_at"},
       "candidate_id, task_id",
       ""},
      {"ml_backends",
       {"id", "project_id", "name", "url", "protocol", "auth_header", "enabled", "on_import",
        "continuous", "train", "batch_size", "concurrency", "timeout_ms", "health", "last_error",
        "checked_at", "model_version", "created_at"},
       "id",
       "id"},
      {"prediction_jobs",
       {"id", "project_id", "backend_id", "origin", "scope", "state", "cursor", "total",
        "processed", "predicted", "failed", "last_error", "created_by", "created_at", "updated_at",
        "finished_at", "held_until"},
       "id",
       "id"},
      {"prelabel_uses",
       {"revision_id", "project_id", "task_id", "prediction_id", "model_name", "model_version",
        "outcome", "created_at"},
       "revision_id",
       ""},
      {"learner_models",
       {"project_id", "control", "model", "updates", "updated_at"},
       "project_id, control",
       "",
       "model"},
      {"practice_items",
       {"project_id", "task_id", "position", "explanation", "anchor"},
       "project_id, task_id",
       ""},
      {"qualification_attempts",
       {"id", "project_id", "user_id", "golden_set_id", "instructions_version", "pass_mark",
        "tasks", "answered", "score", "passed", "started_at", "finished_at"},
       "id",
       "id"},
      {"training_answers",
       {"id", "project_id", "user_id", "task_id", "attempt_id", "result", "media", "lead_time_ms",
        "score", "correct", "created_at"},
       "id",
       "id"},
      {"labeler_training",
       {"project_id", "user_id", "first_at", "practice_done", "practice_correct",
        "practice_since_fail", "attempts", "last_score", "best_score", "last_failed_at",
        "passed_at", "passed_version", "first_passed_at", "paused_at", "pause", "checked_since"},
       "project_id, user_id",
       ""},
      {"span_prelabelers",
       {"project_id", "control", "config", "version", "updated_by", "updated_at"},
       "project_id",
       ""},
      {"train_queue", {"project_id", "task_id", "queued_at"}, "project_id, task_id", ""},
  };
  return kTables;
}

Status CheckNewGoldenSet(std::string_view name, const std::vector<int64_t>& task_ids) {
  if (name.empty() || name.size() > 200) {
    return Status::InvalidArgument("name must be 1 to 200 bytes", "name");
  }
  std::set<int64_t> seen;
  for (size_t i = 0; i < task_ids.size(); ++i) {
    if (!seen.insert(task_ids[i]).second) {
      return Status::InvalidArgument("task " + std::to_string(task_ids[i]) + " is given twice",
                                     "task_ids[" + std::to_string(i) + "]");
    }
  }
  return Status::Ok();
}

Status CheckNewBakeoff(const Bakeoff& bakeoff) {
  std::set<std::string> names;
  for (size_t i = 0; i < bakeoff.candidates.size(); ++i) {
    if (!names.insert(bakeoff.candidates[i].name).second) {
      return Status::InvalidArgument(
          "two candidates are named '" + bakeoff.candidates[i].name + "'",
          "candidates[" + std::to_string(i) + "].name");
    }
  }
  return Status::Ok();
}

Status CheckVendorLabels(const std::vector<BakeoffLabel>& labels) {
  std::set<int64_t> seen;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!seen.insert(labels[i].task_id).second) {
      return Status::InvalidArgument(
          "task " + std::to_string(labels[i].task_id) + " is answered twice",
          "[" + std::to_string(i) + "].task_id");
    }
  }
  return Status::Ok();
}

void AttachCandidates(std::vector<Bakeoff>& bakeoffs, std::vector<BakeoffCandidate> candidates) {
  std::map<int64_t, Bakeoff*> by_id;
  for (Bakeoff& b : bakeoffs) by_id[b.id] = &b;
  for (BakeoffCandidate& c : candidates) {
    auto it = by_id.find(c.bakeoff_id);
    if (it != by_id.end()) it->second->candidates.push_back(std::move(c));
  }
}

Result<LoadTarget> CheckLoadRow(std::string_view name, const std::vector<std::string>& columns,
                                size_t value_count) {
  auto tables = SchemaTables();
  auto table = std::find_if(tables.begin(), tables.end(),
                            [&](const DumpTable& t) { return t.name == name; });
  if (table == tables.end()) {
    return Status::InvalidArgument("unknown table '" + std::string(name) + "'", "table");
  }
  if (columns.empty() || columns.size() != value_count) {
    return Status::InvalidArgument("a row of " + std::string(name) + " has " +
                                       std::to_string(columns.size()) + " columns and " +
                                       std::to_string(value_count) + " values",
                                   "columns");
  }
  LoadTarget target{&*table, {}};
  for (const std::string& column : columns) {
    auto known = std::find(table->columns.begin(), table->columns.end(), column);
    if (known == table->columns.end()) {
      return Status::InvalidArgument(
          "table " + std::string(name) + " has no column '" + column + "'", "columns");
    }
    if (std::find(target.columns.begin(), target.columns.end(), *known) != target.columns.end()) {
      return Status::InvalidArgument("column '" + column + "' given twice", "columns");
    }
    target.columns.push_back(*known);
  }
  return target;
}

std::string EncodeHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::optional<std::string> DecodeHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = digit(hex[2 * i]);
    const int lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

Status InstructionsNotFound(int64_t project_id, std::optional<int64_t> version) {
  if (!version) {
    return Status::NotFound("project " + std::to_string(project_id) + " has no instructions");
  }
  return Status::NotFound("instructions version " + std::to_string(*version) + " of project " +
                          std::to_string(project_id) + " not found");
}

Status CheckReworkIds(const std::vector<int64_t>& task_ids) {
  if (task_ids.size() > static_cast<size_t>(kMaxPageSize)) {
    return Status::InvalidArgument("at most 1000 tasks per call", "task_ids");
  }
  return Status::Ok();
}

std::string JoinColumns(std::span<const std::string_view> columns) {
  std::string out;
  for (std::string_view column : columns) {
    if (!out.empty()) out += ", ";
    out += column;
  }
  return out;
}

// --- training and qualification --------------------------------------------------------

Status CheckPracticeItems(const std::vector<PracticeItem>& items) {
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i].task_id).second) {
      return Status::InvalidArgument(
          "task " + std::to_string(items[i].task_id) + " is listed twice",
          "items[" + std::to_string(i) + "].task_id");
    }
  }
  return Status::Ok();
}

std::optional<std::string> PauseEventData(int64_t project_id, int64_t user_id,
                                          std::string_view username, const PauseRule& rule,
                                          const std::vector<WindowGrade>& window) {
  if (rule.threshold <= 0 || rule.window <= 0 || window.size() < static_cast<size_t>(rule.window)) {
    return std::nullopt;
  }
  int64_t correct = 0;
  nlohmann::json wrong = nlohmann::json::array();
  for (const WindowGrade& g : window) {
    if (g.correct) {
      ++correct;
    } else {
      wrong.push_back({{"task_id", g.task_id}, {"score", g.score}});
    }
  }
  const double accuracy = static_cast<double>(correct) / static_cast<double>(window.size());
  if (accuracy >= rule.threshold) return std::nullopt;
  return nlohmann::json{{"project_id", project_id},
                        {"user_id", user_id},
                        {"username", std::string(username)},
                        {"accuracy", accuracy},
                        {"threshold", rule.threshold},
                        {"window", rule.window},
                        {"wrong_tasks", wrong}}
      .dump();
}

AttemptOutcome ScoreAttempt(const std::vector<double>& scores, int64_t tasks, double pass_mark) {
  double sum = 0;
  for (double s : scores) sum += s;
  AttemptOutcome out;
  out.score = tasks > 0 ? sum / static_cast<double>(tasks) : 0;
  out.passed = out.score >= pass_mark;
  return out;
}

void ApplyAttemptOutcome(LabelerTraining& t, const AttemptOutcome& outcome,
                         int64_t instructions_version, int64_t now_ms) {
  ++t.attempts;
  t.last_score = outcome.score;
  if (!t.best_score || outcome.score > *t.best_score) t.best_score = outcome.score;
  if (outcome.passed) {
    t.passed_at_ms = now_ms;
    t.passed_version = instructions_version;
    if (!t.first_passed_at_ms) t.first_passed_at_ms = now_ms;
  } else {
    t.last_failed_at_ms = now_ms;
    t.practice_since_fail = 0;
  }
}

}  // namespace plumb::store
