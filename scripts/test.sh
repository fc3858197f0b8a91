#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest.
# Usage: scripts/test.sh [--stress] [extra ctest arguments, e.g. -R lab]
#   --stress  run the tests with every core kept busy by a CPU hog (one busy loop per core, at the
#             tests' own priority), as on a loaded CI runner or a shared server: a test that
#             races instead of waiting for a readiness signal shows up here. The build runs
#             first, without the hogs; the hogs end with the tests (or on Ctrl-C).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stress=0
if [[ "${1:-}" == "--stress" ]]; then
  stress=1
  shift
elif [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,8s/^# \{0,1\}//p' "$0"
  exit 0
fi

install_packages "${UMLAB_PACKAGES[@]}"
configure_and_build
cd "$UMLAB_BUILD"
if ((stress)); then
  hogs=()
  stop_hogs() { ((${#hogs[@]})) && kill "${hogs[@]}" 2>/dev/null; wait "${hogs[@]}" 2>/dev/null || true; }
  trap stop_hogs EXIT
  trap 'exit 130' INT TERM
  for ((i = 0; i < $(nproc); i++)); do
    bash -c 'while :; do :; done' &
    hogs+=($!)
  done
  say "running the tests under stress: $(nproc) CPU hogs (pids ${hogs[*]})"
else
  say "running the tests"
fi
started=$SECONDS
status=0
ctest --output-on-failure -j "$(nproc)" "$@" || status=$?
say "the tests took $((SECONDS - started)) s$( ((stress)) && echo ' under stress')"
exit "$status"
