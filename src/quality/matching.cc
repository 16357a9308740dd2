#include "quality/matching.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <unordered_map>

namespace plumb::quality::internal {

size_t MaxMatching(size_t left, size_t right, const std::function<bool(size_t, size_t)>& edge) {
  std::vector<std::vector<size_t>> adjacent(left);
  for (size_t l = 0; l < left; ++l) {
    for (size_t r = 0; r < right; ++r) {
      if (edge(l, r)) adjacent[l].push_back(r);
    }
  }
  constexpr size_t kFree = static_cast<size_t>(-1);
  std::vector<size_t> match_of_right(right, kFree);
  std::vector<char> visited;
  std::function<bool(size_t)> augment = [&](size_t l) {
    for (size_t r : adjacent[l]) {
      if (visited[r]) continue;
      visited[r] = 1;
      if (match_of_right[r] == kFree || augment(match_of_right[r])) {
        match_of_right[r] = l;
        return true;
      }
    }
    return false;
  };
  size_t matched = 0;
  for (size_t l = 0; l < left; ++l) {
    visited.assign(right, 0);
    if (augment(l)) ++matched;
  }
  return matched;
}

std::vector<std::vector<size_t>> Cluster(const std::vector<size_t>& annotator_of,
                                         const std::vector<Extent>& extents,
                                         const std::function<double(size_t, size_t)>& similarity,
                                         double threshold) {
  const size_t n = annotator_of.size();
  struct Pair {
    double similarity;
    size_t a, b;
  };
  std::vector<Pair> pairs;
  std::unordered_map<uint64_t, double> similar;  // a * n + b (a < b) -> similarity
  // Sweep over extents sorted by min_x: only regions whose x ranges overlap
  // are compared, which keeps large results from costing n^2 IoUs.
  std::vector<size_t> by_x(n);
  std::iota(by_x.begin(), by_x.end(), 0);
  std::sort(by_x.begin(), by_x.end(), [&](size_t a, size_t b) {
    return std::tie(extents[a].min_x, a) < std::tie(extents[b].min_x, b);
  });
  for (size_t i = 0; i < n; ++i) {
    const Extent& ei = extents[by_x[i]];
    for (size_t j = i + 1; j < n && extents[by_x[j]].min_x <= ei.max_x; ++j) {
      size_t a = std::min(by_x[i], by_x[j]), b = std::max(by_x[i], by_x[j]);
      const Extent& ej = extents[by_x[j]];
      if (annotator_of[a] == annotator_of[b] || ej.min_y > ei.max_y || ei.min_y > ej.max_y) {
        continue;
      }
      double s = similarity(a, b);
      if (s < threshold) continue;
      pairs.push_back({s, a, b});
      similar.emplace(static_cast<uint64_t>(a) * n + b, s);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const Pair& x, const Pair& y) {
    return std::tie(y.similarity, x.a, x.b) < std::tie(x.similarity, y.a, y.b);
  });

  std::vector<size_t> cluster_of(n);
  std::iota(cluster_of.begin(), cluster_of.end(), 0);
  std::vector<std::vector<size_t>> members(n);
  for (size_t i = 0; i < n; ++i) members[i] = {i};
  auto similar_enough = [&](size_t a, size_t b) {
    return similar.contains(static_cast<uint64_t>(std::min(a, b)) * n + std::max(a, b));
  };
  for (const Pair& p : pairs) {
    size_t ca = cluster_of[p.a], cb = cluster_of[p.b];
    if (ca == cb) continue;
    bool can_merge = true;
    for (size_t x : members[ca]) {
      for (size_t y : members[cb]) {
        if (annotator_of[x] == annotator_of[y] || !similar_enough(x, y)) can_merge = false;
      }
    }
    if (!can_merge) continue;
    if (members[ca].size() < members[cb].size()) std::swap(ca, cb);
    for (size_t y : members[cb]) cluster_of[y] = ca;
    members[ca].insert(members[ca].end(), members[cb].begin(), members[cb].end());
    members[cb].clear();
  }
  std::vector<std::vector<size_t>> clusters;
  for (auto& m : members) {
    if (m.empty()) continue;
    std::sort(m.begin(), m.end());
    clusters.push_back(std::move(m));
  }
  std::sort(clusters.begin(), clusters.end(),
            [](const auto& x, const auto& y) { return x.front() < y.front(); });
  return clusters;
}

}  // namespace plumb::quality::internal
