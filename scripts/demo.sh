#!/usr/bin/env bash
# Installs what is missing, builds, then compiles every lab in topologies/ (validates it, plans
# it, draws it to build/demo/<lab>.svg), builds the base image if absent, boots the LAN lab,
# shows real pings between its guests, and takes it down.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

install_packages "${UMLAB_PACKAGES[@]}"
configure_and_build

umlab="$UMLAB_BUILD/bin/umlab"
out="$UMLAB_BUILD/demo"
mkdir -p "$out"
cd "$UMLAB_ROOT"

say "validating every lab in topologies/"
"$umlab" validate topologies/*.yaml

say "planning and drawing each lab"
printf '%-12s %6s %9s %9s %7s  %s\n' lab guests switches mcast taps picture
for f in topologies/*.yaml; do
  case "$f" in *.tests.yaml) continue ;; esac   # tests files: umlab test, below
  lab=$(basename "$f" .yaml)
  "$umlab" plan "$f" --format json -o "$out/$lab.plan.json"
  "$umlab" plan "$f" -o "$out/$lab.plan.txt"
  "$umlab" graph "$f" --format svg -o "$out/$lab.svg"
  count() { grep -c "^$1 " "$out/$lab.plan.txt" || true; }
  printf '%-12s %6s %9s %9s %7s  %s\n' "$lab" "$(count guest)" "$(count switch)" "$(count mcast)" "$(count tap)" "build/demo/$lab.svg"
done

say "the launch plan of the DMZ lab, as 'umlab plan topologies/dmz.yaml' prints it"
sed -n '1,/^guest web/p' "$out/dmz.plan.txt" | head -n 40
echo "   ... (full plan in build/demo/dmz.plan.txt)"

say "what an error looks like"
printf 'name: demo\nnodes:\n  pc1: {memroy: 96M}\nlinks:\n  - {endpoints: [pc2:eth0, lan]}\n' > "$out/broken.yaml"
(cd "$out" && "$umlab" validate broken.yaml) || true

say "the base image (built once, then cached by recipe hash under ~/.cache/umlab, or shared by root in /var/lib/umlab/images)"
if ! "$umlab" image build; then
  [ "$(id -u)" -ne 0 ] && echo "umlab: as root, run 'sudo scripts/setup-system.sh' once; then this demo runs for every user" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  say "running as $(id -un), without root: each lab's namespaces belong to a user namespace of yours"
fi

# A lab named 'lan' left by an earlier, interrupted demo would block 'up'.
"$umlab" clean lan >/dev/null 2>&1 || true
trap '"$umlab" down lan >/dev/null 2>&1 || true' EXIT

say "umlab up topologies/lan.yaml"
"$umlab" up topologies/lan.yaml
say "umlab ps"
"$umlab" ps lan
say "umlab exec lan pc1 -- ping -c 2 10.0.0.2   (a real ping between two guests)"
"$umlab" exec lan pc1 -- ping -c 2 10.0.0.2
say "umlab exec lan pc3 -- ip -br addr"
"$umlab" exec lan pc3 -- ip -br addr
say "umlab exec lan pc1 -- ip neigh   (pc1 learnt pc2's MAC through ARP)"
"$umlab" exec lan pc1 -- ip neigh
say "umlab capture lan sw --last 60s   (what the switch already carried: the ARP and the pings)"
"$umlab" capture lan sw --last 60s -w "$out/lan.pcap"
tcpdump -n -r "$out/lan.pcap" 'arp or icmp' 2>/dev/null | head -n 8
say "umlab link lan pc2:eth0 --delay 25ms   (a slow link, live: the round trip grows by 50 ms)"
"$umlab" link lan pc2:eth0 --delay 25ms
"$umlab" exec lan pc1 -- ping -c 2 10.0.0.2 | tail -n 1
say "umlab apply: the file edited with a fourth host, applied to the running lab (pc1-pc3 keep running)"
sed -e 's/^  pc3: {}$/  pc3: {}\n  pc4: {}/' topologies/lan.yaml > "$out/lan-plus.yaml"
printf '  - {endpoints: [pc4:eth0, sw], ip: 10.0.0.4/24}\n' >> "$out/lan-plus.yaml"
"$umlab" apply --dry-run "$out/lan-plus.yaml"
"$umlab" apply "$out/lan-plus.yaml"
"$umlab" exec lan pc4 -- ping -c 1 10.0.0.1 | tail -n 2
say "umlab events --format json lan   (the live feed the canvas uses; three seconds of it)"
timeout 3 "$umlab" events --format json lan | cut -c 1-160 || true
say "umlab down lan"
"$umlab" down lan
trap - EXIT

say "umlab test topologies/lan.tests.yaml   (boots the lab again, checks it, takes it down)"
"$umlab" test topologies/lan.tests.yaml
say "done: pictures and plans are in build/demo/; 'umlab up topologies/dmz.yaml' is the next lab to try"
