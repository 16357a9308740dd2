#include <map>
#include <set>

#include "http/analytics_internal.h"
#include "http/request_util.h"
#include "io/json_text.h"
#include "quality/quality.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;

Result<std::optional<int64_t>> TimeParam(const Ctx& ctx, const std::string& name) {
  std::optional<std::string> text = ctx.req.Query(name);
  if (!text || text->empty()) return std::optional<int64_t>();
  std::optional<int64_t> ms = ParseIsoTime(*text);
  if (!ms && text->size() == 10) ms = ParseIsoTime(*text + "T00:00:00Z");
  if (!ms) {
    return Status::InvalidArgument(name + " must be an ISO date (2026-12-01) or time", name);
  }
  return ms;
}

// The columns of all rows in order of first appearance.
struct Columns {
  std::vector<std::string> order;
  std::set<std::string> seen;
};

void Flatten(const std::string& prefix, const json& v, std::map<std::string, json>& out,
             Columns& columns) {
  auto put = [&](const std::string& key, json value) {
    if (columns.seen.insert(key).second) columns.order.push_back(key);
    out[key] = std::move(value);
  };
  if (v.is_object()) {
    for (const auto& [k, sub] : v.items()) Flatten(prefix.empty() ? k : prefix + "." + k, sub, out, columns);
    return;
  }
  if (v.is_array()) {
    bool keyed = !v.empty();
    for (const json& e : v) {
      keyed = keyed && e.is_object() &&
              ((e.contains("control") && e["control"].is_string()) ||
               (e.contains("currency") && e["currency"].is_string()));
    }
    if (keyed) {
      for (const json& e : v) {
        const std::string key = e.contains("control") ? e["control"].get<std::string>()
                                                      : e["currency"].get<std::string>();
        json rest = e;
        rest.erase(e.contains("control") ? "control" : "currency");
        Flatten(prefix + "." + key, rest, out, columns);
      }
      return;
    }
    std::string joined;
    for (const json& e : v) {
      if (!joined.empty()) joined += "|";
      joined += e.is_string() ? e.get<std::string>() : e.dump();
    }
    put(prefix, joined);
    return;
  }
  put(prefix, v);
}

void AppendCell(std::string* out, const json& v) {
  if (v.is_null()) return;
  if (v.is_string()) return io::AppendCsvCell(out, v.get_ref<const std::string&>());
  if (v.is_boolean()) {
    *out += v.get<bool>() ? "true" : "false";
    return;
  }
  *out += v.dump();  // numbers as JSON writes them
}

}  // namespace

Result<Range> ParseRange(const Ctx& ctx, int default_days) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> from, TimeParam(ctx, "from"));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> to, TimeParam(ctx, "to"));
  Range r;
  r.to_ms = to ? *to : ctx.services.clock->NowMs() + 1;
  r.from_ms = from ? *from : r.to_ms - default_days * kDayMs;
  if (r.from_ms >= r.to_ms) return Status::InvalidArgument("from must be before to", "from");
  return r;
}

bool WantsCsv(const Ctx& ctx) { return ctx.req.Query("format").value_or("") == "csv"; }

Reply CsvReply(const std::string& table, int64_t project_id, const json& rows) {
  std::vector<std::map<std::string, json>> flat;
  Columns found;
  for (const json& row : rows) {
    std::map<std::string, json> cells;
    Flatten("", row, cells, found);
    flat.push_back(std::move(cells));
  }
  const std::vector<std::string>& columns = found.order;
  std::string body;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) body += ",";
    io::AppendCsvCell(&body, columns[i]);
  }
  body += "\r\n";
  for (const auto& cells : flat) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) body += ",";
      auto it = cells.find(columns[i]);
      if (it != cells.end()) AppendCell(&body, it->second);
    }
    body += "\r\n";
  }
  Reply reply;
  reply.content_type = "text/csv; charset=utf-8";
  reply.body = std::move(body);
  reply.headers.push_back({"Content-Disposition", "attachment; filename=\"project-" +
                                                      std::to_string(project_id) + "-" + table +
                                                      ".csv\""});
  return reply;
}

json GoldenJson(int64_t graded, int64_t correct) {
  const quality::Interval wilson = quality::WilsonInterval(correct, graded, 0.95);
  const bool any = graded > 0;
  return {{"graded", graded},
          {"correct", correct},
          {"accuracy", any ? json(static_cast<double>(correct) / static_cast<double>(graded))
                           : json(nullptr)},
          {"low", any ? json(wilson.low) : json(nullptr)},
          {"high", any ? json(wilson.high) : json(nullptr)}};
}

json AgreementMeanJson(int64_t compared, double sum) {
  return {{"compared", compared},
          {"mean", compared > 0 ? json(sum / static_cast<double>(compared)) : json(nullptr)}};
}

}  // namespace plumb::http
