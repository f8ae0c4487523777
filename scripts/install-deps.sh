#!/usr/bin/env bash
# Installs the Debian packages the project needs, if any is missing. As root it installs
# them; otherwise it names them and stops.
set -euo pipefail
packages=(libzmq3-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libpng-dev libtiff-dev libjpeg-dev
          libopenblas-dev libsqlite3-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "installing missing packages: ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "error: missing Debian packages: ${missing[*]}" >&2
        echo "install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
if ! command -v swift >/dev/null; then
    echo "error: swift is not on PATH (Swift 6.0 or newer is needed: https://swift.org/install)" >&2
    exit 1
fi
