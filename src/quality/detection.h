#pragma once
// Object detection metrics over boxes and polygons: the optimal one-to-one
// matching of predictions to references by IoU, precision/recall/F1 at an
// IoU threshold, and COCO-style mean average precision (mAP@[.5:.95]).
// docs/quality.md gives the definitions and the references they are pinned
// to. Pure functions, thread-safe.

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>
#include <vector>

#include "quality/geometry.h"
#include "quality/metrics.h"

namespace plumb::quality {

// One region on one image: a reference (ground truth) or a prediction.
struct Detection {
  int64_t image = 0;
  int32_t label = 0;
  Box box;                     // the region when `polygon` is empty
  std::vector<Point> polygon;  // else the region (fewer than 3 points: no area)
  double score = 1;            // a prediction's confidence; not read on references
};

// The IoU of two regions: BoxIoU for two boxes, PolygonIoU when either is a
// polygon (a box then taken by its corners). Image and label are not looked
// at.
double DetectionIoU(const Detection& a, const Detection& b);

// A one-to-one matching of rows to columns of `weight` (rows × columns; a
// row shorter than the longest reads as padded with zeros) that maximizes
// the total weight, over the pairs whose weight is at least `min_weight` and
// above 0; other pairs are never matched. Pairs (row, column), by row.
// Hungarian method (Kuhn–Munkres, shortest augmenting paths with
// potentials): O(n^2 m) for n = min(rows, columns), m = max(rows, columns).
// Among several optimal matchings, which one is returned is unspecified
// (but the same on every call).
std::vector<std::pair<size_t, size_t>> MaxWeightMatching(
    const std::vector<std::vector<double>>& weight, double min_weight);

struct DetectionMatch {
  size_t truth = 0, predicted = 0;  // indexes into the two vectors
  double iou = 0;
};

// The matching of `predicted` to `truth` that maximizes the total IoU, per
// image and label (a region matches only one of the same image and label),
// over pairs with IoU >= iou_threshold (and > 0). Scores are not looked at.
// Sorted by (truth, predicted). Note that the largest total IoU need not be
// the largest number of matches when iou_threshold is below 0.5.
std::vector<DetectionMatch> MatchDetections(const std::vector<Detection>& truth,
                                            const std::vector<Detection>& predicted,
                                            double iou_threshold);

// Precision, recall and F1 of MatchDetections: matched pairs are true
// positives, unmatched predictions false positives, unmatched references
// false negatives (ScoresFromCounts: 0 for a ratio over 0).
MatchScores ScoreDetections(const std::vector<Detection>& truth,
                            const std::vector<Detection>& predicted, double iou_threshold);

struct MapOptions {
  // IoU thresholds to average over; empty: COCO's 0.50, 0.55, ..., 0.95
  // (computed as numpy.linspace computes them).
  std::vector<double> iou_thresholds;
  // Per image and label, only the best-scored predictions count (COCO's
  // maxDets; pycocotools' mAP uses 100). Default: all.
  size_t max_detections = std::numeric_limits<size_t>::max();
};

struct MeanAveragePrecision {
  // Mean of AP over the thresholds and over the labels with at least one
  // reference; NaN when no label has one (COCOeval's -1).
  double map = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> iou_thresholds;      // as used
  std::vector<double> map_at_threshold;    // per threshold: mean AP over the labels
  std::map<int32_t, double> ap_per_label;  // per label with references: mean AP over thresholds
};

// COCO-style mean average precision, following COCOeval with iouType bbox
// (or exact polygon IoU), areaRng "all", no crowd regions and useCats 1:
// per image and label, predictions by descending score (stable: input order
// on ties), cut to max_detections, each takes the unmatched reference of
// highest IoU >= the threshold (the last one on equal IoU); then per label,
// over all images (by ascending image id), predictions by descending score
// (stable) give the precision/recall curve, precision is made
// non-increasing from the right, and AP is the mean of the precision at the
// 101 recall points 0, 0.01, ..., 1 (0 past the largest recall reached).
// Labels with no reference are left out (their predictions are not
// counted); a label with references and no prediction has AP 0. Images with
// predictions and no reference count (COCO would refuse them).
MeanAveragePrecision CocoMeanAveragePrecision(const std::vector<Detection>& truth,
                                              const std::vector<Detection>& predicted,
                                              const MapOptions& options = {});

}  // namespace plumb::quality
