#include "quality/geometry.h"

#include <algorithm>
// GCC 12 reports a false "may be used uninitialized" inside Boost 1.81's
// convex hull (graham_andrew.hpp); the warning is not ours to fix.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/geometry.hpp>
#include <boost/geometry/geometries/point_xy.hpp>
#include <boost/geometry/geometries/polygon.hpp>
#pragma GCC diagnostic pop
#include <cmath>
#include <numbers>

namespace plumb::quality {
namespace {

namespace bg = boost::geometry;
using BoostPoint = bg::model::d2::point_xy<double>;
using BoostPolygon = bg::model::polygon<BoostPoint>;
using BoostMultiPolygon = bg::model::multi_polygon<BoostPolygon>;

// Boost.Geometry's overlay needs valid input: the vertices are put in its
// orientation and closed, and a polygon that crosses itself (the validator
// does not forbid it) is replaced by its convex hull, which is always valid.
BoostPolygon ToValidPolygon(const std::vector<Point>& points) {
  BoostPolygon polygon;
  for (const Point& p : points) bg::append(polygon.outer(), BoostPoint(p.x, p.y));
  bg::correct(polygon);
  if (bg::is_valid(polygon)) return polygon;
  BoostPolygon hull;
  bg::convex_hull(polygon, hull);
  return hull;
}

double Ratio(double intersection, double area_a, double area_b) {
  double union_area = area_a + area_b - intersection;
  if (union_area <= 0) return 0;
  return std::clamp(intersection / union_area, 0.0, 1.0);
}

}  // namespace

std::vector<Point> BoxCorners(const Box& box) {
  double rad = box.rotation * std::numbers::pi / 180;
  double c = std::cos(rad), s = std::sin(rad);
  return {{box.x, box.y},
          {box.x + box.w * c, box.y + box.w * s},
          {box.x + box.w * c - box.h * s, box.y + box.w * s + box.h * c},
          {box.x - box.h * s, box.y + box.h * c}};
}

double BoxIoU(const Box& a, const Box& b) {
  if (a.w <= 0 || a.h <= 0 || b.w <= 0 || b.h <= 0) return 0;
  if (a.rotation == 0 && b.rotation == 0) {
    double iw = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
    double ih = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
    if (iw <= 0 || ih <= 0) return 0;
    return Ratio(iw * ih, a.w * a.h, b.w * b.h);
  }
  return PolygonIoU(BoxCorners(a), BoxCorners(b));
}

double PolygonIoU(const std::vector<Point>& a, const std::vector<Point>& b) {
  if (a.size() < 3 || b.size() < 3) return 0;
  BoostPolygon pa = ToValidPolygon(a);
  BoostPolygon pb = ToValidPolygon(b);
  double area_a = bg::area(pa), area_b = bg::area(pb);
  if (area_a <= 0 || area_b <= 0) return 0;
  BoostMultiPolygon intersection;
  bg::intersection(pa, pb, intersection);
  return Ratio(bg::area(intersection), area_a, area_b);
}

double IntervalIoU(double a_start, double a_end, double b_start, double b_end) {
  if (a_end <= a_start || b_end <= b_start) return 0;
  double intersection = std::min(a_end, b_end) - std::max(a_start, b_start);
  if (intersection <= 0) return 0;
  return Ratio(intersection, a_end - a_start, b_end - b_start);
}

}  // namespace plumb::quality
