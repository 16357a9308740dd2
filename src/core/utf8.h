#pragma once
// UTF-8 decoding for the places where Plumb counts characters: text spans are
// stored as Unicode code point offsets (DESIGN.md, "Result geometry"), while
// C++ strings hold UTF-8 bytes.

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace plumb {

// The byte offset of every code point of `text`, followed by text.size(), so
// code points [a, b) are bytes [offsets[a], offsets[b]). nullopt when `text`
// is not valid UTF-8 (truncated or overlong sequences, surrogates, values
// above U+10FFFF).
std::optional<std::vector<size_t>> Utf8CodePointOffsets(std::string_view text);

// The number of code points of `text`, or nullopt when it is not valid UTF-8.
std::optional<size_t> Utf8Length(std::string_view text);

// The code points of `text`, each byte that does not start a valid sequence
// read as U+FFFD: for code that must take any bytes (the text classifier).
std::vector<char32_t> Utf8DecodeLenient(std::string_view text);

}  // namespace plumb
