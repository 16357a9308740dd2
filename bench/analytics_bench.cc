// plumb_bench_analytics: builds the database the stats benchmark reads — a
// project with a month of labels — without going through the API, so that
// the benchmark can afford 1,000,000 annotations (1M HTTP submits would take
// about ten minutes of the bench; this takes well under two).
//
//   plumb_bench_analytics generate --db LOCATION --password PW [--annotations 1000000]
//                         [--labelers 200] [--days 30] [--seed 1]
//
// LOCATION is a new SQLite file (refused if it exists) or a postgresql:// URL
// of an empty database. The rows go in through Store::BeginLoad, the loader
// `plumb migrate` uses, in one transaction, table by table, parents first.
//
// What it holds (project 1, "analytics bench"): the manager "bench-manager"
// (password PW, hashed as the server hashes it, so its login works) and
// `labelers` annotators "labeler-1".. (with an unusable password); four
// workforces (two internal paid per hour, two vendors paid per label), each
// labeler a member of one, all four with access to the project; one
// single-choice control with 4 labels over "text", overlap 3. Exactly
// `annotations` annotations: 2 % of them on golden tasks (each graded, the
// golden tasks answered by up to 40 labelers each) and the rest on done
// tasks of 3 annotations each (so the golden share absorbs the remainder of
// the division by 3), every annotation with one revision, spread over the
// last `days` days, ids in time order as the server would hand them out.
// Labelers have accuracies uniform in 0.6–0.95 and a median active time of
// 4–16 s; each done task has its majority final label and one model
// prediction with its disagreement score.
//
// The stat_counters rows are those the server's writes would have left:
// the same counters (core/stats.h) on the same days, with the values of the
// functions the server calls (quality::Reconcile for the final label,
// workflow::AgreementStats for the agreement counters,
// quality::GradeAgainstAnswer for golden grades, workflow::DisagreementScores
// for the predictions), summed in memory per (user, day, metric) and loaded
// as one row each. Those functions see only a handful of distinct inputs
// here (4 labels, 3 annotators), so each distinct input is computed once.
// Events (task.completed) and leases are not written: nothing the stats
// endpoints read. Prints one key=value line.

#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench/task_text.h"
#include "core/core.h"
#include "core/stats.h"
#include "quality/quality.h"
#include "store/store.h"
#include "workflow/scores.h"

namespace {

using plumb::Result;
using plumb::Status;
using Clock = std::chrono::steady_clock;

constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kProjectId = 1;
constexpr int64_t kManagerId = 1;  // labelers are 2..labelers+1
constexpr double kGoldenShare = 0.02;
constexpr int kGoldenLabelersPerTask = 40;
constexpr double kIouThreshold = 0.5;  // ProjectSettings' default, which the project keeps

constexpr const char* kSchemaJson = R"({"controls": [{"name": "sentiment", "type": "choice",
  "source": "text", "labels": ["positive", "negative", "neutral", "mixed"]}]})";
constexpr int kLabelCount = 4;
constexpr std::array<double, kLabelCount> kPrior = {0.4, 0.3, 0.2, 0.1};

struct Options {
  std::string db;
  std::string password;
  int64_t annotations = 1'000'000;
  int labelers = 200;
  int days = 30;
  uint64_t seed = 1;
};

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// splitmix64 with the few distributions the simulation needs: the same
// numbers on every platform for a seed.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  int64_t Below(int64_t n) { return static_cast<int64_t>(Next() % static_cast<uint64_t>(n)); }
  double Normal() {  // Box-Muller
    const double u = 1 - Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * M_PI * Uniform());
  }
  double Exponential(double mean) { return -mean * std::log(1 - Uniform()); }

 private:
  uint64_t state_;
};

struct Labeler {
  int64_t id = 0;
  double accuracy = 0;
  double median_lead_ms = 0;
  int64_t workforce_id = 0;
};

// One annotation; ids are handed out in time order after sorting.
struct Annotation {
  int64_t at_ms = 0;
  int32_t task = 0;     // index into the tasks (golden ones first)
  int32_t labeler = 0;  // index into the labelers
  int32_t lead_ms = 0;
  int8_t label = 0;
  int8_t slot = 0;  // 0..2 on a done task, in time order
};

struct TaskSim {
  int64_t created_at_ms = 0;
  int8_t truth = 0;
  bool golden = false;
  int8_t predicted = 0;                     // done tasks: the model's label
  int8_t predicted_score = 0;               // its score is 0.5 + 0.05 * this
  std::array<int64_t, 3> annotation_ids{};  // done tasks, by slot
};

int8_t DrawLabel(Random& r, const std::array<double, kLabelCount>& prior) {
  double u = r.Uniform();
  for (int i = 0; i < kLabelCount - 1; ++i) {
    if (u < prior[i]) return static_cast<int8_t>(i);
    u -= prior[i];
  }
  return kLabelCount - 1;
}

int8_t Answer(Random& r, int8_t truth, double accuracy) {
  if (r.Uniform() < accuracy) return truth;
  return static_cast<int8_t>((truth + 1 + r.Below(kLabelCount - 1)) % kLabelCount);
}

std::string Text(int64_t v) { return std::to_string(v); }

// A double as the store keeps it: its shortest exact decimal text (store's
// ScoreText).
std::string Decimal(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

// The running counters, summed in memory: (user, day, metric) -> (n, total).
class Counters {
 public:
  void Add(int64_t user_id, int64_t at_ms, const std::string& metric, int64_t n, double total) {
    auto [it, fresh] = metric_ids_.try_emplace(metric, static_cast<uint32_t>(metrics_.size()));
    if (fresh) metrics_.push_back(metric);
    const int64_t day = plumb::stats::DayOf(at_ms);
    // day < 2^23, user < 2^21, metric < 2^20: one 64-bit key.
    const uint64_t key =
        (static_cast<uint64_t>(day) << 41) | (static_cast<uint64_t>(user_id) << 20) | it->second;
    Sum& s = sums_[key];
    s.n += n;
    s.total += total;
  }

  struct Row {
    int64_t day, user_id;
    const std::string* metric;
    int64_t n;
    double total;
  };
  // In the table's key order (project, day, user, metric).
  std::vector<Row> Rows() const {
    std::vector<Row> rows;
    rows.reserve(sums_.size());
    for (const auto& [key, s] : sums_) {
      rows.push_back({static_cast<int64_t>(key >> 41),
                      static_cast<int64_t>((key >> 20) & ((1u << 21) - 1)),
                      &metrics_[key & ((1u << 20) - 1)], s.n, s.total});
    }
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
      if (a.day != b.day) return a.day < b.day;
      if (a.user_id != b.user_id) return a.user_id < b.user_id;
      return *a.metric < *b.metric;
    });
    return rows;
  }

 private:
  struct Sum {
    int64_t n = 0;
    double total = 0;
  };
  std::unordered_map<std::string, uint32_t> metric_ids_;
  std::vector<std::string> metrics_;
  std::unordered_map<uint64_t, Sum> sums_;
};

// The loader with row counts per table; values are reused between rows.
class Loader {
 public:
  explicit Loader(plumb::store::DatabaseLoader& loader) : loader_(loader) {}

  // Starts the rows of a table with these columns.
  void Table(std::string_view table, std::vector<std::string> columns) {
    table_ = table;
    columns_ = std::move(columns);
    values_.assign(columns_.size(), std::nullopt);
    counts_.emplace_back(std::string(table), 0);
  }
  std::vector<std::optional<std::string>>& values() { return values_; }
  Status Add() {
    ++counts_.back().second;
    ++rows_;
    return loader_.Add(table_, columns_, values_);
  }
  int64_t rows() const { return rows_; }
  const std::vector<std::pair<std::string, int64_t>>& counts() const { return counts_; }

 private:
  plumb::store::DatabaseLoader& loader_;
  std::string table_;
  std::vector<std::string> columns_;
  std::vector<std::optional<std::string>> values_;
  std::vector<std::pair<std::string, int64_t>> counts_;
  int64_t rows_ = 0;
};

// Sets the row's values in column order and adds it.
template <typename... V>
Status AddRow(Loader& loader, V&&... v) {
  auto& values = loader.values();
  size_t i = 0;
  ((values[i++] = std::forward<V>(v)), ...);
  return loader.Add();
}

// What a done task's completion computes from its three labels (in
// annotation-id order): the final label, and the agreement counters with
// the three labelers as users 1, 2 and 3.
struct CompletionMemo {
  std::string result_json;
  std::string method;
  double agreement = 0;
  std::vector<plumb::store::StatDelta> stats;
};

struct Simulation {
  std::vector<Labeler> labelers;
  std::vector<TaskSim> tasks;           // golden ones first; task id = index + 1
  std::vector<Annotation> annotations;  // by id (index + 1)
  int32_t golden_tasks = 0;
  int64_t golden_labels = 0;
  int64_t done_tasks = 0;
};

Simulation Simulate(const Options& o, int64_t now_ms) {
  Simulation sim;
  Random r(o.seed);
  const int64_t start_ms = now_ms - o.days * kDayMs;
  for (int i = 0; i < o.labelers; ++i) {
    Labeler l;
    l.id = kManagerId + 1 + i;
    l.accuracy = 0.6 + 0.35 * r.Uniform();
    l.median_lead_ms = 4000 * std::exp2(2 * r.Uniform());  // 4 to 16 s
    l.workforce_id = 1 + i % 4;
    sim.labelers.push_back(l);
  }
  // Exactly o.annotations: the counting ones in threes, golden the rest.
  const auto golden_target = static_cast<int64_t>(std::llround(o.annotations * kGoldenShare));
  sim.done_tasks = (o.annotations - golden_target) / 3;
  sim.golden_labels = o.annotations - 3 * sim.done_tasks;
  const int per_golden = std::min(kGoldenLabelersPerTask, o.labelers);
  sim.golden_tasks =
      static_cast<int32_t>(std::max<int64_t>(1, (sim.golden_labels + per_golden - 1) / per_golden));

  sim.tasks.resize(sim.golden_tasks + sim.done_tasks);
  for (int32_t g = 0; g < sim.golden_tasks; ++g) {
    sim.tasks[g].golden = true;
    sim.tasks[g].truth = DrawLabel(r, kPrior);
    sim.tasks[g].created_at_ms = start_ms - kDayMs;  // set up before the month
  }
  // Imported over the month; ids follow import time.
  std::vector<int64_t> created(sim.done_tasks);
  const int64_t import_span = now_ms - 6 * kHourMs - start_ms;
  for (int64_t& c : created) c = start_ms + static_cast<int64_t>(r.Uniform() * import_span);
  std::sort(created.begin(), created.end());

  sim.annotations.reserve(o.annotations);
  auto lead = [&](const Labeler& l) {
    const double ms = l.median_lead_ms * std::exp(0.6 * r.Normal());
    return static_cast<int32_t>(std::clamp(ms, 300.0, 600'000.0));
  };
  for (int64_t i = 0; i < sim.done_tasks; ++i) {
    const auto index = static_cast<int32_t>(sim.golden_tasks + i);
    TaskSim& t = sim.tasks[index];
    t.created_at_ms = created[i];
    t.truth = DrawLabel(r, kPrior);
    // The model is right 80 % of the time, and surer when right.
    const bool right = r.Uniform() < 0.8;
    t.predicted = right ? t.truth : Answer(r, t.truth, 0);
    t.predicted_score = static_cast<int8_t>(right ? 4 + r.Below(6) : r.Below(6));
    std::array<int32_t, 3> who{};
    for (int k = 0; k < 3; ++k) {
      int32_t l = 0;
      do {
        l = static_cast<int32_t>(r.Below(o.labelers));
      } while (std::find(who.begin(), who.begin() + k, l) != who.begin() + k);
      who[k] = l;
    }
    int64_t at = t.created_at_ms;
    for (int k = 0; k < 3; ++k) {
      // Labelers pick a task up on average 90 minutes after the previous one.
      at += 10'000 + static_cast<int64_t>(r.Exponential(90.0 * 60'000));
      at = std::min(at, now_ms - 1000);
      const Labeler& l = sim.labelers[who[k]];
      sim.annotations.push_back(
          {at, index, who[k], lead(l), Answer(r, t.truth, l.accuracy), static_cast<int8_t>(k)});
    }
  }
  for (int64_t j = 0; j < sim.golden_labels; ++j) {
    const auto g = static_cast<int32_t>(j % sim.golden_tasks);
    const int64_t round = j / sim.golden_tasks;  // < per_golden <= labelers: distinct people
    const auto who = static_cast<int32_t>((g * 37 + round) % o.labelers);
    const Labeler& l = sim.labelers[who];
    const int64_t at = start_ms + static_cast<int64_t>(r.Uniform() * (now_ms - 1000 - start_ms));
    sim.annotations.push_back({at, g, who, lead(l), Answer(r, sim.tasks[g].truth, l.accuracy), 0});
  }
  std::sort(sim.annotations.begin(), sim.annotations.end(),
            [](const Annotation& a, const Annotation& b) {
              if (a.at_ms != b.at_ms) return a.at_ms < b.at_ms;
              if (a.task != b.task) return a.task < b.task;
              return a.slot < b.slot;
            });
  for (size_t i = 0; i < sim.annotations.size(); ++i) {
    const Annotation& a = sim.annotations[i];
    if (!sim.tasks[a.task].golden) sim.tasks[a.task].annotation_ids[a.slot] = int64_t(i) + 1;
  }
  return sim;
}

Result<std::string> HashPassword(const std::string& password) {
  // The server's parameters (src/http/auth.cc), so that its login accepts it.
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::Internal("out of memory while hashing a password");
  }
  return std::string(out);
}

Status Generate(const Options& o, Loader& load, const Simulation& sim, int64_t now_ms,
                double* compute_seconds) {
  using plumb::store::StatDelta;
  namespace stats = plumb::stats;
  const auto compute_start = Clock::now();
  PLUMB_ASSIGN_OR_RETURN(plumb::Schema schema, plumb::ParseSchema(kSchemaJson));
  const std::string schema_json = plumb::SchemaToJson(schema);
  plumb::ProjectSettings settings;
  settings.overlap = 3;
  const std::string settings_json = plumb::SettingsToJson(settings);
  const plumb::Control& control = schema.controls.front();

  // Each label's result in the normalized form the server stores.
  std::array<std::string, kLabelCount> results;
  for (int i = 0; i < kLabelCount; ++i) {
    const std::string raw =
        R"([{"control":"sentiment","type":"choice","values":[")" + control.labels[i] + R"("]}])";
    PLUMB_ASSIGN_OR_RETURN(plumb::ValidAnnotation valid,
                           plumb::ValidateAnnotation(schema, R"({"text":"x"})", raw, ""));
    results[i] = std::move(valid.result_json);
  }

  // --- the counters, and the values of the server's functions --------------
  Counters counters;
  std::map<int, CompletionMemo> completions;                    // labels l0*16+l1*4+l2
  std::map<std::pair<int, int>, plumb::quality::Grade> grades;  // (answer, given)
  // (completion, predicted label, score step)
  std::map<std::tuple<int, int, int>, plumb::store::Disagreement> disagreements;
  auto completion_of = [&](const std::array<int, 3>& labels) -> Result<const CompletionMemo*> {
    const int key = labels[0] * 16 + labels[1] * 4 + labels[2];
    if (auto it = completions.find(key); it != completions.end()) return &it->second;
    std::vector<plumb::quality::Annotated> annotated;
    std::vector<plumb::Revision> current;
    for (int k = 0; k < 3; ++k) {
      annotated.push_back({k + 1, results[labels[k]], ""});
      plumb::Revision rev;
      rev.id = rev.annotation_id = k + 1;
      rev.user_id = k + 1;
      rev.result_json = results[labels[k]];
      current.push_back(std::move(rev));
    }
    plumb::quality::ConsensusOptions options;
    options.iou_threshold = kIouThreshold;
    PLUMB_ASSIGN_OR_RETURN(plumb::quality::Consensus consensus,
                           plumb::quality::Reconcile(schema, annotated, options));
    CompletionMemo memo;
    memo.stats =
        plumb::workflow::AgreementStats(schema, current, consensus.result_json, kIouThreshold);
    memo.result_json = std::move(consensus.result_json);
    memo.method = std::move(consensus.method);
    memo.agreement = consensus.agreement;
    return &completions.emplace(key, std::move(memo)).first->second;
  };
  auto grade_of = [&](int answer, int given) -> Result<const plumb::quality::Grade*> {
    auto key = std::make_pair(answer, given);
    if (auto it = grades.find(key); it != grades.end()) return &it->second;
    PLUMB_ASSIGN_OR_RETURN(
        plumb::quality::Grade grade,
        plumb::quality::GradeAgainstAnswer(schema, results[answer], results[given], kIouThreshold));
    return &grades.emplace(key, std::move(grade)).first->second;
  };

  for (const Annotation& a : sim.annotations) {
    const Labeler& l = sim.labelers[a.labeler];
    counters.Add(l.id, a.at_ms, stats::kLabels, 1, a.lead_ms);
    counters.Add(l.id, a.at_ms,
                 stats::kLeadPrefix + std::to_string(stats::DurationBucket(a.lead_ms)), 1, 0);
    const TaskSim& t = sim.tasks[a.task];
    if (!t.golden) continue;
    PLUMB_ASSIGN_OR_RETURN(const plumb::quality::Grade* grade, grade_of(t.truth, a.label));
    counters.Add(l.id, a.at_ms, stats::kGolden, 1, grade->score);
    if (grade->correct) counters.Add(l.id, a.at_ms, stats::kGoldenCorrect, 1, 0);
  }
  std::vector<const CompletionMemo*> task_completion(sim.tasks.size(), nullptr);
  std::vector<int> completion_key(sim.tasks.size(), 0);
  for (size_t ti = sim.golden_tasks; ti < sim.tasks.size(); ++ti) {
    const TaskSim& t = sim.tasks[ti];
    std::array<int, 3> labels{};
    std::array<int64_t, 3> users{};
    for (int k = 0; k < 3; ++k) {
      const Annotation& a = sim.annotations[t.annotation_ids[k] - 1];
      labels[k] = a.label;
      users[k] = sim.labelers[a.labeler].id;
    }
    const int64_t done_at = sim.annotations[t.annotation_ids[2] - 1].at_ms;
    PLUMB_ASSIGN_OR_RETURN(const CompletionMemo* memo, completion_of(labels));
    task_completion[ti] = memo;
    completion_key[ti] = labels[0] * 16 + labels[1] * 4 + labels[2];
    for (const StatDelta& d : memo->stats) {
      counters.Add(d.user_id == 0 ? 0 : users[d.user_id - 1], done_at, d.metric, d.count, d.sum);
    }
    const int64_t turnaround = done_at - t.created_at_ms;
    counters.Add(0, done_at, stats::kDone, 1, static_cast<double>(turnaround));
    counters.Add(0, done_at, stats::kTurnPrefix + std::to_string(stats::DurationBucket(turnaround)),
                 1, 0);
    for (int64_t u : users) counters.Add(u, done_at, stats::kAccepted, 1, 0);
  }
  const std::vector<Counters::Row> counter_rows = counters.Rows();
  *compute_seconds = Seconds(compute_start);

  // --- the rows, parents first -------------------------------------------------
  const int64_t setup_ms = now_ms - (o.days + 2) * kDayMs;
  std::string labeler_hash;
  {
    unsigned char secret[32];
    randombytes_buf(secret, sizeof secret);
    PLUMB_ASSIGN_OR_RETURN(labeler_hash,
                           HashPassword(std::string(reinterpret_cast<char*>(secret), 32)));
  }
  PLUMB_ASSIGN_OR_RETURN(std::string manager_hash, HashPassword(o.password));
  load.Table("users", {"id", "username", "password_hash", "role", "created_at"});
  PLUMB_RETURN_IF_ERROR(AddRow(load, Text(kManagerId), "bench-manager", manager_hash,
                               Text(static_cast<int>(plumb::Role::kManager)), Text(setup_ms)));
  for (size_t i = 0; i < sim.labelers.size(); ++i) {
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(sim.labelers[i].id), "labeler-" + Text(i + 1),
                                 labeler_hash, Text(static_cast<int>(plumb::Role::kAnnotator)),
                                 Text(setup_ms)));
  }
  load.Table("projects",
             {"id", "name", "schema_json", "settings_json", "created_by", "created_at", "deleted"});
  PLUMB_RETURN_IF_ERROR(AddRow(load, Text(kProjectId), "analytics bench", schema_json,
                               settings_json, Text(kManagerId), Text(setup_ms), "0"));

  struct WorkforceSpec {
    const char* name;
    plumb::WorkforceKind kind;
    plumb::PricingModel model;
    double rate;
    const char* currency;
  };
  const WorkforceSpec workforces[] = {
      {"in-house day shift", plumb::WorkforceKind::kInternal, plumb::PricingModel::kPerHour, 28,
       "USD"},
      {"in-house night shift", plumb::WorkforceKind::kInternal, plumb::PricingModel::kPerHour, 32,
       "USD"},
      {"vendor A", plumb::WorkforceKind::kVendor, plumb::PricingModel::kPerLabel, 0.045, "USD"},
      {"vendor B", plumb::WorkforceKind::kVendor, plumb::PricingModel::kPerLabel, 0.04, "EUR"},
  };
  load.Table("workforces",
             {"id", "name", "kind", "pricing_model", "rate", "currency", "created_at"});
  for (int w = 0; w < 4; ++w) {
    const WorkforceSpec& s = workforces[w];
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(w + 1), s.name, Text(static_cast<int>(s.kind)),
                                 Text(static_cast<int>(s.model)), Decimal(s.rate), s.currency,
                                 Text(setup_ms)));
  }
  load.Table("workforce_members", {"workforce_id", "user_id"});
  for (int64_t w = 1; w <= 4; ++w) {
    for (const Labeler& l : sim.labelers) {
      if (l.workforce_id == w) PLUMB_RETURN_IF_ERROR(AddRow(load, Text(w), Text(l.id)));
    }
  }
  load.Table("project_workforces", {"project_id", "workforce_id"});
  for (int64_t w = 1; w <= 4; ++w) PLUMB_RETURN_IF_ERROR(AddRow(load, Text(kProjectId), Text(w)));

  load.Table("tasks", {"id", "project_id", "priority", "state", "annotation_count", "lease_count",
                       "open_slots", "created_at", "data", "deadline", "batch_id", "routed",
                       "golden", "rejected_count", "resent"});
  plumb::bench::TaskTextGenerator text;
  std::string data;
  for (size_t i = 0; i < sim.tasks.size(); ++i) {
    const TaskSim& t = sim.tasks[i];
    const auto id = static_cast<int64_t>(i) + 1;
    text.Data(id, &data);
    // A golden task stays new and outside the queue; a done one has its 3.
    PLUMB_RETURN_IF_ERROR(
        AddRow(load, Text(id), Text(kProjectId), "0",
               Text(static_cast<int>(t.golden ? plumb::TaskState::kNew : plumb::TaskState::kDone)),
               t.golden ? "0" : "3", "0", "0", Text(t.created_at_ms), data, std::nullopt,
               std::nullopt, "0", t.golden ? "1" : "0", "0", "0"));
  }
  load.Table("annotations", {"id", "project_id", "task_id", "user_id", "current_revision_id",
                             "created_at", "kind", "rejected"});
  for (size_t i = 0; i < sim.annotations.size(); ++i) {
    const Annotation& a = sim.annotations[i];
    const std::string id = Text(static_cast<int64_t>(i) + 1);  // its one revision's id too
    // kind 1: on a golden task, never counting.
    PLUMB_RETURN_IF_ERROR(AddRow(load, id, Text(kProjectId), Text(a.task + 1),
                                 Text(sim.labelers[a.labeler].id), id, Text(a.at_ms),
                                 sim.tasks[a.task].golden ? "1" : "0", "0"));
  }
  load.Table("revisions",
             {"id", "annotation_id", "task_id", "user_id", "revision", "result", "media",
              "lead_time_ms", "source", "parent_id", "idempotency_key", "created_at"});
  for (size_t i = 0; i < sim.annotations.size(); ++i) {
    const Annotation& a = sim.annotations[i];
    const std::string id = Text(static_cast<int64_t>(i) + 1);
    PLUMB_RETURN_IF_ERROR(AddRow(load, id, id, Text(a.task + 1), Text(sim.labelers[a.labeler].id),
                                 "1", results[a.label], std::nullopt, Text(a.lead_ms),
                                 Text(static_cast<int>(plumb::RevisionSource::kHuman)),
                                 std::nullopt, std::nullopt, Text(a.at_ms)));
  }
  // One prediction per done task, imported with it; prediction id = its
  // index among the done tasks + 1.
  load.Table("predictions", {"id", "project_id", "task_id", "model_name", "model_version", "score",
                             "result_json", "media", "created_at"});
  auto prediction_score = [](const TaskSim& t) { return 0.5 + 0.05 * t.predicted_score; };
  for (size_t i = sim.golden_tasks; i < sim.tasks.size(); ++i) {
    const TaskSim& t = sim.tasks[i];
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(static_cast<int64_t>(i) - sim.golden_tasks + 1),
                                 Text(kProjectId), Text(static_cast<int64_t>(i) + 1), "bench-model",
                                 "v1", Decimal(prediction_score(t)), results[t.predicted],
                                 std::nullopt, Text(t.created_at_ms)));
  }
  load.Table("golden_answers", {"task_id", "result", "media"});
  for (int32_t g = 0; g < sim.golden_tasks; ++g) {
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(g + 1), results[sim.tasks[g].truth], std::nullopt));
  }
  {
    std::vector<size_t> golden;  // annotation indexes, in (task, user) order
    for (size_t i = 0; i < sim.annotations.size(); ++i) {
      if (sim.tasks[sim.annotations[i].task].golden) golden.push_back(i);
    }
    std::sort(golden.begin(), golden.end(), [&](size_t a, size_t b) {
      const Annotation &x = sim.annotations[a], &y = sim.annotations[b];
      return std::make_pair(x.task, x.labeler) < std::make_pair(y.task, y.labeler);
    });
    load.Table("golden_grades", {"task_id", "user_id", "project_id", "revision_id", "score",
                                 "correct", "created_at"});
    for (size_t i : golden) {
      const Annotation& a = sim.annotations[i];
      PLUMB_ASSIGN_OR_RETURN(const plumb::quality::Grade* grade,
                             grade_of(sim.tasks[a.task].truth, a.label));
      PLUMB_RETURN_IF_ERROR(AddRow(load, Text(a.task + 1), Text(sim.labelers[a.labeler].id),
                                   Text(kProjectId), Text(static_cast<int64_t>(i) + 1),
                                   Decimal(grade->score), grade->correct ? "1" : "0",
                                   Text(a.at_ms)));
    }
  }
  load.Table("final_labels",
             {"task_id", "result", "media", "method", "agreement", "decided_by", "updated_at"});
  for (size_t i = sim.golden_tasks; i < sim.tasks.size(); ++i) {
    const TaskSim& t = sim.tasks[i];
    const CompletionMemo& memo = *task_completion[i];
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(static_cast<int64_t>(i) + 1), memo.result_json,
                                 std::nullopt, memo.method, Decimal(memo.agreement), std::nullopt,
                                 Text(sim.annotations[t.annotation_ids[2] - 1].at_ms)));
  }
  load.Table("stat_counters", {"project_id", "user_id", "day", "metric", "n", "total"});
  for (const Counters::Row& row : counter_rows) {
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(kProjectId), Text(row.user_id), Text(row.day),
                                 *row.metric, Text(row.n), Decimal(row.total)));
  }
  load.Table("disagreements", {"prediction_id", "project_id", "task_id", "score", "controls",
                               "labels", "computed_at"});
  for (size_t i = sim.golden_tasks; i < sim.tasks.size(); ++i) {
    const TaskSim& t = sim.tasks[i];
    const CompletionMemo& memo = *task_completion[i];
    const auto key = std::make_tuple(completion_key[i], static_cast<int>(t.predicted),
                                     static_cast<int>(t.predicted_score));
    auto it = disagreements.find(key);
    if (it == disagreements.end()) {
      plumb::store::Prediction p;
      p.result_json = results[t.predicted];
      p.score = prediction_score(t);
      std::vector<plumb::store::Disagreement> scored =
          plumb::workflow::DisagreementScores(schema, {p}, memo.result_json, kIouThreshold);
      if (scored.empty()) return Status::Internal("a prediction could not be scored");
      it = disagreements.emplace(key, std::move(scored.front())).first;
    }
    const plumb::store::Disagreement& d = it->second;
    PLUMB_RETURN_IF_ERROR(AddRow(load, Text(static_cast<int64_t>(i) - sim.golden_tasks + 1),
                                 Text(kProjectId), Text(static_cast<int64_t>(i) + 1),
                                 Decimal(d.score), d.controls_json, d.labels_json,
                                 Text(sim.annotations[t.annotation_ids[2] - 1].at_ms)));
  }
  return Status::Ok();
}

[[noreturn]] void Usage(const char* why) {
  std::fprintf(stderr,
               "plumb_bench_analytics: %s\nusage: plumb_bench_analytics generate --db LOCATION "
               "--password PW [--annotations N] [--labelers N] [--days N] [--seed S]\n",
               why);
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "generate") Usage("the mode is generate");
  Options o;
  for (int i = 2; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) Usage(("missing value for " + flag).c_str());
    const std::string value = argv[i + 1];
    if (flag == "--db") {
      o.db = value;
    } else if (flag == "--password") {
      o.password = value;
    } else if (flag == "--annotations") {
      o.annotations = std::atoll(value.c_str());
    } else if (flag == "--labelers") {
      o.labelers = std::atoi(value.c_str());
    } else if (flag == "--days") {
      o.days = std::atoi(value.c_str());
    } else if (flag == "--seed") {
      o.seed = std::strtoull(value.c_str(), nullptr, 10);
    } else {
      Usage(("unknown flag " + flag).c_str());
    }
  }
  if (o.db.empty() || o.password.size() < 8) Usage("need --db and a --password of 8+ characters");
  // 3 distinct labelers per task; user ids fit the counters' 21-bit key.
  if (o.annotations < 100 || o.labelers < 3 || o.labelers > 1'000'000 || o.days < 1 ||
      o.days > 3650) {
    Usage("need --annotations >= 100, --labelers 3..1000000, --days 1..3650");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (!plumb::store::IsPostgresUrl(o.db)) {
    const std::string path = o.db.rfind("sqlite:", 0) == 0 ? o.db.substr(7) : o.db;
    struct stat st;
    if (stat(path.c_str(), &st) == 0) {
      std::fprintf(stderr, "plumb_bench_analytics: %s exists; give a new file\n", path.c_str());
      return 1;
    }
  }
  if (sodium_init() < 0) {
    std::fprintf(stderr, "plumb_bench_analytics: libsodium failed to initialize\n");
    return 1;
  }
  const auto start = Clock::now();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const Simulation sim = Simulate(o, now_ms);
  const double simulate_seconds = Seconds(start);

  auto fail = [](const Status& s) {
    std::fprintf(stderr, "plumb_bench_analytics: %s\n", s.ToString().c_str());
    return 1;
  };
  double compute_seconds = 0;
  double commit_seconds = 0;
  int64_t rows = 0;
  std::vector<std::pair<std::string, int64_t>> counts;
  {
    auto store = plumb::store::OpenStore(o.db);
    if (!store.ok()) return fail(store.status());
    auto loader = (*store)->BeginLoad();
    if (!loader.ok()) return fail(loader.status());
    Loader load(**loader);
    Status s = Generate(o, load, sim, now_ms, &compute_seconds);
    const auto commit_start = Clock::now();
    if (s.ok()) s = (*loader)->Commit();
    if (!s.ok()) return fail(s);
    loader->reset();
    rows = load.rows();
    counts = load.counts();
    store->reset();  // closes (checkpoints) the database inside the timed region
    commit_seconds = Seconds(commit_start);
  }
  const double seconds = Seconds(start);
  for (const auto& [table, n] : counts) {
    std::fprintf(stderr, "plumb_bench_analytics: %-18s %lld rows\n", table.c_str(),
                 static_cast<long long>(n));
  }
  auto count = [&](std::string_view table) {
    for (const auto& [name, n] : counts) {
      if (name == table) return n;
    }
    return int64_t{0};
  };
  std::printf(
      "mode=generate project=%lld manager=bench-manager annotations=%zu done_tasks=%lld "
      "golden_tasks=%d golden_labels=%lld labelers=%d days=%d stat_counters=%lld rows=%lld "
      "simulate_s=%.2f counters_s=%.2f commit_s=%.2f seconds=%.2f\n",
      static_cast<long long>(kProjectId), sim.annotations.size(),
      static_cast<long long>(sim.done_tasks), sim.golden_tasks,
      static_cast<long long>(sim.golden_labels), o.labelers, o.days,
      static_cast<long long>(count("stat_counters")), static_cast<long long>(rows),
      simulate_seconds, compute_seconds, commit_seconds, seconds);
  return 0;
}
