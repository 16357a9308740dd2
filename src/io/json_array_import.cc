// A JSON array of records, split into its top-level elements as it streams
// in: the splitter tracks strings, escapes and brackets only, and each element
// is then parsed and validated on its own by RecordParser.

#include <array>
#include <string>
#include <string_view>

#include "io/importers.h"
#include "io/record_parser.h"

namespace plumb::io {
namespace {

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

constexpr std::array<bool, 256> ByteSet(std::string_view bytes) {
  std::array<bool, 256> set{};
  for (char c : bytes) set[static_cast<unsigned char>(c)] = true;
  return set;
}

// The bytes the splitter must look at inside a string and outside one.
constexpr std::array<bool, 256> kStringSpecial = ByteSet("\"\\\n");
constexpr std::array<bool, 256> kStructureSpecial = ByteSet("\"{}[]\n");

// Ends a scalar element (which the parser then rejects as not an object).
bool EndsScalar(char c) {
  return IsJsonWhitespace(c) || c == ',' || c == ']' || c == '[' || c == '{' || c == '}' ||
         c == '"';
}

class ArraySplitter {
 public:
  explicit ArraySplitter(InputReader& in) : in_(in) {}

  int64_t line() const { return line_; }

  // Skips whitespace; false at the end of the input (or on a stream failure).
  bool SkipWhitespace() {
    while (in_.Fill()) {
      std::string_view chunk = in_.Available();
      size_t i = 0;
      while (i < chunk.size() && IsJsonWhitespace(chunk[i])) {
        if (chunk[i] == '\n') ++line_;
        ++i;
      }
      in_.Consume(i);
      if (i < chunk.size()) return true;
    }
    return false;
  }

  // The next byte; only after SkipWhitespace() returned true.
  char Peek() const { return in_.Available()[0]; }
  void Skip() { in_.Consume(1); }

  // Reads the element starting at the current byte into `element`. Returns
  // false when the input ends inside it. Stops early, with the offending
  // byte included, at a bracket that does not match: the parser reports it.
  Result<bool> ReadElement(std::string* element) {
    element->clear();
    closers_.clear();
    in_string_ = false;
    escaped_ = false;
    bool scalar = Peek() != '{' && Peek() != '[';
    if (Peek() == '"') {
      element->push_back('"');
      Skip();
      in_string_ = true;
    }
    while (in_.Fill()) {
      std::string_view chunk = in_.Available();
      size_t i = 0;
      bool done = scalar ? ScanScalar(chunk, &i) : ScanStructured(chunk, &i);
      if (element->size() + i > kMaxRecordBytes) {
        return Status::InvalidArgument("record is larger than " +
                                       std::to_string(kMaxRecordBytes >> 20) + " MiB");
      }
      element->append(chunk.data(), i);
      in_.Consume(i);
      if (done) return true;
    }
    PLUMB_RETURN_IF_ERROR(in_.status());
    // A scalar may end with the input; the parser rejects it anyway.
    return scalar && !in_string_;
  }

 private:
  bool ScanStructured(std::string_view chunk, size_t* i) {
    const size_t n = chunk.size();
    while (*i < n) {
      // The byte after a backslash is taken whatever it is: the skip below
      // would step over the "n" of "\n" and leave the escape open.
      if (escaped_) {
        escaped_ = false;
        if (chunk[(*i)++] == '\n') ++line_;
        continue;
      }
      // Most bytes matter to neither state: skip them in a tight loop.
      const std::array<bool, 256>& special = in_string_ ? kStringSpecial : kStructureSpecial;
      while (*i < n && !special[static_cast<unsigned char>(chunk[*i])]) ++*i;
      if (*i == n) break;
      char c = chunk[(*i)++];
      if (c == '\n') {
        ++line_;
        continue;
      }
      if (in_string_) {
        if (c == '\\') {
          escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
        continue;
      }
      switch (c) {
        case '"':
          in_string_ = true;
          break;
        case '{':
          closers_.push_back('}');
          break;
        case '[':
          closers_.push_back(']');
          break;
        default:  // '}' or ']'
          if (closers_.empty() || closers_.back() != c) return true;
          closers_.pop_back();
          if (closers_.empty()) return true;
          break;
      }
    }
    return false;
  }

  bool ScanScalar(std::string_view chunk, size_t* i) {
    for (; *i < chunk.size(); ++*i) {
      char c = chunk[*i];
      if (!in_string_) {
        if (EndsScalar(c)) return true;
        continue;
      }
      if (c == '\n') ++line_;
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        ++*i;
        return true;
      }
    }
    return false;
  }

  InputReader& in_;
  int64_t line_ = 1;
  std::string closers_;  // the closing brackets still owed, innermost last
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace

Status ForEachJsonArrayElement(InputReader& in,
                               const std::function<Status(std::string_view, int64_t)>& fn) {
  ArraySplitter splitter(in);
  if (!splitter.SkipWhitespace()) {
    PLUMB_RETURN_IF_ERROR(in.status());
    return Status::InvalidArgument("expected a JSON array of tasks, found nothing")
        .WithLine(splitter.line());
  }
  if (splitter.Peek() != '[') {
    return Status::InvalidArgument("expected a JSON array of tasks").WithLine(splitter.line());
  }
  splitter.Skip();

  std::string element;
  auto unterminated = [&] {
    return Status::InvalidArgument("the JSON array is not closed with ']'")
        .WithLine(splitter.line());
  };

  if (!splitter.SkipWhitespace()) {
    PLUMB_RETURN_IF_ERROR(in.status());
    return unterminated();
  }
  bool empty = splitter.Peek() == ']';
  if (empty) splitter.Skip();
  while (!empty) {
    if (!splitter.SkipWhitespace()) {
      PLUMB_RETURN_IF_ERROR(in.status());
      return unterminated();
    }
    int64_t start_line = splitter.line();
    char first = splitter.Peek();
    if (first == ',' || first == ']' || first == '}') {
      return Status::InvalidArgument("expected a task, found '" + std::string(1, first) + "'")
          .WithLine(start_line);
    }
    Result<bool> complete = splitter.ReadElement(&element);
    if (!complete.ok()) {
      if (complete.status().code() == StatusCode::kInternal) return complete.status();
      return complete.status().WithLine(start_line);
    }
    if (!*complete) {
      return Status::InvalidArgument("the input ends inside a task").WithLine(start_line);
    }
    PLUMB_RETURN_IF_ERROR(fn(element, start_line));

    if (!splitter.SkipWhitespace()) {
      PLUMB_RETURN_IF_ERROR(in.status());
      return unterminated();
    }
    char next = splitter.Peek();
    splitter.Skip();
    if (next == ']') break;
    if (next != ',') {
      return Status::InvalidArgument("expected ',' or ']' after a task, found '" +
                                     std::string(1, next) + "'")
          .WithLine(splitter.line());
    }
  }

  if (splitter.SkipWhitespace()) {
    return Status::InvalidArgument("unexpected content after the JSON array")
        .WithLine(splitter.line());
  }
  return in.status();
}

Result<int64_t> ReadJsonArray(InputReader& in, const Schema& schema, store::TaskWriter& writer) {
  RecordParser parser(schema);
  store::NewTask task;
  int64_t added = 0;
  PLUMB_RETURN_IF_ERROR(
      ForEachJsonArrayElement(in, [&](std::string_view element, int64_t line) -> Status {
        Status status = parser.Parse(element, &task);
        if (!status.ok()) return status.WithLine(line);
        PLUMB_RETURN_IF_ERROR(writer.Add(task));
        ++added;
        return Status::Ok();
      }));
  return added;
}

}  // namespace plumb::io
