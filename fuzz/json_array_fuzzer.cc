// libFuzzer target: the JSON array importer.

#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumb;
  fuzz::Outcome outcome = fuzz::CheckImport(io::ImportFormat::kJsonArray, data, size);
  if (!outcome.result.ok()) return 0;
  // The splitter plus per-element parsing must not accept what a whole-document parser rejects.
  std::string_view input = fuzz::WithoutBom({reinterpret_cast<const char*>(data), size});
  if (!nlohmann::json::accept(input))
    fuzz::Fail("accepted an array nlohmann rejects", std::string(input));
  return 0;
}
