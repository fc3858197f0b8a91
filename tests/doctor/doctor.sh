#!/bin/sh
# Integration tests of `umlab doctor` and of the host checks before `umlab up`, on the real host.
# usage: doctor.sh UMLAB REPO CASE
#   host          'umlab doctor' passes here and its JSON is valid
#   noexec        a real noexec tmpfs as TMPDIR (mounted inside 'unshare -m', so nothing stays
#                 mounted) is the 'tmpdir' check's failure, with the fix; root only
#   lab-memory    'umlab doctor LAB.yaml' of a lab with more guest memory than the host has free fails
#   up-refused    'umlab up' of that lab fails before starting anything, naming the check and the fix
#   up-6.16       'umlab up topologies/lan.yaml' (daemon transport) with UMLAB_KERNEL a stand-in that says
#                 it is Linux 6.16 fails on 'kernel.transports' before starting anything
#   chroot        in a real chroot onto a plain directory (a tmpfs with the system bound in, all
#                 inside 'unshare -m'), 'mountns' warns of the jail's chroot fallback and 'userns'
#                 says the kernel refuses user namespaces there, and 'protocols' that it has no
#                 /etc/protocols (it copies only passwd and group); root only. Run inside a chroot
#                 already (scripts/chroot-check.sh), it checks the doctor where it is
# Inside a chroot whose root is not a mount point (scripts/chroot-check.sh), 'host' expects the
# chroot's two warnings and 'noexec' cannot run (see there). Exit 77: skipped, with the reason.
set -eu
umlab=$1 repo=$2 case=$3
heavy=$repo/tests/data/doctor/heavy.yaml
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
# In a chroot onto a plain directory, "/" is no mount point: the kernel refuses to make it
# private (EINVAL) and refuses user namespaces (EPERM).
in_chroot=0
mountpoint -q / || in_chroot=1

# check_json FILE ID STATUS: FILE is a doctor report whose check ID has STATUS; prints its fix.
check_json() {
  /usr/bin/python3 - "$@" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert set(doc) == {"checks", "summary"}, doc.keys()
for c in doc["checks"]:
    assert set(c) == {"id", "title", "status", "reason", "fix"}, c
    assert c["status"] in ("pass", "warn", "fail"), c
    assert c["reason"], c
    assert (c["fix"] == "") == (c["status"] == "pass"), c
s = doc["summary"]
assert s["fail"] == sum(c["status"] == "fail" for c in doc["checks"]), s
want = {c["id"]: c for c in doc["checks"]}[sys.argv[2]]
assert want["status"] == sys.argv[3], want
print(want["fix"])
PY
}

tmp=$(mktemp -d /tmp/umlab-doctor-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

case $case in
host)
  "$umlab" doctor > "$tmp/text" || { cat "$tmp/text"; fail "umlab doctor exited $? on this host"; }
  cat "$tmp/text"
  grep -q '^14 checks: .* 0 fail' "$tmp/text" || fail "no '0 fail' summary"
  "$umlab" doctor --format json > "$tmp/json" || fail "umlab doctor --format json failed"
  check_json "$tmp/json" kernel.debian pass > /dev/null
  check_json "$tmp/json" netns pass > /dev/null
  if [ "$in_chroot" = 1 ]; then
    check_json "$tmp/json" mountns warn > /dev/null # the jail's chroot fallback
  else
    check_json "$tmp/json" mountns pass > /dev/null
  fi
  ;;
noexec)
  [ "$(id -u)" = 0 ] || skip "needs root (mounts a tmpfs in a private mount namespace)"
  # 'unshare -m' makes "/" private first, which the kernel refuses in such a chroot; without
  # that, the tmpfs could propagate to the host's namespace and stay mounted there.
  [ "$in_chroot" = 0 ] || skip "in a chroot whose root is not a mount point, no mount can be made private (EINVAL); run it outside the chroot"
  mkdir "$tmp/noexec"
  status=0
  unshare -m sh -c 'mount -t tmpfs -o noexec,size=1m umlab-doctor-test "$1" && TMPDIR="$1" "$2" doctor --format json' \
    sh "$tmp/noexec" "$umlab" > "$tmp/json" || status=$?
  [ "$status" = 1 ] || fail "doctor exited $status with a noexec TMPDIR, not 1"
  fix=$(check_json "$tmp/json" tmpdir fail)
  echo "fix: $fix"
  case $fix in *TMPDIR*exec*) ;; *) fail "the fix does not say to point TMPDIR at an exec-allowed tmpfs: $fix" ;; esac
  grep -q noexec "$tmp/json" || fail "the reason does not say noexec"
  ! grep -q "$tmp/noexec" /proc/self/mountinfo || fail "the tmpfs stayed mounted"
  ;;
lab-memory)
  status=0
  "$umlab" doctor --format json "$heavy" > "$tmp/json" || status=$?
  [ "$status" = 1 ] || fail "doctor exited $status for a lab bigger than the host, not 1"
  fix=$(check_json "$tmp/json" memory fail)
  echo "fix: $fix"
  /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["lab"].endswith("heavy.yaml"), d' "$tmp/json"
  ;;
up-refused)
  state=${UMLAB_STATE_DIR:?set UMLAB_STATE_DIR}
  status=0
  "$umlab" up "$heavy" > "$tmp/out" 2>&1 || status=$?
  cat "$tmp/out"
  [ "$status" != 0 ] || { "$umlab" down doctor-heavy; fail "umlab up started a lab bigger than the host"; }
  grep -q "host check 'memory' failed" "$tmp/out" || fail "the error does not name the 'memory' check"
  grep -q "fix: " "$tmp/out" || fail "the error gives no fix"
  [ ! -e "$state/doctor-heavy" ] || fail "up left $state/doctor-heavy behind: it started something"
  ;;
up-6.16)
  state=${UMLAB_STATE_DIR:?set UMLAB_STATE_DIR}
  # Only its version matters: the check runs it with --version and the lab must stop before a guest.
  printf '#!/bin/sh\n[ "$1" = --version ] && { echo 6.16.0; exit 0; }\necho "started as a guest" >&2; exit 3\n' \
    > "$tmp/linux.uml"
  chmod 755 "$tmp/linux.uml"
  status=0
  UMLAB_KERNEL=$tmp/linux.uml "$umlab" up "$repo/topologies/lan.yaml" > "$tmp/out" 2>&1 || status=$?
  cat "$tmp/out"
  [ "$status" != 0 ] || { "$umlab" down lan; fail "umlab up started lan on a 6.16 kernel"; }
  grep -q "host check 'kernel.transports' failed: node 'pc1' eth0 uses the daemon transport" "$tmp/out" ||
    fail "the error does not name 'kernel.transports'"
  grep -q "kernel: umlab" "$tmp/out" || fail "the fix does not name 'kernel: umlab'"
  ! grep -q "started as a guest" "$tmp/out" || fail "a guest was started"
  [ ! -e "$state/lan" ] || fail "up left $state/lan behind: it started something"
  ;;
chroot)
  [ "$(id -u)" = 0 ] || skip "needs root (mounts and chroot in a private mount namespace)"
  mkdir "$tmp/chroot"
  status=0
  if [ "$in_chroot" = 1 ]; then
    # Already in one (scripts/chroot-check.sh): the doctor where it runs, warning, not failing.
    "$umlab" doctor --format json > "$tmp/json" || status=$?
    [ "$status" = 0 ] || { cat "$tmp/json"; fail "doctor in this chroot exited $status, not 0"; }
  else
    unshare -m --propagation private sh -eu -c '
    t=$1 umlab=$2
    mount -t tmpfs umlab-doctor-chroot "$t"
    r=$t/root
    mkdir -p "$r/usr" "$r/proc" "$r/dev" "$r/sys" "$r/tmp" "$r/etc" "$r/umlab"
    for d in usr dev sys; do mount --rbind "/$d" "$r/$d"; done
    for l in bin lib lib64 sbin; do [ -e "$r/usr/$l" ] && ln -s "usr/$l" "$r/$l"; done
    cp /etc/passwd /etc/group /etc/ld.so.cache "$r/etc/"
    mount -t proc proc "$r/proc"
    cp "$umlab" "$r/umlab/umlab"
    exec chroot "$r" /umlab/umlab doctor --format json' sh "$tmp/chroot" "$umlab" > "$tmp/json" || status=$?
    # The test's own chroot has no base image, so 'images' fails: exit status 1.
    [ "$status" = 1 ] || fail "doctor in a chroot exited $status, not 1"
    # Nor /etc/protocols (as a minbase root without netbase): filters' protocol names are refused.
    fix=$(check_json "$tmp/json" protocols warn)
    case $fix in *netbase*) ;; *) fail "'protocols' does not say to install netbase: $fix" ;; esac
  fi
  check_json "$tmp/json" mountns warn > /dev/null
  grep -q "chroot fallback" "$tmp/json" || fail "'mountns' does not name the chroot fallback"
  fix=$(check_json "$tmp/json" userns warn)
  case $fix in *"outside the chroot"*) ;; *) fail "'userns' does not say to leave the chroot: $fix" ;; esac
  check_json "$tmp/json" netns pass > /dev/null
  ! grep -q umlab-doctor-chroot /proc/self/mountinfo || fail "the chroot's tmpfs stayed mounted"
  ;;
*) fail "unknown case '$case'" ;;
esac
echo "ok: $case"
