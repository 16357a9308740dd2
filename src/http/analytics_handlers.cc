// Analytics (docs/analytics.md): figures per project, labeler, workforce and
// day read from the store's running counters, never from the labels.

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "core/stats.h"
#include "http/analytics_internal.h"
#include "http/api_internal.h"
#include "quality/quality.h"
#include "workflow/workflow.h"

namespace plumb::http {
namespace {

using nlohmann::json;

constexpr int64_t kDayMs = 86'400'000;

// Everything the counters say about one labeler (or a sum of them) over a range.
struct Tally {
  int64_t labels = 0, revisions = 0, golden = 0, golden_correct = 0, agree = 0, accepted = 0,
          reviewed = 0, rejected = 0, reviews = 0, done = 0;
  double active_ms = 0, golden_score = 0, agree_sum = 0, turnaround_ms = 0;
  std::map<int, int64_t> lead, turn;                   // histogram bucket -> count
  std::map<std::tuple<int, int, int>, int64_t> cm;     // (control, truth, given) -> count
  std::map<int, std::pair<int64_t, double>> fleiss;    // control -> (items, sum of P_i)
  std::map<std::pair<int, int>, int64_t> fcat;         // (control, label) -> ratings
  std::map<std::tuple<int, int, int>, double> coinc;   // (control, a, b) -> coincidences

  void Add(const Tally& o) {
    AddFigures(o);
    for (const auto& [k, v] : o.cm) cm[k] += v;
    for (const auto& [k, v] : o.fleiss) {
      fleiss[k].first += v.first;
      fleiss[k].second += v.second;
    }
    for (const auto& [k, v] : o.fcat) fcat[k] += v;
    for (const auto& [k, v] : o.coinc) coinc[k] += v;
  }

  // Adds what a row shows (RowJson), not the agreement matrices: the day
  // rows sum thousands of tallies.
  void AddFigures(const Tally& o) {
    labels += o.labels, revisions += o.revisions, golden += o.golden;
    golden_correct += o.golden_correct, agree += o.agree, accepted += o.accepted;
    reviewed += o.reviewed, rejected += o.rejected, reviews += o.reviews, done += o.done;
    active_ms += o.active_ms, golden_score += o.golden_score, agree_sum += o.agree_sum;
    turnaround_ms += o.turnaround_ms;
    for (const auto& [k, v] : o.lead) lead[k] += v;
    for (const auto& [k, v] : o.turn) turn[k] += v;
  }
};

// "cm.1.2.3" -> {1, 2, 3}; false when the parts are not that many integers.
bool ParseParts(std::string_view rest, int* out, int n) {
  for (int i = 0; i < n; ++i) {
    size_t dot = rest.find('.');
    std::string_view part = rest.substr(0, dot);
    if (part.empty()) return false;
    int v = 0;
    for (char ch : part) {
      if (ch < '0' || ch > '9') return false;
      v = v * 10 + (ch - '0');
    }
    out[i] = v;
    if (i + 1 < n) {
      if (dot == std::string_view::npos) return false;
      rest.remove_prefix(dot + 1);
    } else if (dot != std::string_view::npos) {
      return false;
    }
  }
  return true;
}

void AddRow(Tally& t, const store::StatRow& r) {
  std::string_view m = r.metric;
  int p[3];
  auto starts = [&](std::string_view prefix) {
    if (m.substr(0, prefix.size()) != prefix) return false;
    m.remove_prefix(prefix.size());
    return true;
  };
  if (m == stats::kLabels) {
    t.labels += r.count, t.active_ms += r.sum;
  } else if (m == stats::kRevisions) {
    t.revisions += r.count, t.active_ms += r.sum;
  } else if (m == stats::kGolden) {
    t.golden += r.count, t.golden_score += r.sum;
  } else if (m == stats::kGoldenCorrect) {
    t.golden_correct += r.count;
  } else if (m == stats::kAgree) {
    t.agree += r.count, t.agree_sum += r.sum;
  } else if (m == stats::kAccepted) {
    t.accepted += r.count;
  } else if (m == stats::kReviewed) {
    t.reviewed += r.count;
  } else if (m == stats::kRejected) {
    t.rejected += r.count;
  } else if (m == stats::kReviews) {
    t.reviews += r.count;
  } else if (m == stats::kDone) {
    t.done += r.count, t.turnaround_ms += r.sum;
  } else if (starts(stats::kLeadPrefix) && ParseParts(m, p, 1)) {
    t.lead[p[0]] += r.count;
  } else if (starts(stats::kTurnPrefix) && ParseParts(m, p, 1)) {
    t.turn[p[0]] += r.count;
  } else if (starts("cm.") && ParseParts(m, p, 3)) {
    t.cm[{p[0], p[1], p[2]}] += r.count;
  } else if (starts("fleiss.") && ParseParts(m, p, 1)) {
    t.fleiss[p[0]].first += r.count;
    t.fleiss[p[0]].second += r.sum;
  } else if (starts("fcat.") && ParseParts(m, p, 2)) {
    t.fcat[{p[0], p[1]}] += r.count;
  } else if (starts("coinc.") && ParseParts(m, p, 3)) {
    t.coinc[{p[0], p[1], p[2]}] += r.sum;
  }
}

json Ratio(double num, double den) {
  if (den <= 0) return nullptr;
  return num / den;
}

// The median of a bucket histogram, in seconds; null when empty.
json MedianSeconds(const std::map<int, int64_t>& hist) {
  int64_t n = 0;
  for (const auto& [b, c] : hist) n += c;
  if (n == 0) return nullptr;
  int64_t seen = 0;
  for (const auto& [b, c] : hist) {
    seen += c;
    if (2 * seen >= n) return stats::BucketMiddleMs(b) / 1000;
  }
  return nullptr;
}

// Each control's square matrix of labels from cm counters of `t`.
std::vector<std::vector<double>> ConfusionOf(const Tally& t, int control, size_t k) {
  std::vector<std::vector<double>> m(k, std::vector<double>(k, 0));
  for (const auto& [key, count] : t.cm) {
    auto [c, truth, given] = key;
    if (c == control && static_cast<size_t>(truth) < k && static_cast<size_t>(given) < k) {
      m[truth][given] += static_cast<double>(count);
    }
  }
  return m;
}

json NullIfNan(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

// Who a labeler is billed as (docs/analytics.md, "Cost").
struct Billing {
  std::map<int64_t, Workforce> workforces;       // every workforce, by id
  std::map<int64_t, int64_t> workforce_of;       // labeler -> priced workforce
  std::map<int64_t, std::string> usernames;
};

Result<Billing> LoadBilling(store::Store& store, int64_t project_id) {
  Billing b;
  PLUMB_ASSIGN_OR_RETURN(std::vector<User> users, store.ListUsers());
  for (const User& u : users) b.usernames[u.id] = u.username;
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> all, store.ListWorkforces(std::nullopt));
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> granted, store.ListProjectWorkforces(project_id));
  std::set<int64_t> access;
  for (const Workforce& w : granted) access.insert(w.id);
  std::map<int64_t, std::pair<int64_t, int64_t>> best;  // user -> (lowest with access, lowest)
  for (const Workforce& w : all) {  // by id
    b.workforces[w.id] = w;
    PLUMB_ASSIGN_OR_RETURN(std::vector<User> members, store.ListWorkforceMembers(w.id));
    for (const User& m : members) {
      auto [it, fresh] = best.try_emplace(m.id, 0, w.id);
      if (access.count(w.id) && it->second.first == 0) it->second.first = w.id;
    }
  }
  for (const auto& [user, choice] : best) {
    b.workforce_of[user] = choice.first != 0 ? choice.first : choice.second;
  }
  return b;
}

double CostOf(const Tally& t, const Pricing& p) {
  return p.model == PricingModel::kPerHour ? p.rate * t.active_ms / 3'600'000.0
                                           : p.rate * static_cast<double>(t.labels);
}

json CostJson(const std::string& currency, double total, const Tally& t) {
  return {{"currency", currency},
          {"total", total},
          {"per_label", Ratio(total, static_cast<double>(t.labels))},
          {"per_accepted_label", Ratio(total, static_cast<double>(t.accepted))}};
}

// The figures every row has (docs/analytics.md), without cost.
json RowJson(const Tally& t) {
  const double hours = t.active_ms / 3'600'000.0;
  return {{"labels", t.labels},
          {"revisions", t.revisions},
          {"active_hours", hours},
          {"labels_per_hour", Ratio(static_cast<double>(t.labels), hours)},
          {"median_active_seconds", MedianSeconds(t.lead)},
          {"golden", GoldenJson(t.golden, t.golden_correct)},
          {"agreement", AgreementMeanJson(t.agree, t.agree_sum)},
          {"reviewed", t.reviewed},
          {"rejected", t.rejected},
          {"rejection_rate",
           Ratio(static_cast<double>(t.rejected), static_cast<double>(t.reviewed))},
          {"accepted", t.accepted},
          {"reviews", t.reviews}};
}

// The counters of a range, summed by user and by day.
struct CounterSums {
  std::map<int64_t, Tally> by_user;                    // labelers (not user 0)
  Tally project;                                       // user 0
  std::map<int64_t, std::map<int64_t, Tally>> by_day;  // day -> user -> tally

  void Add(const store::StatRow& r) {
    AddRow(r.user_id == 0 ? project : by_user[r.user_id], r);
    AddRow(by_day[r.day][r.user_id], r);
  }
};

// The counters of a project in a range: the settled days (shared, from the
// cache) and the recent ones, read on every call.
struct Counters {
  std::map<int64_t, Tally> by_user;  // both parts summed
  Tally project;
  std::shared_ptr<const CounterSums> settled;  // may be null
  CounterSums recent;
  int64_t from_day = 0, to_day = 0;

  // The users' tallies of one day, or null.
  const std::map<int64_t, Tally>* Day(int64_t day) const {
    if (auto it = recent.by_day.find(day); it != recent.by_day.end()) return &it->second;
    if (!settled) return nullptr;
    auto it = settled->by_day.find(day);
    return it == settled->by_day.end() ? nullptr : &it->second;
  }
};

// A counter is added on the day of its write, so a day that ended a while
// ago never changes (the margin covers writes in flight at midnight and
// servers whose clocks differ a little). Its sums are kept for later calls:
// an endpoint then reads only the recent days' rows, not the whole range's
// (at 1,000,000 annotations a 30-day range is ~300,000 rows).
constexpr int64_t kSettledAfterMs = 10 * 60 * 1000;
constexpr size_t kCachedRanges = 4;

}  // namespace

class AnalyticsCache {
 public:
  std::mutex mu;
  // (project, from day, end day) -> sums, most recently used last.
  std::vector<std::pair<std::tuple<int64_t, int64_t, int64_t>, std::shared_ptr<const CounterSums>>>
      entries;
};

std::shared_ptr<AnalyticsCache> NewAnalyticsCache() { return std::make_shared<AnalyticsCache>(); }

namespace {

Result<std::shared_ptr<const CounterSums>> SettledSums(store::Store& store,
                                                       AnalyticsCache* cache_or_null,
                                                       int64_t project_id, int64_t from_day,
                                                       int64_t end_day) {
  if (cache_or_null == nullptr) {
    PLUMB_ASSIGN_OR_RETURN(std::vector<store::StatRow> rows,
                           store.ReadStats({project_id, from_day, end_day}));
    auto sums = std::make_shared<CounterSums>();
    for (const store::StatRow& r : rows) sums->Add(r);
    return std::shared_ptr<const CounterSums>(std::move(sums));
  }
  AnalyticsCache& cache = *cache_or_null;
  const auto key = std::make_tuple(project_id, from_day, end_day);
  {
    std::lock_guard<std::mutex> lock(cache.mu);
    for (size_t i = 0; i < cache.entries.size(); ++i) {
      if (cache.entries[i].first != key) continue;
      auto hit = cache.entries[i];
      cache.entries.erase(cache.entries.begin() + static_cast<std::ptrdiff_t>(i));
      cache.entries.push_back(hit);
      return hit.second;
    }
  }
  // Two calls may both read a missing range; the later one is kept.
  PLUMB_ASSIGN_OR_RETURN(std::vector<store::StatRow> rows,
                         store.ReadStats({project_id, from_day, end_day}));
  auto sums = std::make_shared<CounterSums>();
  for (const store::StatRow& r : rows) sums->Add(r);
  std::lock_guard<std::mutex> lock(cache.mu);
  if (cache.entries.size() >= kCachedRanges) cache.entries.erase(cache.entries.begin());
  cache.entries.push_back({key, sums});
  return std::shared_ptr<const CounterSums>(std::move(sums));
}

Result<Counters> LoadCounters(store::Store& store, AnalyticsCache* cache, int64_t project_id,
                              const Range& range, int64_t now_ms) {
  Counters c;
  c.from_day = stats::DayOf(range.from_ms);
  c.to_day = stats::DayOf(range.to_ms - 1) + 1;
  const int64_t settled_end =
      std::max(c.from_day, std::min(c.to_day, stats::DayOf(now_ms - kSettledAfterMs)));
  if (settled_end > c.from_day) {
    PLUMB_ASSIGN_OR_RETURN(c.settled,
                           SettledSums(store, cache, project_id, c.from_day, settled_end));
  }
  if (settled_end < c.to_day) {
    PLUMB_ASSIGN_OR_RETURN(std::vector<store::StatRow> rows,
                           store.ReadStats({project_id, settled_end, c.to_day}));
    for (const store::StatRow& r : rows) c.recent.Add(r);
  }
  const std::array<const CounterSums*, 2> parts = {c.settled.get(), &c.recent};
  for (const CounterSums* part : parts) {
    if (part == nullptr) continue;
    for (const auto& [user, t] : part->by_user) c.by_user[user].Add(t);
    c.project.Add(part->project);
  }
  return c;
}

// Costs of a set of labelers' tallies, per currency.
std::map<std::string, double> Costs(const std::map<int64_t, Tally>& users, const Billing& b) {
  std::map<std::string, double> out;
  for (const auto& [user, t] : users) {
    if (user == 0) continue;
    auto w = b.workforce_of.find(user);
    if (w == b.workforce_of.end()) continue;
    const Pricing& p = b.workforces.at(w->second).pricing;
    out[p.currency] += CostOf(t, p);
  }
  return out;
}

json CostList(const std::map<std::string, double>& costs, const Tally& t) {
  json list = json::array();
  for (const auto& [currency, total] : costs) list.push_back(CostJson(currency, total, t));
  return list;
}

json AgreementJson(const Schema& schema, const Tally& project) {
  json out = json::array();
  for (size_t ci = 0; ci < schema.controls.size(); ++ci) {
    const Control& control = schema.controls[ci];
    if (control.type != ControlType::kChoice || control.multiple) continue;
    const int c = static_cast<int>(ci);
    const size_t k = control.labels.size();
    // The running sums restored into the quality library's accumulators.
    quality::FleissSums fleiss;
    auto f = project.fleiss.find(c);
    const int64_t items = f == project.fleiss.end() ? 0 : f->second.first;
    fleiss.items = items;
    fleiss.agreement_sum = f == project.fleiss.end() ? 0 : f->second.second;
    fleiss.category_totals.assign(k, 0);
    for (const auto& [key, n] : project.fcat) {
      if (key.first == c && static_cast<size_t>(key.second) < k) {
        fleiss.category_totals[key.second] += n;
      }
    }
    quality::CoincidenceMatrix coincidences(static_cast<int32_t>(k));
    for (const auto& [key, v] : project.coinc) {
      auto [cc, a, b] = key;
      if (cc == c && static_cast<size_t>(a) < k && static_cast<size_t>(b) < k) {
        coincidences.at(a, b) += v;
      }
    }
    out.push_back({{"control", control.name},
                   {"labels", control.labels},
                   {"items", items},
                   {"fleiss_kappa", items > 0 ? NullIfNan(fleiss.Kappa()) : json(nullptr)},
                   {"krippendorff_alpha",
                    items > 0 ? NullIfNan(coincidences.Alpha()) : json(nullptr)}});
  }
  return out;
}

json KappaJson(const Schema& schema, const Tally& t) {
  json out = json::array();
  for (size_t ci = 0; ci < schema.controls.size(); ++ci) {
    const Control& control = schema.controls[ci];
    if (control.type != ControlType::kChoice || control.multiple) continue;
    auto m = ConfusionOf(t, static_cast<int>(ci), control.labels.size());
    double n = 0;
    for (const auto& row : m) {
      for (double v : row) n += v;
    }
    out.push_back({{"control", control.name},
                   {"kappa", n > 0 ? NullIfNan(quality::KappaFromConfusion(m)) : json(nullptr)}});
  }
  return out;
}

// What every analytics call reads: the project (managers only), the range,
// the schema, the counters in the range and who is billed how.
struct Loaded {
  Project project;
  Range range;
  std::shared_ptr<const Schema> schema;
  Counters counters;
  Billing billing;
};

Result<Loaded> LoadAnalytics(Ctx& ctx) {
  Loaded l;
  PLUMB_ASSIGN_OR_RETURN(l.project, LoadManagedProject(ctx, ctx.ids[0]));
  PLUMB_ASSIGN_OR_RETURN(l.range, ParseRange(ctx, 30));
  PLUMB_ASSIGN_OR_RETURN(l.schema, ParseSchemaCached(l.project.schema_json));
  PLUMB_ASSIGN_OR_RETURN(l.counters,
                         LoadCounters(*ctx.services.store, ctx.services.analytics_cache.get(),
                                      l.project.id, l.range, ctx.services.clock->NowMs()));
  PLUMB_ASSIGN_OR_RETURN(l.billing, LoadBilling(*ctx.services.store, l.project.id));
  return l;
}

Result<Reply> Summary(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Loaded l, LoadAnalytics(ctx));
  const Project& project = l.project;
  const Range& range = l.range;
  const Schema* schema = l.schema.get();
  const Counters& c = l.counters;
  Billing& billing = l.billing;
  Tally all;
  for (const auto& [user, t] : c.by_user) all.Add(t);
  json totals = RowJson(all);
  totals["tasks_done"] = c.project.done;
  totals["median_turnaround_seconds"] = MedianSeconds(c.project.turn);
  totals["cost"] = CostList(Costs(c.by_user, billing), all);
  json body = {{"from", FormatIsoTime(range.from_ms)},
               {"to", FormatIsoTime(range.to_ms)},
               {"totals", totals},
               {"agreement", AgreementJson(*schema, c.project)}};
  if (WantsCsv(ctx)) return CsvReply("summary", project.id, {totals});
  return JsonReply(200, body);
}

json LabelerRow(int64_t user, const Tally& t, const Billing& b, const Schema& schema) {
  json row = {{"user_id", user}};
  auto name = b.usernames.find(user);
  row["username"] = name == b.usernames.end() ? json(nullptr) : json(name->second);
  row.update(RowJson(t));
  row["kappa"] = KappaJson(schema, t);
  auto w = b.workforce_of.find(user);
  if (w == b.workforce_of.end()) {
    row["workforce_id"] = nullptr;
    row["unpriced"] = true;
    row["cost"] = nullptr;
  } else {
    const Pricing& p = b.workforces.at(w->second).pricing;
    row["workforce_id"] = w->second;
    row["unpriced"] = false;
    row["cost"] = CostJson(p.currency, CostOf(t, p), t);
  }
  return row;
}

Result<Reply> Labelers(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Loaded l, LoadAnalytics(ctx));
  const Project& project = l.project;
  const Schema* schema = l.schema.get();
  const Counters& c = l.counters;
  Billing& billing = l.billing;
  json items = json::array();
  for (const auto& [user, t] : c.by_user) items.push_back(LabelerRow(user, t, billing, *schema));
  if (WantsCsv(ctx)) return CsvReply("labelers", project.id, items);
  return JsonReply(200, {{"items", items}});
}

Result<Reply> Workforces(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(Loaded l, LoadAnalytics(ctx));
  const Project& project = l.project;
  const Counters& c = l.counters;
  Billing& billing = l.billing;
  PLUMB_ASSIGN_OR_RETURN(std::vector<Workforce> granted,
                         ctx.services.store->ListProjectWorkforces(project.id));
  std::map<int64_t, std::map<int64_t, Tally>> members;  // workforce -> labeler -> tally
  for (const Workforce& w : granted) members[w.id];
  for (const auto& [user, t] : c.by_user) {
    auto w = billing.workforce_of.find(user);
    if (w != billing.workforce_of.end()) members[w->second][user] = t;
  }
  json items = json::array();
  for (const auto& [id, users] : members) {
    const Workforce& w = billing.workforces.at(id);
    Tally sum;
    json names = json::array();
    for (const auto& [user, t] : users) {
      sum.Add(t);
      names.push_back({{"user_id", user}, {"username", billing.usernames[user]}});
    }
    json row = {{"workforce_id", id},
                {"name", w.name},
                {"kind", WorkforceKindName(w.kind)},
                {"pricing",
                 {{"model", PricingModelName(w.pricing.model)},
                  {"rate", w.pricing.rate},
                  {"currency", w.pricing.currency}}}};
    row.update(RowJson(sum));
    row["members"] = names;
    row["cost"] = CostJson(w.pricing.currency, CostOf(sum, w.pricing), sum);
    items.push_back(row);
  }
  if (WantsCsv(ctx)) return CsvReply("workforces", project.id, items);
  return JsonReply(200, {{"items", items}});
}

Result<Reply> Timeseries(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> user, QueryInt(ctx.req, "user", 1, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> workforce,
                         QueryInt(ctx.req, "workforce", 1, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(Loaded l, LoadAnalytics(ctx));
  const Project& project = l.project;
  const Counters& c = l.counters;
  Billing& billing = l.billing;
  if (workforce && !billing.workforces.count(*workforce)) {
    return Status::NotFound("workforce " + std::to_string(*workforce) + " not found");
  }
  auto selected = [&](int64_t u) {
    if (user) return u == *user;
    if (workforce) {
      auto w = billing.workforce_of.find(u);
      return w != billing.workforce_of.end() && w->second == *workforce;
    }
    return true;
  };
  json items = json::array();
  for (int64_t day = c.from_day; day < c.to_day; ++day) {
    Tally sum;
    const Tally* project_level = nullptr;
    std::map<std::string, double> costs;
    if (const std::map<int64_t, Tally>* users_of_day = c.Day(day)) {
      for (const auto& [u, t] : *users_of_day) {
        if (u == 0) {
          project_level = &t;
        } else if (selected(u)) {
          sum.AddFigures(t);
          if (auto w = billing.workforce_of.find(u); w != billing.workforce_of.end()) {
            const Pricing& p = billing.workforces.at(w->second).pricing;
            costs[p.currency] += CostOf(t, p);
          }
        }
      }
    }
    json row = {{"day", FormatIsoTime(day * kDayMs).substr(0, 10)}};
    row.update(RowJson(sum));
    row["tasks_done"] = project_level ? project_level->done : 0;
    row["median_turnaround_seconds"] =
        project_level ? MedianSeconds(project_level->turn) : json(nullptr);
    row["cost"] = CostList(costs, sum);
    items.push_back(row);
  }
  if (WantsCsv(ctx)) return CsvReply("timeseries", project.id, items);
  return JsonReply(200, {{"items", items}});
}

Result<Reply> Confusion(Ctx& ctx) {
  PLUMB_ASSIGN_OR_RETURN(std::optional<int64_t> user, QueryInt(ctx.req, "user", 1, INT64_MAX));
  PLUMB_ASSIGN_OR_RETURN(Loaded l, LoadAnalytics(ctx));
  const Project& project = l.project;
  const Schema* schema = l.schema.get();
  const Counters& c = l.counters;
  Billing& billing = l.billing;
  std::optional<std::string> name = ctx.req.Query("control");
  int index = -1;
  for (size_t ci = 0; ci < schema->controls.size(); ++ci) {
    const Control& control = schema->controls[ci];
    if (control.type != ControlType::kChoice || control.multiple) continue;
    if (!name || control.name == *name) {
      index = static_cast<int>(ci);
      break;
    }
  }
  if (index < 0) {
    return Status::InvalidArgument(
        name ? "control " + *name + " is not a single-choice control of the project"
             : "the project has no single-choice control",
        "control");
  }
  const Control& control = schema->controls[index];
  Tally sum;
  for (const auto& [u, t] : c.by_user) {
    if (!user || u == *user) sum.Add(t);
  }
  auto observed = ConfusionOf(sum, index, control.labels.size());
  workflow::Queue queue(*ctx.services.store, *ctx.services.clock);
  PLUMB_ASSIGN_OR_RETURN(workflow::LabelerModels models, queue.FitLabelerModels(project));
  json ds = nullptr;
  if (auto m = models.controls.find(control.name); m != models.controls.end()) {
    json labelers = json::array();
    for (const auto& [u, matrix] : m->second.confusion) {
      if (user && u != *user) continue;
      labelers.push_back({{"user_id", u}, {"username", billing.usernames[u]}, {"matrix", matrix}});
    }
    ds = {{"fitted_tasks", models.tasks}, {"prior", m->second.prior}, {"labelers", labelers}};
  }
  if (WantsCsv(ctx)) {
    json rows = json::array();
    for (size_t t = 0; t < observed.size(); ++t) {
      json row = {{"consensus", control.labels[t]}};
      for (size_t g = 0; g < observed[t].size(); ++g) row[control.labels[g]] = observed[t][g];
      rows.push_back(row);
    }
    return CsvReply("confusion", project.id, rows);
  }
  return JsonReply(200, {{"control", control.name},
                         {"labels", control.labels},
                         {"observed", observed},
                         {"dawid_skene", ds}});
}

}  // namespace

std::vector<Route> AnalyticsRoutes() {
  return {
      {"GET", "/api/v1/projects/{id}/analytics/summary", Access::kSignedIn, Handle<Summary>},
      {"GET", "/api/v1/projects/{id}/analytics/labelers", Access::kSignedIn, Handle<Labelers>},
      {"GET", "/api/v1/projects/{id}/analytics/workforces", Access::kSignedIn,
       Handle<Workforces>},
      {"GET", "/api/v1/projects/{id}/analytics/timeseries", Access::kSignedIn,
       Handle<Timeseries>},
      {"GET", "/api/v1/projects/{id}/analytics/confusion", Access::kSignedIn, Handle<Confusion>},
  };
}

}  // namespace plumb::http
