#!/usr/bin/env bash
# A real lab run by umlab inside a chroot whose "/" is not a mount point, where pivot_root is
# refused: the guests' and switches' jails are entered the chroot way (jail.hpp). The chroot's
# root is a directory on a tmpfs, with the host's /usr, /etc, /var, $HOME, the source and build
# trees bound in, all in a private mount namespace (unshare -m): nothing stays mounted.
# Usage: chroot_guests.sh UMLAB SOURCE_DIR TESTS_FILE   (root only; says why and passes otherwise)
set -euo pipefail
umlab=$1 src=$2 tests=$3

if [ "$(id -u)" -ne 0 ]; then
  echo "chroot guests: not checked: needs root (mount, chroot)"
  exit 0
fi
top=$(mktemp -d /tmp/umlab-chroot-guests.XXXXXX)
trap 'rmdir "$top"' EXIT

# shellcheck disable=SC2016 # expanded by the inner bash
unshare -m --propagation unchanged bash -s "$umlab" "$src" "$tests" "$top" <<'EOF'
set -euo pipefail
umlab=$1 src=$2 tests=$3 top=$4
if ! mount --make-rprivate / 2>/dev/null; then
  echo "chroot guests: not checked: already in a chroot (its root's propagation cannot be changed)"
  exit 0
fi
mount -t tmpfs -o mode=0755 umlab-chroot "$top"
root=$top/root # a directory, not a mount point
mkdir -p "$root"
for l in bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$l" ]; then cp -P "/$l" "$root/$l"; elif [ -d "/$l" ]; then mkdir -p "$root/$l" && mount --bind "/$l" "$root/$l"; fi
done
for d in /usr /etc /var "$HOME" "$src" "$(dirname "$umlab")/.."; do
  d=$(cd "$d" && pwd -P)
  mkdir -p "$root$d"
  mountpoint -q "$root$d" || mount --bind "$d" "$root$d"
done
mkdir -p "$root/dev" "$root/proc" "$root/sys" "$root/run" "$root/tmp"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount -t tmpfs -o mode=0755 tmpfs "$root/run"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
rc=0
chroot "$root" /usr/bin/env HOME="$HOME" PATH=/usr/sbin:/usr/bin:/sbin:/bin UMLAB_STATE_DIR="${UMLAB_STATE_DIR:-}" \
  bash -c 'cd "$1" && "$2" test "$3"' sh "$src" "$umlab" "$tests" || rc=$?
# Whatever the run left (it should leave nothing) ends with the namespace's last process.
for p in /proc/[0-9]*; do
  case "$(readlink "$p/root" 2>/dev/null)" in "$root" | "$root"/*) kill -KILL "${p#/proc/}" 2>/dev/null || true ;; esac
done
exit "$rc"
EOF
