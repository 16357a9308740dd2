#pragma once
// Helpers shared by schema.cc and result_validation.cc; not part of core's API.

#include <string>
#include <string_view>

namespace plumb::internal {

// Names of controls, source fields, attributes and region ids:
// [A-Za-z0-9_-]{1,kMaxNameLength}.
bool IsValidName(std::string_view s);

// "base[i]", the field name of a list element in error messages.
std::string IndexField(const std::string& base, size_t i);

}  // namespace plumb::internal
