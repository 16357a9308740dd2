#include "automation/span_prelabeler.h"

#include <algorithm>
#include <boost/regex.hpp>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>
#include <utility>

#include "automation/unicode_text.h"
#include "core/utf8.h"

namespace plumb::automation {
namespace {

using internal::FoldCase;
using internal::IsSpace;
using internal::IsUnspacedScript;
using internal::IsWordChar;

// A multi-pattern matcher over code points (Aho and Corasick 1975): one
// pass over the text finds every occurrence of every term, whatever their
// number, in time linear in the text plus the matches.
class TermAutomaton {
 public:
  TermAutomaton() : nodes_(1) {}

  void Add(const std::vector<char32_t>& term, int32_t label) {
    int32_t node = 0;
    for (char32_t c : term) {
      int32_t child = Child(node, c);
      if (child < 0) {
        child = static_cast<int32_t>(nodes_.size());
        auto& next = nodes_[node].next;
        next.insert(std::lower_bound(next.begin(), next.end(), std::make_pair(c, 0)), {c, child});
        nodes_.push_back(Node{});
        nodes_.back().depth = nodes_[node].depth + 1;
      }
      node = child;
    }
    auto& labels = nodes_[node].labels;
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) labels.push_back(label);
  }

  // Failure links (the longest proper suffix that is a trie node) and
  // output links (the nearest such suffix that ends a term), breadth first.
  void Build() {
    std::vector<int32_t> queue;
    for (auto [c, child] : nodes_[0].next) {
      nodes_[child].fail = 0;
      queue.push_back(child);
    }
    for (size_t head = 0; head < queue.size(); ++head) {
      const int32_t node = queue[head];
      const int32_t fail = nodes_[node].fail;
      nodes_[node].output = nodes_[fail].labels.empty() ? nodes_[fail].output : fail;
      for (auto [c, child] : nodes_[node].next) {
        int32_t f = fail;
        while (f != 0 && Child(f, c) < 0) f = nodes_[f].fail;
        int32_t target = Child(f, c);
        nodes_[child].fail = target >= 0 ? target : 0;
        queue.push_back(child);
      }
    }
  }

  bool empty() const { return nodes_.size() == 1; }

  // emit(end, length, label) for each occurrence, `end` exclusive.
  template <typename Emit>
  void Search(const std::vector<char32_t>& text, Emit emit) const {
    int32_t state = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      while (state != 0 && Child(state, text[i]) < 0) state = nodes_[state].fail;
      state = std::max(Child(state, text[i]), 0);
      for (int32_t u = nodes_[state].labels.empty() ? nodes_[state].output : state; u > 0;
           u = nodes_[u].output) {
        for (int32_t label : nodes_[u].labels) emit(i + 1, nodes_[u].depth, label);
      }
    }
  }

 private:
  struct Node {
    std::vector<std::pair<char32_t, int32_t>> next;  // sorted by code point
    int32_t fail = 0;
    int32_t output = -1;  // -1: no term ends on a proper suffix
    int32_t depth = 0;
    std::vector<int32_t> labels;  // labels of the term ending here
  };

  int32_t Child(int32_t node, char32_t c) const {
    const auto& next = nodes_[node].next;
    auto it = std::lower_bound(next.begin(), next.end(), std::make_pair(c, 0));
    return it != next.end() && it->first == c ? it->second : -1;
  }

  std::vector<Node> nodes_;
};

struct Pattern {
  boost::regex regex;
  int32_t label;
  std::string source;
};

struct Candidate {
  int64_t start;
  int64_t end;
  int32_t label;
  auto Key() const { return std::make_tuple(start, end, label); }
};

std::string Quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// Whether a word would be cut between code points a and b.
bool InsideWord(char32_t a, char32_t b) {
  return IsWordChar(a) && IsWordChar(b) && !IsUnspacedScript(a) && !IsUnspacedScript(b);
}

}  // namespace

struct SpanPrelabeler::Impl {
  SpanPrelabelerConfig config;
  TermAutomaton folded;     // case-insensitive terms, folded
  TermAutomaton sensitive;  // case-sensitive terms as given
  std::vector<Pattern> patterns;
};

SpanPrelabeler::SpanPrelabeler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SpanPrelabeler::SpanPrelabeler(SpanPrelabeler&&) noexcept = default;
SpanPrelabeler& SpanPrelabeler::operator=(SpanPrelabeler&&) noexcept = default;
SpanPrelabeler::~SpanPrelabeler() = default;

const SpanPrelabelerConfig& SpanPrelabeler::config() const { return impl_->config; }

Result<SpanPrelabelerConfig> ParseSpanPrelabelerConfig(std::string_view json) {
  using Json = nlohmann::ordered_json;  // keeps the labels in the order written
  if (json.size() > kMaxPrelabelConfigBytes) {
    return Status::InvalidArgument("pre-labeler configuration over " +
                                   std::to_string(kMaxPrelabelConfigBytes) + " bytes");
  }
  Json doc = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::InvalidArgument("pre-labeler configuration is not JSON");
  if (!doc.is_object())
    return Status::InvalidArgument("pre-labeler configuration must be an object");
  SpanPrelabelerConfig config;
  for (auto& [key, value] : doc.items()) {
    if (key == "allow_overlaps") {
      if (!value.is_boolean()) return Status::InvalidArgument("must be a boolean", key);
      config.allow_overlaps = value.get<bool>();
    } else if (key != "labels") {
      return Status::InvalidArgument("unknown key " + Quoted(key), key);
    }
  }
  auto labels = doc.find("labels");
  if (labels == doc.end() || !labels->is_object()) {
    return Status::InvalidArgument("\"labels\" must be an object of label → rules", "labels");
  }
  for (auto& [label, rules] : labels->items()) {
    const std::string where = "labels." + label;
    if (!rules.is_object()) return Status::InvalidArgument("must be an object", where);
    SpanLabelRules out;
    out.label = label;
    for (auto& [key, value] : rules.items()) {
      const std::string field = where + "." + key;
      if (key == "case_sensitive") {
        if (!value.is_boolean()) return Status::InvalidArgument("must be a boolean", field);
        out.case_sensitive = value.get<bool>();
      } else if (key == "terms" || key == "patterns") {
        if (!value.is_array()) return Status::InvalidArgument("must be a list of strings", field);
        auto& list = key == "terms" ? out.terms : out.patterns;
        for (size_t i = 0; i < value.size(); ++i) {
          if (!value[i].is_string()) {
            return Status::InvalidArgument("must be a string",
                                           field + "[" + std::to_string(i) + "]");
          }
          list.push_back(value[i].get<std::string>());
        }
      } else {
        return Status::InvalidArgument("unknown key " + Quoted(key), field);
      }
    }
    config.labels.push_back(std::move(out));
  }
  return config;
}

Result<SpanPrelabeler> SpanPrelabeler::Create(SpanPrelabelerConfig config,
                                              const std::vector<std::string>& control_labels) {
  auto impl = std::make_unique<Impl>();
  if (config.labels.size() > kMaxPrelabelLabels) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxPrelabelLabels) + " labels",
                                   "labels");
  }
  // The total first, so an oversized gazetteer is refused before any of it
  // is built.
  size_t total_code_points = 0;
  for (const SpanLabelRules& rules : config.labels) {
    for (const std::string& term : rules.terms) total_code_points += Utf8Length(term).value_or(0);
  }
  if (total_code_points > kMaxPrelabelTotalTermCodePoints) {
    return Status::InvalidArgument("the terms hold " + std::to_string(total_code_points) +
                                       " code points, over the " +
                                       std::to_string(kMaxPrelabelTotalTermCodePoints) + " allowed",
                                   "labels");
  }
  std::set<std::string_view> seen;
  size_t terms = 0, patterns = 0;
  for (size_t li = 0; li < config.labels.size(); ++li) {
    SpanLabelRules& rules = config.labels[li];
    const int32_t label = static_cast<int32_t>(li);
    const std::string where = "labels." + rules.label;
    if (rules.label.empty() || !Utf8Length(rules.label)) {
      return Status::InvalidArgument("a label name must be non-empty UTF-8", "labels");
    }
    if (!seen.insert(rules.label).second) {
      return Status::InvalidArgument("label " + Quoted(rules.label) + " appears twice", where);
    }
    if (!control_labels.empty() && std::find(control_labels.begin(), control_labels.end(),
                                             rules.label) == control_labels.end()) {
      return Status::InvalidArgument(
          "label " + Quoted(rules.label) + " is not a label of the control", where);
    }
    terms += rules.terms.size();
    patterns += rules.patterns.size();
    if (terms > kMaxPrelabelTerms) {
      return Status::InvalidArgument(
          "at most " + std::to_string(kMaxPrelabelTerms) + " terms over all labels",
          where + ".terms");
    }
    if (patterns > kMaxPrelabelPatterns) {
      return Status::InvalidArgument(
          "at most " + std::to_string(kMaxPrelabelPatterns) + " patterns over all labels",
          where + ".patterns");
    }
    for (size_t i = 0; i < rules.terms.size(); ++i) {
      std::string& term = rules.terms[i];
      const std::string field = where + ".terms[" + std::to_string(i) + "]";
      if (!Utf8Length(term)) {
        return Status::InvalidArgument("term of label " + Quoted(rules.label) + " is not UTF-8",
                                       field);
      }
      std::vector<char32_t> cps = Utf8DecodeLenient(term);
      auto first = std::find_if_not(cps.begin(), cps.end(), IsSpace);
      auto last = std::find_if_not(cps.rbegin(), cps.rend(), IsSpace).base();
      std::vector<char32_t> trimmed(first, first < last ? last : first);
      if (trimmed.empty()) {
        return Status::InvalidArgument("empty term for label " + Quoted(rules.label), field);
      }
      if (trimmed.size() > kMaxPrelabelTermCodePoints) {
        return Status::InvalidArgument(
            "term " + Quoted(term.substr(0, 40)) + "… of label " + Quoted(rules.label) +
                " is over " + std::to_string(kMaxPrelabelTermCodePoints) + " code points",
            field);
      }
      if (rules.case_sensitive) {
        impl->sensitive.Add(trimmed, label);
      } else {
        for (char32_t& c : trimmed) c = FoldCase(c);
        impl->folded.Add(trimmed, label);
      }
    }
    for (size_t i = 0; i < rules.patterns.size(); ++i) {
      const std::string& source = rules.patterns[i];
      const std::string field = where + ".patterns[" + std::to_string(i) + "]";
      if (source.empty()) {
        return Status::InvalidArgument("empty pattern for label " + Quoted(rules.label), field);
      }
      if (source.size() > kMaxPrelabelPatternBytes) {
        return Status::InvalidArgument("pattern of label " + Quoted(rules.label) + " is over " +
                                           std::to_string(kMaxPrelabelPatternBytes) + " bytes",
                                       field);
      }
      boost::regex::flag_type flags = boost::regex::ECMAScript;
      if (!rules.case_sensitive) flags |= boost::regex::icase;
      // Boost.Regex reports a bad pattern only by throwing; it stops here.
      try {
        impl->patterns.push_back(Pattern{boost::regex(source, flags), label, source});
      } catch (const boost::regex_error& e) {
        return Status::InvalidArgument(
            "bad pattern " + Quoted(source) + " for label " + Quoted(rules.label) + ": " + e.what(),
            field);
      }
    }
  }
  impl->folded.Build();
  impl->sensitive.Build();
  impl->config = std::move(config);
  return SpanPrelabeler(std::move(impl));
}

Result<SpanPrelabeler> SpanPrelabeler::FromJson(std::string_view json,
                                                const std::vector<std::string>& control_labels) {
  PLUMB_ASSIGN_OR_RETURN(SpanPrelabelerConfig config, ParseSpanPrelabelerConfig(json));
  return Create(std::move(config), control_labels);
}

Result<std::vector<PrelabeledSpan>> SpanPrelabeler::Label(std::string_view text) const {
  std::optional<std::vector<size_t>> offsets = Utf8CodePointOffsets(text);
  if (!offsets) return Status::InvalidArgument("the text is not valid UTF-8", "text");
  const std::vector<char32_t> cps = Utf8DecodeLenient(text);
  const int64_t n = static_cast<int64_t>(cps.size());

  std::vector<Candidate> candidates;
  auto term_match = [&](size_t end, int32_t length, int32_t label) {
    const int64_t e = static_cast<int64_t>(end);
    const int64_t s = e - length;
    if (s > 0 && InsideWord(cps[s - 1], cps[s])) return;
    if (e < n && InsideWord(cps[e - 1], cps[e])) return;
    candidates.push_back({s, e, label});
  };
  if (!impl_->sensitive.empty()) impl_->sensitive.Search(cps, term_match);
  if (!impl_->folded.empty()) {
    std::vector<char32_t> folded = cps;
    for (char32_t& c : folded) c = FoldCase(c);
    impl_->folded.Search(folded, term_match);
  }

  if (!impl_->patterns.empty()) {
    // Byte offset → code point index; -1 inside a code point.
    auto code_point_at = [&](size_t byte) -> int64_t {
      auto it = std::lower_bound(offsets->begin(), offsets->end(), byte);
      return it != offsets->end() && *it == byte ? it - offsets->begin() : -1;
    };
    for (size_t line = 0; line <= text.size();) {
      size_t newline = text.find('\n', line);
      if (newline == std::string_view::npos) newline = text.size();
      if (newline > line) {
        const char* first = text.data() + line;
        const char* last = text.data() + newline;
        for (const Pattern& p : impl_->patterns) {
          // Boost.Regex signals its complexity and memory limits only by throwing.
          try {
            for (boost::cregex_iterator it(first, last, p.regex), end; it != end; ++it) {
              if (it->length() == 0) continue;
              const size_t begin_byte = line + static_cast<size_t>(it->position());
              int64_t s = code_point_at(begin_byte);
              int64_t e = code_point_at(begin_byte + static_cast<size_t>(it->length()));
              if (s < 0 || e < 0) continue;
              candidates.push_back({s, e, p.label});
            }
          } catch (const std::runtime_error& error) {
            return Status::InvalidArgument("pattern " + Quoted(p.source) + " of label " +
                                           Quoted(impl_->config.labels[p.label].label) +
                                           " failed on the text: " + error.what());
          }
        }
      }
      line = newline + 1;
    }
  }

  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.Key() < b.Key(); });
  candidates.erase(
      std::unique(candidates.begin(), candidates.end(),
                  [](const Candidate& a, const Candidate& b) { return a.Key() == b.Key(); }),
      candidates.end());

  std::vector<Candidate> kept;
  if (impl_->config.allow_overlaps) {
    kept = std::move(candidates);
  } else {
    std::stable_sort(
        candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
          return a.end - a.start > b.end - b.start;  // longest first; then start, label as sorted
        });
    std::map<int64_t, int64_t> taken;  // start → end of kept spans, disjoint
    for (const Candidate& c : candidates) {
      auto next = taken.lower_bound(c.start);
      if (next != taken.end() && next->first < c.end) continue;
      if (next != taken.begin() && std::prev(next)->second > c.start) continue;
      taken.emplace(c.start, c.end);
      kept.push_back(c);
    }
    std::sort(kept.begin(), kept.end(),
              [](const Candidate& a, const Candidate& b) { return a.Key() < b.Key(); });
  }

  std::vector<PrelabeledSpan> spans;
  spans.reserve(kept.size());
  for (const Candidate& c : kept) {
    const size_t begin = (*offsets)[c.start];
    spans.push_back({c.start, c.end, std::string(text.substr(begin, (*offsets)[c.end] - begin)),
                     impl_->config.labels[c.label].label});
  }
  return spans;
}

}  // namespace plumb::automation
