#!/bin/bash
# How many labs of Kathara's public catalogue (github.com/KatharaFramework/Kathara-Labs, main-labs/)
# umlab imports, boots and passes a check of what each teaches, with the reason for every one that
# does not.
#
# usage: run.sh [--validate] CATALOGUE_DIR [LAB...]
#
# LAB is a lab directory relative to CATALOGUE_DIR (as in 'basic-topics/arp/kathara-lab_arp');
# without one, every directory under CATALOGUE_DIR with a lab.conf. For each lab:
#   1. 'umlab import LAB' (pass/fail, and the first error);
#   2. labs using P4, SDN or POX images are expected to be refused with an error naming the image:
#      that is their outcome, and nothing is booted;
#   3. 'umlab test' with checks/<path with / as __>.tests.yaml, whose 'lab:' (a path relative to
#      the catalogue) is rewritten to the absolute lab directory in a temporary copy;
#   4. 'umlab down' of the lab, in case the test was interrupted.
# --validate stops after 'umlab validate' of each generated tests file, booting nothing (no root).
#
# Results go to $OUT (default ./kathara-catalogue-results): results.csv, a log per lab, and the
# summary table, which is also printed. Environment: UMLAB (the umlab binary; default the one in
# the build directory, else PATH), UMLAB_STATE_DIR (default $OUT/state, so that the runs never meet
# other labs), LAB_TIMEOUT (seconds per lab, default 900).
set -u
here=$(cd "$(dirname "$0")" && pwd)
validateOnly=0
if [ "${1:-}" = --validate ]; then validateOnly=1; shift; fi
[ $# -ge 1 ] || { echo "usage: run.sh [--validate] CATALOGUE_DIR [LAB...]" >&2; exit 2; }
catalogue=$(cd "$1" && pwd) || { echo "run.sh: no directory $1" >&2; exit 2; }
shift
umlab=${UMLAB:-}
if [ -z "$umlab" ]; then
  if [ -x "$here/../../build/bin/umlab" ]; then umlab=$here/../../build/bin/umlab; else umlab=$(command -v umlab); fi
fi
[ -x "$umlab" ] || { echo "run.sh: no umlab binary (set UMLAB)" >&2; exit 2; }
out=${OUT:-$PWD/kathara-catalogue-results}
mkdir -p "$out/logs" "$out/tests"
export UMLAB_STATE_DIR=${UMLAB_STATE_DIR:-$out/state}
labTimeout=${LAB_TIMEOUT:-900}

if [ $# -gt 0 ]; then
  labs=("$@")
else
  mapfile -t labs < <(cd "$catalogue" && find . -name lab.conf -printf '%h\n' | sed 's|^\./||' | sort)
fi

csv=$out/results.csv
echo "lab,import,boot,checks_passed,checks_total,seconds,reason" > "$csv"
csvField() { local s=${1//\"/\"\"}; printf '"%s"' "${s//$'\n'/ }"; }

for lab in "${labs[@]}"; do
  lab=${lab%/}
  dir=$catalogue/$lab
  id=${lab//\//__}
  log=$out/logs/$id.log
  : > "$log"
  start=$(date +%s)
  import=fail boot=- passed=0 total=0 reason=
  if [ ! -f "$dir/lab.conf" ]; then
    reason="no lab.conf in $dir"
  else
    "$umlab" import "$dir" -o "$out/tests/$id.yaml" > "$log" 2> "$log.import-err"
    importStatus=$?
    cat "$log.import-err" >> "$log"
    firstError=$(grep -m1 'error:' "$log.import-err")
    [ "$importStatus" = 0 ] && import=pass
    refusedImages=$(grep -oE '\[image\] *= *"?kathara/(p4|sdn|pox)[^"]*' "$dir/lab.conf" | sed -E 's/.*"?(kathara\/[a-z0-9]+).*/\1/' | sort -u)
    checks=$here/checks/$id.tests.yaml
    if [ -n "$refusedImages" ]; then
      # Expected: refused, by an error that names the image.
      missing=
      for image in $refusedImages; do
        grep -q "error: .*'$image" "$log.import-err" || missing="$missing $image"
      done
      if [ "$import" = fail ] && [ -z "$missing" ]; then
        reason="refused as expected ($(echo $refusedImages)): $firstError"
        passed=1 total=1
      elif [ "$import" = pass ]; then
        reason="expected a refusal naming $(echo $refusedImages), but the import succeeded"
        total=1
      else
        reason="refused, but no error names$missing: $firstError"
        total=1
      fi
    elif [ "$import" = fail ]; then
      reason="import: ${firstError:-exit $importStatus}"
    elif [ ! -f "$checks" ]; then
      reason="no checks file $checks"
    else
      tests=$out/tests/$id.tests.yaml
      sed -E "s|^lab:.*|lab: $dir|" "$checks" > "$tests"
      if [ "$validateOnly" = 1 ]; then
        # 'umlab validate' reads a topology, not a lab directory: check against the import.
        sed -i -E "s|^lab:.*|lab: $out/tests/$id.yaml|" "$tests"
        "$umlab" validate "$tests" >> "$log" 2>&1 && boot=valid || { boot=invalid; reason="validate: $(grep -m1 'error:' "$log")"; }
      else
        timeout -k 30 "$labTimeout" "$umlab" test "$tests" >> "$log" 2>&1
        testStatus=$?
        name=$(sed -nE 's/^lab ([^:]+): (booting|already running).*/\1/p' "$log" | head -1)
        summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
        if grep -qE "^FAIL  lab .* boots$" "$log"; then
          boot=fail
          reason="boot: $(grep -A3 -E '^FAIL  lab .* boots$' "$log" | sed -n 2,4p | tr -s ' ' | tr '\n' ' ')"
        elif [ -n "$summary" ]; then
          boot=pass
          passed=${summary%% passed*}
          failedCount=$(sed -E 's/.* passed, ([0-9]+) failed.*/\1/' <<<"$summary")
          total=$((passed + failedCount))
          [ "$failedCount" = 0 ] || reason="failed: $(grep -E '^FAIL  ' "$log" | sed 's/^FAIL  //; s/  *(.*//' | paste -sd ';' -)"
        elif [ "$testStatus" = 124 ] || [ "$testStatus" = 137 ]; then
          reason="timed out after ${labTimeout}s"
        else
          reason="umlab test exited $testStatus: $(grep -m1 'error:' "$log")"
        fi
        [ -n "$name" ] && "$umlab" down "$name" >> "$log" 2>&1
      fi
    fi
  fi
  seconds=$(( $(date +%s) - start ))
  rm -f "$log.import-err"
  { printf '%s,%s,%s,%s,%s,%s,' "$(csvField "$lab")" "$import" "$boot" "$passed" "$total" "$seconds"; csvField "$reason"; echo; } >> "$csv"
  printf '%-100s %s\n' "$lab" "import $import, boot $boot, $passed/$total, ${seconds}s" >&2
done

# The summary table.
{
  printf '%-95s %-6s %-7s %-7s %5s  %s\n' lab import boot checks s reason
  tail -n +2 "$csv" | python3 -c '
import csv, sys
for lab, imp, boot, p, t, s, reason in csv.reader(sys.stdin):
    checks = p + "/" + t
    print(f"{lab:<95} {imp:<6} {boot:<7} {checks:<7} {s:>5}  {reason[:200]}")
'
  python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
imported = sum(r["import"] == "pass" for r in rows)
booted = sum(r["boot"] == "pass" for r in rows)
passing = sum(r["checks_total"] != "0" and r["checks_passed"] == r["checks_total"] for r in rows)
print(f"\n{len(rows)} labs: {imported} imported, {booted} booted, {passing} passed every check "
      f"(refusals of P4/SDN/POX labs count as passed when the error names the image)")
PY
} | tee "$out/summary.txt"
