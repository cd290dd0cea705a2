#!/usr/bin/env bash
# Every set-up step the test suite needs on a fresh machine, then the suite itself.
# Safe to run again. Extra arguments go to pytest (e.g. `bash scripts/test.sh tests/api -x`).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: Chromium for the browser test (Playwright drives it; it never downloads its own),
# and a CJK-capable font so titles in Chinese render (the renderer falls back to it).
apt_packages=(chromium fonts-wqy-microhei)
missing=()
for pkg in "${apt_packages[@]}"; do
  # "install ok installed" only: a removed package whose config files remain still passes `dpkg -s`.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else sudo=none; fi
  if [ "$sudo" != none ] && command -v apt-get >/dev/null; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: need root (or sudo) and apt-get to install: ${missing[*]}" >&2
    exit 1
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e ".[test]"
exec python3 -m pytest "$@"
