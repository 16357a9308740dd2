#pragma once
// The label schema of a project: which controls label which task data field,
// and validation of the schema itself, of project settings, of task data
// against the schema, and of annotation results against it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/types.h"

namespace plumb {

enum class ControlType : int8_t { kChoice = 0 };

struct Control {
  std::string name;
  ControlType type = ControlType::kChoice;
  std::string source;  // the task data field this control labels
  std::vector<std::string> labels;
  bool multiple = false;
  bool required = true;
};

struct Schema {
  std::vector<Control> controls;

  const Control* FindControl(std::string_view name) const;
  // Distinct source fields, in control order.
  std::vector<std::string> SourceFields() const;
};

// Limits that keep a schema usable in the editor and cheap to validate.
inline constexpr size_t kMaxControls = 50;
inline constexpr size_t kMaxLabels = 1000;
inline constexpr size_t kMaxNameLength = 64;
inline constexpr size_t kMaxLabelLength = 200;

// Parses and validates schema JSON text. Errors are kInvalidArgument with
// `field` naming the offending part, e.g. "schema.controls[1].labels[2]".
Result<Schema> ParseSchema(std::string_view json_text);

// The schema as compact JSON with every default filled in.
std::string SchemaToJson(const Schema& schema);

// Parses settings JSON text over `base` (missing keys keep base's values).
// Errors are kInvalidArgument with `field` like "settings.overlap".
Result<ProjectSettings> ParseSettings(std::string_view json_text, ProjectSettings base = {});
std::string SettingsToJson(const ProjectSettings& settings);

// Checks that task data (JSON object text) has every source field of the
// schema as a string. kInvalidArgument naming the field otherwise.
Status ValidateTaskData(const Schema& schema, std::string_view data_json);

// Validates an annotation result (JSON list text) against the schema and
// returns it re-serialized compactly. kInvalidResult with `field` like
// "result[0].values" when it does not fit.
Result<std::string> ValidateResult(const Schema& schema, std::string_view result_json);

}  // namespace plumb
