#include "automation/ml_client.h"

#include <nlohmann/json.hpp>

#include "automation/http_client.h"
#include "io/label_studio.h"

namespace plumb::automation {
namespace {

using nlohmann::json;

bool IsLabelStudio(const store::MlBackend& b) { return b.protocol == "label_studio"; }

std::string Join(const std::string& base, const char* route) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + route;
}

json ParseOr(const std::string& text, json fallback) {
  if (text.empty()) return fallback;
  json v = json::parse(text, nullptr, false);
  return v.is_discarded() ? fallback : v;
}

CallOutcome Refused(std::string why) {
  CallOutcome out;
  out.error = std::move(why);
  return out;
}

std::string ModelVersionOf(const json& j) {
  if (!j.is_object()) return "";
  auto v = j.find("model_version");
  if (v == j.end()) return "";
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number()) return v->dump();
  return "";
}

// Label Studio names a project "<id>.<created_at>" so that a backend can
// tell a recreated project from the old one.
std::string LsProjectName(const Project& p) {
  return std::to_string(p.id) + "." + std::to_string(p.created_at_ms / 1000);
}

}  // namespace

MlClient::MlClient(store::MlBackend backend, Project project, std::shared_ptr<const Schema> schema)
    : backend_(std::move(backend)), project_(std::move(project)), schema_(std::move(schema)) {}

CallOutcome MlClient::Call(const char* method, const char* route, const std::string& body) const {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!backend_.auth_header.empty()) headers.emplace_back("Authorization", backend_.auth_header);
  HttpResponse r = SendHttp(method, Join(backend_.url, route), headers, body,
                            std::chrono::milliseconds(backend_.timeout_ms), kMaxBackendReplyBytes);
  CallOutcome out;
  if (r.status == 0) {
    out.error = r.error;
    out.retriable = true;
    return out;
  }
  if (r.status < 200 || r.status >= 300) {
    out.error = std::string(method) + " " + route + " answered HTTP " + std::to_string(r.status);
    out.retriable = r.status >= 500 || r.status == 429;
    return out;
  }
  out.ok = true;
  out.model_version = std::move(r.body);  // the raw body; callers parse it
  return out;
}

CallOutcome MlClient::Predict(const std::vector<BackendTask>& tasks) const {
  json list = json::array();
  std::vector<json> data;
  for (const BackendTask& t : tasks) {
    data.push_back(ParseOr(t.data_json, json::object()));
    list.push_back({{"id", t.id}, {"data", data.back()}});
  }
  json request;
  if (IsLabelStudio(backend_)) {
    request = {{"tasks", std::move(list)},
               {"label_config", io::LabelStudioConfig(*schema_)},
               {"project", LsProjectName(project_)},
               {"params", {{"login", nullptr}, {"password", nullptr}, {"context", nullptr}}}};
  } else {
    request = {{"project", {{"id", project_.id}, {"schema", ParseOr(project_.schema_json, {})}}},
               {"tasks", std::move(list)}};
  }
  CallOutcome out = Call("POST", "/predict", request.dump());
  if (!out.ok) return out;
  const json reply = json::parse(out.model_version, nullptr, false);
  out.model_version.clear();
  if (reply.is_discarded()) return Refused("POST /predict answered with malformed JSON");
  out.model_version = ModelVersionOf(reply);
  const json* results = nullptr;
  if (reply.is_array()) {
    results = &reply;  // older Label Studio backends answer the bare list
  } else if (reply.is_object() && reply.contains("results") && reply["results"].is_array()) {
    results = &reply["results"];
  }
  if (results == nullptr) {
    return Refused("POST /predict answered JSON without a \"results\" list");
  }
  if (IsLabelStudio(backend_) && results->size() != tasks.size()) {
    return Refused("POST /predict answered " + std::to_string(results->size()) +
                   " results for " + std::to_string(tasks.size()) + " tasks");
  }
  for (size_t i = 0; i < results->size(); ++i) {
    const json& item = (*results)[i];
    const std::string field = "results[" + std::to_string(i) + "]";
    if (!item.is_object()) {
      out.task_errors.emplace_back(IsLabelStudio(backend_) ? tasks[i].id : 0,
                                   field + " is not an object");
      continue;
    }
    size_t index = i;
    if (!IsLabelStudio(backend_)) {
      auto id = item.find("task_id");
      index = tasks.size();
      if (id != item.end() && id->is_number_integer()) {
        for (size_t k = 0; k < tasks.size(); ++k) {
          if (tasks[k].id == id->get<int64_t>()) index = k;
        }
      }
      if (index == tasks.size()) {
        out.task_errors.emplace_back(0, field + ".task_id is not one of the tasks sent");
        continue;
      }
    }
    const BackendTask& task = tasks[index];
    if (out.model_version.empty()) out.model_version = ModelVersionOf(item);
    json result;
    json media;
    auto raw = item.find("result");
    if (raw == item.end() || !raw->is_array()) {
      out.task_errors.emplace_back(task.id, field + ".result must be a list");
      continue;
    }
    if (IsLabelStudio(backend_)) {
      Result<json> converted =
          io::FromLabelStudioResult(*schema_, *raw, data[index], field, &media);
      if (!converted.ok()) {
        out.task_errors.emplace_back(task.id, converted.status().field() + ": " +
                                                  converted.status().message());
        continue;
      }
      result = std::move(*converted);
    } else {
      result = *raw;
      if (auto m = item.find("media"); m != item.end() && !m->is_null()) media = *m;
    }
    Result<ValidAnnotation> valid = ValidateAnnotation(
        *schema_, task.data_json, result.dump(), media.is_null() ? std::string() : media.dump());
    if (!valid.ok()) {
      out.task_errors.emplace_back(task.id, field + " does not fit the schema: " +
                                                valid.status().field() + ": " +
                                                valid.status().message());
      continue;
    }
    BackendPrediction p;
    p.task_id = task.id;
    p.result_json = std::move(valid->result_json);
    p.media_json = std::move(valid->media_json);
    if (auto score = item.find("score"); score != item.end() && score->is_number()) {
      p.score = score->get<double>();
    }
    out.predictions.push_back(std::move(p));
  }
  return out;
}

CallOutcome MlClient::Health() const {
  CallOutcome out = Call("GET", "/health", "");
  if (!out.ok) return out;
  out.model_version = ModelVersionOf(ParseOr(out.model_version, json()));
  return out;
}

CallOutcome MlClient::Setup() const {
  if (!IsLabelStudio(backend_)) return Health();
  json request = {{"project", LsProjectName(project_)},
                  {"schema", io::LabelStudioConfig(*schema_)},
                  {"hostname", ""},
                  {"access_token", ""},
                  {"model_version", nullptr}};
  CallOutcome out = Call("POST", "/setup", request.dump());
  if (!out.ok) return out;
  out.model_version = ModelVersionOf(ParseOr(out.model_version, json()));
  return out;
}

CallOutcome MlClient::Train(const BackendTask& task, int64_t label_id,
                            const std::string& result_json, const std::string& media_json) const {
  const json data = ParseOr(task.data_json, json::object());
  const json result = ParseOr(result_json, json::array());
  const json media = ParseOr(media_json, json());
  json request;
  const char* route = "/train";
  if (IsLabelStudio(backend_)) {
    Result<json> ls = io::ToLabelStudioResult(*schema_, result, media);
    if (!ls.ok()) return Refused(ls.status().message());
    route = "/webhook";
    request = {{"action", "ANNOTATION_CREATED"},
               {"project", {{"id", project_.id}, {"label_config", io::LabelStudioConfig(*schema_)}}},
               {"task", {{"id", task.id}, {"data", data}}},
               {"annotation", {{"id", label_id}, {"task", task.id}, {"result", std::move(*ls)}}}};
  } else {
    request = {{"event", "label.accepted"},
               {"project", {{"id", project_.id}, {"schema", ParseOr(project_.schema_json, {})}}},
               {"task", {{"id", task.id}, {"data", data}}},
               {"label", {{"result", result}, {"media", media}}}};
  }
  CallOutcome out = Call("POST", route, request.dump());
  out.model_version.clear();
  return out;
}

}  // namespace plumb::automation
