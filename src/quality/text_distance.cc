#include "quality/text_distance.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/utf8.h"

namespace plumb::quality {

std::optional<std::u32string> DecodeUtf8(std::string_view text) {
  std::optional<std::vector<size_t>> offsets = Utf8CodePointOffsets(text);
  if (!offsets) return std::nullopt;
  std::u32string out;
  out.reserve(offsets->size() - 1);
  for (size_t i = 0; i + 1 < offsets->size(); ++i) {
    size_t begin = (*offsets)[i], length = (*offsets)[i + 1] - begin;
    auto byte = [&](size_t k) { return static_cast<uint8_t>(text[begin + k]); };
    // Valid UTF-8 is guaranteed by Utf8CodePointOffsets, so the length alone
    // says how many payload bits the lead byte has.
    char32_t cp = length == 1 ? byte(0) : byte(0) & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(k) & 0x3F);
    out.push_back(cp);
  }
  return out;
}

size_t EditDistance(std::u32string_view a, std::u32string_view b) {
  // The shorter string is the bit-vector side: time is |text| * ceil(|pattern| / 64).
  std::u32string_view pattern = a.size() <= b.size() ? a : b;
  std::u32string_view text = a.size() <= b.size() ? b : a;
  size_t m = pattern.size();
  if (m == 0) return text.size();
  size_t blocks = (m + 63) / 64;
  std::unordered_map<char32_t, std::vector<uint64_t>> peq;
  for (size_t i = 0; i < m; ++i) {
    std::vector<uint64_t>& bits = peq[pattern[i]];
    bits.resize(blocks, 0);
    bits[i / 64] |= uint64_t{1} << (i % 64);
  }
  const std::vector<uint64_t> no_match(blocks, 0);
  std::vector<uint64_t> pv(blocks, ~uint64_t{0}), mv(blocks, 0);
  const uint64_t last_row = uint64_t{1} << ((m - 1) % 64);
  int64_t score = static_cast<int64_t>(m);
  uint64_t* const p_bits = pv.data();
  uint64_t* const m_bits = mv.data();
  for (char32_t c : text) {
    auto found = peq.find(c);
    const uint64_t* eq_of = found == peq.end() ? no_match.data() : found->second.data();
    // The horizontal difference entering each block from above, as two bits
    // (+1, -1). The top row of the table grows by one per column (global
    // alignment), so the first block gets +1.
    uint64_t hp = 1, hn = 0;
    uint64_t ph = 0, mh = 0;
    for (size_t b = 0; b < blocks; ++b) {
      uint64_t eq = eq_of[b], p = p_bits[b], n = m_bits[b];
      uint64_t xv = eq | n;
      eq |= hn;
      uint64_t xh = (((eq & p) + p) ^ p) | eq;
      ph = n | ~(xh | p);
      mh = p & xh;
      uint64_t out_hp = ph >> 63, out_hn = mh >> 63;
      uint64_t ph_in = (ph << 1) | hp, mh_in = (mh << 1) | hn;
      p_bits[b] = mh_in | ~(xv | ph_in);
      m_bits[b] = ph_in & xv;
      hp = out_hp, hn = out_hn;
    }
    // ph and mh are the last block's: the difference along the bottom row.
    if (ph & last_row) ++score;
    if (mh & last_row) --score;
  }
  return static_cast<size_t>(score);
}

}  // namespace plumb::quality
