#pragma once
// Internal to automation: the little Unicode the learner and the span
// pre-labeler need, without ICU. Case folding and word characters cover
// Latin (ASCII, Latin-1, Latin Extended-A), Greek and Cyrillic; every other
// letter (CJK, Arabic, ...) is a word character that folds to itself.

#include <string>

namespace plumb::automation::internal {

// Appends the UTF-8 encoding of `c` (a valid scalar value) to `out`.
void AppendUtf8(char32_t c, std::string& out);

// A one-to-one lowercase mapping, so folding keeps code point offsets.
char32_t FoldCase(char32_t c);

// Letters, digits and '_' (ASCII), and every non-ASCII code point outside
// the punctuation, symbol and space blocks.
bool IsWordChar(char32_t c);

// Unicode White_Space code points.
bool IsSpace(char32_t c);

// Scripts written without spaces between words (Han, Hiragana, Katakana,
// Thai, Lao, Khmer, Myanmar): every position next to one is a word boundary.
bool IsUnspacedScript(char32_t c);

}  // namespace plumb::automation::internal
