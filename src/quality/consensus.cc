#include "quality/consensus.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <numbers>
#include <tuple>

#include "quality/geometry.h"
#include "quality/matching.h"
#include "quality/regions.h"
#include "quality/result_items.h"
#include "quality/text_distance.h"

namespace plumb::quality {
namespace {

using internal::ControlAnswer;
using internal::Region;
using json = nlohmann::json;

// Dawid–Skene's stand-in for a labeler it has not seen: right 70% of the time.
constexpr double kDefaultAccuracy = 0.7;

// The inputs of one control's reconciliation.
struct ControlInput {
  const Control& control;
  std::vector<const ControlAnswer*> answers;  // one per annotation
  const std::vector<int64_t>& labelers;       // one per annotation
  const ConsensusOptions& options;
  double media_width = 0, media_height = 0;  // 0 when no annotation has media
  size_t n() const { return answers.size(); }
};

struct Outcome {
  std::vector<json> items;
  double agreement = 1;
  bool used_model = false;
};

// Kept when at least half the annotators are for it.
bool Quorum(size_t votes, size_t annotators) { return 2 * votes >= annotators; }

double Share(size_t part, size_t whole) {
  return whole == 0 ? 1 : static_cast<double>(part) / static_cast<double>(whole);
}

json NewItem(const Control& control) {
  return {{"control", control.name}, {"type", ControlTypeName(control.type)}};
}

Outcome SingleChoice(const ControlInput& in) {
  const size_t k = in.control.labels.size();
  std::vector<double> counts(k, 0);
  std::vector<ChoiceVote> votes;
  for (size_t a = 0; a < in.n(); ++a) {
    if (!in.answers[a]->answered) continue;
    int32_t label = in.answers[a]->values.front();
    counts[label] += 1;
    votes.push_back({0, in.labelers[a], label});
  }
  if (!Quorum(votes.size(), in.n())) return {{}, Share(in.n() - votes.size(), in.n())};
  Outcome out;
  size_t final_label = ArgMax(counts);
  out.agreement = counts[final_label] / static_cast<double>(in.n());
  if (in.options.choice == ChoiceMethod::kDawidSkene && in.options.models != nullptr) {
    auto model = in.options.models->find(in.control.name);
    if (model != in.options.models->end() && model->second.prior.size() == k) {
      std::vector<double> posterior = ItemPosterior(model->second, votes, kDefaultAccuracy);
      final_label = ArgMax(posterior);
      out.agreement = posterior[final_label];
      out.used_model = true;
    }
  }
  json item = NewItem(in.control);
  item["values"] = {in.control.labels[final_label]};
  out.items.push_back(std::move(item));
  return out;
}

Outcome MultipleChoice(const ControlInput& in) {
  const size_t k = in.control.labels.size();
  std::vector<size_t> counts(k, 0);
  for (const ControlAnswer* answer : in.answers) {
    for (int32_t label : answer->values) ++counts[label];
  }
  std::vector<bool> kept(k, false);
  bool any_kept = false;
  for (size_t l = 0; l < k; ++l) any_kept |= kept[l] = counts[l] > 0 && Quorum(counts[l], in.n());
  // A required control must keep a value: when the votes are spread so that
  // no label has half, the labels with the most votes stand.
  size_t most = *std::max_element(counts.begin(), counts.end());
  if (!any_kept && in.control.required && most > 0) {
    for (size_t l = 0; l < k; ++l) kept[l] = counts[l] == most;
  }
  // Agreement over the labels anyone chose: over all labels of a large set
  // it would be near 1 whatever the annotators did.
  double sum = 0;
  size_t chosen = 0;
  json values = json::array();
  for (size_t l = 0; l < k; ++l) {
    if (counts[l] == 0) continue;
    ++chosen;
    sum += Share(kept[l] ? counts[l] : in.n() - counts[l], in.n());
    if (kept[l]) values.push_back(in.control.labels[l]);
  }
  Outcome out;
  out.agreement = chosen == 0 ? 1 : sum / static_cast<double>(chosen);
  if (!values.empty()) {
    json item = NewItem(in.control);
    item["values"] = std::move(values);
    out.items.push_back(std::move(item));
  }
  return out;
}

Outcome Text(const ControlInput& in) {
  std::vector<const ControlAnswer*> given;
  for (const ControlAnswer* a : in.answers) {
    if (a->answered) given.push_back(a);
  }
  if (!Quorum(given.size(), in.n())) return {{}, Share(in.n() - given.size(), in.n())};
  const size_t g = given.size();
  std::vector<std::vector<double>> distance(g, std::vector<double>(g, 0));
  for (size_t i = 0; i < g; ++i) {
    for (size_t j = i + 1; j < g; ++j) {
      distance[i][j] = distance[j][i] =
          static_cast<double>(EditDistance(given[i]->code_points, given[j]->code_points));
    }
  }
  size_t medoid = 0;
  double best = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < g; ++i) {
    double total = 0;
    for (double d : distance[i]) total += d;
    if (total < best) best = total, medoid = i;
  }
  // A missing answer counts as wholly different (similarity 0).
  double similarity = 0;
  for (size_t i = 0; i < g; ++i) {
    double longest = static_cast<double>(
        std::max(given[i]->code_points.size(), given[medoid]->code_points.size()));
    similarity += longest == 0 ? 1 : 1 - distance[i][medoid] / longest;
  }
  json item = NewItem(in.control);
  item["value"] = given[medoid]->text;
  return {{std::move(item)}, similarity / static_cast<double>(in.n())};
}

Outcome Rating(const ControlInput& in) {
  std::vector<int32_t> values;
  for (const ControlAnswer* a : in.answers) {
    if (a->answered) values.push_back(a->rating);
  }
  if (!Quorum(values.size(), in.n())) return {{}, Share(in.n() - values.size(), in.n())};
  std::sort(values.begin(), values.end());
  int32_t median = values[(values.size() - 1) / 2];
  double range = in.control.max - 1;
  double similarity = 0;
  for (int32_t v : values) similarity += range == 0 ? 1 : 1 - std::abs(v - median) / range;
  json item = NewItem(in.control);
  item["value"] = median;
  return {{std::move(item)}, similarity / static_cast<double>(in.n())};
}

// The label most members have, ties to the first in the schema.
int32_t MajorityLabel(const Control& control, const std::vector<const Region*>& members) {
  std::vector<double> counts(control.labels.size(), 0);
  for (const Region* r : members) counts[r->label] += 1;
  return static_cast<int32_t>(ArgMax(counts));
}

// Each attribute set by at least half the members, to its most common value
// (ties to the value seen first).
json MergeAttributes(const std::vector<const Region*>& members) {
  std::map<std::string, std::vector<std::pair<json, size_t>>> values;
  for (const Region* r : members) {
    if (!r->attributes.is_object()) continue;
    for (const auto& [name, value] : r->attributes.items()) {
      auto& seen = values[name];
      auto it =
          std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == value; });
      if (it == seen.end()) {
        seen.emplace_back(value, 1);
      } else {
        ++it->second;
      }
    }
  }
  json out = json::object();
  for (const auto& [name, seen] : values) {
    const auto* best = &seen.front();
    for (const auto& s : seen) {
      if (s.second > best->second) best = &s;
    }
    if (Quorum(best->second, members.size())) out[name] = best->first;
  }
  return out;
}

// A region item of the cluster's majority label and merged attributes.
json RegionItem(const Control& control, const std::vector<const Region*>& members) {
  json item = NewItem(control);
  item["label"] = control.labels[MajorityLabel(control, members)];
  json attributes = MergeAttributes(members);
  if (!attributes.empty()) item["attributes"] = std::move(attributes);
  return item;
}

void SetBox(json& item, const Box& box) {
  item["x"] = box.x;
  item["y"] = box.y;
  item["w"] = box.w;
  item["h"] = box.h;
  item["rotation"] = box.rotation;
}

// The mean of the members' boxes; the rotation as a mean of directions, so
// that 359° and 1° average to 0°, not 180°.
Box MeanBox(const std::vector<const Region*>& members) {
  Box mean;
  double sin_sum = 0, cos_sum = 0;
  for (const Region* r : members) {
    mean.x += r->box.x;
    mean.y += r->box.y;
    mean.w += r->box.w;
    mean.h += r->box.h;
    double rad = r->box.rotation * std::numbers::pi / 180;
    sin_sum += std::sin(rad);
    cos_sum += std::cos(rad);
  }
  double n = static_cast<double>(members.size());
  mean.x /= n, mean.y /= n, mean.w /= n, mean.h /= n;
  double degrees = std::atan2(sin_sum, cos_sum) * 180 / std::numbers::pi;
  if (degrees < 0) degrees += 360;
  mean.rotation = degrees >= 360 ? 0 : degrees;
  return mean;
}

bool BoxInside(const Box& box, double width, double height) {
  if (width <= 0 || height <= 0) return true;  // nothing to check against
  // The validator allows 1e-6 of rounding; stay well within it.
  constexpr double kSlack = 1e-9;
  for (const Point& p : BoxCorners(box)) {
    if (p.x < -kSlack || p.y < -kSlack || p.x > width + kSlack || p.y > height + kSlack) {
      return false;
    }
  }
  return true;
}

// Spans of a control that must not overlap: candidates are kept by votes
// (most first, then in order), skipping any that overlaps one kept already.
// Returns the indexes kept, by start.
struct SpanCandidate {
  double start, end;
  size_t votes;
};
std::vector<size_t> ResolveOverlaps(const Control& control,
                                    const std::vector<SpanCandidate>& spans) {
  std::vector<size_t> order(spans.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::vector<size_t> kept;
  if (control.overlap) {
    kept = order;
  } else {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return spans[a].votes > spans[b].votes; });
    for (size_t i : order) {
      bool overlaps = std::any_of(kept.begin(), kept.end(), [&](size_t k) {
        return spans[i].start < spans[k].end && spans[k].start < spans[i].end;
      });
      if (!overlaps) kept.push_back(i);
    }
  }
  std::stable_sort(kept.begin(), kept.end(), [&](size_t a, size_t b) {
    return std::tie(spans[a].start, spans[a].end) < std::tie(spans[b].start, spans[b].end);
  });
  return kept;
}

// Image regions (bbox, polygon, keypoint) and audio spans: clustered across
// annotators, a cluster kept when at least half of them are in it.
Outcome ClusteredRegions(const ControlInput& in) {
  internal::RegionSet set = internal::CollectRegions(in.answers);
  internal::RegionSimilarity similarity = internal::SimilarityOf(
      in.control, set, in.options.iou_threshold, in.options.keypoint_distance);
  std::vector<std::vector<size_t>> clusters =
      internal::Cluster(set.annotator, similarity.extents, similarity.score, similarity.threshold);
  Outcome out;
  double sum = 0;
  std::vector<std::vector<const Region*>> kept;
  for (const auto& cluster : clusters) {
    sum += Share(cluster.size(), in.n());
    if (!Quorum(cluster.size(), in.n())) continue;
    std::vector<const Region*> members;
    for (size_t i : cluster) members.push_back(set.regions[i]);
    kept.push_back(std::move(members));
  }
  out.agreement = clusters.empty() ? 1 : sum / static_cast<double>(clusters.size());

  // The member with the highest mean similarity to the others, for polygons
  // (an average of polygons with different vertex counts is undefined) and
  // for averaged boxes that would leave the media.
  auto representative = [&](const std::vector<const Region*>& members) {
    size_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < members.size(); ++i) {
      double score = 0;
      for (size_t j = 0; j < members.size(); ++j) {
        if (i != j) score += internal::Similarity(in.control, *members[i], *members[j]);
      }
      if (score > best_score) best_score = score, best = i;
    }
    return members[best];
  };

  std::vector<SpanCandidate> spans;
  for (const auto& members : kept) {
    json item = RegionItem(in.control, members);
    switch (in.control.type) {
      case ControlType::kBbox: {
        Box box = MeanBox(members);
        if (!BoxInside(box, in.media_width, in.media_height)) box = representative(members)->box;
        SetBox(item, box);
        break;
      }
      case ControlType::kPolygon: {
        json points = json::array();
        for (const Point& p : representative(members)->points) points.push_back({p.x, p.y});
        item["points"] = std::move(points);
        break;
      }
      case ControlType::kKeypoint: {
        double x = 0, y = 0;
        for (const Region* r : members) x += r->point.x, y += r->point.y;
        item["x"] = x / static_cast<double>(members.size());
        item["y"] = y / static_cast<double>(members.size());
        break;
      }
      default: {  // audio span
        double start = 0, end = 0;
        for (const Region* r : members) start += r->start, end += r->end;
        item["start"] = start / static_cast<double>(members.size());
        item["end"] = end / static_cast<double>(members.size());
        spans.push_back({item["start"].get<double>(), item["end"].get<double>(), members.size()});
        break;
      }
    }
    out.items.push_back(std::move(item));
  }
  if (in.control.type == ControlType::kSpan) {
    std::vector<json> items;
    for (size_t i : ResolveOverlaps(in.control, spans)) items.push_back(std::move(out.items[i]));
    out.items = std::move(items);
  }
  return out;
}

// Text spans: each (start, end, label) kept when at least half the
// annotators marked it; agreement is the share of all votes that were kept.
Outcome TextSpans(const ControlInput& in) {
  struct Votes {
    std::vector<size_t> annotators;
    const Region* first = nullptr;
    std::vector<const Region*> members;
  };
  std::map<std::tuple<double, double, int32_t>, Votes> by_span;
  size_t total = 0;
  for (size_t a = 0; a < in.n(); ++a) {
    for (const Region& r : in.answers[a]->regions) {
      Votes& v = by_span[{r.start, r.end, r.label}];
      // An annotator counts once per span even if they marked it twice.
      if (!v.annotators.empty() && v.annotators.back() == a) continue;
      v.annotators.push_back(a);
      v.members.push_back(&r);
      ++total;
    }
  }
  std::vector<SpanCandidate> candidates;
  std::vector<const Votes*> sources;
  for (const auto& [key, v] : by_span) {
    if (!Quorum(v.annotators.size(), in.n())) continue;
    candidates.push_back({std::get<0>(key), std::get<1>(key), v.annotators.size()});
    sources.push_back(&v);
  }
  Outcome out;
  size_t kept_votes = 0;
  for (size_t i : ResolveOverlaps(in.control, candidates)) {
    const Votes& v = *sources[i];
    kept_votes += v.annotators.size();
    json item = RegionItem(in.control, v.members);
    item["start"] = static_cast<int64_t>(candidates[i].start);
    item["end"] = static_cast<int64_t>(candidates[i].end);
    for (const Region* r : v.members) {
      if (r->text) {
        item["text"] = *r->text;
        break;
      }
    }
    out.items.push_back(std::move(item));
  }
  out.agreement = Share(kept_votes, total);
  return out;
}

// Video tracks are not averaged: interpolated tracks with keyframes on
// different frames have no simple mean. The tracks of the annotator whose
// keyframes agree best with everyone else's (sum of keyframe F1 per frame,
// see internal::KeyframeF1) are kept whole, ties to the earlier annotation;
// agreement is their mean F1 to the others. An annotator without tracks can
// win, so tracks drawn by a minority are dropped.
Outcome VideoTracks(const ControlInput& in) {
  const size_t n = in.n();
  std::vector<double> f1(n * n, 1);  // f1[a * n + b]
  for (size_t a = 0; a < n; ++a) {
    for (size_t b = a + 1; b < n; ++b) {
      f1[a * n + b] = f1[b * n + a] = internal::KeyframeF1(
          in.answers[a]->regions, in.answers[b]->regions, in.options.iou_threshold);
    }
  }
  size_t chosen = 0;
  double best = -1;
  for (size_t a = 0; a < n; ++a) {
    double total = 0;
    for (size_t b = 0; b < n; ++b) total += a == b ? 0 : f1[a * n + b];
    if (total > best) best = total, chosen = a;
  }
  Outcome out;
  out.agreement = best / static_cast<double>(n - 1);
  for (const Region& r : in.answers[chosen]->regions) {
    json item = RegionItem(in.control, {&r});
    item["track"] = r.track;
    item["frame"] = r.frame;
    item["outside"] = r.outside;
    SetBox(item, r.box);
    out.items.push_back(std::move(item));
  }
  return out;
}

Outcome ReconcileControl(const ControlInput& in) {
  // ParseSchema gives every labeled control a label; a hand-built schema
  // without any cannot have been answered either.
  if (HasLabels(in.control.type) && in.control.labels.empty()) return {};
  switch (in.control.type) {
    case ControlType::kChoice:
      return in.control.multiple ? MultipleChoice(in) : SingleChoice(in);
    case ControlType::kText:
      return Text(in);
    case ControlType::kRating:
      return Rating(in);
    case ControlType::kSpan:
      return in.control.media == MediaKind::kAudio ? ClusteredRegions(in) : TextSpans(in);
    case ControlType::kBbox:
      return in.control.media == MediaKind::kVideo ? VideoTracks(in) : ClusteredRegions(in);
    case ControlType::kPolygon:
    case ControlType::kKeypoint:
      return ClusteredRegions(in);
  }
  return {};
}

}  // namespace

Result<Consensus> Reconcile(const Schema& schema, const std::vector<Annotated>& annotations,
                            const ConsensusOptions& options) {
  if (annotations.empty()) {
    return Status::InvalidArgument("consensus needs at least one annotation", "annotations");
  }
  std::vector<internal::ParsedResult> parsed;
  std::vector<int64_t> labelers;
  for (size_t a = 0; a < annotations.size(); ++a) {
    std::string what = "annotations[" + std::to_string(a) + "]";
    PLUMB_ASSIGN_OR_RETURN(internal::ParsedResult result,
                           internal::ParseResult(schema, annotations[a].result_json, what));
    parsed.push_back(std::move(result));
    labelers.push_back(annotations[a].labeler_id);
  }

  Consensus consensus;
  double width = 0, height = 0;
  for (size_t a = 0; a < annotations.size(); ++a) {
    const std::string& text = annotations[a].media_json;
    if (text.empty() || text == "null") continue;
    json media = json::parse(text, nullptr, false);
    if (!media.is_object()) {
      return Status::InvalidArgument("media must be a JSON object",
                                     "annotations[" + std::to_string(a) + "].media");
    }
    if (media.contains("width") && media["width"].is_number()) width = media["width"].get<double>();
    if (media.contains("height") && media["height"].is_number()) {
      height = media["height"].get<double>();
    }
    consensus.media_json = media.dump();
    break;
  }

  if (annotations.size() == 1) {
    consensus.result_json = json::parse(annotations[0].result_json).dump();
    consensus.method = "single";
    for (const Control& c : schema.controls) consensus.controls.push_back({c.name, 1});
    return consensus;
  }

  json result = json::array();
  bool used_model = false;
  size_t regions = 0;
  for (const Control& control : schema.controls) {
    ControlInput in{control, {}, labelers, options, width, height};
    size_t index = internal::ControlIndex(schema, control);
    for (const auto& p : parsed) in.answers.push_back(&p[index]);
    Outcome outcome = ReconcileControl(in);
    used_model |= outcome.used_model;
    consensus.controls.push_back({control.name, std::clamp(outcome.agreement, 0.0, 1.0)});
    consensus.agreement = std::min(consensus.agreement, consensus.controls.back().agreement);
    for (json& item : outcome.items) {
      if (IsRegionControl(control.type)) {
        item["id"] = "c" + std::to_string(++regions);
      }
      result.push_back(std::move(item));
    }
  }
  consensus.result_json = result.dump();
  consensus.method = used_model ? "dawid_skene" : "majority";
  return consensus;
}

}  // namespace plumb::quality
