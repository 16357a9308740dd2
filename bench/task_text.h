#pragma once
// The benchmarks' tasks: one deterministic generator of ~200-byte import
// records, shared by the JSONL writer and the raw SQLite baseline, so the
// baseline inserts byte for byte the data objects `plumb import` stores.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace plumb::bench {

class TaskTextGenerator {
 public:
  explicit TaskTextGenerator(uint64_t seed = 20261128) : state_(seed) {}

  // Replaces *out with the data object of task `n`:
  // {"text":"<random words>","source":"bench","n":<n>}, about 190 bytes.
  // Calls must come in the same order (n = 1, 2, ...) for the same text.
  void Data(int64_t n, std::string* out) {
    out->assign(R"({"text":")");
    // 140-159 characters of text: a ~200-byte import line with the wrapper.
    const size_t text_end = out->size() + 140 + Next() % 20;
    while (out->size() < text_end) {
      if (out->back() != '"') out->push_back(' ');
      out->append(kWords[Next() % kWords.size()]);
    }
    out->append(R"(","source":"bench","n":)");
    out->append(std::to_string(n));
    out->push_back('}');
  }

  // Replaces *out with the JSONL import line of task `n` (with its newline).
  void ImportLine(int64_t n, std::string* out) {
    Data(n, &data_);
    out->assign(R"({"data":)");
    out->append(data_);
    out->append("}\n");
  }

 private:
  // splitmix64: fast, and the same sequence on every platform.
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  static constexpr std::array<std::string_view, 32> kWords = {
      "label",  "review",  "river",   "quiet",  "signal", "orange",  "window", "battery",
      "across", "gentle",  "market",  "pixel",  "sudden", "harbor",  "number", "yellow",
      "forest", "compact", "delight", "ticket", "random", "mirror",  "planet", "cotton",
      "arrow",  "shallow", "garden",  "rocket", "silver", "thunder", "velvet", "zebra"};

  uint64_t state_;
  std::string data_;
};

}  // namespace plumb::bench
