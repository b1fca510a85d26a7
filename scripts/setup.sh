#!/usr/bin/env bash
# Installs what building and testing atomservices needs, when it is missing:
# Debian packages (Emscripten, nlohmann-json, Catch2, CMake, a C++ compiler, Chromium for
# the browser tests) and the npm dev dependencies. Elsewhere it says what to install.
set -euo pipefail
cd "$(dirname "$0")/.."

need_packages=()
have() { command -v "$1" >/dev/null 2>&1; }
have em++ || need_packages+=(emscripten)
have cmake || need_packages+=(cmake)
have g++ || need_packages+=(g++)
[[ -d /usr/include/nlohmann ]] || need_packages+=(nlohmann-json3-dev)
[[ -f /usr/include/catch2/catch.hpp ]] || need_packages+=(catch2)
have pkill || need_packages+=(procps)  # the browser kill test
if [[ "${ATOMSERVICES_SKIP_BROWSER:-0}" != 1 ]]; then
  have chromium || need_packages+=(chromium)
fi

if ((${#need_packages[@]})); then
  if have apt-get && [[ $(id -u) == 0 || -n $(command -v sudo) ]]; then
    sudo_cmd=""
    [[ $(id -u) == 0 ]] || sudo_cmd="sudo"
    echo "setup: installing ${need_packages[*]} (Debian packages)"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_packages[@]}" >/dev/null
  else
    echo "setup: missing ${need_packages[*]}." >&2
    echo "  On Debian/Ubuntu: apt-get install ${need_packages[*]}" >&2
    echo "  Elsewhere: install Emscripten (emsdk), CMake >= 3.16, a C++17 compiler," >&2
    echo "  nlohmann-json, Catch2 v2 and Chromium, then run npm test again." >&2
    exit 1
  fi
fi

# Every dev dependency, not a sample of them: a node_modules left half-installed must not pass.
if ! node -e 'const fs = require("fs"); for (const d of Object.keys(require("./package.json").devDependencies)) if (!fs.existsSync(`node_modules/${d}/package.json`)) process.exit(1)'; then
  echo "setup: installing npm dev dependencies"
  npm install --no-audit --no-fund --loglevel=error
fi
