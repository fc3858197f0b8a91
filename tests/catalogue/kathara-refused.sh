#!/bin/bash
# A Kathara lab whose devices need images umlab cannot run (P4's bmv2 switch, Open vSwitch) is
# refused by 'umlab import' and by 'umlab test': non-zero exit, nothing booted, and an error that
# names every such image, so the teacher knows why.
# Usage: kathara-refused.sh UMLAB LAB_DIR IMAGE...
set -u
umlab=$1 lab=$2
shift 2
fail() { echo "FAILED: $*"; exit 1; }
work=$(mktemp -d)
out=$("$umlab" import "$lab" -o "$work/lab.yaml" 2>&1 >/dev/null)
status=$?
rm -rf "$work"
echo "umlab import $lab: exit $status"
echo "$out"
[ "$status" != 0 ] || fail "umlab import accepted a lab it cannot run"
[ "$status" = 1 ] || fail "umlab import exited $status, expected 1 (an input error)"
for image in "$@"; do
  grep -q "error: .*'$image'" <<<"$out" || fail "no error names the image '$image'"
done
grep -q "lab.conf:[0-9]" <<<"$out" || fail "the error does not point at the lab.conf line"
echo "kathara-refused: ok"
