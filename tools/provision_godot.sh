#!/usr/bin/env bash
# Provisions Godot 4.6 (Debian unstable build) with Mesa's CPU Vulkan driver (lavapipe) into a private root
# outside the repository, once. Debian 12 has only Godot 3, and the unstable build needs a newer C library
# than the host's, so it runs through the root's own dynamic loader (see tools/godot).
# Prints the root's path on stdout. Needs root (or sudo) for apt and mmdebstrap.
#   LEARNKIT_CACHE  where the root goes (default: ${XDG_CACHE_HOME:-$HOME/.cache}/learnkit)
set -euo pipefail
cache=${LEARNKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/learnkit}
root=$cache/godot-root
if [ -x "$root/usr/bin/godot" ] && [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi

sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
need=""
command -v mmdebstrap >/dev/null || need="$need mmdebstrap"
command -v Xvfb >/dev/null || need="$need xvfb"
if [ -n "$need" ]; then
  echo "provision_godot: installing$need" >&2
  $sudo_cmd apt-get update -qq >&2 || true
  # shellcheck disable=SC2086
  $sudo_cmd apt-get install -y -qq $need >&2
fi
mkdir -p "$cache"
rm -rf "$root.partial"
echo "provision_godot: building a private Debian unstable root with godot + mesa-vulkan-drivers (about a minute)" >&2
# The registry's snapshot of unstable is frozen, so its Release file is "expired": skip that check.
$sudo_cmd mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
  --include=godot,mesa-vulkan-drivers sid "$root.partial" >&2
rm -rf "$root"
mv "$root.partial" "$root"
touch "$root/.complete"
echo "$root"
