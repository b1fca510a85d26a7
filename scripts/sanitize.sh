#!/usr/bin/env bash
# Builds the native core and its Catch2 suite with AddressSanitizer and
# UndefinedBehaviorSanitizer (build/asan, clang++ when installed, else g++) and runs the
# suite under CTest. Any sanitizer report stops the test that made it, and fails this script.
set -euo pipefail
cd "$(dirname "$0")/.."

compiler=g++
command -v clang++ >/dev/null && compiler=clang++
# ATOMSERVICES_SANITIZE sets the flags for targets defined after it; CMAKE_CXX_FLAGS also
# covers atomservices_core, which CMakeLists.txt defines before native.cmake is included.
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$compiler" \
  -DATOMSERVICES_SANITIZE=ON -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build build/asan -j2 >/dev/null

export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
ctest --test-dir build/asan --output-on-failure -j2
