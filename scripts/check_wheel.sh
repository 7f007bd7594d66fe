#!/usr/bin/env bash
# A wheel that installs clean: build the sdist and the wheel (the wheel from the sdist, so a
# file missing from the sdist fails here), `twine check --strict` them, install the wheel into a
# FRESH virtual environment (torch first, CPU), and run scripts/wheel_smoke.py there from outside
# the source tree. Any failure: non-zero exit. Everything happens in a temp dir, removed at exit.
#
#   PYTHON      a Python with `build` and `twine` (make wheel passes .venv/bin/python)
#   TORCH_SPEC  what to install as torch first (default torch==2.13.0)
#   KEEP=1      keep the temp dir (printed) for inspection
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${TORCH_SPEC:-torch==2.13.0}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/rnninit-wheel.XXXXXX")"
if [[ "${KEEP:-0}" == 1 ]]; then echo "temp dir kept: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
start=$SECONDS
step() { echo "== [$((SECONDS - start))s] $*"; }

step "build sdist and wheel"
if ! "$PYTHON" -m build --outdir "$WORK/dist" "$ROOT" >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log"
    exit 1
fi
# setuptools' deprecation warnings (e.g. a license table instead of an SPDX string) fail here
if grep -E "SetuptoolsDeprecationWarning|is deprecated" "$WORK/build.log"; then
    echo "the build warns about deprecated metadata (above)" >&2
    exit 1
fi
shopt -s nullglob
wheels=("$WORK"/dist/*.whl)
sdists=("$WORK"/dist/*.tar.gz)
if [[ ${#wheels[@]} -ne 1 || ${#sdists[@]} -ne 1 ]]; then
    echo "expected one wheel and one sdist, got: $(ls "$WORK/dist")" >&2
    exit 1
fi
WHEEL="${wheels[0]}"
echo "built $(basename "${sdists[0]}") and $(basename "$WHEEL")"

step "twine check --strict"
"$PYTHON" -m twine check --strict "$WHEEL" "${sdists[0]}"

step "fresh venv: $TORCH_SPEC, then the wheel"
"$PYTHON" -m venv "$WORK/venv"
VPY="$WORK/venv/bin/python"
# --no-compile: byte-compiling all of torch doubles the install time; imports compile what they use
"$VPY" -m pip install --quiet --disable-pip-version-check --no-compile "$TORCH_SPEC"
"$VPY" -m pip install --quiet --disable-pip-version-check "$WHEEL"
"$VPY" -m pip check

step "smoke test outside the source tree"
cd "$WORK"
"$VPY" -I "$ROOT/scripts/wheel_smoke.py" "$WHEEL" "$WORK/venv"
"$WORK/venv/bin/rnninit" --version

step "wheel check passed"
