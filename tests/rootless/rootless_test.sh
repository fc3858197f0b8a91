#!/usr/bin/env bash
# Rootless and classroom labs (issue 16, docs/classroom.md), on real guests, run by CTest as
# root but driving umlab as unprivileged accounts that this script creates and removes:
#   users    two users run same-named labs at once; neither sees, execs into, captures or stops
#            the other's; guests run under each user's subordinate ids; root's ps --all and
#            down --user; node stop/start/crash and inspect; a user without subordinate ids
#            (guests as the user, no capabilities)
#   limits   /etc/umlab/limits.yaml refuses an over-limit up and apply, naming limit and file
#   class    a class of three accounts booted, graded to CSV and JUnit, and torn down
# Usage: rootless_test.sh users|limits|class UMLAB_BINARY_DIR SOURCE_DIR
# Exit 77 (CTest: skipped) only when the host cannot run rootless labs, saying why.
set -uo pipefail
part=$1 bindir=$2 srcdir=$3

skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "creating test accounts needs root"
command -v runuser >/dev/null || skip "runuser (util-linux) is missing"
command -v useradd >/dev/null || skip "useradd (passwd) is missing"
command -v newuidmap >/dev/null || skip "newuidmap is missing (apt-get install uidmap)"
[ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" = 1 ] ||
  skip "unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0)"
# A chroot (scripts/chroot-check.sh) refuses user namespaces even to root: the doctor's words.
if ! unshare -U true 2>/dev/null; then
  why=$("$bindir/bin/umlab" doctor --format json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
c = {c["id"]: c for c in json.load(sys.stdin)["checks"]}["userns"]
print("umlab doctor: userns: " + c["reason"] + "; fix: " + c["fix"])' 2>/dev/null)
  skip "the kernel refuses user namespaces here, which rootless labs need (${why:-unshare -U failed})"
fi

failures=0
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
check() { # check NAME COMMAND... : passes when COMMAND succeeds
  local name=$1; shift
  if "$@"; then pass "$name"; else fail "$name"; fi
}
contains() { grep -qF -- "$2" <<<"$1"; }

# ---- a world-readable copy of umlab, a system image directory, the labs ------------------------
work=$(mktemp -d /tmp/umlab-rootless.XXXXXX)
chmod 755 "$work"
accounts=()
cleanup() {
  set +e
  if [ -n "${limits_backup:-}" ]; then
    if [ "$limits_backup" = none ]; then rm -f /etc/umlab/limits.yaml; rmdir /etc/umlab 2>/dev/null
    else mv "$limits_backup" /etc/umlab/limits.yaml; fi
  fi
  UMLAB_CLASS_DIR=$work/classes "$work/bin/umlab" class down rl-class >/dev/null 2>&1
  for a in "${accounts[@]}"; do
    uid=$(id -u "$a" 2>/dev/null) || continue
    for root in "/tmp/umlab-$uid" "/run/user/$uid/umlab"; do
      for lab in "$root"/*; do [ -d "$lab" ] && "$work/bin/umlab" down --user "$a" "$(basename "$lab")" >/dev/null 2>&1; done
      rm -rf "$root"
    done
    userdel -r "$a" >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/bin" "$work/images" "$work/labs"
for b in umlab umlab-switchd umlab-init umlab-agent; do cp "$bindir/bin/$b" "$work/bin/"; done
cache=${UMLAB_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/umlab}
image=$(readlink -f "$cache/images/debian") || true
[ -f "$image/rootfs.img" ] || { echo "FAIL  no debian image in $cache/images (the umlab_image fixture builds it)"; exit 1; }
mkdir "$work/images/$(basename "$image")"
for f in "$image"/*; do
  ln "$f" "$work/images/$(basename "$image")/" 2>/dev/null || cp -p --sparse=always "$f" "$work/images/$(basename "$image")/"
done
ln -s "$(basename "$image")" "$work/images/debian"
chmod -R a+rX "$work"
export UMLAB_SYSTEM_IMAGES=$work/images
umlab=$work/bin/umlab

# as ACCOUNT COMMAND...: COMMAND as ACCOUNT, with a clean login-like environment
as() {
  local a=$1; shift
  runuser -u "$a" -- env -i HOME="/home/$a" USER="$a" PATH=/usr/bin:/bin UMLAB_SYSTEM_IMAGES="$UMLAB_SYSTEM_IMAGES" "$@"
}
new_account() { # new_account NAME [system]: a fresh account (a system one has no subordinate ids)
  local a=$1
  id "$a" >/dev/null 2>&1 && userdel -r "$a" >/dev/null 2>&1
  if [ "${2:-}" = system ]; then useradd -r -m -s /bin/bash "$a"; else useradd -m -s /bin/bash "$a"; fi || exit 1
  accounts+=("$a")
  # A run killed before its cleanup leaves the state of an account that is gone; a new account with
  # its uid would find that lab there and be refused ("a previous run of lab ... left its state").
  local uid stale
  uid=$(id -u "$a")
  for stale in "/tmp/umlab-$uid" "/run/user/$uid/umlab"; do
    [ -e "$stale" ] && { echo "note: removing $stale, left by an earlier account with uid $uid"; rm -rf "$stale"; }
  done
  # useradd gives a new account subordinate ids where /etc/subuid exists; make sure it has them.
  if [ "${2:-}" != system ] && ! grep -q "^$a:" /etc/subuid 2>/dev/null; then
    local first
    first=$(awk -F: 'BEGIN { m = 100000 } { if ($2 + $3 > m) m = $2 + $3 } END { print m }' /etc/subuid /etc/subgid 2>/dev/null)
    usermod --add-subuids "$first-$((first + 65535))" --add-subgids "$first-$((first + 65535))" "$a" || exit 1
  fi
}
lab_file() { # lab_file NAME GUESTS: a switch with GUESTS hosts, 10.0.0.N/24
  local f=$work/labs/$1.yaml i
  { echo "name: $1"; echo "nodes:"; for i in $(seq 1 "$2"); do echo "  pc$i: {memory: 64M}"; done
    echo "segments:"; echo "  sw: {type: switch}"; echo "links:"
    for i in $(seq 1 "$2"); do echo "  - {endpoints: [pc$i:eth0, sw], ip: 10.0.0.$i/24}"; done; } >"$f"
  chmod 644 "$f"
  echo "$f"
}
guest_uids() { # the distinct uids of the UML processes of a lab's state directory
  local pid
  for pid in $(awk '$1 == "guest" {print $3}' "$1/processes" 2>/dev/null); do stat -c %u "/proc/$pid"; done | sort -u
}

# ---- users ------------------------------------------------------------------------------------
part_users() {
  new_account umlt-ann; new_account umlt-bob; new_account umlt-cal system
  local ann bob cal f out
  ann=$(id -u umlt-ann) bob=$(id -u umlt-bob) cal=$(id -u umlt-cal)
  f=$(lab_file lan 2)

  out=$(as umlt-ann "$umlab" up "$f" 2>&1); echo "$out"
  check "ann's lab 'lan' comes up without root" contains "$out" "lab 'lan' is up: 2 guests ready"
  out=$(as umlt-bob "$umlab" up "$f" 2>&1); echo "$out"
  check "bob's lab of the same name comes up at the same time" contains "$out" "lab 'lan' is up: 2 guests ready"
  check "ann's state is hers and private (0700)" test "$(stat -c '%u %a' /tmp/umlab-$ann)" = "$ann 700"

  out=$(as umlt-ann "$umlab" exec lan pc1 -- ping -c1 -W5 10.0.0.2 2>&1)
  check "ann's guests ping each other" contains "$out" "1 received"
  out=$(as umlt-bob "$umlab" exec lan pc2 -- ip -br addr show eth0 2>&1)
  check "bob's guests have their addresses" contains "$out" "10.0.0.2/24"
  as umlt-ann "$umlab" exec lan pc1 -- sh -c 'echo ann > /root/ann.txt' >/dev/null 2>&1
  out=$(as umlt-ann "$umlab" diff lan pc1 2>&1); echo "$out"
  check "ann diffs her node's disk (its COW file belongs to her subordinate id)" test "$out" = "A /root/ann.txt"

  local range uids
  range=$(awk -F: -v u=umlt-ann '$1 == u {print $2, $2 + $3}' /etc/subuid)
  uids=$(guest_uids "/tmp/umlab-$ann/lan")
  echo "ann's subordinate ids: $range; her guests' uids: $uids"
  check "ann's guests run as one of her subordinate ids, not as her" \
    awk -v r="$range" -v u="$uids" 'BEGIN { split(r, b, " "); exit !(u != "" && u !~ / / && u >= b[1] && u < b[2]) }'

  out=$(as umlt-bob "$umlab" ps 2>&1)
  check "bob's ps shows his lab only" bash -c '[[ "$1" == *"/tmp/umlab-'"$bob"'/lan"* && "$1" != *"/tmp/umlab-'"$ann"'"* ]]' _ "$out"
  out=$(as umlt-bob "$umlab" exec --state-dir "/tmp/umlab-$ann" lan pc1 -- id 2>&1)
  check "bob cannot exec into ann's lab (for him it does not exist)" contains "$out" "no lab named 'lan'"
  out=$(as umlt-bob "$umlab" down --state-dir "/tmp/umlab-$ann" lan 2>&1)
  check "bob cannot stop ann's lab" contains "$out" "no lab named 'lan'"
  out=$(as umlt-bob "$umlab" capture --state-dir "/tmp/umlab-$ann" lan sw --duration 1s -w /tmp/umlt-x.pcap 2>&1)
  check "bob cannot capture ann's segments" contains "$out" "no lab named 'lan'"
  out=$(as umlt-bob "$umlab" ps --user umlt-ann 2>&1)
  check "--user is root's alone" contains "$out" "only root may do"
  check "bob cannot read ann's state directory" bash -c "! runuser -u umlt-bob -- ls /tmp/umlab-$ann >/dev/null 2>&1"
  out=$("$umlab" down --user umlt-bob --state-dir "/tmp/umlab-$ann" lan 2>&1)
  check "root's --user does not go with --state-dir" contains "$out" "does not go with --state-dir"
  command -v python3 >/dev/null || fail "python3 is missing (the next check needs it)"
  check "bob cannot connect to ann's control socket" bash -c "! runuser -u umlt-bob -- python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect(\"/tmp/umlab-$ann/lan/control.sock\")' 2>/dev/null"
  check "ann's lab still runs" contains "$(as umlt-ann "$umlab" ps lan 2>&1)" "switch sw: up"

  out=$(as umlt-ann "$umlab" host lan -- ip -br link 2>&1)
  check "ann's 'umlab host' runs in her lab's network namespace" contains "$out" "lo"

  out=$(as umlt-ann "$umlab" link lan pc1:eth0 --delay 20ms 2>&1)
  check "ann changes a link of her lab (its switch runs as her subordinate id)" contains "$out" "delay 20ms"
  out=$(as umlt-ann "$umlab" exec lan pc1 -- ping -c1 -W5 10.0.0.2 2>&1)
  check "the delay is on the wire" bash -c '[[ "$1" =~ time=([0-9]+) ]] && (( BASH_REMATCH[1] >= 20 ))' _ "$out"
  cp "$srcdir/captures/ping.pcap" "/home/umlt-ann/ping.pcap"; chown umlt-ann "/home/umlt-ann/ping.pcap"
  out=$(as umlt-ann "$umlab" replay lan sw /home/umlt-ann/ping.pcap 2>&1)
  check "ann replays a capture into her segment" contains "$out" "replayed"
  out=$(as umlt-ann "$umlab" capture lan sw --last 30s -w /home/umlt-ann/last.pcap 2>&1)
  check "ann captures her segment" contains "$out" "frames of the last"
  check "and tcpdump reads it" bash -c "tcpdump -nr /home/umlt-ann/last.pcap 2>/dev/null | grep -q ICMP"

  out=$( (sleep 2; printf '\n'; sleep 2) | as umlt-ann timeout 8 "$umlab" console lan pc2 2>&1)
  check "ann's console reaches her guest's login prompt" contains "$out" "login:"
  sed -e 's/^  pc2: {memory: 64M}$/  pc2: {memory: 64M}\n  pc3: {memory: 64M}/' "$f" >"$work/labs/lan3.yaml"
  printf '  - {endpoints: [pc3:eth0, sw], ip: 10.0.0.3/24}\n' >>"$work/labs/lan3.yaml"; chmod 644 "$work/labs/lan3.yaml"
  out=$(as umlt-ann "$umlab" apply "$work/labs/lan3.yaml" 2>&1); echo "$out"
  out=$(as umlt-ann "$umlab" exec lan pc3 -- ping -c1 -W5 10.0.0.1 2>&1)
  check "ann's apply adds a guest to her running lab" contains "$out" "1 received"
  printf 'lab: lan3.yaml\nchecks:\n  - reach: {from: pc1, to: pc3}\n  - traffic: {segment: sw, seen: "icmp"}\n' >"$work/labs/lan3.tests.yaml"
  chmod 644 "$work/labs/lan3.tests.yaml"
  out=$(as umlt-ann "$umlab" test "$work/labs/lan3.tests.yaml" 2>&1); echo "$out" | tail -3
  check "ann's umlab test checks her running lab" contains "$out" "2 passed, 0 failed"
  out=$(as umlt-ann "$umlab" node lan pc2 stop 2>&1); echo "$out"
  check "ann stops a node of her lab" contains "$out" "node 'pc2' of lab 'lan' is stopped"
  check "her ps shows it stopped" contains "$(as umlt-ann "$umlab" ps lan 2>&1)" "stopped"
  out=$(as umlt-ann "$umlab" node lan pc2 start 2>&1); echo "$out"
  check "and starts it again from its disk" contains "$out" "is ready"
  out=$(as umlt-ann "$umlab" exec lan pc1 -- ping -c1 -W5 10.0.0.2 2>&1)
  check "the started node is back on its segment" contains "$out" "1 received"
  out=$(as umlt-ann "$umlab" node lan pc2 crash 2>&1)
  check "ann cuts a node's power" contains "$out" "dead (signal 9)"
  out=$(as umlt-ann "$umlab" node lan pc2 restart 2>&1)
  check "and a restart boots the crashed node" contains "$out" "is ready again"
  out=$(as umlt-ann "$umlab" inspect lan pc1 2>&1)
  check "ann inspects a node of her lab" contains "$out" "10.0.0.1/24"

  out=$("$umlab" ps --all 2>&1); echo "$out" | grep '^lab'
  check "root's ps --all lists both labs with their owners" \
    bash -c '[[ "$1" == *"lab lan of umlt-ann"* && "$1" == *"lab lan of umlt-bob"* ]]' _ "$out"
  out=$("$umlab" down --user umlt-bob lan 2>&1)
  check "root stops bob's lab" contains "$out" "lab 'lan' is down"
  check "bob's lab left nothing" test -z "$(ls -A /tmp/umlab-$bob)"
  # Saved and resumed, archived and booted again: her disks belong to her subordinate ids.
  out=$(as umlt-ann "$umlab" save lan 2>&1); echo "$out" | tail -1
  check "ann saves her lab" contains "$out" "lab 'lan' is saved in /home/umlt-ann/.local/share/umlab/saved/lan"
  check "her ps shows it saved" contains "$(as umlt-ann "$umlab" ps lan 2>&1)" "'umlab resume lan' boots it again"
  check "and nothing of it runs" test -z "$(ls -A /tmp/umlab-$ann)"
  out=$(as umlt-ann "$umlab" resume lan 2>&1); echo "$out" | tail -1
  check "ann resumes it" contains "$out" "lab 'lan' is up again"
  check "with the file her guest wrote" test "$(as umlt-ann "$umlab" exec lan pc1 -- cat /root/ann.txt 2>&1)" = ann
  out=$(as umlt-ann "$umlab" archive lan --save -o /home/umlt-ann/lan.umlab 2>&1); echo "$out" | tail -1
  check "ann archives it" contains "$out" "/home/umlt-ann/lan.umlab: "
  out=$(as umlt-ann "$umlab" up /home/umlt-ann/lan.umlab --name lan2 2>&1); echo "$out" | tail -1
  check "and boots the archive as another lab" contains "$out" "lab 'lan2' is up again"
  check "which has her file too" test "$(as umlt-ann "$umlab" exec lan2 pc1 -- cat /root/ann.txt 2>&1)" = ann
  check "the archive's lab goes down" contains "$(as umlt-ann "$umlab" down lan2 2>&1)" "lab 'lan2' is down"
  check "ann deletes her saved lab" contains "$(as umlt-ann "$umlab" down --saved lan 2>&1)" "saved lab 'lan' deleted"
  out=$(as umlt-ann "$umlab" up "$f" 2>&1)
  out=$(as umlt-ann "$umlab" down lan 2>&1)
  check "ann stops her own lab" contains "$out" "lab 'lan' is down"
  check "ann's lab left nothing" test -z "$(ls -A /tmp/umlab-$ann)"

  # A user with no subordinate ids: guests run as the user, every capability dropped.
  out=$(as umlt-cal "$umlab" up "$f" 2>&1); echo "$out"
  check "a user without subordinate ids runs a lab" contains "$out" "lab 'lan' is up"
  check "and is told once that guests run as that user" test "$(grep -c 'guests run as umlt-cal itself' <<<"$out")" = 1
  check "those guests run as the user" test "$(guest_uids /tmp/umlab-$cal/lan)" = "$cal"
  local pid; pid=$(awk '$1 == "guest" {print $3; exit}' "/tmp/umlab-$cal/lan/processes")
  check "with no capabilities" test "$(awk '/^CapEff/ {print $2}' /proc/$pid/status)" = 0000000000000000
  check "cal's lab goes down" contains "$(as umlt-cal "$umlab" down lan 2>&1)" "is down"
}

# ---- limits -----------------------------------------------------------------------------------
part_limits() {
  new_account umlt-dee
  local f2 f3 out
  f2=$(lab_file small 2); f3=$(lab_file big 3)
  mkdir -p /etc/umlab
  if [ -e /etc/umlab/limits.yaml ]; then limits_backup=$work/limits.yaml.saved; cp -p /etc/umlab/limits.yaml "$limits_backup"
  else limits_backup=none; fi
  printf 'default: {max-guests: 10}\nusers:\n  umlt-dee: {max_guests: 2, max_memory: 1G}\n' >/etc/umlab/limits.yaml
  chmod 644 /etc/umlab/limits.yaml
  out=$(as umlt-dee "$umlab" up "$f3" 2>&1); echo "$out"
  check "an up over max-guests is refused" contains "$out" "your limit is max-guests: 2 (users.umlt-dee in /etc/umlab/limits.yaml)"
  check "and started nothing" test -z "$(ls -A /tmp/umlab-$(id -u umlt-dee) 2>/dev/null)"
  out=$(as umlt-dee "$umlab" up "$f2" 2>&1)
  check "a lab within the limit comes up" contains "$out" "lab 'small' is up"
  sed 's/name: big/name: small/' "$f3" >"$work/labs/small3.yaml"; chmod 644 "$work/labs/small3.yaml"
  out=$(as umlt-dee "$umlab" apply "$work/labs/small3.yaml" 2>&1); echo "$out"
  check "an apply that would pass the limit is refused" contains "$out" "max-guests: 2"
  check "and changed nothing" test "$(as umlt-dee "$umlab" ps small | grep -c '^pc')" = 2
  printf 'users:\n  umlt-dee: {max-guests: lots}\n' >/etc/umlab/limits.yaml
  out=$(as umlt-dee "$umlab" up "$f3" 2>&1); echo "$out"
  check "a broken limits file refuses users, with its errors at file:line:col" contains "$out" "/etc/umlab/limits.yaml:2:"
  as umlt-dee "$umlab" down small >/dev/null 2>&1
}

# ---- class ------------------------------------------------------------------------------------
part_class() {
  local s out
  for s in umlt-s1 umlt-s2 umlt-s3; do new_account "$s"; done
  printf '# a class of three\numlt-s1\numlt-s2\numlt-s3\n' >"$work/students.txt"
  cp "$srcdir/topologies/lan.yaml" "$srcdir/topologies/lan.tests.yaml" "$work/labs/"
  chmod -R a+rX "$work/labs" "$work/students.txt"
  export UMLAB_CLASS_DIR=$work/classes
  out=$("$umlab" class up "$work/labs/lan.yaml" --students "$work/students.txt" --name rl-class 2>&1); echo "$out"
  check "a class of three boots" contains "$out" "class rl-class: 3 of 3 students' labs up"
  check "with progress per student" bash -c '[[ "$1" == *"[umlt-s1]"*"[umlt-s2]"* || "$1" == *"[umlt-s2]"*"[umlt-s1]"* ]]' _ "$out"
  out=$("$umlab" class ps rl-class 2>&1); echo "$out"
  check "class ps shows every copy running" contains "$out" "3 of 3 students' labs running"
  out=$(as umlt-s2 "$umlab" exec lan pc1 -- ping -c1 -W5 10.0.0.3 2>&1)
  check "a student reaches their copy as themself" contains "$out" "1 received"
  out=$(as umlt-s1 "$umlab" link lan pc1:eth0 --delay 5ms 2>&1)
  check "a student changes a link of the copy root started for them" contains "$out" "delay 5ms"
  out=$(as umlt-s1 "$umlab" capture lan sw --last 30s -w /home/umlt-s1/last.pcap 2>&1)
  check "and captures its segment" contains "$out" "frames of the last"
  as umlt-s3 "$umlab" exec lan pc3 -- ip addr flush dev eth0 >/dev/null 2>&1 # s3 breaks pc3
  "$umlab" class test "$work/labs/lan.tests.yaml" --students "$work/students.txt" -o "$work/grades.csv" \
    --junit "$work/grades.xml" >"$work/class-test.log" 2>&1
  cat "$work/class-test.log" | tail -3; cat "$work/grades.csv"
  check "grades have a header and a row per student" test "$(wc -l <"$work/grades.csv")" = 4
  check "s1 passed every check" grep -q '^umlt-s1,.*,8,0,$' "$work/grades.csv"
  check "s3's broken pc3 fails checks" grep -q '^umlt-s3,.*fail' "$work/grades.csv"
  check "JUnit has a suite per student" test "$(grep -c '<testsuite ' "$work/grades.xml")" = 3
  # --diff: each student's disk diff of pc1 in the report (root reads the COW files; docs/diff.md)
  as umlt-s1 "$umlab" exec lan pc1 -- sh -c 'echo s1 > /root/s1-was-here' >/dev/null 2>&1
  "$umlab" class test "$work/labs/lan.tests.yaml" --students "$work/students.txt" --diff pc1 \
    --junit "$work/grades-diff.xml" >"$work/class-diff.log" 2>&1
  check "class test --diff puts s1's new file in its JUnit suite" grep -q 'A /root/s1-was-here' "$work/grades-diff.xml"
  check "and s2's pc1 has no change" grep -q 'diff of pc1: 0 added, 0 changed, 0 removed' "$work/grades-diff.xml"
  out=$("$umlab" class down rl-class 2>&1); echo "$out"
  check "class down stops every copy" contains "$out" "3 students' labs stopped"
  local left=""
  for s in umlt-s1 umlt-s2 umlt-s3; do left+=$(ls -A "/tmp/umlab-$(id -u $s)" 2>/dev/null); done
  check "nothing of the class is left" test -z "$left$(ls -A "$work/classes" 2>/dev/null)"
}

case $part in
users) part_users ;;
limits) part_limits ;;
class) part_class ;;
*) echo "usage: $0 users|limits|class BINARY_DIR SOURCE_DIR" >&2; exit 2 ;;
esac
echo "$failures failed"
[ "$failures" -eq 0 ]
