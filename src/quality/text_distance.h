#pragma once
// Edit distance over Unicode code points, for the consensus of text answers
// (the medoid) and for grading them (character error rate). Pure functions,
// thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace plumb::quality {

// The code points of UTF-8 `text`, or nullopt when it is not valid UTF-8.
std::optional<std::u32string> DecodeUtf8(std::string_view text);

// Levenshtein distance (insertions, deletions, substitutions of one code
// point each) between `a` and `b`. Bit-parallel (Myers/Hyyrö, 64 cells a
// step): two texts of the schema's maximum length (100000 code points) take
// about a second, where the plain table's 10^10 cells would take minutes.
size_t EditDistance(std::u32string_view a, std::u32string_view b);

}  // namespace plumb::quality
