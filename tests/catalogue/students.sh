#!/bin/bash
# The DMZ lab's tests against two students' firewalls: a correct one passes every check; one
# with a deliberate mistake (FORWARD policy ACCEPT) fails the 'blocked' checks, and the report
# says why. Usage: students.sh UMLAB SOURCE_DIR WORK_DIR
set -u
umlab=$1 src=$2 work=$3
mkdir -p "$work"
csv=$work/students.csv log=$work/students.log
"$umlab" test "$src/topologies/dmz.tests.yaml" --students "$src/tests/data/students/dmz" -o "$csv" >"$log" 2>&1
status=$?
cat "$log" | grep -v '^  |'
echo "--- $csv"; cat "$csv"
fail() { echo "FAILED: $*"; exit 1; }
[ "$status" = 1 ] || fail "umlab test exited $status, expected 1 (one student failed)"
good=$(grep '^good,' "$csv") || fail "no row for student 'good'"
broken=$(grep '^broken,' "$csv") || fail "no row for student 'broken'"
[[ "$good" == *",11,0" ]] || fail "the correct firewall did not pass all 11 checks: $good"
[[ "$broken" == *",0" ]] && fail "the broken firewall passed everything: $broken"
header=$(head -1 "$csv")
IFS=, read -ra names <<<"$header"
IFS=, read -ra cells <<<"$broken"
for i in "${!names[@]}"; do
  case "${names[$i]}" in
    "the outside cannot ping the inside LAN"|"the outside cannot open connections into the inside LAN")
      [ "${cells[$i]}" = fail ] || fail "'${names[$i]}' did not fail for the broken firewall" ;;
    "the outside reaches the web server on port 80")
      [ "${cells[$i]}" = pass ] || fail "'${names[$i]}' should still pass for the broken firewall" ;;
  esac
done
grep -q "expected no way through, but it got through" "$log" || fail "the report does not say why a blocked check failed"
echo "students: ok"
