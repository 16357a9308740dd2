// CoNLL-2003 / IOB2: a token per line (its tag in the last column, e.g.
// "EU B-ORG" or "EU NNP B-NP B-ORG"), a blank line after each sentence, and
// "-DOCSTART-" lines between documents. Each sentence is one task whose text
// is its tokens joined by single spaces; B-/I- tags become spans over them.

#include <string>
#include <vector>

#include "core/utf8.h"
#include "io/importers.h"
#include "io/labeled.h"

namespace plumb::io {
namespace {

using nlohmann::json;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::vector<std::string_view> Columns(std::string_view line) {
  std::vector<std::string_view> columns;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) columns.push_back(line.substr(start, i - start));
  }
  return columns;
}

class SentenceBuilder {
 public:
  explicit SentenceBuilder(const Control& control) : control_(control) {}

  bool empty() const { return tokens_ == 0; }
  int64_t first_line() const { return first_line_; }

  // Adds a token with its tag; kInvalidArgument for a tag that is neither
  // O nor B-/I- followed by a label.
  Status Add(std::string_view token, std::string_view tag, int64_t line) {
    if (tokens_ == 0) first_line_ = line;
    std::optional<size_t> length = Utf8Length(token);
    if (!length) return Status::InvalidArgument("the token is not valid UTF-8");
    if (tokens_ > 0) {
      text_.push_back(' ');
      ++chars_;
    }
    const int64_t start = chars_;
    text_.append(token);
    chars_ += static_cast<int64_t>(*length);
    ++tokens_;
    if (tag == "O") {
      CloseSpan();
      return Status::Ok();
    }
    if (tag.size() < 3 || (tag[0] != 'B' && tag[0] != 'I') || tag[1] != '-') {
      return Status::InvalidArgument("tag '" + std::string(tag) +
                                     "' is not O, B-<label> or I-<label>");
    }
    std::string label(tag.substr(2));
    // IOB1 files start a span with I- too: an I- that does not continue a
    // span of its label starts one.
    if (tag[0] == 'B' || !open_ || open_label_ != label) {
      CloseSpan();
      open_ = true;
      open_label_ = label;
      open_start_ = start;
    }
    open_end_ = chars_;
    return Status::Ok();
  }

  LabeledTask Finish() {
    CloseSpan();
    LabeledTask task;
    task.data[control_.source] = text_;
    task.result = std::move(spans_);
    text_.clear();
    spans_ = json::array();
    tokens_ = 0;
    chars_ = 0;
    return task;
  }

 private:
  void CloseSpan() {
    if (!open_) return;
    spans_.push_back({{"control", control_.name},
                      {"type", "span"},
                      {"label", open_label_},
                      {"start", open_start_},
                      {"end", open_end_}});
    open_ = false;
  }

  const Control& control_;
  std::string text_;
  json spans_ = json::array();
  int64_t tokens_ = 0;
  int64_t chars_ = 0;
  int64_t first_line_ = 0;
  bool open_ = false;
  std::string open_label_;
  int64_t open_start_ = 0;
  int64_t open_end_ = 0;
};

}  // namespace

Status ReadConll(InputReader& in, const Schema& schema, LabeledWriter& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, TextSpanControl(schema));
  SentenceBuilder sentence(*control);
  auto flush = [&]() -> Status {
    if (sentence.empty()) return Status::Ok();
    const int64_t line = sentence.first_line();
    Status status = out.Add(sentence.Finish());
    if (!status.ok()) return At("the sentence", status).WithLine(line);
    return Status::Ok();
  };
  PLUMB_RETURN_IF_ERROR(ForEachLine(in, [&](std::string_view line, int64_t number) -> Status {
    std::vector<std::string_view> columns = Columns(line);
    if (columns.empty()) return flush();
    if (columns[0] == "-DOCSTART-") return flush();
    if (columns.size() < 2) {
      return Status::InvalidArgument("a token line needs a token and a tag").WithLine(number);
    }
    Status status = sentence.Add(columns.front(), columns.back(), number);
    if (!status.ok()) return status.WithLine(number);
    return Status::Ok();
  }));
  return flush();
}

Status WriteConll(store::Store& store, const Project& project, const Schema& schema,
                  std::ostream& out) {
  PLUMB_ASSIGN_OR_RETURN(const Control* control, TextSpanControl(schema));
  OutBuffer buffer(out);
  buffer.text().append("-DOCSTART- O\n\n");
  PLUMB_RETURN_IF_ERROR(store.ForEachTaskWithAnnotations(
      project.id, [&](const Task& task, const std::vector<Revision>& revisions) -> Status {
        const Revision* newest = NewestRevision(revisions);
        if (newest == nullptr) return Status::Ok();  // training data: labeled tasks only
        PLUMB_ASSIGN_OR_RETURN(json data, ParseStored(task.data_json));
        PLUMB_ASSIGN_OR_RETURN(json result, ParseStored(newest->result_json));
        const std::string text = data.value(control->source, "");
        std::optional<std::vector<size_t>> offsets = Utf8CodePointOffsets(text);
        if (!offsets) return Status::Ok();  // a stored span text is valid UTF-8; skip otherwise
        struct Span {
          int64_t start, end;
          std::string label;
        };
        std::vector<Span> spans;
        for (const json& item : result) {
          if (item.value("control", "") != control->name) continue;
          spans.push_back({item.value("start", int64_t{0}), item.value("end", int64_t{0}),
                           item.value("label", "")});
        }
        // Tokens are the text's whitespace-separated runs, in code points. A
        // token is in the first span it overlaps; B- on the span's first token.
        const auto n = static_cast<int64_t>(offsets->size()) - 1;
        int64_t i = 0;
        const Span* previous = nullptr;
        while (i < n) {
          while (i < n && IsSpace(text[(*offsets)[i]])) ++i;
          if (i >= n) break;
          int64_t start = i;
          while (i < n && !IsSpace(text[(*offsets)[i]])) ++i;
          const Span* in_span = nullptr;
          for (const Span& s : spans) {
            if (s.start < i && start < s.end) {
              in_span = &s;
              break;
            }
          }
          buffer.text().append(text, (*offsets)[start], (*offsets)[i] - (*offsets)[start]);
          if (in_span == nullptr) {
            buffer.text().append(" O\n");
          } else {
            buffer.text().append(in_span == previous ? " I-" : " B-").append(in_span->label);
            buffer.text().push_back('\n');
          }
          previous = in_span;
        }
        buffer.text().push_back('\n');
        return buffer.MaybeFlush();
      }));
  return buffer.Finish();
}

}  // namespace plumb::io
