#pragma once
// Overlap of regions in pixels (boxes, polygons) and of time or offset
// intervals, as used to match regions of different annotators and of a
// golden answer. Pure functions, thread-safe.

#include <vector>

namespace plumb::quality {

struct Point {
  double x = 0, y = 0;
};

// A bbox as in the result format: top-left corner (x, y), size w × h, and a
// clockwise rotation in degrees around (x, y).
struct Box {
  double x = 0, y = 0, w = 0, h = 0;
  double rotation = 0;  // degrees in [0, 360)
};

// The four corners of `box`, in order around it, starting at (x, y).
std::vector<Point> BoxCorners(const Box& box);

// Intersection over union of two boxes (rotated ones as polygons), in [0, 1];
// 0 when either has no area.
double BoxIoU(const Box& a, const Box& b);

// Intersection over union of two simple polygons given by their vertices
// (either orientation, not closed), in [0, 1]; 0 when either has no area. A
// self-intersecting polygon is replaced by its convex hull.
double PolygonIoU(const std::vector<Point>& a, const std::vector<Point>& b);

// Intersection over union of the intervals [a_start, a_end) and
// [b_start, b_end), in [0, 1]; 0 when either is empty.
double IntervalIoU(double a_start, double a_end, double b_start, double b_end);

}  // namespace plumb::quality
