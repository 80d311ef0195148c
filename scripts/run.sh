#!/usr/bin/env bash
# The run command: installs what is missing, builds quotad in release mode and serves on :8080.
# Without QUOTAD_REDIS_URL it starts and supervises its own redis-server (data in ./data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product quotad
exec .build/release/quotad serve "$@"
