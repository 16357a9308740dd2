// libFuzzer target: the CSV importer.

#include "fuzz/fuzz_import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace plumb;
  fuzz::Outcome outcome = fuzz::CheckImport(io::ImportFormat::kCsv, data, size);
  // Every task is an object of strings (the header's columns).
  for (const store::NewTask& task : outcome.tasks) {
    nlohmann::json j = nlohmann::json::parse(task.data_json);
    for (const auto& item : j.items()) {
      if (!item.value().is_string()) fuzz::Fail("CSV value not a string", task.data_json);
    }
  }
  return 0;
}
