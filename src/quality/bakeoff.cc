#include "quality/bakeoff.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "quality/detection.h"
#include "quality/error_rates.h"
#include "quality/grading.h"
#include "quality/metrics.h"
#include "quality/result_items.h"
#include "quality/spans.h"

namespace plumb::quality {
namespace {

using internal::ControlAnswer;
using internal::ParsedResult;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The parsed answer and result of each golden task for one control.
struct Pair {
  const ControlAnswer* truth = nullptr;
  const ControlAnswer* predicted = nullptr;  // an empty answer when not answered
  double grade = 0;                          // the grading score of this control
};

using Statistic = std::function<double(const std::vector<size_t>&)>;

Figure Bootstrapped(const std::string& metric, size_t n, const Statistic& statistic,
                    const BakeoffOptions& options, uint64_t salt) {
  Figure f;
  f.metric = metric;
  if (n == 0) return f;
  f.value = BootstrapInterval(n, statistic, options.resamples, options.level, options.seed + salt);
  return f;
}

std::vector<Detection> Regions(const Control& control, const ControlAnswer& answer, int64_t image) {
  std::vector<Detection> out;
  for (const internal::Region& r : answer.regions) {
    Detection d;
    d.image = image;
    d.label = r.label;
    if (control.type == ControlType::kPolygon) {
      d.polygon = r.points;
    } else {
      d.box = r.box;
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::vector<Span> Spans(const ControlAnswer& answer, int64_t doc) {
  std::vector<Span> out;
  for (const internal::Region& r : answer.regions) {
    out.push_back(Span{doc, static_cast<int64_t>(r.start), static_cast<int64_t>(r.end), r.label});
  }
  return out;
}

void SingleChoice(const Control& control, const std::vector<Pair>& pairs,
                  const BakeoffOptions& options, ControlFigures& out) {
  const int32_t k = static_cast<int32_t>(control.labels.size());
  // A missing answer is a column of its own ("none"), so it costs recall.
  auto confusion = [&](const std::vector<size_t>& idx) {
    std::vector<int32_t> truth, predicted;
    for (size_t i : idx) {
      truth.push_back(pairs[i].truth->values.empty() ? -1 : pairs[i].truth->values[0]);
      predicted.push_back(pairs[i].predicted->values.empty() ? k : pairs[i].predicted->values[0]);
    }
    return ConfusionMatrix(k + 1, truth, predicted);
  };
  auto accuracy = [&](const std::vector<size_t>& idx) {
    if (idx.empty()) return kNaN;
    double hits = 0;
    for (size_t i : idx) {
      hits += pairs[i].predicted->values == pairs[i].truth->values ? 1 : 0;
    }
    return hits / static_cast<double>(idx.size());
  };
  auto macro_f1 = [&](const std::vector<size_t>& idx) {
    ClassificationScores s = ScoreClassification(confusion(idx));
    double sum = 0;
    for (int32_t c = 0; c < k; ++c) sum += s.per_class[c].f1;
    return k > 0 ? sum / k : kNaN;
  };
  out.figures.push_back(Bootstrapped("accuracy", pairs.size(), accuracy, options, 1));
  out.figures.push_back(Bootstrapped("macro_f1", pairs.size(), macro_f1, options, 2));
  std::vector<size_t> all(pairs.size());
  std::iota(all.begin(), all.end(), 0);
  ClassificationScores s = ScoreClassification(confusion(all));
  for (int32_t c = 0; c < k; ++c) {
    const ClassScores& cs = s.per_class[c];
    out.classes.push_back({control.labels[c], cs.precision, cs.recall, cs.f1,
                           static_cast<int64_t>(cs.support), std::nullopt});
  }
}

void MultipleChoice(const Control& control, const std::vector<Pair>& pairs,
                    const BakeoffOptions& options, ControlFigures& out) {
  auto jaccard = [&](const std::vector<size_t>& idx) {
    if (idx.empty()) return kNaN;
    double sum = 0;
    for (size_t i : idx) sum += pairs[i].grade;
    return sum / static_cast<double>(idx.size());
  };
  out.figures.push_back(Bootstrapped("jaccard", pairs.size(), jaccard, options, 3));
  for (size_t c = 0; c < control.labels.size(); ++c) {
    int64_t tp = 0, fp = 0, fn = 0;
    for (const Pair& p : pairs) {
      auto has = [&](const ControlAnswer* a) {
        return std::find(a->values.begin(), a->values.end(), static_cast<int32_t>(c)) !=
               a->values.end();
      };
      const bool t = has(p.truth), q = has(p.predicted);
      tp += t && q;
      fp += !t && q;
      fn += t && !q;
    }
    MatchScores m = ScoresFromCounts(tp, fp, fn);
    out.classes.push_back({control.labels[c], m.precision, m.recall, m.f1, tp + fn, std::nullopt});
  }
}

void ImageRegions(const Control& control, const std::vector<Pair>& pairs,
                  const BakeoffOptions& options, ControlFigures& out) {
  // Images are positions in the resample, so a task drawn twice is two images.
  auto gather = [&](const std::vector<size_t>& idx, std::vector<Detection>& truth,
                    std::vector<Detection>& predicted) {
    for (size_t j = 0; j < idx.size(); ++j) {
      auto t = Regions(control, *pairs[idx[j]].truth, static_cast<int64_t>(j));
      auto p = Regions(control, *pairs[idx[j]].predicted, static_cast<int64_t>(j));
      truth.insert(truth.end(), t.begin(), t.end());
      predicted.insert(predicted.end(), p.begin(), p.end());
    }
  };
  auto f1 = [&](const std::vector<size_t>& idx) {
    std::vector<Detection> truth, predicted;
    gather(idx, truth, predicted);
    return ScoreDetections(truth, predicted, options.iou_threshold).f1;
  };
  auto map = [&](const std::vector<size_t>& idx) {
    std::vector<Detection> truth, predicted;
    gather(idx, truth, predicted);
    return CocoMeanAveragePrecision(truth, predicted).map;
  };
  out.figures.push_back(Bootstrapped("f1_at_iou", pairs.size(), f1, options, 4));
  out.figures.push_back(Bootstrapped("map", pairs.size(), map, options, 5));
  std::vector<size_t> all(pairs.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<Detection> truth, predicted;
  gather(all, truth, predicted);
  MeanAveragePrecision m = CocoMeanAveragePrecision(truth, predicted);
  for (size_t c = 0; c < control.labels.size(); ++c) {
    std::vector<Detection> t, p;
    for (const Detection& d : truth) {
      if (d.label == static_cast<int32_t>(c)) t.push_back(d);
    }
    for (const Detection& d : predicted) {
      if (d.label == static_cast<int32_t>(c)) p.push_back(d);
    }
    MatchScores s = ScoreDetections(t, p, options.iou_threshold);
    std::optional<double> ap;
    if (auto it = m.ap_per_label.find(static_cast<int32_t>(c)); it != m.ap_per_label.end()) {
      ap = it->second;
    }
    out.classes.push_back(
        {control.labels[c], s.precision, s.recall, s.f1, static_cast<int64_t>(t.size()), ap});
  }
}

void TextSpans(const Control& control, const std::vector<Pair>& pairs,
               const BakeoffOptions& options, ControlFigures& out) {
  auto gather = [&](const std::vector<size_t>& idx, std::vector<Span>& truth,
                    std::vector<Span>& predicted) {
    for (size_t j = 0; j < idx.size(); ++j) {
      auto t = Spans(*pairs[idx[j]].truth, static_cast<int64_t>(j));
      auto p = Spans(*pairs[idx[j]].predicted, static_cast<int64_t>(j));
      truth.insert(truth.end(), t.begin(), t.end());
      predicted.insert(predicted.end(), p.begin(), p.end());
    }
  };
  auto f1 = [&](const std::vector<size_t>& idx) {
    std::vector<Span> truth, predicted;
    gather(idx, truth, predicted);
    return ExactSpanScores(truth, predicted).f1;
  };
  out.figures.push_back(Bootstrapped("entity_f1", pairs.size(), f1, options, 6));
  std::vector<size_t> all(pairs.size());
  std::iota(all.begin(), all.end(), 0);
  std::vector<Span> truth, predicted;
  gather(all, truth, predicted);
  for (size_t c = 0; c < control.labels.size(); ++c) {
    std::vector<Span> t, p;
    for (const Span& s : truth) {
      if (s.label == static_cast<int32_t>(c)) t.push_back(s);
    }
    for (const Span& s : predicted) {
      if (s.label == static_cast<int32_t>(c)) p.push_back(s);
    }
    MatchScores s = ExactSpanScores(t, p);
    out.classes.push_back({control.labels[c], s.precision, s.recall, s.f1,
                           static_cast<int64_t>(t.size()), std::nullopt});
  }
}

void FreeText(const std::vector<Pair>& pairs, const BakeoffOptions& options, ControlFigures& out) {
  auto cer = [&](const std::vector<size_t>& idx) {
    ErrorRate total;
    for (size_t i : idx) {
      total += CharacterErrorRate(pairs[i].truth->code_points, pairs[i].predicted->code_points);
    }
    return idx.empty() ? kNaN : total.Rate();
  };
  out.figures.push_back(Bootstrapped("cer", pairs.size(), cer, options, 7));
}

void Equal(const std::vector<Pair>& pairs, const BakeoffOptions& options, ControlFigures& out,
           const char* metric) {
  auto mean = [&](const std::vector<size_t>& idx) {
    if (idx.empty()) return kNaN;
    double sum = 0;
    for (size_t i : idx) sum += pairs[i].grade;
    return sum / static_cast<double>(idx.size());
  };
  out.figures.push_back(Bootstrapped(metric, pairs.size(), mean, options, 8));
}

double GradeOf(const std::vector<ControlAgreement>& controls, const std::string& name) {
  for (const ControlAgreement& c : controls) {
    if (c.control == name) return c.agreement;
  }
  return 0;
}

}  // namespace

Result<CandidateAccuracy> ScoreCandidate(const Schema& schema,
                                         const std::vector<GoldenTask>& golden,
                                         const std::map<int64_t, std::string>& results,
                                         const BakeoffOptions& options) {
  CandidateAccuracy out;
  std::vector<ParsedResult> truths, predictions;
  const ParsedResult empty(schema.controls.size());
  for (const GoldenTask& g : golden) {
    PLUMB_ASSIGN_OR_RETURN(ParsedResult truth,
                           internal::ParseResult(schema, g.answer_json, "answer"));
    truths.push_back(std::move(truth));
    TaskScore ts;
    ts.task_id = g.task_id;
    auto it = results.find(g.task_id);
    if (it == results.end()) {
      predictions.push_back(empty);
    } else {
      PLUMB_ASSIGN_OR_RETURN(ParsedResult predicted,
                             internal::ParseResult(schema, it->second, "result"));
      predictions.push_back(std::move(predicted));
      PLUMB_ASSIGN_OR_RETURN(Grade grade, GradeAgainstAnswer(schema, g.answer_json, it->second,
                                                             options.iou_threshold));
      ts.answered = true;
      ts.score = grade.score;
      ts.controls = std::move(grade.controls);
      ++out.answered;
    }
    if (ts.score >= kCorrectScore) ++out.correct;
    out.tasks.push_back(std::move(ts));
  }
  const size_t n = golden.size();
  auto mean_score = [&](const std::vector<size_t>& idx) {
    if (idx.empty()) return kNaN;
    double sum = 0;
    for (size_t i : idx) sum += out.tasks[i].score;
    return sum / static_cast<double>(idx.size());
  };
  if (n > 0) {
    out.score = BootstrapInterval(n, mean_score, options.resamples, options.level, options.seed);
  }
  out.correct_share = WilsonInterval(out.correct, static_cast<int64_t>(n), options.level);

  for (size_t ci = 0; ci < schema.controls.size(); ++ci) {
    const Control& control = schema.controls[ci];
    ControlFigures figures;
    figures.control = control.name;
    figures.type = std::string(ControlTypeName(control.type));
    std::vector<Pair> pairs;
    for (size_t i = 0; i < n; ++i) {
      if (!truths[i][ci].answered) continue;  // the expert left an optional control out
      pairs.push_back(
          Pair{&truths[i][ci], &predictions[i][ci], GradeOf(out.tasks[i].controls, control.name)});
    }
    figures.tasks = static_cast<int64_t>(pairs.size());
    const bool image = control.media == MediaKind::kImage || control.media == MediaKind::kNone;
    switch (control.type) {
      case ControlType::kChoice:
        if (control.multiple) {
          MultipleChoice(control, pairs, options, figures);
        } else {
          SingleChoice(control, pairs, options, figures);
        }
        break;
      case ControlType::kBbox:
      case ControlType::kPolygon:
        if (image) {
          ImageRegions(control, pairs, options, figures);
        } else {
          Equal(pairs, options, figures, "score");
        }
        break;
      case ControlType::kSpan:
        if (control.media != MediaKind::kAudio) {
          TextSpans(control, pairs, options, figures);
        } else {
          Equal(pairs, options, figures, "score");
        }
        break;
      case ControlType::kText:
        FreeText(pairs, options, figures);
        break;
      case ControlType::kRating:
        Equal(pairs, options, figures, "accuracy");
        break;
      default:
        Equal(pairs, options, figures, "score");
        break;
    }
    out.controls.push_back(std::move(figures));
  }

  out.worst = out.tasks;
  std::stable_sort(out.worst.begin(), out.worst.end(), [](const TaskScore& a, const TaskScore& b) {
    if (a.score != b.score) return a.score < b.score;
    return a.task_id < b.task_id;
  });
  // Only tasks with something wrong are worth a look.
  while (!out.worst.empty() && out.worst.back().score >= 1) out.worst.pop_back();
  if (out.worst.size() > options.worst_tasks) out.worst.resize(options.worst_tasks);
  return out;
}

PairedComparison ComparePaired(const std::vector<double>& a, const std::vector<double>& b,
                               const BakeoffOptions& options, int32_t permutations) {
  PairedComparison out;
  const size_t n = std::min(a.size(), b.size());
  if (n == 0) return out;
  std::vector<double> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = a[i] - b[i];
  auto mean = [&](const std::vector<size_t>& idx) {
    double sum = 0;
    for (size_t i : idx) sum += d[i];
    return sum / static_cast<double>(idx.size());
  };
  out.difference = BootstrapInterval(n, mean, options.resamples, options.level, options.seed + 99);
  const double observed = std::fabs(std::accumulate(d.begin(), d.end(), 0.0) / n);
  std::mt19937_64 rng(options.seed + 101);
  int64_t extreme = 0;
  for (int32_t p = 0; p < permutations; ++p) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += (rng() & 1) ? d[i] : -d[i];
    // A tolerance so that a flip giving the same mean up to rounding counts.
    if (std::fabs(sum / n) >= observed - 1e-12) ++extreme;
  }
  out.p_value = static_cast<double>(1 + extreme) / static_cast<double>(1 + permutations);
  out.significant = out.p_value < 1 - options.level;
  return out;
}

std::vector<RankedCandidate> RankCandidates(const std::vector<RankingInput>& inputs,
                                            RankingWeights weights) {
  double total = weights.accuracy + weights.speed + weights.cost;
  if (total <= 0) {
    weights = {1, 0, 0};
    total = 1;
  }
  double best_accuracy = 0;
  std::optional<double> best_turnaround, best_cost;
  for (const RankingInput& in : inputs) {
    best_accuracy = std::max(best_accuracy, in.accuracy);
    if (in.turnaround_ms) {
      best_turnaround = std::min(best_turnaround.value_or(*in.turnaround_ms), *in.turnaround_ms);
    }
    if (in.cost) best_cost = std::min(best_cost.value_or(*in.cost), *in.cost);
  }
  std::vector<RankedCandidate> out;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const RankingInput& in = inputs[i];
    RankedCandidate r;
    r.index = i;
    r.accuracy = best_accuracy > 0 ? in.accuracy / best_accuracy : 0;
    if (in.turnaround_ms) {
      // A turnaround under a second reads as one: nobody is faster than that.
      r.speed = std::max(*best_turnaround, 1000.0) / std::max(*in.turnaround_ms, 1000.0);
    }
    if (in.cost) {
      if (*best_cost <= 0) {
        r.cost = *in.cost <= 0 ? 1 : 0;
      } else {
        r.cost = *best_cost / *in.cost;
      }
    }
    r.score =
        (weights.accuracy * r.accuracy + weights.speed * r.speed + weights.cost * r.cost) / total;
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [](const RankedCandidate& a, const RankedCandidate& b) {
    return a.score > b.score;
  });
  return out;
}

}  // namespace plumb::quality
