#!/usr/bin/env bash
# Provisions Godot 4.6 (Debian unstable build) with Mesa's CPU Vulkan driver (lavapipe) and the Linux export
# templates into a private root outside the repository, once (a root made before the templates were needed
# gets them added). Debian 12 has only Godot 3, and the unstable build needs a newer C library than the
# host's, so it runs through the root's own dynamic loader (see tools/godot).
# Prints the root's path on stdout. Needs root (or sudo) for apt and mmdebstrap.
#   LEARNKIT_CACHE  where the root goes (default: ${XDG_CACHE_HOME:-$HOME/.cache}/learnkit)
set -euo pipefail
cache=${LEARNKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/learnkit}
root=$cache/godot-root
# Export templates (Debian's godot-template-*, plain executables) let tests/test_export.py export a game;
# patchelf lets tools/godot --exported run that game's executable against this root's C library.
templates="godot-template-debug godot-template-release"
have_templates() { [ -x "$root/usr/bin/godot-template-debug" ] && [ -x "$root/usr/bin/godot-template-release" ]; }
complete() { [ -x "$root/usr/bin/godot" ] && [ -f "$root/.complete" ]; }
if complete && have_templates && command -v Xvfb >/dev/null && command -v patchelf >/dev/null; then
  echo "$root"
  exit 0
fi

sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
need=""
complete || command -v mmdebstrap >/dev/null || need="$need mmdebstrap"
command -v Xvfb >/dev/null || need="$need xvfb"
command -v patchelf >/dev/null || need="$need patchelf"
if [ -n "$need" ]; then
  echo "provision_godot: installing$need" >&2
  $sudo_cmd apt-get update -qq >&2 || true
  # shellcheck disable=SC2086
  $sudo_cmd apt-get install -y -qq $need >&2
fi
# The registry's snapshot of unstable is frozen, so its Release file is "expired": skip that check.
no_expiry=(-o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false)
if complete; then
  if ! have_templates; then  # A root provisioned before the templates were needed: add them in place.
    echo "provision_godot: adding $templates to $root" >&2
    [ -f /etc/resolv.conf ] && $sudo_cmd cp /etc/resolv.conf "$root/etc/resolv.conf"
    $sudo_cmd chroot "$root" apt-get "${no_expiry[@]}" update -qq >&2
    # shellcheck disable=SC2086
    $sudo_cmd chroot "$root" apt-get "${no_expiry[@]}" install -y -qq $templates >&2
  fi
  echo "$root"
  exit 0
fi
mkdir -p "$cache"
rm -rf "$root.partial"
echo "provision_godot: building a private Debian unstable root with godot + mesa-vulkan-drivers (about a minute)" >&2
$sudo_cmd mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
  --include="godot,mesa-vulkan-drivers,${templates// /,}" sid "$root.partial" >&2
rm -rf "$root"
mv "$root.partial" "$root"
touch "$root/.complete"
echo "$root"
