#pragma once
// Consensus: the final label of a task reconciled from its annotations,
// control by control (docs/workflow.md, "Consensus"), with an agreement score
// per control. Pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "quality/dawid_skene.h"

namespace plumb::quality {

// One annotator's normalized annotation (as ValidateAnnotation returns it).
struct Annotated {
  int64_t labeler_id = 0;
  std::string result_json;
  std::string media_json;  // "" when none
};

enum class ChoiceMethod : int8_t { kMajority = 0, kDawidSkene = 1 };

// Keypoints of one label within this many pixels of each other are the same
// point, in consensus and in grading.
inline constexpr double kKeypointDistance = 10;

struct ConsensusOptions {
  // Boxes, polygons (and audio spans, by time) at least this IoU apart are
  // the same region.
  double iou_threshold = 0.5;
  ChoiceMethod choice = ChoiceMethod::kMajority;
  // Per control name; used for single-choice controls when choice ==
  // kDawidSkene. A labeler missing from a model counts with a uniform-error
  // default (0.7 on the diagonal). A missing model, or one whose prior does
  // not have one entry per label of the control: majority. Not owned; must
  // outlive the call.
  const std::unordered_map<std::string, ChoiceModel>* models = nullptr;
  double keypoint_distance = kKeypointDistance;
};

struct ControlAgreement {
  std::string control;
  double agreement = 1;  // 0..1
};

struct Consensus {
  std::string result_json;                 // compact JSON list of normalized items
  std::string media_json;                  // the first annotation's media that has one; "" if none
  std::string method;                      // "single", "majority" or "dawid_skene"
  double agreement = 1;                    // the lowest of `controls`
  std::vector<ControlAgreement> controls;  // every control of the schema, in its order
};

// Reconciles the annotations of one task (at least one) under `schema`.
//
// With one annotation its result is the final label (method "single",
// agreement 1). Otherwise each control is reconciled by the rules of
// docs/workflow.md; a non-region control answered by fewer than half of the
// annotators stays absent (its agreement is then the share that left it
// out), and a missing answer counts as disagreeing with a present one. Region
// items get fresh ids "c1", "c2", ... across the result. The result is valid
// for the schema whenever the annotations are (spans of a control without
// `overlap` are kept by votes, most first, skipping those that overlap a kept
// one; an averaged rotated box that would leave the media is replaced by the
// member most like the others). method is "dawid_skene" when a model decided
// at least one control, else "majority".
//
// Errors: kInvalidArgument when there is no annotation, or a result or media
// cannot be parsed or does not fit the schema (field names the annotation,
// e.g. "annotations[1][0].x").
Result<Consensus> Reconcile(const Schema& schema, const std::vector<Annotated>& annotations,
                            const ConsensusOptions& options);

}  // namespace plumb::quality
