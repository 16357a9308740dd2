#!/usr/bin/env bash
# Builds the importer fuzz targets with clang in build-fuzz/ and runs each on
# its seed corpus for SECONDS (default 60). New inputs go to build-fuzz/corpus;
# crashes to build-fuzz/crashes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPLUMB_FUZZ=ON >/dev/null
ninja -C build-fuzz plumb_fuzz_jsonl plumb_fuzz_json_array plumb_fuzz_csv plumb_fuzz_labels plumb_fuzz_bakeoff
for name in jsonl json_array csv labels bakeoff; do
  dict=fuzz/json.dict
  [ "$name" = csv ] && dict=fuzz/csv.dict
  mkdir -p "build-fuzz/corpus/$name" build-fuzz/crashes
  echo "== plumb_fuzz_$name for ${seconds}s"
  "build-fuzz/fuzz/plumb_fuzz_$name" -max_total_time="$seconds" -dict="$dict" \
    -artifact_prefix=build-fuzz/crashes/ "build-fuzz/corpus/$name" "fuzz/corpus/$name"
done
