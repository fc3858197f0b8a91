#!/bin/sh
# Integration test of `umlab replay LAB CAPTURE --through NODE` on a real lab: topologies/fwreplay.yaml
# (an iptables firewall on the Debian kernel) and captures/office-week.pcap.
# usage: replay_through.sh UMLAB REPO
#  - the JSON report: every flow's verdict as the firewall's rules decide (passed, dropped, a REJECT
#    with tcp-reset and one with icmp-port-unreachable told apart from drops, IPv6 too), the skipped
#    ARP frame counted, the rejections' reasons;
#  - --side-captures: a pcap per side that tcpdump reads, holding the replayed web flow;
#  - a rule change shows: with the port 80 rule deleted, the web flows turn 'dropped';
#  - mistakes: an unknown node, a bad --map, a node with one side get clear errors (exit 2 or 1)
#    and start nothing;
#  - `umlab test` with a replay check that expects the wrong verdict fails, naming the flow;
#  - SIGINT stops a slow replay with exit 130 and the verdicts so far.
set -eu
umlab=$1 repo=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d /tmp/umlab-replay-test.XXXXXX)
lab=fwreplay
cleanup() {
  "$umlab" down "$lab" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$repo"
maps="--map 203.0.113.0/24=198.51.100.0/24 --map 192.0.2.0/24=10.0.1.0/24 --map 192.168.10.0/24=10.0.0.0/24 --map 2001:db8:77::/64=2001:db8:100::/64 --map 2001:db8:10::/64=2001:db8:101::/64"

"$umlab" up topologies/fwreplay.yaml || fail "the lab did not start"

# The verdicts, as JSON.
# shellcheck disable=SC2086
"$umlab" replay $lab captures/office-week.pcap --through fw $maps --speed 0 --format json \
  --side-captures "$tmp/sides" > "$tmp/report.json" || fail "replay --through exited $?"
cat "$tmp/report.json"
/usr/bin/python3 - "$tmp/report.json" <<'PY' || fail "the verdicts are wrong"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"], r
flows = {(f["proto"], f["src"], f["sport"], f["dst"], f["dport"]): f for f in r["flows"]}
def verdict(proto, src, sport, dst, dport):
    f = flows.get((proto, src, sport, dst, dport))
    assert f, "no flow %s %s:%s > %s:%s in %s" % (proto, src, sport, dst, dport, sorted(flows))
    return f
want = [
    (("tcp", "198.51.100.7", 51000, "10.0.1.10", 80), "passed", 7),
    (("tcp", "198.51.100.9", 51001, "10.0.1.10", 80), "passed", 7),
    (("tcp", "198.51.100.9", 40022, "10.0.1.10", 22), "dropped", 2),
    (("tcp", "198.51.100.7", 40113, "10.0.1.10", 113), "rejected", 1),
    (("udp", "198.51.100.9", 514, "10.0.1.10", 514), "rejected", 1),
    (("udp", "10.0.0.5", 53000, "198.51.100.53", 53), "passed", 2),
    (("icmp", "10.0.0.5", 3615, "198.51.100.7", 0), "passed", 4),
    (("icmp", "198.51.100.9", 31354, "10.0.0.5", 0), "dropped", 2),
    (("tcp", "2001:db8:100::7", 52000, "2001:db8:101::10", 80), "passed", 7),
    (("tcp", "2001:db8:100::7", 40222, "2001:db8:101::10", 22), "dropped", 1),
]
for key, v, sent in want:
    f = verdict(*key)
    assert f["verdict"] == v, (key, f)
    assert f["sent"] == sent, (key, f)
    if v == "passed":
        assert f["delivered"] == sent, (key, f)
    if v in ("dropped", "rejected"):
        assert f["delivered"] == 0, (key, f)
assert len(r["flows"]) == len(want), len(r["flows"])
assert verdict("tcp", "198.51.100.7", 40113, "10.0.1.10", 113)["reason"] == "tcp reset from 10.0.1.10"
assert verdict("udp", "198.51.100.9", 514, "10.0.1.10", 514)["reason"] == "icmp port-unreachable from 198.51.100.1", \
    verdict("udp", "198.51.100.9", 514, "10.0.1.10", 514)
assert r["packets"] == {"read": 35, "injected": 34, "skipped": 1}, r["packets"]
assert r["skipped"][0]["reason"].startswith("ARP"), r["skipped"]
print("verdicts: ok")
PY


# What each side saw, readable by tcpdump: the first web flow's GET on the DMZ side.
for seg in outside dmz inside outside6 dmz6; do
  [ -s "$tmp/sides/$seg.pcap" ] || fail "no side capture for $seg"
done
tcpdump -nn -r "$tmp/sides/dmz.pcap" 2>/dev/null | grep -q '198.51.100.7.51000 > 10.0.1.10.80: Flags \[P.\]' ||
  fail "the DMZ side capture lacks the replayed GET"

# A rule change shows in the verdicts, and --rules names what decided each flow now.
"$umlab" exec $lab fw -- iptables -D FORWARD -i eth0 -p tcp -d 10.0.1.0/24 --dport 80 -j ACCEPT ||
  fail "could not delete the port 80 rule"
# shellcheck disable=SC2086
"$umlab" replay $lab captures/office-week.pcap --through fw $maps --speed 0 --rules --format csv > "$tmp/after.csv" ||
  fail "the second replay exited $?"
cat "$tmp/after.csv"
grep -q '^tcp,198.51.100.7,51000,10.0.1.10,80,[0-9]*,0,dropped,0,,iptables: -P FORWARD DROP$' "$tmp/after.csv" ||
  fail "the web flow is not dropped by the policy now"
grep -q '^tcp,2001:db8:100::7,52000,2001:db8:101::10,80,7,7,passed,0,,ip6tables: -A FORWARD -i eth3 -p tcp -m tcp --dport 80 -j ACCEPT$' \
  "$tmp/after.csv" || fail "IPv6 web changed too, or its rule is not named"
grep -q '^tcp,198.51.100.7,40113,10.0.1.10,113,1,0,rejected,1,tcp reset from 10.0.1.10,iptables: -A FORWARD -i eth0 -p tcp -m tcp --dport 113 -j REJECT --reject-with tcp-reset$' \
  "$tmp/after.csv" || fail "the ident flow's REJECT rule is not named"
"$umlab" exec $lab fw -- iptables -I FORWARD 3 -i eth0 -p tcp -d 10.0.1.0/24 --dport 80 -j ACCEPT

# Mistakes.
status=0
"$umlab" replay $lab captures/office-week.pcap --through gw > "$tmp/out" 2> "$tmp/err" || status=$?
cat "$tmp/err"
[ "$status" != 0 ] || fail "an unknown node was accepted"
grep -q "lab 'fwreplay' has no node 'gw' (its nodes: fw, pc1)" "$tmp/err" || fail "no clear error for an unknown node"
status=0
"$umlab" replay $lab captures/office-week.pcap --through fw --map 203.0.113.0/24=198.51.0.0/16 2> "$tmp/err" || status=$?
cat "$tmp/err"
[ "$status" = 2 ] || fail "a bad --map exited $status, not 2"
grep -q "both sides need the same prefix length" "$tmp/err" || fail "no clear error for a bad --map"
status=0
"$umlab" replay $lab captures/office-week.pcap --through pc1 2> "$tmp/err" || status=$?
cat "$tmp/err"
[ "$status" != 0 ] || fail "a node with one side was accepted"
grep -q "a replay through it needs two or more" "$tmp/err" || fail "no clear error for a one-sided node"

# The check kind fails as it should: a wrong expectation names the flow.
cat > "$tmp/wrong.tests.yaml" <<YAML
lab: $repo/topologies/fwreplay.yaml
checks:
  - name: ssh is allowed (it is not)
    replay:
      capture: $repo/captures/office-week.pcap
      through: fw
      map: [203.0.113.0/24=198.51.100.0/24, 192.0.2.0/24=10.0.1.0/24]
      expect:
        - {proto: tcp, dport: 22, verdict: passed}
YAML
status=0
"$umlab" test "$tmp/wrong.tests.yaml" > "$tmp/out" 2>&1 || status=$?
cat "$tmp/out"
[ "$status" = 1 ] || fail "a wrong replay expectation exited $status, not 1"
grep -q "FAIL tcp dport 22: passed: 0 of 1 flows passed" "$tmp/out" || fail "the failure does not say which expectation"
grep -q "tcp 198.51.100.9:40022 > 10.0.1.10:22 was dropped" "$tmp/out" || fail "the failure does not name the flow"

# Ctrl-C: a slow replay (the capture's own pace, slowed 20 times: 20 s) is stopped after 2 s.
# shellcheck disable=SC2086
"$umlab" replay $lab captures/office-week.pcap --through fw $maps --speed 0.05 > "$tmp/out" 2>&1 &
pid=$!
sleep 2
kill -INT $pid
status=0
wait $pid || status=$?
cat "$tmp/out"
[ "$status" = 130 ] || fail "an interrupted replay exited $status, not 130"
grep -q "stopped early, the verdicts so far" "$tmp/out" || fail "no 'stopped early' in the report"
echo "replay --through: all checks passed"
