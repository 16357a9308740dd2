#pragma once
// Shared pieces of the API handlers (not part of the module's interface):
// the per-request context, route tables, JSON helpers and access checks.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/http.h"
#include "workflow/workflow.h"

namespace plumb::http {

struct Ctx {
  const Services& services;
  const Request& req;
  std::vector<int64_t> ids;  // the {id} parameters of the route, in order
  User user;                 // the caller; unset (id 0) on public routes
  std::vector<std::string> names;  // the {name} and {hash} segments of the route, in order
};

enum class Access : int8_t { kPublic, kSignedIn };

struct Route {
  const char* method;
  const char* pattern;  // "/api/v1/projects/{id}/tasks"
  Access access;
  Reply (*fn)(Ctx&);
};

// The import route: its body is streamed to a file (see IsUploadRoute).
inline constexpr char kImportRoute[] = "/api/v1/projects/{id}/tasks";
// Predictions for existing tasks: streamed like an import.
inline constexpr char kPredictionsRoute[] = "/api/v1/projects/{id}/predictions";
// Instructions (PUT) and their images (POST): streamed like an import.
inline constexpr char kInstructionsRoute[] = "/api/v1/projects/{id}/instructions";
inline constexpr char kInstructionImagesRoute[] = "/api/v1/projects/{id}/instructions/images";
// An expert's file of golden answers: streamed like an import.
inline constexpr char kGoldenImportRoute[] = "/api/v1/projects/{id}/golden/import";
// A vendor's returned bake-off file: streamed like an import.
inline constexpr char kBakeoffImportRoute[] =
    "/api/v1/projects/{id}/bakeoffs/{id}/candidates/{id}/import";

std::vector<Route> AuthRoutes();
std::vector<Route> ProjectRoutes();
std::vector<Route> TaskRoutes();
std::vector<Route> WorkflowRoutes();   // review, golden, batches, webhooks
std::vector<Route> WorkforceRoutes();  // workforces and their project access
std::vector<Route> VersionRoutes();    // dataset versions, label history, the audit log
std::vector<Route> BakeoffRoutes();    // golden sets and bake-offs (docs/bakeoffs.md)

// Writes an audit log entry (docs/datasets.md) for an administrative action
// the caller just did; a failure to write it is logged, not answered (the
// action is done). E.g. Audit(ctx, "instructions.save", project.id, "v3", {{"version", 3}}).
void Audit(Ctx& ctx, std::string_view action, std::optional<int64_t> project_id,
           std::string target = "", const nlohmann::json& details = nlohmann::json::object());
std::vector<Route> InstructionsRoutes();  // labeling instructions (docs/instructions.md)
std::vector<Route> MlRoutes();  // ML backends, prediction jobs, automation stats
std::vector<Route> TrainingRoutes();  // practice, qualification, ongoing checks (docs/training.md)
// For a settings change: kInvalidArgument (field "settings.qualification_set_id")
// when a new qualification set is not one of the project's golden sets.
Status CheckTrainingSettings(Ctx& ctx, const Project& project, const ProjectSettings& settings);

// Adapts a handler written against Result (so that it can use
// PLUMB_ASSIGN_OR_RETURN) to a route: an error becomes its JSON reply.
template <Result<Reply> (*Fn)(Ctx&)>
Reply Handle(Ctx& ctx) {
  Result<Reply> reply = Fn(ctx);
  if (!reply.ok()) return ErrorReply(reply.status());
  return std::move(reply).value();
}

// The request body, read from its spool file for streamed routes;
// kPayloadTooLarge when it is longer than `max_bytes`.
Result<std::string> ReadBody(const Request& req, uint64_t max_bytes);
// A JSON reply.
Reply JsonReply(int status, const nlohmann::json& body);
// 204 with no body.
Reply NoContent();
// The request body as a JSON object; kInvalidArgument naming the problem.
Result<nlohmann::json> ParseJsonBody(const Request& req);
// kPermissionDenied unless the caller's role is at least `min`.
Status RequireRole(const User& user, Role min);
// Whether the caller sees everything of every project (admin, manager).
bool IsManager(const User& user);
// The project if it exists and the caller may access it: admins and managers
// all, others those they are members of (kPermissionDenied otherwise).
Result<Project> LoadProject(Ctx& ctx, int64_t project_id);
// LoadProject for a manager or admin; kPermissionDenied for anyone else.
Result<Project> LoadManagedProject(Ctx& ctx, int64_t project_id);
// The task and its project, if the caller may access the project.
Result<std::pair<Task, Project>> LoadTask(Ctx& ctx, int64_t task_id);
// A required positive integer `key` of a JSON body (an id), or
// kInvalidArgument naming it.
Result<int64_t> BodyId(const nlohmann::json& body, const char* key);
// A JSON id parameter from the query (`name`), or kInvalidArgument.
Result<std::optional<int64_t>> QueryInt(const Request& req, const std::string& name,
                                        int64_t min, int64_t max);

// Whether the project's accepted labels go to backends that learn: a submit
// or review decision then queues its task for them in its own transaction
// (workflow::Submission::queue_train) and calls NotifyIfAccepted.
bool LearnsFromAccepted(Ctx& ctx, int64_t project_id);
// After such a write: when the task is done (`state`, when the caller has
// read it; else the task is read), the ML runner tells the backends that
// train. Non-blocking.
void NotifyIfAccepted(Ctx& ctx, int64_t project_id, int64_t task_id,
                      std::optional<TaskState> state = std::nullopt);

// The result, lead_time_ms and media of a submit body (kInvalidArgument naming the field).
Result<workflow::Submission> ParseSubmission(const nlohmann::json& body);

// After a project's settings were saved (created: `before` nullopt): the
// learner setting adds or enables the built-in learner's backend (clearing
// it disables that backend, keeping its model and figures), and with the
// queue order "uncertainty" a change of the learner, the order or its
// measure queues a rerank. Failures are logged: the settings are saved.
void AfterSettingsChange(Ctx& ctx, const std::optional<Project>& before, const Project& after);

nlohmann::json UserJson(const User& user);
nlohmann::json ProjectJson(const Project& project, const TaskCounts& counts);
nlohmann::json RevisionJson(const Revision& revision);

// What a task's JSON depends on besides the task: whether the caller may
// know that it is golden (managers and admins only: an annotator must not
// tell golden tasks from others), and the time and warning window that make
// its deadline "soon".
struct TaskView {
  bool manager = false;
  int64_t now_ms = 0;
  int32_t deadline_warning_seconds = 0;
};
TaskView ViewFor(const Ctx& ctx, const Project& project);
// Whether a task that is not done has its deadline within the warning window
// (or past it).
bool DeadlineSoon(const Task& task, const TaskView& view);
// A time as ISO 8601, or null.
nlohmann::json IsoOrNull(const std::optional<int64_t>& ms);
// A golden task's answer {result, media}: for managers' eyes only.
nlohmann::json GoldenAnswerJson(const store::GoldenAnswer& answer);
// A task with the current revisions of the annotations the caller may see.
nlohmann::json TaskJson(const Task& task, const std::vector<Revision>& current,
                        const TaskView& view);
// A JSON document stored as text; null when empty or unparsable (which the
// store's validation on write rules out).
nlohmann::json ParseStored(const std::string& json_text);

}  // namespace plumb::http
