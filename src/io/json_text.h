#pragma once
// Small writers of JSON and CSV text shared by the importers and exporters.

#include <string>
#include <string_view>

namespace plumb::io {

// Appends `s` as a JSON string literal: quotes, backslashes and control
// characters escaped, other bytes (UTF-8) copied as they are.
void AppendJsonString(std::string* out, std::string_view s);

// Appends one CSV cell (RFC 4180 quoting when needed). A cell starting with
// '=', '+', '-', '@', tab or carriage return gets a leading "'".
void AppendCsvCell(std::string* out, std::string_view cell);

}  // namespace plumb::io
