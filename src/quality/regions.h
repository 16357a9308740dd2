#pragma once
// Internal to plumb_quality: when two regions of a control are the same
// region, for clustering (consensus) and matching (grading).

#include <cstddef>
#include <functional>
#include <vector>

#include "core/schema.h"
#include "quality/matching.h"
#include "quality/result_items.h"

namespace plumb::quality::internal {

// The regions of several annotations of one control, with the index of the
// annotation each comes from.
struct RegionSet {
  std::vector<const Region*> regions;
  std::vector<size_t> annotator;
};
RegionSet CollectRegions(const std::vector<const ControlAnswer*>& answers);

// How alike two regions of `control` are: IoU for boxes and polygons, the
// interval IoU for spans, minus the distance for keypoints (-infinity for
// keypoints of different labels: a nose is never an eye).
double Similarity(const Control& control, const Region& a, const Region& b);

// Similarity at which two regions of `control` are the same region.
double SameRegionThreshold(const Control& control, double iou_threshold, double keypoint_distance);

// What Cluster needs for the regions of `set`.
struct RegionSimilarity {
  std::vector<Extent> extents;
  std::function<double(size_t, size_t)> score;
  double threshold = 0;
};
RegionSimilarity SimilarityOf(const Control& control, const RegionSet& set, double iou_threshold,
                              double keypoint_distance);

// F1 of a maximum one-to-one matching between the regions `a` and `b` of
// `control`, where a pair matches when it has the same label and is the same
// region: text spans by equal (start, end), audio spans, boxes and polygons
// by IoU at least `iou_threshold`, keypoints within `keypoint_distance`;
// video keyframes per frame (same outside flag, and IoU unless outside). 1
// when both are empty.
double RegionF1(const Control& control, const std::vector<Region>& a, const std::vector<Region>& b,
                double iou_threshold, double keypoint_distance);

// RegionF1 for the keyframes of a video bbox control.
double KeyframeF1(const std::vector<Region>& a, const std::vector<Region>& b, double iou_threshold);

}  // namespace plumb::quality::internal
