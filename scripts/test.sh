#!/usr/bin/env bash
# Every set-up step the test suite needs on a fresh machine, then lint, types, the suite with the
# notebooks, and the API and engine tests again on the lowest dependency versions pyproject allows.
# Safe to run again. With arguments, only pytest runs, with them (`bash scripts/test.sh tests/api -x`).
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
if [ $# -gt 0 ]; then
  exec python3 -m pytest "$@"
fi

step() { printf '\n== %s (%d min %d s)\n' "$1" $((SECONDS / 60)) $((SECONDS % 60)); }
SECONDS=0

# The oldest release of every direct dependency pyproject allows (`name==floor`), in a venv of its
# own, kept between runs under the cache dir (keyed by the floors and the Python version). It is
# built in the background (mostly downloading) while lint and the suite run.
lowest=$(mktemp)
lowest_log=$(mktemp)
python3 scripts/lowest_constraints.py >"$lowest"
key=$( (python3 -VV; cat "$lowest") | sha256sum | cut -c1-16)
venv="${XDG_CACHE_HOME:-$HOME/.cache}/nemo-nb/lowest-$key"
build_lowest() {
  [ -f "$venv/.complete" ] && return 0
  rm -rf "$venv"
  # A Python without ensurepip (Debian's, lacking python3-venv) gets virtualenv instead.
  python3 -m venv "$venv" 2>/dev/null || {
    rm -rf "$venv"
    python3 -m pip install -q --disable-pip-version-check virtualenv
    python3 -m virtualenv -q "$venv"
  }
  # Wheels only: a floor without a wheel for this Python is not one anyone installs quickly.
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: \
    -r "$lowest" pytest pytest-asyncio pytest-timeout hypothesis
  touch "$venv/.complete"
}
build_lowest >"$lowest_log" 2>&1 &
builder=$!
trap 'kill "$builder" 2>/dev/null || true; rm -f "$lowest" "$lowest_log"' EXIT

step "ruff check, ruff format --check, mypy"
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy  # files and settings: [tool.mypy] in pyproject.toml

step "the test suite and the notebooks"
# Two workers, each test file whole on one (files share engines, servers and browsers).
python3 -m pytest -n 2 --dist loadfile --nbmake --nbmake-timeout=300 tests notebooks

step "API and engine tests on the lowest allowed dependency versions"
if ! wait "$builder"; then
  cat "$lowest_log" >&2
  echo "error: could not install the lowest allowed versions (above)" >&2
  exit 1
fi
echo "lowest: $(paste -sd' ' "$lowest")"
# The package itself from this checkout (no install): the engine child process inherits the path.
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$venv/bin/python" -m pytest -q tests/api tests/engine
step "all done"
