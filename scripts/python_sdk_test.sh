#!/usr/bin/env bash
# The Python SDK's checks: installs clients/python and its pinned test tools (clients/python/constraints.txt),
# runs mypy --strict over the package, then its pytest suite against a real redis-server and quotad
# ($QUOTAD_BIN, default .build/release/quotad). Non-interactive; exits non-zero on
# any failure. The JUnit report goes to $PYTHON_SDK_JUNIT (default: a file in $TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
SDK=clients/python
CONSTRAINTS="$PWD/$SDK/constraints.txt"
export PIP_CONSTRAINT="$CONSTRAINTS"        # also pins the isolated build environment (hatchling)
export PIP_NO_INPUT=1
if [ -z "${QUOTAD_BIN:-}" ]; then
  for candidate in .build/release/quotad; do
    if [ -x "$candidate" ]; then QUOTAD_BIN="$candidate"; break; fi
  done
fi
: "${QUOTAD_BIN:?no quotad binary: set QUOTAD_BIN}"
[ -x "$QUOTAD_BIN" ] || { echo "python_sdk_test: QUOTAD_BIN=$QUOTAD_BIN is not an executable" >&2; exit 1; }
QUOTAD_BIN="$(cd "$(dirname "$QUOTAD_BIN")" && pwd)/$(basename "$QUOTAD_BIN")"
export QUOTAD_BIN
JUNIT="${PYTHON_SDK_JUNIT:-${TMPDIR:-/tmp}/quotad-python-sdk-junit.xml}"

# A fresh virtual environment per run keeps the pins away from the machine's other Python tools (and
# stale installs away from the run); where venv is unavailable, the interpreter itself is used.
VENV="$(mktemp -d "${TMPDIR:-/tmp}/quotad-python-sdk-venv.XXXXXX")"
trap 'rm -rf "$VENV"' EXIT
PY=python3
if python3 -m venv "$VENV" >/dev/null 2>&1; then
  PY="$VENV/bin/python3"
else
  echo "python_sdk_test: python3 -m venv unavailable, installing into $(command -v python3)" >&2
fi

echo "==> installing the SDK and its pinned test tools" >&2
"$PY" -m pip install --quiet --disable-pip-version-check -c "$CONSTRAINTS" "./$SDK" pytest mypy openai anthropic langchain-core litellm \
  fastapi uvicorn uvloop backoff orjson apscheduler pyjwt python-multipart cryptography pyyaml rq fastapi-sso pynacl \
  websockets semver expression mcp soundfile           # the LiteLLM proxy's server (tests/test_litellm_proxy.py)

echo "==> mypy --strict $SDK/src/quotad" >&2
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --cache-dir=/dev/null "$SDK/src/quotad"
# the tests too, against the installed package: the public API's types are what callers check against
"$PY" -m mypy --config-file "$SDK/pyproject.toml" --strict --cache-dir=/dev/null "$SDK/tests"

echo "==> pytest $SDK/tests (QUOTAD_BIN=$QUOTAD_BIN)" >&2
# every test bounds its own waits; this bounds the whole run
timeout --kill-after=30 900 "$PY" -m pytest "$SDK/tests" -q -p no:cacheprovider --junitxml="$JUNIT"
