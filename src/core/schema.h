#pragma once
// The label schema of a project: which controls label which task data field,
// and validation of the schema itself, of project settings, of task data
// against the schema, and of annotation results against it.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace plumb {

// Limits that keep a schema usable in the editor and cheap to validate.
inline constexpr size_t kMaxControls = 50;
inline constexpr size_t kMaxLabels = 1000;
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxLabelLength = 200;
inline constexpr size_t kMaxAttributes = 50;
inline constexpr int32_t kMaxRating = 100;
inline constexpr int32_t kMaxTextLength = 100000;        // code points; text's default max_length
inline constexpr size_t kMaxAttributeTextLength = 1000;  // code points of a string attribute
inline constexpr size_t kMaxResultItems = 10000;
inline constexpr size_t kMaxPolygonPoints = 10000;
inline constexpr int64_t kMaxMediaSide = 1000000;  // pixels of media.width/height
inline constexpr int64_t kMaxFrames = 100000000;   // media.frames of a video

// The kinds of control (see docs/api.md, "Label schema" and "Result format").
// Region controls (bbox, polygon, keypoint, span) take any number of result
// items, one per region; the others take at most one.
enum class ControlType : int8_t {
  kChoice = 0,
  kBbox,
  kPolygon,
  kKeypoint,
  kSpan,
  kText,
  kRating,
};

// What a control's source field holds, for the types that say: bbox over an
// image or a video (one item per keyframe of a track), polygon and keypoint
// over an image, span over a text (code points) or an audio (seconds).
enum class MediaKind : int8_t { kNone = 0, kImage, kVideo, kText, kAudio };

// The name in schema JSON ("image", "video", "text", "audio"; "" for kNone).
std::string_view MediaKindName(MediaKind kind);

// The control type's name in schema and result JSON, e.g. "bbox".
std::string_view ControlTypeName(ControlType type);
// Whether results of the type are regions (one item per region).
bool IsRegionControl(ControlType type);
// Whether controls of the type have a list of labels.
bool HasLabels(ControlType type);

enum class AttributeType : int8_t { kBoolean = 0, kEnum, kString };

// A per-region attribute declared by a region control, e.g. "occluded".
struct Attribute {
  std::string name;
  AttributeType type = AttributeType::kBoolean;
  std::vector<std::string> values;  // the allowed values of an enum attribute
};

struct Control {
  std::string name;
  ControlType type = ControlType::kChoice;
  std::string source;  // the task data field this control labels
  std::vector<std::string> labels;
  bool multiple = false;  // choice: more than one value
  // Whether a result must answer the control (region controls: at least one
  // region). Defaults to true for choice, text and rating, false for regions.
  bool required = true;
  MediaKind media = MediaKind::kNone;   // region controls: what the source holds
  bool overlap = false;                 // span: whether spans of the control may overlap
  int32_t max = 5;                      // rating: values are 1..max
  int32_t max_length = kMaxTextLength;  // text: at most this many code points
  std::vector<Attribute> attributes;    // region controls

  const Attribute* FindAttribute(std::string_view name) const;
};

struct Schema {
  std::vector<Control> controls;

  const Control* FindControl(std::string_view name) const;
  // Distinct source fields, in control order.
  std::vector<std::string> SourceFields() const;
};

// Parses and validates schema JSON text. Errors are kInvalidArgument with
// `field` naming the offending part, e.g. "schema.controls[1].labels[2]".
// Region controls over an image or a video must all label the same source
// field, so that one annotation `media` object describes their media.
Result<Schema> ParseSchema(std::string_view json_text);

// ParseSchema through a process-wide cache keyed by the exact text, so that a
// project's schema is parsed once rather than on every submit. Errors are not
// cached. Thread-safe.
Result<std::shared_ptr<const Schema>> ParseSchemaCached(std::string_view json_text);

// The schema as compact JSON with every default filled in.
std::string SchemaToJson(const Schema& schema);

// Parses settings JSON text over `base` (missing keys keep base's values).
// Errors are kInvalidArgument with `field` like "settings.overlap".
Result<ProjectSettings> ParseSettings(std::string_view json_text, ProjectSettings base = {});
std::string SettingsToJson(const ProjectSettings& settings);
// The settings that name parts of the schema, checked against it:
// learner_control must name a choice control, and queue_order "uncertainty"
// needs the learner (learner_control set). kInvalidArgument with field
// "settings.learner_control" or "settings.queue_order".
Status CheckSettingsWithSchema(const ProjectSettings& settings, const Schema& schema);

// Checks that task data (JSON object text) has every source field of the
// schema as a string. kInvalidArgument naming the field otherwise.
Status ValidateTaskData(const Schema& schema, std::string_view data_json);

// An annotation's result and media, checked and normalized.
struct ValidAnnotation {
  std::string result_json;  // compact JSON list
  std::string media_json;   // compact JSON object; "" when none was sent
};

// Validates an annotation (docs/api.md, "Result format"): the result (JSON
// list text) against the schema, the task's data (JSON object text; span
// offsets are checked against its text fields) and the media (JSON object
// text, "" or "null" when none; geometry is checked against its natural
// size). Returns both normalized: compact, each item with its `type` and only
// the keys of its format, defaults filled in; media with its known keys only.
// kInvalidResult with `field` naming the part that does not fit, e.g.
// "result[0].values[1]", "result[2].points[1]", "result[3].frame" or
// "media.width"; "data.<field>" when a span's source field is missing from
// the task or not valid UTF-8.
Result<ValidAnnotation> ValidateAnnotation(const Schema& schema, std::string_view data_json,
                                           std::string_view result_json,
                                           std::string_view media_json);

// The classes of a result (JSON list text): its choice values and region
// labels, each once, in order of appearance. Empty for text that is not a
// JSON list.
std::vector<std::string> ResultClasses(std::string_view result_json);

}  // namespace plumb
