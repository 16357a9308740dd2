#pragma once
// Small pure helpers for requests: target splitting, percent-decoding,
// cookies. Kept apart from Beast so handlers and tests can use them.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace plumb::http {

// Percent-decodes `in` ('+' becomes a space when `plus_is_space`). nullopt on
// a malformed escape.
std::optional<std::string> PercentDecode(std::string_view in, bool plus_is_space);

// Splits "/a/b?x=1&y=2" into a decoded path and decoded query parameters.
void SplitTarget(const std::string& target, std::string& path,
                 std::multimap<std::string, std::string>& query);

// Creates an empty file "DIR/plumb-PREFIX-XXXXXX" and returns its path;
// the caller removes it. kInternal when DIR is not writable.
Result<std::string> MakeTempFile(const std::string& dir, std::string_view prefix);

// The value of cookie `name` in a Cookie header, "" when absent.
std::string CookieValue(const std::string& cookie_header, std::string_view name);

// Parses an ISO 8601 date-time with a UTC offset, as the API takes deadlines:
// "2026-12-01T18:00:00Z", with optional fractional seconds (kept to the
// millisecond) and "Z" or "+HH:MM"/"-HH:MM". Milliseconds since the Unix
// epoch; nullopt for anything else (no offset, a date that does not exist,
// a year outside 1970..9999).
std::optional<int64_t> ParseIsoTime(std::string_view text);

}  // namespace plumb::http
