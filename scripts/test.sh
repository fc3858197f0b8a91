#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest.
# Usage: scripts/test.sh [extra ctest arguments, e.g. -R lab]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

install_packages "${UMLAB_PACKAGES[@]}"
configure_and_build
say "running the tests"
cd "$UMLAB_BUILD"
ctest --output-on-failure -j "$(nproc)" "$@"
