// The labeling flow: next task, submit, skip, and annotation history.

#include "http/api_internal.h"
#include "workflow/workflow.h"

namespace plumb::http {
namespace {

using nlohmann::json;

// Annotators and reviewers see only their own annotations of a task (blind
// labeling); managers see everyone's.
std::optional<int64_t> OwnOnly(const User& user) {
  if (IsManager(user)) return std::nullopt;
  return user.id;
}

// The next-task reply, written out directly: it is the hottest reply, and the
// task's stored data is compact JSON that was validated on import, so it is
// spliced in as it is rather than parsed and serialized again. The same
// fields as TaskJson, without annotations, and the task's pre-label if any;
// for rework the reviewer's note and the caller's previous result.
std::string NextReplyBody(const workflow::NextTask& n, const TaskView& view) {
  const Task& t = n.task;
  std::string out;
  out.reserve(t.data_json.size() + 256);
  out += R"({"task":{"id":)";
  out += std::to_string(t.id);
  out += R"(,"project_id":)";
  out += std::to_string(t.project_id);
  out += R"(,"data":)";
  out += t.data_json.empty() ? "null" : t.data_json;
  out += R"(,"priority":)";
  out += std::to_string(t.priority);
  out += R"(,"state":")";
  out += TaskStateName(t.state);
  out += R"(","created_at":")";
  out += FormatIsoTime(t.created_at_ms);
  out += R"(","deadline":)";
  out += IsoOrNull(t.deadline_ms).dump();
  out += R"(,"deadline_soon":)";
  out += DeadlineSoon(t, view) ? "true" : "false";
  out += R"(,"batch_id":)";
  out += t.batch_id ? std::to_string(*t.batch_id) : "null";
  if (view.manager) {
    out += R"(,"golden":)";
    out += t.golden ? "true" : "false";
  }
  if (n.previous) {
    out += R"(,"previous_result":{"result":)";
    out += n.previous->result_json.empty() ? "null" : n.previous->result_json;
    out += R"(,"media":)";
    out += n.previous->media_json.empty() ? "null" : n.previous->media_json;
    out += '}';
  }
  if (n.prelabel) {
    // Stored results and media were validated and written compact.
    const store::Prediction& p = *n.prelabel;
    out += R"(,"prelabel":{"id":)";
    out += std::to_string(p.id);
    out += R"(,"result":)";
    out += p.result_json;
    out += R"(,"media":)";
    out += p.media_json.empty() ? "null" : p.media_json;
    out += R"(,"model_name":)";
    out += json(p.model_name).dump(-1, ' ', false, json::error_handler_t::replace);
    out += R"(,"model_version":)";
    out += json(p.model_version).dump(-1, ' ', false, json::error_handler_t::replace);
    out += R"(,"score":)";
    out += p.score ? json(*p.score).dump() : "null";
    out += '}';
  }
  out += R"(},"lease":{"id":)";
  out += std::to_string(n.lease.id);
  out += R"(,"expires_at":")";
  out += FormatIsoTime(n.lease.expires_at_ms);
  out += R"("},"rule":)";
  // Only managers may tell a golden task from another: to everyone else the
  // golden and bake-off rules read as the ordinary one.
  const bool hidden = n.rule == "golden" || n.rule == "bakeoff";
  out += json(hidden && !view.manager ? std::string("priority") : n.rule).dump();
  if (n.review) {
    const store::Store::ReviewNote& r = *n.review;
    out += R"(,"review":)";
    out += json{{"comment", r.comment},
                {"reviewer", {{"id", r.reviewer_id}, {"username", r.reviewer}}},
                {"at", FormatIsoTime(r.created_at_ms)}}
               .dump(-1, ' ', false, json::error_handler_t::replace);
  }
  out += '}';
  return out;
}

// The submit reply, written out directly as NextReplyBody is: the same
// fields as RevisionJson, with the stored result and media (compact JSON,
// validated when submitted) spliced in rather than parsed and serialized
// again.
std::string SubmitReplyBody(const Revision& r) {
  std::string out;
  out.reserve(r.result_json.size() + r.media_json.size() + 320);
  out += R"({"annotation":{"id":)";
  out += std::to_string(r.id);
  out += R"(,"annotation_id":)";
  out += std::to_string(r.annotation_id);
  out += R"(,"task_id":)";
  out += std::to_string(r.task_id);
  out += R"(,"revision":)";
  out += std::to_string(r.revision);
  out += R"(,"annotator":{"id":)";
  out += std::to_string(r.user_id);
  out += R"(,"username":)";
  out += json(r.username).dump(-1, ' ', false, json::error_handler_t::replace);
  out += R"(},"result":)";
  out += r.result_json.empty() ? "null" : r.result_json;
  out += R"(,"media":)";
  out += r.media_json.empty() ? "null" : r.media_json;
  out += R"(,"lead_time_ms":)";
  out += std::to_string(r.lead_time_ms);
  out += R"(,"source":)";
  out += json(RevisionSourceName(r.source)).dump();
  out += R"(,"parent_id":)";
  out += r.parent_id ? std::to_string(*r.parent_id) : "null";
  out += R"(,"created_at":")";
  out += FormatIsoTime(r.created_at_ms);
  out += R"(","instructions_version":)";
  out += std::to_string(r.instructions_version);
  out += "}}";
  return out;
}

Reply Next(Ctx& ctx) {
  auto project = LoadProject(ctx, ctx.ids[0]);
  if (!project.ok()) return ErrorReply(project.status());
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  auto next = queue.Next(*project, ctx.user);
  if (!next.ok()) return ErrorReply(next.status());
  if (!next->has_value()) return NoContent();
  Reply reply;
  reply.body = NextReplyBody(**next, ViewFor(ctx, *project));
  return reply;
}

Reply GetTask(Ctx& ctx) {
  auto loaded = LoadTask(ctx, ctx.ids[0]);
  if (!loaded.ok()) return ErrorReply(loaded.status());
  const Task& task = loaded->first;
  if (!IsManager(ctx.user) && ctx.user.role != Role::kReviewer) {
    // Annotators see a task only while they hold it or after they labeled it.
    auto lease =
        ctx.services.store->FindLiveLease(task.id, ctx.user.id, ctx.services.clock->NowMs());
    if (!lease.ok()) return ErrorReply(lease.status());
    auto own = ctx.services.store->ListRevisions(task.id, ctx.user.id);
    if (!own.ok()) return ErrorReply(own.status());
    if (!lease->has_value() && own->empty()) {
      return ErrorReply(Status::PermissionDenied("this task is not assigned to you"));
    }
  }
  auto current = ctx.services.store->CurrentRevisions({task.id});
  if (!current.ok()) return ErrorReply(current.status());
  std::vector<Revision> visible;
  for (Revision& r : *current) {
    if (!OwnOnly(ctx.user) || r.user_id == ctx.user.id) visible.push_back(std::move(r));
  }
  json out = TaskJson(task, visible, ViewFor(ctx, loaded->second));
  if (task.golden && IsManager(ctx.user)) {
    auto answer = ctx.services.store->GetGoldenAnswer(task.id);
    if (!answer.ok()) return ErrorReply(answer.status());
    if (answer->has_value()) {
      out["golden_answer"] = GoldenAnswerJson(**answer);
    }
  }
  return JsonReply(200, out);
}

Reply Submit(Ctx& ctx) {
  auto loaded = LoadTask(ctx, ctx.ids[0]);
  if (!loaded.ok()) return ErrorReply(loaded.status());
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto parsed = ParseSubmission(*body);
  if (!parsed.ok()) return ErrorReply(parsed.status());
  workflow::Submission submission = std::move(parsed).value();
  if (auto it = body->find("lease_id"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return ErrorReply(Status::InvalidArgument("lease_id must be an integer", "lease_id"));
    }
    submission.lease_id = it->get<int64_t>();
  }
  if (auto it = body->find("prelabel_id"); it != body->end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 1) {
      return ErrorReply(Status::InvalidArgument("prelabel_id must be a prediction id", "prelabel_id"));
    }
    submission.prelabel_id = it->get<int64_t>();
  }
  submission.idempotency_key = ctx.req.Header("idempotency-key");
  if (submission.idempotency_key.size() > 200) {
    return ErrorReply(Status::InvalidArgument("Idempotency-Key is too long", "Idempotency-Key"));
  }
  submission.queue_train = LearnsFromAccepted(ctx, loaded->second.id);
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  auto revision = queue.Submit(loaded->second, loaded->first, ctx.user, submission);
  if (!revision.ok()) return ErrorReply(revision.status());
  if (ctx.services.events_written) ctx.services.events_written();
  // Most projects have no backend that learns: no task read for them.
  if (submission.queue_train) NotifyIfAccepted(ctx, loaded->second.id, loaded->first.id);
  Reply reply;
  reply.status = 201;
  reply.body = SubmitReplyBody(*revision);
  return reply;
}

Reply Skip(Ctx& ctx) {
  auto loaded = LoadTask(ctx, ctx.ids[0]);
  if (!loaded.ok()) return ErrorReply(loaded.status());
  auto body = ParseJsonBody(ctx.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto it = body->find("lease_id");
  if (it == body->end() || !it->is_number_integer()) {
    return ErrorReply(Status::InvalidArgument("lease_id must be an integer", "lease_id"));
  }
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  if (Status s = queue.Skip(ctx.user, loaded->first.id, it->get<int64_t>()); !s.ok()) {
    return ErrorReply(s);
  }
  return JsonReply(200, {{"skipped", true}});
}

Reply Revisions(Ctx& ctx) {
  auto loaded = LoadTask(ctx, ctx.ids[0]);
  if (!loaded.ok()) return ErrorReply(loaded.status());
  auto revisions = ctx.services.store->ListRevisions(loaded->first.id, OwnOnly(ctx.user));
  if (!revisions.ok()) return ErrorReply(revisions.status());
  json items = json::array();
  for (const Revision& r : *revisions) items.push_back(RevisionJson(r));
  return JsonReply(200, {{"items", items}});
}

}  // namespace

Result<workflow::Submission> ParseSubmission(const nlohmann::json& body) {
  workflow::Submission submission;
  if (!body.contains("result")) return Status::InvalidArgument("result is required", "result");
  submission.result_json = body["result"].dump();
  if (auto it = body.find("lead_time_ms"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 7 * 24 * 3600e3) {
      return Status::InvalidArgument(
          "lead_time_ms must be a number of milliseconds, at most a week", "lead_time_ms");
    }
    submission.lead_time_ms = static_cast<int64_t>(it->get<double>());
  }
  if (auto it = body.find("media"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Status::InvalidArgument("media must be an object", "media");
    submission.media_json = it->dump();
  }
  return submission;
}

std::vector<Route> TaskRoutes() {
  return {
      {"POST", "/api/v1/projects/{id}/next", Access::kSignedIn, Next},
      {"GET", "/api/v1/tasks/{id}", Access::kSignedIn, GetTask},
      {"POST", "/api/v1/tasks/{id}/annotations", Access::kSignedIn, Submit},
      {"GET", "/api/v1/tasks/{id}/annotations", Access::kSignedIn, Revisions},
      {"POST", "/api/v1/tasks/{id}/skip", Access::kSignedIn, Skip},
  };
}

}  // namespace plumb::http
