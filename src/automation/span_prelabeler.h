#pragma once
// A dictionary and pattern pre-labeler for span (named entity) controls: per
// project, each label has terms (a gazetteer, matched as whole words in one
// pass of an Aho–Corasick automaton) and regular expressions. Its
// spans pre-fill tasks as predictions; offsets are Unicode code points, end
// exclusive, like every span in Plumb (DESIGN.md, "Result geometry").
//
// The configuration, as a project stores it:
//   {"labels": {"PER": {"terms": ["Ada Lovelace"], "patterns": ["\\bDr\\. [A-Z][a-z]+"],
//                       "case_sensitive": false}},
//    "allow_overlaps": false}

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace plumb::automation {

struct SpanLabelRules {
  std::string label;
  // Matched as whole words: a term that starts (ends) with a word character
  // does not match right after (before) another word character, except next
  // to scripts written without spaces (Han, kana, Thai, ...). Leading and
  // trailing whitespace is trimmed; otherwise the code points must match
  // exactly (after case folding unless case_sensitive).
  std::vector<std::string> terms;
  // ECMAScript syntax, run by Boost.Regex over the text's UTF-8 bytes, one
  // line at a time (a match never spans '\n'; ^ and $ are the line's ends);
  // word boundaries are the pattern's own (\b). case_sensitive = false folds
  // ASCII letters only. Matches that do not start and end on code point
  // boundaries, and empty matches, are dropped. Boost.Regex rather than
  // std::regex: libstdc++'s recurses once per character matched and crashes
  // on a stack overflow at a few thousand characters ('.*' on an 8 KB line
  // with a 1 MB stack), where Boost's keeps its state on the heap and gives
  // up on runaway backtracking with an error.
  std::vector<std::string> patterns;
  bool case_sensitive = false;
};

struct SpanPrelabelerConfig {
  std::vector<SpanLabelRules> labels;  // ties between labels go to the earlier one
  // false: the output spans never overlap (longest match wins, then the
  // leftmost, then the earlier label). true: every distinct match.
  bool allow_overlaps = false;
};

// Bounds on a configuration, so one project cannot make every task's
// pre-labeling slow or the server's memory large.
inline constexpr size_t kMaxPrelabelLabels = 1000;
inline constexpr size_t kMaxPrelabelTerms = 200000;        // over all labels
inline constexpr size_t kMaxPrelabelTermCodePoints = 200;  // per term
// All terms' code points together: the automaton has at most this many
// nodes, about 100 bytes each.
inline constexpr size_t kMaxPrelabelTotalTermCodePoints = 2000000;
inline constexpr size_t kMaxPrelabelPatterns = 100;           // over all labels
inline constexpr size_t kMaxPrelabelPatternBytes = 1000;      // per pattern
inline constexpr size_t kMaxPrelabelConfigBytes = 16u << 20;  // the JSON text

// One pre-labeled span.
struct PrelabeledSpan {
  int64_t start = 0;  // code points, end exclusive
  int64_t end = 0;
  std::string text;  // the covered text, as in the task
  std::string label;
  bool operator==(const PrelabeledSpan&) const = default;
};

// Parses the JSON above. kInvalidArgument, with field() naming the place
// ("labels.PER.patterns[1]"), for malformed JSON, unknown keys, wrong types;
// the rules themselves are checked by SpanPrelabeler::Create.
Result<SpanPrelabelerConfig> ParseSpanPrelabelerConfig(std::string_view json);

// Immutable once built: Label may run on many threads at once. Movable, not
// copyable.
class SpanPrelabeler {
 public:
  // Validates and compiles `config`. kInvalidArgument naming the label (and
  // the term or pattern, with Boost.Regex's reason for a bad pattern) when:
  // a label is empty, repeated, or not in `control_labels` (when that is
  // non-empty: the span control's labels); a term is empty, not UTF-8 or
  // longer than kMaxPrelabelTermCodePoints (all together over
  // kMaxPrelabelTotalTermCodePoints); a pattern is empty, longer than
  // kMaxPrelabelPatternBytes or does not compile; or a kMax* count is
  // exceeded.
  static Result<SpanPrelabeler> Create(SpanPrelabelerConfig config,
                                       const std::vector<std::string>& control_labels = {});
  // ParseSpanPrelabelerConfig, then Create.
  static Result<SpanPrelabeler> FromJson(std::string_view json,
                                         const std::vector<std::string>& control_labels = {});

  SpanPrelabeler(SpanPrelabeler&&) noexcept;
  SpanPrelabeler& operator=(SpanPrelabeler&&) noexcept;
  ~SpanPrelabeler();

  // The spans of `text`, by start then end then label order. kInvalidArgument
  // when text is not valid UTF-8, or when a pattern gives up on this text
  // (Boost.Regex's limits on backtracking and memory; the message names the
  // pattern and its label).
  Result<std::vector<PrelabeledSpan>> Label(std::string_view text) const;

  const SpanPrelabelerConfig& config() const;

 private:
  struct Impl;
  explicit SpanPrelabeler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace plumb::automation
