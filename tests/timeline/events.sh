#!/bin/bash
# A lab's timeline as its users see it: every step is an event of `umlab events` (started, then
# done or failed, with the step's detail), `umlab ps` says how far the timeline is, a step that
# cannot work fails visibly without stopping the lab, and `down` leaves nothing.
# Usage: events.sh UMLAB WORK_DIR   (UMLAB_STATE_DIR set by CTest)
set -u
umlab=$1 work=$2
rm -rf "$work"; mkdir -p "$work"
lab=tl-events
fail() { echo "FAILED: $*"; "$umlab" down "$lab" >/dev/null 2>&1; exit 1; }
cat >"$work/lab.yaml" <<'YAML'
name: tl-events
defaults: {memory: 64M}
nodes: {a: {}, b: {}}
segments: {lan: {}}
links:
  - {endpoints: [a:eth0, lan], ip: 10.8.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.8.0.2/24}
timeline:
  - {at: 1s, link: b:eth0, loss: 10%}
  - {at: 1s, node: a, run: "echo one; echo two; exit 3"}
  - {at: 2s, node: b, crash: true}
  - {at: 3s, node: b, crash: true}
  - {at: 4s, node: b, start: true}
YAML
"$umlab" up "$work/lab.yaml" >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "umlab up"; }
timeout 30 "$umlab" events "$lab" --format json >"$work/events.json" 2>&1 &
watcher=$!
# The last step (b boots again) ends within a few seconds; wait for its event, not a fixed time.
for _ in $(seq 1 100); do
  grep -q '"step": 5, .*"state": "done"' "$work/events.json" && break
  grep -q '"step": 5, .*"state": "failed"' "$work/events.json" && break
  sleep 0.2
done
"$umlab" ps "$lab" >"$work/ps.txt" 2>&1
"$umlab" ps "$lab" --format json >"$work/ps.json" 2>&1
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
"$umlab" down "$lab" >"$work/down.log" 2>&1 || fail "umlab down"
grep '"timeline"' "$work/events.json"
cat "$work/ps.txt"
step() { grep "\"type\": \"timeline\", .*\"step\": $1, .*\"state\": \"$2\"" "$work/events.json"; }
for n in 1 2 3 4 5; do step $n started >/dev/null || fail "no 'started' event for step $n"; done
step 1 done | grep -q '"target": "b:eth0"' || fail "the link step did not end done on b:eth0"
step 1 done | grep -q 'loss 10%' || fail "the link step's detail lacks the switch's answer"
step 2 failed | grep -q '"detail": "exit 3: two"' || fail "the command's exit status and last line are not in its event"
step 3 done >/dev/null || fail "the crash did not end done"
step 4 failed | grep -q "not running" || fail "a crash of a node that is not running should fail saying so"
step 5 done >/dev/null || fail "the start did not end done"
grep -q '"type": "node", .*"node": "b", "state": "dead (signal 9)"' "$work/events.json" || fail "no node event for b's power cut"
grep -q "^timeline: .* 5 of 5 steps done, 2 failed" "$work/ps.txt" || fail "umlab ps does not show the timeline's progress"
grep -q '"timeline": {"steps": 5, ' "$work/ps.json" || fail "umlab ps --format json has no timeline"
[ -e "$UMLAB_STATE_DIR/$lab" ] && fail "down left $UMLAB_STATE_DIR/$lab"
echo "timeline events: ok"
