#!/bin/bash
# A saved lab's timeline goes on where it was when the lab is resumed: the steps played before
# the save are not played again, the links they changed are as they left them, and the later
# steps come at their times. Usage: save-resume.sh UMLAB WORK_DIR (UMLAB_STATE_DIR set by CTest)
set -u
umlab=$1 work=$2
rm -rf "$work"; mkdir -p "$work/data"
export UMLAB_DATA_DIR=$work/data
lab=tl-resume
cleanup() { "$umlab" down "$lab" >/dev/null 2>&1; "$umlab" down --saved "$lab" >/dev/null 2>&1; }
fail() { echo "FAILED: $*"; cleanup; exit 1; }
cat >"$work/lab.yaml" <<'YAML'
name: tl-resume
defaults: {memory: 64M}
nodes: {a: {}, b: {}}
segments: {lan: {}}
links:
  - {endpoints: [a:eth0, lan], ip: 10.8.1.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.8.1.2/24}
timeline:
  - {at: 1s, link: a:eth0, down: true}
  - {at: 1s, node: a, run: "echo early >> /root/timeline.log"}
  - {at: 8s, node: a, run: "echo late >> /root/timeline.log"}
YAML
"$umlab" up "$work/lab.yaml" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "umlab up"; }
for _ in $(seq 1 50); do
  "$umlab" ps "$lab" 2>/dev/null | grep -q "2 of 3 steps done" && break
  sleep 0.2
done
"$umlab" save "$lab" >"$work/save.log" 2>&1 || { cat "$work/save.log"; fail "umlab save"; }
grep -q '"timelineMs": ' "$work/data/saved/$lab/saved.json" || fail "saved.json does not say how far the timeline was"
"$umlab" resume "$lab" >"$work/resume.log" 2>&1 || { cat "$work/resume.log"; fail "umlab resume"; }
timeout 30 "$umlab" events "$lab" --format json >"$work/events.json" 2>&1 &
watcher=$!
for _ in $(seq 1 20); do # the switch's ports as it answers next
  "$umlab" ps "$lab" >"$work/ps-resumed.txt" 2>&1
  grep -q "link a:eth0 in=down" "$work/ps-resumed.txt" && break
  sleep 0.2
done
for _ in $(seq 1 100); do
  grep -q '"step": 3, .*"state": "done"' "$work/events.json" && break
  sleep 0.2
done
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
log=$("$umlab" exec "$lab" a -- cat /root/timeline.log 2>&1)
"$umlab" down "$lab" >/dev/null 2>&1 || fail "umlab down"
cat "$work/ps-resumed.txt"; grep '"timeline"' "$work/events.json"; echo "a's /root/timeline.log: $log"
grep -q "^timeline: .* 2 of 3 steps done; next at 8.0 s: a: echo late" "$work/ps-resumed.txt" ||
  fail "the resumed lab's timeline did not go on from where it was saved"
grep -q "link a:eth0 in=down out=down" "$work/ps-resumed.txt" || fail "a:eth0 is not down again after the resume"
grep -q '"step": [12], ' "$work/events.json" && fail "a step played before the save was played again"
grep -q '"step": 3, .*"state": "done"' "$work/events.json" || fail "the step after the save did not come"
[ "$log" = "$(printf 'early\nlate')" ] || fail "a's log should read 'early' then 'late', once each: '$log'"
[ -e "$UMLAB_STATE_DIR/$lab" ] && fail "down left $UMLAB_STATE_DIR/$lab"
echo "timeline save and resume: ok"
