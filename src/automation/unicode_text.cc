#include "automation/unicode_text.h"

namespace plumb::automation::internal {

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 32;  // Latin-1: À..Þ
  if (c >= 0x100 && c <= 0x17F) {
    // Latin Extended-A alternates upper/lower, with the parity flipping
    // between U+0138 and U+0149 and again from U+0178.
    if (c == 0x130 || c == 0x138 || c == 0x149) return c;  // İ, ĸ, ŉ have no 1:1 pair
    if (c == 0x178) return 0xFF;                           // Ÿ
    bool upper_even = c < 0x138 || (c > 0x149 && c < 0x178);
    if (upper_even && c % 2 == 0) return c + 1;
    if (!upper_even && c % 2 == 1 && c != 0x17F) return c + 1;
    return c;
  }
  if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 32;  // Greek
  if (c >= 0x410 && c <= 0x42F) return c + 32;                // Cyrillic А..Я
  if (c >= 0x400 && c <= 0x40F) return c + 80;                // Cyrillic Ѐ..Џ
  return c;
}

bool IsSpace(char32_t c) {
  return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

bool IsUnspacedScript(char32_t c) {
  return (c >= 0x0E00 && c <= 0x0EFF) ||  // Thai, Lao
         (c >= 0x1000 && c <= 0x109F) ||  // Myanmar
         (c >= 0x1780 && c <= 0x17FF) ||  // Khmer
         (c >= 0x3040 && c <= 0x30FF) ||  // Hiragana, Katakana
         (c >= 0x31F0 && c <= 0x31FF) ||  // Katakana extensions
         (c >= 0x3400 && c <= 0x4DBF) ||  // Han extension A
         (c >= 0x4E00 && c <= 0x9FFF) ||  // Han
         (c >= 0xF900 && c <= 0xFAFF) ||  // Han compatibility
         (c >= 0x20000 && c <= 0x3FFFF);  // Han extensions B..
}

bool IsWordChar(char32_t c) {
  if (c < 0x80) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  if (c < 0xC0) return c == 0xAA || c == 0xB5 || c == 0xBA;  // Latin-1 punctuation but ª µ º
  if (c == 0xD7 || c == 0xF7) return false;                  // × ÷
  if (IsSpace(c)) return false;
  struct Range {
    char32_t first, last;
  };
  // Punctuation, symbols and emoji: not part of words.
  static constexpr Range kNonWord[] = {
      {0x2000, 0x206F}, {0x20A0, 0x20CF}, {0x2100, 0x214F},   {0x2190, 0x2BFF}, {0x2E00, 0x2E7F},
      {0x3000, 0x303F}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF0F},   {0xFF1A, 0xFF20}, {0xFF3B, 0xFF40},
      {0xFF5B, 0xFF65}, {0xFFF0, 0xFFFF}, {0x1F000, 0x1FAFF},
  };
  for (const Range& r : kNonWord) {
    if (c >= r.first && c <= r.last) return false;
  }
  return true;
}

}  // namespace plumb::automation::internal
