#include "quality/spans.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "quality/matching.h"

namespace plumb::quality {
namespace {

MatchScores FromMatched(int64_t matched, size_t truth, size_t predicted) {
  return ScoresFromCounts(matched, static_cast<int64_t>(predicted) - matched,
                          static_cast<int64_t>(truth) - matched);
}

}  // namespace

MatchScores ExactSpanScores(const std::vector<Span>& truth, const std::vector<Span>& predicted) {
  using Key = std::tuple<int64_t, int64_t, int64_t, int32_t>;
  std::map<Key, int64_t> unmatched;  // reference spans not yet matched, by value
  for (const Span& s : truth) ++unmatched[{s.doc, s.start, s.end, s.label}];
  int64_t matched = 0;
  for (const Span& s : predicted) {
    auto it = unmatched.find({s.doc, s.start, s.end, s.label});
    if (it == unmatched.end() || it->second == 0) continue;
    --it->second;
    ++matched;
  }
  return FromMatched(matched, truth.size(), predicted.size());
}

MatchScores OverlapSpanScores(const std::vector<Span>& truth, const std::vector<Span>& predicted) {
  // Only spans of one doc and label can match each other.
  std::map<std::pair<int64_t, int32_t>,
           std::pair<std::vector<const Span*>, std::vector<const Span*>>>
      groups;
  for (const Span& s : truth) groups[{s.doc, s.label}].first.push_back(&s);
  for (const Span& s : predicted) groups[{s.doc, s.label}].second.push_back(&s);
  int64_t matched = 0;
  for (const auto& [key, sides] : groups) {
    const auto& [t, p] = sides;
    if (t.empty() || p.empty()) continue;
    matched +=
        static_cast<int64_t>(internal::MaxMatching(t.size(), p.size(), [&](size_t a, size_t b) {
          return std::max(t[a]->start, p[b]->start) < std::min(t[a]->end, p[b]->end);
        }));
  }
  return FromMatched(matched, truth.size(), predicted.size());
}

}  // namespace plumb::quality
