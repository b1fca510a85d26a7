#!/usr/bin/env bash
# Fuzzes the native core with libFuzzer (ASan + UBSan): builds build/fuzz with clang++ and
# runs each target for FUZZ_SECONDS (default 60), one after the other, on a working copy
# of its seed corpus (build/fuzz/corpus/<target>; the committed seeds are never changed).
# Exits non-zero when any target finds a crash, a sanitizer report or a hang; the input
# is left in build/fuzz/artifacts/<target>/. Usage: scripts/fuzz.sh [target...]
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
((${#targets[@]})) || targets=(fuzz_events fuzz_queries fuzz_frames fuzz_store_open fuzz_reducer fuzz_index)
declare -A max_len=([fuzz_events]=4096 [fuzz_queries]=512 [fuzz_frames]=4096 [fuzz_store_open]=8192 [fuzz_index]=65536)

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  sudo_cmd=""
  [[ $(id -u) == 0 ]] || sudo_cmd="sudo"
  echo "fuzz: installing clang and libclang-rt-14-dev (Debian packages)"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq clang libclang-rt-14-dev >/dev/null
fi

cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=clang++ -DATOMSERVICES_FUZZ=ON >/dev/null
cmake --build build/fuzz --target "${targets[@]}" -j2 >/dev/null

failed=()
summary=()
for target in "${targets[@]}"; do
  work="build/fuzz/corpus/$target" artifacts="build/fuzz/artifacts/$target/" log="build/fuzz/$target.log"
  mkdir -p "$work" "$artifacts"
  cp -n tests/fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
  echo "fuzz: $target for ${seconds}s"
  dict=()
  [[ $target == fuzz_events || $target == fuzz_queries || $target == fuzz_reducer ]] && dict=(-dict=tests/fuzz/json.dict)
  status=0
  "build/fuzz/$target" "$work" "${dict[@]}" -max_total_time="$seconds" -max_len="${max_len[$target]:-4096}" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" >"$log" 2>&1 || status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || echo "?")
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' <<<"$last" | cut -d' ' -f2 || echo "?")
  result=ok
  if ((status != 0)); then
    result="FAILED (exit $status, see $log)"
    failed+=("$target")
    grep -E 'ERROR: |runtime error|SUMMARY|Test unit written' "$log" | head -5 || true
  fi
  summary+=("$(printf '%-16s %12s %8s %8s %14s  %s' "$target" "$runs" "$cov" "$ft" "$corpus" "$result")")
done

echo
printf '%-16s %12s %8s %8s %14s  %s\n' target executions cov ft corpus result
printf '%s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
