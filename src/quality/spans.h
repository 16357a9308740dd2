#pragma once
// Entity-level metrics of labeled text spans (named entities and the like):
// precision, recall and F1 by exact match and by overlap. Pure functions,
// thread-safe.

#include <cstdint>
#include <vector>

#include "quality/metrics.h"

namespace plumb::quality {

// The span [start, end) of document `doc` (offsets in code points, as the
// result format has them) with label `label`.
struct Span {
  int64_t doc = 0;
  int64_t start = 0, end = 0;
  int32_t label = 0;
};

// Exact match: a prediction is a true positive when a reference has the same
// doc, start, end and label. Spans are a multiset: a span given twice on one
// side matches at most as many equal spans on the other (one-to-one).
// ScoresFromCounts: a ratio over 0 is 0, so two empty sides score 0.
MatchScores ExactSpanScores(const std::vector<Span>& truth, const std::vector<Span>& predicted);

// Overlap (partial) match: a prediction may match a reference of the same
// doc and label that shares at least one character with it
// (max(start) < min(end)); the matching is one-to-one and has as many pairs
// as possible (maximum bipartite matching per doc and label). An empty span
// overlaps nothing. Ratios over 0 are 0.
MatchScores OverlapSpanScores(const std::vector<Span>& truth, const std::vector<Span>& predicted);

}  // namespace plumb::quality
