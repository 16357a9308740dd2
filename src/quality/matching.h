#pragma once
// Internal to plumb_quality: one-to-one matching of regions between two
// results, and clustering of the regions of several annotators.

#include <cstddef>
#include <functional>
#include <vector>

namespace plumb::quality::internal {

// The size of a maximum one-to-one matching between left items 0..left-1 and
// right items 0..right-1, where `edge(l, r)` says whether l may match r
// (augmenting paths; regions of one control are few).
size_t MaxMatching(size_t left, size_t right, const std::function<bool(size_t, size_t)>& edge);

// An axis-aligned extent that contains everything a region can be similar
// to; regions whose extents do not overlap are never compared.
struct Extent {
  double min_x = 0, max_x = 0, min_y = 0, max_y = 0;
};

// Groups regions (given by the annotator of each, its extent and a pairwise
// similarity) into clusters with at most one region per annotator, merging
// the most similar pairs first and only when every pair across the two
// clusters is at least `threshold` similar (complete linkage, so that a chain
// of slightly shifted boxes does not become one cluster). Clusters list
// region indexes ascending and are ordered by their first region.
std::vector<std::vector<size_t>> Cluster(const std::vector<size_t>& annotator_of,
                                         const std::vector<Extent>& extents,
                                         const std::function<double(size_t, size_t)>& similarity,
                                         double threshold);

}  // namespace plumb::quality::internal
