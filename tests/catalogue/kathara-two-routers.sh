#!/bin/bash
# The Kathara lab two-routers, run on a copy so that what its devices write in /shared (the lab's
# shared/ directory) stays out of the source tree; then the one effect no check can see while the
# lab runs: pc2.shutdown ran at 'umlab down' (which 'umlab test' does when it is done).
# Usage: kathara-two-routers.sh UMLAB SOURCE_DIR WORK_DIR
set -u
umlab=$1 src=$2 work=$3
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
cp -r "$src/tests/data/kathara/two-routers" "$src/tests/data/kathara/two-routers.tests.yaml" "$work/" ||
  fail "cannot copy the lab to $work"
rm -f "$work/two-routers/shared/"*.startup-began "$work/two-routers/shared/pc2.shutdown-ran"
log=$work/test.log
"$umlab" test "$work/two-routers.tests.yaml" >"$log" 2>&1
status=$?
cat "$log"
[ "$status" = 0 ] || fail "umlab test exited $status"
marker=$work/two-routers/shared/pc2.shutdown-ran
[ -f "$marker" ] || fail "pc2.shutdown did not run at 'umlab down': no $marker"
grep -qx "pc2 shut down cleanly" "$marker" || fail "$marker holds '$(cat "$marker")', not what pc2.shutdown wrote"
echo "kathara-two-routers: ok"
