#!/usr/bin/env bash
# A lab on a real Slurm cluster of three hosts (issue 20, docs/multihost.md), with real guests:
# ../shared/recipes/slurm-cluster.sh brings up slurmctld and three slurmd, each host a network
# namespace of its own (10.77.0.11-13), and this script then, as a user of that cluster would
# from the controller's machine:
#   - boots a generated routed lab of 12 guests across the three hosts (umlab up --engine slurm),
#     placed with at most 4 guests a host, so that a LAN spans hosts (VXLAN between its switches)
#   - checks 'ps' (the HOST column and JSON 'host'), pings over the spanning LAN (switched, also
#     1500-byte packets that do not fit the 1500-byte underlay once wrapped) and over routers on
#     other hosts (routed), captures the spanning LAN (each frame once, from every host)
#   - kills one host's shard supervisor with SIGKILL: 'ps' reports it; 'down' still cleans every
#     host and ends the Slurm job
#   - tears the cluster down; nothing of the lab, the job or the cluster is left.
# Usage: slurm_lab_test.sh UMLAB_BINARY_DIR SOURCE_DIR
# Exit 77 (CTest: skipped) only when the host cannot run the cluster, saying why.
set -uo pipefail
bindir=$1 srcdir=$2

skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "the Slurm cluster recipe needs root (network namespaces, slurmd)"
for p in slurmctld slurmd munged srun salloc tcpdump; do
  command -v "$p" >/dev/null || skip "$p is missing (apt-get install slurm-wlm munge tcpdump)"
done
recipe=${UMLAB_SLURM_RECIPE:-$srcdir/../shared/recipes/slurm-cluster.sh}
[ -f "$recipe" ] || skip "the Slurm cluster recipe is not at $recipe (set UMLAB_SLURM_RECIPE)"
[ -e /run/netns/umlab-ctl ] && { echo "FAIL  a Slurm test cluster already runs here (/run/netns/umlab-ctl): take it down first"; exit 1; }

failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
contains() { grep -qF -- "$2" <<<"$1"; }

work=$(mktemp -d /tmp/umlab-multihost.XXXXXX)
cluster=$work/cluster
state=$work/state
ctl() { SLURM_CONF=$cluster/slurm.conf nsenter --net=/run/netns/umlab-ctl "$@"; }
umlab() { ctl env UMLAB_STATE_DIR="$state" UMLAB_SHARD_ROOT="$work" "$bindir/bin/umlab" "$@"; }
cleanup() {
  set +e
  [ -d "$state/mh" ] && umlab down mh >/dev/null 2>&1
  bash "$recipe" down "$cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "== a Slurm cluster of 3 hosts"
if ! bash "$recipe" up 3 "$cluster" >"$work/cluster.log" 2>&1; then
  cat "$work/cluster.log"; echo "FAIL  the Slurm cluster did not come up"; exit 1
fi
pass "slurmctld and 3 slurmd up: $(ctl sinfo -h -o '%D %T' | tr '\n' ' ')"

"$bindir/bin/umlab-genlab" --nodes 12 --hosts-per-lan 5 --name mh -o "$work/mh.yaml"
echo "== umlab up (12 guests on 3 hosts, at most 4 a host)"
started=$(date +%s.%N)
if ! umlab up "$work/mh.yaml" --engine slurm --hosts 3 --host-guests 4 --timeout 300s >"$work/up.log" 2>&1; then
  cat "$work/up.log"; echo "FAIL  umlab up --engine slurm"; exit 1
fi
sed 's/^/  | /' "$work/up.log"
pass "up on 3 hosts in $(echo "$(date +%s.%N) - $started" | bc) s"

ps_text=$(umlab ps mh)
echo "$ps_text" | sed 's/^/  | /'
ps_json=$(umlab ps mh --format json)
hosts_used=$(python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(" ".join(sorted({n["host"] for n in s["nodes"]})))' <<<"$ps_json")
ready=$(python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(sum(n["state"]=="ready" for n in s["nodes"]))' <<<"$ps_json")
[ "$hosts_used" = "h1 h2 h3" ] && [ "$ready" = 12 ] && contains "$ps_text" "HOST" &&
  pass "ps: 12 guests ready, each with its host (h1 h2 h3)" || fail "ps: hosts '$hosts_used', $ready ready"

# Two members of lan1 on different hosts, and a host of lan2 on yet another than the first.
read -r a b c <<<"$(python3 -c '
import json,sys
s=json.load(sys.stdin)[0]
host={n["name"]:n["host"] for n in s["nodes"]}
ip={n["name"]:n["interfaces"][0]["ip"].split("/")[0] for n in s["nodes"]}
lan1=[n for n in sorted(host) if n.startswith("h1-")]
a=lan1[0]; b=next(n for n in lan1+["r1"] if host[n]!=host[a])
c=next(n for n in sorted(host) if n.startswith("h2-") and host[n]!=host[a])
print(a, ip[b], ip[c])' <<<"$ps_json")"
echo "== pings from $a: $b (same LAN, another host), $c (routed, another host)"
out=$(umlab exec mh "$a" -- ping -c 3 -W 2 "$b" 2>&1)
contains "$out" " 0% packet loss" && pass "switched across hosts: $a -> $b" || { echo "$out"; fail "switched ping $a -> $b"; }
out=$(umlab exec mh "$a" -- ping -c 2 -W 2 -M do -s 1472 "$b" 2>&1)
contains "$out" " 0% packet loss" && pass "a 1500-byte packet across the tunnel (underlay MTU 1500: the outer packets are fragmented)" ||
  { echo "$out"; fail "1500-byte ping $a -> $b"; }
out=$(umlab exec mh "$a" -- ping -c 3 -W 2 "$c" 2>&1)
contains "$out" " 0% packet loss" && pass "routed across hosts: $a -> $c" || { echo "$out"; fail "routed ping $a -> $c"; }

echo "== link conditions on $a's port (its host's switch), and the events of every host"
SLURM_CONF=$cluster/slurm.conf UMLAB_STATE_DIR="$state" nsenter --net=/run/netns/umlab-ctl "$bindir/bin/umlab" events mh --format json >"$work/events.json" 2>&1 &
events=$!
# The feeds of every host are live once each has sent an event (the switches' counters come
# every second while someone watches).
for _ in $(seq 1 120); do
  [ "$(python3 -c '
import json,sys
hosts=set()
for l in open(sys.argv[1]):
    if l.startswith("{"):
        try: hosts.add(json.loads(l).get("host"))
        except ValueError: pass
print(len(hosts - {None}))' "$work/events.json" 2>/dev/null)" = 3 ] && break
  sleep 0.5
done
umlab link mh "$a:eth0" --delay 100ms | sed 's/^/  | /'
out=$(umlab exec mh "$a" -- ping -c 2 -W 2 "$b" 2>&1)
rtt=$(sed -n 's|.*min/avg/max/mdev = \([0-9.]*\)/.*|\1|p' <<<"$out")
[ -n "$rtt" ] && [ "$(echo "$rtt >= 100" | bc)" = 1 ] && pass "a delay of 100ms on $a:eth0 holds across the tunnel (min rtt $rtt ms)" ||
  { echo "$out"; fail "delay on $a:eth0 (min rtt '$rtt')"; }
umlab link mh "$a:eth0" --clear >/dev/null
# The link event reaches the feed a moment after the change: wait for it, not a fixed time.
for _ in $(seq 1 60); do
  grep -q '"type": "link".*100ms' "$work/events.json" && break
  sleep 0.5
done
kill "$events"; wait "$events" 2>/dev/null
python3 -c '
import json,sys
events=[json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
sys.exit(0 if any(e["type"]=="link" and e["port"]==sys.argv[2] and "100ms" in e["in"] and e.get("host") for e in events) else 1)' "$work/events.json" "$a:eth0" &&
  pass "events: the link change, with the host that reported it" || { cat "$work/events.json"; fail "no link event with a host"; }

echo "== capture of lan1 while $a pings $b"
# The hosts' captures start at their own moments (srun steps), with no signal that reaches the
# head while they run: the pings go on through the capture instead, and every request and reply
# the capture holds must be there once (a frame that crossed the tunnel is in two hosts' captures).
umlab exec mh "$a" -- ping -c 25 -i 0.3 "$b" >/dev/null 2>&1 &
pinger=$!
umlab capture mh lan1 -w "$work/lan1.pcap" --duration 10s 2>&1 | sed 's/^/  | /'
wait "$pinger"
seqs() { tcpdump -nr "$work/lan1.pcap" "$1" 2>/dev/null | sed -n 's/.*, seq \([0-9]*\),.*/\1/p'; }
requests=$(seqs "icmp[icmptype] == icmp-echo and dst host $b")
replies=$(seqs "icmp[icmptype] == icmp-echoreply and src host $b")
n=$(wc -w <<<"$requests")
if [ "$n" -ge 4 ] && [ -z "$(sort <<<"$requests" | uniq -d)" ] && [ -z "$(sort <<<"$replies" | uniq -d)" ] &&
  [ "$(comm -3 <(sort <<<"$requests") <(sort <<<"$replies") | grep -c .)" -le 2 ]; then # a request or reply at either end may have its pair outside the capture
  pass "the capture holds $n requests and their replies, each once"
else
  fail "capture: requests seq [$(tr '\n' ' ' <<<"$requests")], replies seq [$(tr '\n' ' ' <<<"$replies")] (want at least 4, each once, each answered)"
fi

echo "== one host's shard supervisor killed with SIGKILL"
victim=$(python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(next(n["host"] for n in s["nodes"] if n["name"]==sys.argv[1]))' "$a" <<<"$ps_json")
job=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["allocation"])' "$state/mh/cluster.json")
sup=$(awk '$1=="supervisor"{print $3}' "$work/umlab-$job-$victim/mh/processes")
kill -9 "$sup"
reported=""
for _ in $(seq 1 40); do
  ps_text=$(umlab ps mh 2>&1)
  contains "$ps_text" "host $victim" && contains "$ps_text" "killed by signal 9" && { reported=1; break; }
  sleep 0.5
done
[ -n "$reported" ] && pass "ps reports it: $(grep "host $victim" <<<"$ps_text")" || { echo "$ps_text"; fail "ps did not report the killed shard on $victim"; }

second=$(python3 -c 'import json,sys; s=json.load(sys.stdin)[0]; print(sorted({n["host"] for n in s["nodes"]} - {sys.argv[1]})[0])' "$victim" <<<"$ps_json")
echo "== the shard process on $second (umlab-shard serve, the Slurm step's task) killed with SIGKILL"
serve=$(ps -eo pid=,args= | awk -v want="$bindir/bin/umlab-shard serve $work/umlab-$job-$second" '{pid=$1; $1=""; sub(/^ /,""); if ($0==want) print pid}')
[ -n "$serve" ] && kill -9 $serve
reported=""
for _ in $(seq 1 40); do
  ps_text=$(umlab ps mh 2>&1)
  grep -q "host $second .*crashed" <<<"$ps_text" && { reported=1; break; }
  sleep 0.5
done
[ -n "$reported" ] && pass "ps reports it: $(grep "host $second" <<<"$ps_text")" || { echo "$ps_text"; fail "ps did not report the killed shard on $second"; }

echo "== down"
out=$(umlab down mh 2>&1)
echo "$out" | sed 's/^/  | /'
contains "$out" "is down on every host" && pass "down" || fail "down"
left=$(ls -d "$work"/umlab-"$job"-* "$state/mh" 2>/dev/null)
[ -z "$left" ] && pass "no state left on any host" || fail "left: $left"
[ -z "$(ctl squeue -h)" ] && pass "the Slurm job ended" || fail "jobs left: $(ctl squeue -h)"
procs=$(ps -eo args | grep -c "[u]mid=mh\.")
[ "$procs" = 0 ] && pass "no guest process left" || fail "$procs guest processes left"

echo "== the cluster down"
bash "$recipe" down "$cluster" >/dev/null 2>&1
[ -z "$(ls /run/netns 2>/dev/null | grep '^umlab-')" ] && pass "no namespace of the cluster left" || fail "namespaces left"

echo "$((failures)) failures"
[ "$failures" = 0 ]
