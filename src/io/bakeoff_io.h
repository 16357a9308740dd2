#pragma once
// Bake-off files (docs/bakeoffs.md): a golden set's tasks without their
// answers, written for a vendor in JSON, CSV, COCO or Label Studio JSON; the
// vendor's returned file read back into labels of those tasks; and the
// bake-off report as one self-contained HTML page.

#include <cstdint>
#include <istream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/core.h"
#include "io/io.h"
#include "store/store.h"

namespace plumb::io {

// Whether a vendor can get and return files in this format: json, csv, coco,
// label_studio.
bool IsBakeoffFormat(std::string_view name);

// Writes the tasks (id and data, never the answer) in `format`:
//   json, label_studio: [{"id", "data"}], one record per line;
//   csv: columns id, the schema's source fields, then one empty column per
//     control for the vendor to fill in;
//   coco: images {id, file_name, width, height} (the size from the golden
//     answer's media), the categories of the first bbox/polygon control, and
//     no annotations.
// kInvalidArgument (field "format") for another format or, for COCO, a
// schema without an image region control.
Status WriteBakeoffTasks(const Schema& schema, const std::vector<store::GoldenSetItem>& items,
                         std::string_view format, std::ostream& out);

// Reads a vendor's returned file into one label per task (at most one per
// task), validated against the schema like a submit. Records find their task
// by "id" (json, csv) or else by the values of the schema's source fields
// (coco's file_name, Label Studio's data). `user_id` is the importer.
//   json: [{"id", "result", "media"?, "lead_time_ms"?}]
//   csv: the columns of WriteBakeoffTasks: choice values joined by "|", a
//     text, a rating, or for region controls a JSON list of items; an
//     optional "media" column (JSON) and "lead_time_ms";
//   coco, label_studio: as their importers read them (docs/formats.md).
// A record without media takes the golden answer's (the image size).
// kInvalidArgument naming the record for a bad file or a record that
// matches no task (or two); kInvalidResult (with the field) for a result
// that does not fit the schema.
Result<std::vector<store::BakeoffLabel>> ReadBakeoffLabels(
    const Schema& schema, const std::vector<store::GoldenSetItem>& items, std::string_view format,
    std::istream& in, int64_t user_id);

// The report (workflow::BakeoffReport's JSON) as a self-contained HTML page:
// inline CSS and an inline SVG chart, no script, every text escaped.
std::string RenderBakeoffHtml(const nlohmann::json& report);

// `text` with &, <, >, " and ' escaped for HTML.
std::string EscapeHtml(std::string_view text);

}  // namespace plumb::io
