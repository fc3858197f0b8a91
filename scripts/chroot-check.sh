#!/usr/bin/env bash
# shellcheck disable=SC2317  # the functions run from the traps and in the unshare'd bash
# The newcomer's path, checked by hand before a release: a fresh Debian 12 (debootstrap
# --variant=minbase bookworm) in a new directory, the committed HEAD of a repository cloned into
# it, and scripts/test.sh run there through chroot. Everything is mounted in a private mount
# namespace (unshare -m), so the mounts go away with it; the root is removed afterwards.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/chroot-check.sh [options] [-- ctest arguments]

Builds a fresh Debian 12 root with debootstrap, clones the committed HEAD of the repository
into it and runs 'scripts/test.sh [ctest arguments]' there through chroot (as root, in a private
mount namespace: proc, sys, dev, dev/pts, a tmpfs on /dev/shm and /run). Prints the CTest
summary and exits with the status of scripts/test.sh.

Options:
  --repo PATH      the repository (or worktree) whose committed HEAD is tested (default: this one)
  --dir DIR        where to build the root (a new directory; default: a new one under /var/tmp)
  --keep           leave the root in place afterwards (default: remove it)
  --share-cache    show the host's ~/.cache/umlab (kernel and image build cache) in the root
                   through an overlay: skips a cold UML kernel build (11-25 min); what the
                   check writes goes to the overlay's upper layer in the root, never to the
                   host's cache. Default: a fresh cache.
  --mirror URL     the Debian mirror debootstrap uses (default: the host's first apt source)
  --log FILE       where the whole run's output goes (default: <root>.log beside the root)
  -h, --help       this text

Example: scripts/chroot-check.sh --share-cache -- -R 'runtime|jail|guest'
Needs root, debootstrap (installed with apt-get when missing), unshare and chroot.
EOF
}

repo=$(cd "$(dirname "$0")/.." && pwd)
dir="" keep=0 share_cache=0 mirror="" log=""
ctest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
  --repo) repo=$2; shift 2 ;;
  --dir) dir=$2; shift 2 ;;
  --keep) keep=1; shift ;;
  --share-cache) share_cache=1; shift ;;
  --mirror) mirror=$2; shift 2 ;;
  --log) log=$2; shift 2 ;;
  -h | --help) usage; exit 0 ;;
  --) shift; ctest_args=("$@"); break ;;
  *) echo "chroot-check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> [%s] %s\033[0m\n' "$(date +%T)" "$*"; }
die() { echo "chroot-check: error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount and chroot need it)"
command -v unshare >/dev/null || die "unshare is missing (util-linux)"
rev=$(git -C "$repo" rev-parse HEAD) || die "'$repo' is not a git repository"
if [ -z "$mirror" ]; then
  # The host's own first Debian source, so the check uses what this machine's apt uses.
  mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | awk '{print $2; exit}' || true)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
fi
if ! command -v debootstrap >/dev/null; then
  say "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
fi

if [ -z "$dir" ]; then
  dir=$(mktemp -d /var/tmp/umlab-chroot-check.XXXXXX)
else
  [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "'$dir' exists and is not empty"
  mkdir -p "$dir"
fi
dir=$(cd "$dir" && pwd)
[ "$dir" != / ] || die "refusing '/' as the root"
# The root's own mode is what every user in it sees of '/': mktemp's 0700 would keep all but root
# out (a package's postinst that runs 'su munge -s /bin/sh' fails with "Permission denied", and
# so would the tests' own ordinary users).
chmod 0755 "$dir"
[ -n "$log" ] || log="$dir.log"

# A process whose root is the new root (a guest, a switch the tests left) would keep the private
# mount namespace alive: ended by pid.
kill_inside() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    case "$r" in "$dir" | "$dir"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  kill_inside
  if [ -n "${ns_pid:-}" ]; then
    wait "$ns_pid" 2>/dev/null || true
  fi
  # Never remove a root that still has something mounted below it (a bound /dev would go too).
  if grep -q " ${dir}[/ ]" /proc/self/mountinfo; then
    echo "chroot-check: something is still mounted below $dir: not removed" >&2
  elif [ "$keep" -eq 0 ]; then
    rm -rf --one-file-system "$dir"
  else
    echo "chroot-check: the root stays in $dir"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Everything below runs in one private mount namespace: what it mounts is gone when it ends.
inside() {
  set -euo pipefail
  mount --make-rprivate /
  say "debootstrap --variant=minbase bookworm into $dir (mirror: ${mirror:-the default})"
  local t0=$SECONDS
  debootstrap --variant=minbase --include=git,ca-certificates bookworm "$dir" ${mirror:+"$mirror"} >/dev/null
  say "debootstrap done in $((SECONDS - t0)) s"
  mount -t proc proc "$dir/proc"
  mount -t sysfs sysfs "$dir/sys"
  mount --bind /dev "$dir/dev"
  mount --bind /dev/pts "$dir/dev/pts"
  mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm"
  mount -t tmpfs -o mode=0755 tmpfs "$dir/run"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  # The host's apt sources (security and updates too): debootstrap writes only 'bookworm main',
  # which holds older packages (an older linux-source, so another kernel recipe) than the host's.
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/debian.sources"
    : > "$dir/etc/apt/sources.list"
  elif [ -s /etc/apt/sources.list ]; then
    cp /etc/apt/sources.list "$dir/etc/apt/sources.list"
  fi
  # No package may start a service in the root (munge, slurm): it would outlive the check.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  mkdir -p "$dir/root/.cache/umlab"
  if [ "$share_cache" -eq 1 ] && [ -d "$HOME/.cache/umlab" ]; then
    # Read-only below, writable above: a check that builds another recipe (an older
    # linux-source, say) or repoints a link changes only the upper layer, removed with the root.
    mkdir -p "$dir/var/tmp/umlab-cache-upper" "$dir/var/tmp/umlab-cache-work"
    mount -t overlay umlab-cache \
      -o "lowerdir=$HOME/.cache/umlab,upperdir=$dir/var/tmp/umlab-cache-upper,workdir=$dir/var/tmp/umlab-cache-work" \
      "$dir/root/.cache/umlab"
    say "sharing the host's ~/.cache/umlab (overlay: the host's copy stays unchanged)"
  fi
  say "cloning $repo at $rev into /src/umlab"
  git clone -q --no-checkout "$repo" "$dir/src/umlab"
  git -C "$dir/src/umlab" -c advice.detachedHead=false checkout -q "$rev"
  say "running scripts/test.sh ${ctest_args[*]} in the chroot"
  t0=$SECONDS
  local rc=0
  chroot "$dir" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'cd /src/umlab && exec scripts/test.sh "$@"' test.sh "${ctest_args[@]}" || rc=$?
  say "scripts/test.sh exited with $rc after $((SECONDS - t0)) s"
  kill_inside
  return "$rc"
}

say "log: $log"
export -f inside say kill_inside
export dir mirror rev repo share_cache
ctest_list=""
[ ${#ctest_args[@]} -eq 0 ] || ctest_list=$(printf '%q ' "${ctest_args[@]}")
unshare -m --propagation private bash -c "ctest_args=($ctest_list); inside" >"$log" 2>&1 &
ns_pid=$!
rc=0
wait "$ns_pid" || rc=$?
ns_pid=""
# The CTest summary: the pass line and the list of failed tests after it.
sed -n '/tests passed/,$p' "$log" | grep -v '^Errors while running CTest' || tail -n 20 "$log"
echo "chroot-check: the whole output, with each failed test's own, is in $log"
exit "$rc"
