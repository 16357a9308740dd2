// plumb_bench_gen_tasks: writes the benchmarks' JSONL import file.
//
//   plumb_bench_gen_tasks --rows N --out FILE
//
// Prints one key=value line: lines, bytes, avg_line_bytes.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "bench/task_text.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: plumb_bench_gen_tasks --rows N --out FILE\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t rows = 0;
  std::string out_path;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--rows") == 0) {
      rows = std::atoll(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--out") == 0) {
      out_path = argv[i + 1];
    } else {
      return Usage();
    }
  }
  if (rows <= 0 || out_path.empty() || argc % 2 == 0) return Usage();

  std::FILE* out = std::fopen(out_path.c_str(), "wb");
  if (out == nullptr) {
    std::perror(out_path.c_str());
    return 1;
  }
  // 1 MiB of stdio buffer: the file is written in large sequential chunks.
  static char buffer[1 << 20];
  std::setvbuf(out, buffer, _IOFBF, sizeof buffer);
  plumb::bench::TaskTextGenerator generator;
  std::string line;
  uint64_t bytes = 0;
  for (int64_t n = 1; n <= rows; ++n) {
    generator.ImportLine(n, &line);
    std::fwrite(line.data(), 1, line.size(), out);
    bytes += line.size();
  }
  if (std::fclose(out) != 0) {
    std::perror(out_path.c_str());
    return 1;
  }
  std::printf("lines=%lld bytes=%llu avg_line_bytes=%.1f\n", static_cast<long long>(rows),
              static_cast<unsigned long long>(bytes), static_cast<double>(bytes) / rows);
  return 0;
}
