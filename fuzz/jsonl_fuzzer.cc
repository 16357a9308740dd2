// libFuzzer target: the JSON Lines importer.

#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumb;
  fuzz::Outcome outcome = fuzz::CheckImport(io::ImportFormat::kJsonLines, data, size);
  if (!outcome.result.ok()) return 0;
  // Whatever simdjson accepted, nlohmann must accept too, line by line.
  std::string_view rest = fuzz::WithoutBom({reinterpret_cast<const char*>(data), size});
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!nlohmann::json::accept(line))
      fuzz::Fail("accepted a line nlohmann rejects", std::string(line));
  }
  return 0;
}
