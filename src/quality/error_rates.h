#pragma once
// Error rates of free-text answers against a reference text (transcription,
// OCR): the character error rate (CER) and the word error rate (WER), per
// text and over a corpus. Texts are code points (DecodeUtf8 in
// text_distance.h turns UTF-8 into them). Pure functions, thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plumb::quality {

// Edits (Levenshtein: insertions, deletions and substitutions of one symbol)
// that turn the reference into the hypothesis, and the reference's length in
// the same symbols. Additive: the sum over a corpus is the corpus's figure.
struct ErrorRate {
  int64_t edits = 0;
  int64_t reference_length = 0;

  // edits / reference_length (may exceed 1). With an empty reference: 0
  // when there is no edit (the hypothesis is empty too), else 1.
  double Rate() const;
  ErrorRate& operator+=(const ErrorRate& other);
};

// The words of `text`: the runs of code points between whitespace, as
// Python's str.split() with no argument finds them (whitespace: U+0009–U+000D,
// U+001C–U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000).
std::vector<std::u32string_view> SplitWords(std::u32string_view text);

// Character error rate: EditDistance over code points / the reference's
// code points.
ErrorRate CharacterErrorRate(std::u32string_view reference, std::u32string_view hypothesis);

// Word error rate: the edit distance over SplitWords' words (a word is
// substituted whole; equal words are equal code point by code point) / the
// reference's word count.
ErrorRate WordErrorRate(std::u32string_view reference, std::u32string_view hypothesis);

// Corpus figures over (reference, hypothesis) pairs: the sum of the pairs'
// edits over the sum of their reference lengths (not the mean of the
// pairs' rates).
ErrorRate CorpusCharacterErrorRate(
    const std::vector<std::pair<std::u32string, std::u32string>>& pairs);
ErrorRate CorpusWordErrorRate(const std::vector<std::pair<std::u32string, std::u32string>>& pairs);

}  // namespace plumb::quality
