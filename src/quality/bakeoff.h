#pragma once
// The figures of a bake-off (docs/bakeoffs.md): each candidate's accuracy on
// a golden set with the metric fit for each control and bootstrap intervals,
// a per-class breakdown and its worst tasks; the paired test between two
// candidates on the same tasks; and the weighted ranking over accuracy,
// speed and cost. Pure functions, thread-safe, deterministic for a seed.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "quality/bootstrap.h"
#include "quality/consensus.h"

namespace plumb::quality {

// One golden task: its id and the expert answer (a normalized result list).
struct GoldenTask {
  int64_t task_id = 0;
  std::string answer_json;
};

struct BakeoffOptions {
  double iou_threshold = 0.5;  // boxes and polygons: a match at this IoU
  int32_t resamples = 1000;    // bootstrap resamples
  double level = 0.95;         // interval level
  uint64_t seed = 1;
  size_t worst_tasks = 10;  // how many of the lowest-scored tasks to list
};

// One class of a control: precision, recall, F1 and the reference count;
// for boxes also its average precision (mAP's per-class term).
struct ClassFigure {
  std::string label;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
  std::optional<double> ap;
};

// A control's figure by the metric fit for its type, with its interval:
//   choice: "accuracy" (single; also "macro_f1") or "jaccard" (multiple);
//   bbox, polygon over images: "f1_at_iou" (also "map");
//   span over text: "entity_f1" (exact match);
//   text: "cer" (corpus character error rate; lower is better);
//   rating: "accuracy"; others (keypoint, video boxes, audio spans): "score",
//   the mean grading score.
struct Figure {
  std::string metric;
  Interval value;  // estimate with its bootstrap interval over tasks
};
struct ControlFigures {
  std::string control;
  std::string type;
  std::vector<Figure> figures;  // the primary metric first
  std::vector<ClassFigure> classes;
  int64_t tasks = 0;  // golden tasks whose answer has the control
};

struct TaskScore {
  int64_t task_id = 0;
  bool answered = false;  // the candidate returned a label for it
  double score = 0;       // the grading score (0..1); 0 when not answered
  std::vector<ControlAgreement> controls;
};

struct CandidateAccuracy {
  // The mean task score over every golden task (an unanswered task scores 0),
  // with its bootstrap interval.
  Interval score;
  // Tasks scored at least kCorrectScore, with Wilson's interval.
  int64_t correct = 0;
  Interval correct_share;
  int64_t answered = 0;
  std::vector<ControlFigures> controls;  // in schema order
  std::vector<TaskScore> tasks;          // in golden order
  std::vector<TaskScore> worst;          // lowest scores first, ties by task id
};

// Scores a candidate's results (task id → normalized result list) against
// the golden answers. kInvalidArgument when an answer or a result does not
// fit the schema.
Result<CandidateAccuracy> ScoreCandidate(const Schema& schema,
                                         const std::vector<GoldenTask>& golden,
                                         const std::map<int64_t, std::string>& results,
                                         const BakeoffOptions& options);

// A paired comparison of two candidates' scores on the same tasks
// (a[i] and b[i] on task i): the mean difference a - b with its paired
// bootstrap interval, and the two-sided p-value of a sign-flip permutation
// test (`permutations` random sign flips, p = (1 + extreme) / (1 + n)).
struct PairedComparison {
  Interval difference;
  double p_value = 1;
  bool significant = false;  // p_value < 1 - level
};
PairedComparison ComparePaired(const std::vector<double>& a, const std::vector<double>& b,
                               const BakeoffOptions& options, int32_t permutations = 10000);

// A candidate's three criteria for the ranking; nullopt when unknown.
struct RankingInput {
  double accuracy = 0;
  std::optional<double> turnaround_ms;
  std::optional<double> cost;
};
struct RankingWeights {
  double accuracy = 0.6, speed = 0.2, cost = 0.2;
};
struct RankedCandidate {
  size_t index = 0;                          // into the input
  double score = 0;                          // 0..1
  double accuracy = 0, speed = 0, cost = 0;  // each relative to the best, 0..1
};
// Each criterion relative to the best candidate's (accuracy / best accuracy,
// best turnaround / turnaround, best cost / cost; with a cost of 0 at the
// best, 1 for the free ones and 0 for others; an unknown figure 0), weighted
// by `weights` (normalized to sum 1; all 0 reads as accuracy only). Best
// first; ties keep input order.
std::vector<RankedCandidate> RankCandidates(const std::vector<RankingInput>& inputs,
                                            RankingWeights weights);

}  // namespace plumb::quality
