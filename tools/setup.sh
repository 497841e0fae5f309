#!/usr/bin/env bash
# Sets up whatever is missing to build and test LearnKit, and skips what is already there (run it as often as
# you like): the C++ compiler, glslangValidator, Python's venv module (apt, as root or with sudo), a virtual
# environment .venv with requirements-dev.txt (reinstalled only when that file changes), and Godot 4.6 with
# Mesa's CPU Vulkan driver (tools/provision_godot.sh; skipped when $GODOT or a godot >= 4.5 on PATH exists).
# Source it to get the venv active in your shell; tools/demo and tools/test run it for you.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
need=()
command -v g++ >/dev/null || need+=(g++)
# glslangValidator: the build compiles every GPU kernel to SPIR-V with it (site_scons/spirv_build.py).
[ -n "${GLSLANG_VALIDATOR:-}" ] || command -v glslangValidator >/dev/null || need+=(glslang-tools)
# Debian's python3 comes without venv/ensurepip unless python3-venv is installed.
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}" >&2
  $sudo_cmd apt-get update -qq >&2
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi

# Debian's system Python refuses pip installs (PEP 668): a virtual environment, made once.
[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.requirements-dev.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements-dev.txt into .venv" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2
  .venv/bin/python -m pip install --quiet -r requirements-dev.txt >&2
  echo "$want" > "$stamp"
fi

# Godot: tools/godot prefers $GODOT, then a godot >= 4.5 on PATH; provision one only when neither exists.
own_godot() {
  local v
  v=$(godot --headless --version 2>/dev/null | head -n 1) || return 1
  [[ $v =~ ^([0-9]+)\.([0-9]+) ]] && { [ "${BASH_REMATCH[1]}" -gt 4 ] || [ "${BASH_REMATCH[2]}" -ge 5 ]; }
}
if [ -z "${GODOT:-}" ] && ! { command -v godot >/dev/null && own_godot; }; then
  echo "setup: Godot runtime at $(tools/provision_godot.sh)" >&2
fi
