#!/usr/bin/env bash
# Installs the system packages quotad needs (Debian/Ubuntu): hiredis headers and library, redis-server
# (embedded mode and tests), redis-tools (redis-benchmark, redis-cli), and what callers name (the test command:
# faketime, influxdb, chromium, chromium-driver, fonts-dejavu-core).
# Installs only what is missing; needs root (or sudo) when something is missing.
set -euo pipefail
packages=(redis-server redis-tools libhiredis-dev pkg-config curl "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
