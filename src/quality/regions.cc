#include "quality/regions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace plumb::quality::internal {
namespace {

double F1(size_t matched, size_t a, size_t b) {
  return a + b == 0 ? 1 : 2.0 * static_cast<double>(matched) / static_cast<double>(a + b);
}

Extent ExtentOf(const std::vector<Point>& points) {
  Extent e{points.front().x, points.front().x, points.front().y, points.front().y};
  for (const Point& p : points) {
    e.min_x = std::min(e.min_x, p.x), e.max_x = std::max(e.max_x, p.x);
    e.min_y = std::min(e.min_y, p.y), e.max_y = std::max(e.max_y, p.y);
  }
  return e;
}

}  // namespace

RegionSet CollectRegions(const std::vector<const ControlAnswer*>& answers) {
  RegionSet set;
  for (size_t a = 0; a < answers.size(); ++a) {
    for (const Region& r : answers[a]->regions) {
      set.regions.push_back(&r);
      set.annotator.push_back(a);
    }
  }
  return set;
}

double Similarity(const Control& control, const Region& a, const Region& b) {
  switch (control.type) {
    case ControlType::kBbox:
      return BoxIoU(a.box, b.box);
    case ControlType::kPolygon:
      return PolygonIoU(a.points, b.points);
    case ControlType::kKeypoint:
      if (a.label != b.label) return -std::numeric_limits<double>::infinity();
      return -std::hypot(a.point.x - b.point.x, a.point.y - b.point.y);
    case ControlType::kSpan:
      return IntervalIoU(a.start, a.end, b.start, b.end);
    default:
      return 0;
  }
}

double SameRegionThreshold(const Control& control, double iou_threshold, double keypoint_distance) {
  return control.type == ControlType::kKeypoint ? -keypoint_distance : iou_threshold;
}

RegionSimilarity SimilarityOf(const Control& control, const RegionSet& set, double iou_threshold,
                              double keypoint_distance) {
  RegionSimilarity out;
  out.threshold = SameRegionThreshold(control, iou_threshold, keypoint_distance);
  for (const Region* r : set.regions) {
    switch (control.type) {
      case ControlType::kBbox:
        out.extents.push_back(ExtentOf(BoxCorners(r->box)));
        break;
      case ControlType::kPolygon:
        out.extents.push_back(ExtentOf(r->points));
        break;
      case ControlType::kKeypoint: {
        // Half the distance on each side: two extents overlap exactly when
        // the points are within the distance on both axes.
        double half = keypoint_distance / 2;
        out.extents.push_back(
            {r->point.x - half, r->point.x + half, r->point.y - half, r->point.y + half});
        break;
      }
      default:
        out.extents.push_back({r->start, r->end, 0, 0});
        break;
    }
  }
  out.score = [&control, &set](size_t a, size_t b) {
    return Similarity(control, *set.regions[a], *set.regions[b]);
  };
  return out;
}

double KeyframeF1(const std::vector<Region>& a, const std::vector<Region>& b,
                  double iou_threshold) {
  std::map<int64_t, std::pair<std::vector<const Region*>, std::vector<const Region*>>> by_frame;
  for (const Region& r : a) by_frame[r.frame].first.push_back(&r);
  for (const Region& r : b) by_frame[r.frame].second.push_back(&r);
  size_t matched = 0;
  for (const auto& [frame, sides] : by_frame) {
    const auto& [left, right] = sides;
    matched += MaxMatching(left.size(), right.size(), [&](size_t l, size_t r) {
      const Region& x = *left[l];
      const Region& y = *right[r];
      return x.label == y.label && x.outside == y.outside &&
             (x.outside || BoxIoU(x.box, y.box) >= iou_threshold);
    });
  }
  return F1(matched, a.size(), b.size());
}

double RegionF1(const Control& control, const std::vector<Region>& a, const std::vector<Region>& b,
                double iou_threshold, double keypoint_distance) {
  if (control.type == ControlType::kBbox && control.media == MediaKind::kVideo) {
    return KeyframeF1(a, b, iou_threshold);
  }
  bool text_span = control.type == ControlType::kSpan && control.media != MediaKind::kAudio;
  double threshold = SameRegionThreshold(control, iou_threshold, keypoint_distance);
  size_t matched = MaxMatching(a.size(), b.size(), [&](size_t l, size_t r) {
    const Region& x = a[l];
    const Region& y = b[r];
    if (x.label != y.label) return false;
    if (text_span) return x.start == y.start && x.end == y.end;
    return Similarity(control, x, y) >= threshold;
  });
  return F1(matched, a.size(), b.size());
}

}  // namespace plumb::quality::internal
