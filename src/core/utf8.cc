#include "core/utf8.h"

#include <cstdint>

namespace plumb {
namespace {

// Length of the valid UTF-8 sequence at the start of `s`, or 0 when there is
// none. Follows the well-formed byte sequences table of Unicode 15, §3.9,
// which rules out overlongs and surrogates by narrowing the second byte.
size_t SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

}  // namespace

std::optional<std::vector<size_t>> Utf8CodePointOffsets(std::string_view text) {
  std::vector<size_t> offsets;
  offsets.reserve(text.size() + 1);
  size_t i = 0;
  while (i < text.size()) {
    size_t n = SequenceLength(text.substr(i));
    if (n == 0) return std::nullopt;
    offsets.push_back(i);
    i += n;
  }
  offsets.push_back(text.size());
  return offsets;
}

std::vector<char32_t> Utf8DecodeLenient(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t n = SequenceLength(text.substr(i));
    if (n == 0) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    // The lead byte's payload bits, then six per continuation byte.
    static constexpr uint8_t kLeadMask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    char32_t c = static_cast<uint8_t>(text[i]) & kLeadMask[n];
    for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<uint8_t>(text[i + k]) & 0x3F);
    out.push_back(c);
    i += n;
  }
  return out;
}

std::optional<size_t> Utf8Length(std::string_view text) {
  size_t count = 0;
  for (size_t i = 0; i < text.size(); ++count) {
    size_t n = SequenceLength(text.substr(i));
    if (n == 0) return std::nullopt;
    i += n;
  }
  return count;
}

}  // namespace plumb
