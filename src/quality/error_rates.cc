#include "quality/error_rates.h"

#include <unordered_map>

#include "quality/text_distance.h"

namespace plumb::quality {
namespace {

bool IsSpace(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
         c == 0x205F || c == 0x3000;
}

ErrorRate Make(size_t edits, size_t reference_length) {
  return {static_cast<int64_t>(edits), static_cast<int64_t>(reference_length)};
}

}  // namespace

double ErrorRate::Rate() const {
  if (reference_length <= 0) return edits > 0 ? 1 : 0;
  return static_cast<double>(edits) / static_cast<double>(reference_length);
}

ErrorRate& ErrorRate::operator+=(const ErrorRate& other) {
  edits += other.edits;
  reference_length += other.reference_length;
  return *this;
}

std::vector<std::u32string_view> SplitWords(std::u32string_view text) {
  std::vector<std::u32string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

ErrorRate CharacterErrorRate(std::u32string_view reference, std::u32string_view hypothesis) {
  return Make(EditDistance(reference, hypothesis), reference.size());
}

ErrorRate WordErrorRate(std::u32string_view reference, std::u32string_view hypothesis) {
  // Each distinct word becomes one symbol, so that EditDistance (over
  // char32_t, any 32-bit value) computes the word-level distance with its
  // bit-parallel speed. Fewer than 2^32 distinct words fit any text here.
  std::unordered_map<std::u32string_view, char32_t> symbol_of;
  auto encode = [&](std::u32string_view text) {
    std::u32string symbols;
    for (std::u32string_view word : SplitWords(text)) {
      auto [it, inserted] = symbol_of.emplace(word, static_cast<char32_t>(symbol_of.size()));
      symbols.push_back(it->second);
    }
    return symbols;
  };
  std::u32string ref = encode(reference), hyp = encode(hypothesis);
  return Make(EditDistance(ref, hyp), ref.size());
}

ErrorRate CorpusCharacterErrorRate(
    const std::vector<std::pair<std::u32string, std::u32string>>& pairs) {
  ErrorRate total;
  for (const auto& [reference, hypothesis] : pairs)
    total += CharacterErrorRate(reference, hypothesis);
  return total;
}

ErrorRate CorpusWordErrorRate(const std::vector<std::pair<std::u32string, std::u32string>>& pairs) {
  ErrorRate total;
  for (const auto& [reference, hypothesis] : pairs) total += WordErrorRate(reference, hypothesis);
  return total;
}

}  // namespace plumb::quality
