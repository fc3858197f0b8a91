#!/usr/bin/env bash
# Run once, as root, so that any user of this machine can run labs without root
# (docs/classroom.md): installs the packages umlab needs, builds umlab in a build directory of
# its own, and builds the shared base image into /var/lib/umlab/images (readable by everyone;
# 'umlab image build --system'). Afterwards every user runs scripts/demo.sh and scripts/test.sh
# unchanged, from their own clone, with no sudo.
# Usage: sudo scripts/setup-system.sh [--name IMAGE]...   (default: the debian image)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "umlab: error: scripts/setup-system.sh sets up the machine for every user: run it as root (sudo $0)" >&2
  exit 1
fi
install_packages "${UMLAB_PACKAGES[@]}"
UMLAB_BUILD=${UMLAB_SYSTEM_BUILD:-/var/tmp/umlab-system-build}
configure_and_build -DUMLAB_GUI=OFF -DUMLAB_FUZZ=OFF
say "the shared base image (in /var/lib/umlab/images, readable by every user)"
"$UMLAB_BUILD/bin/umlab" image build --system "$@"
if [ "$(stat -c %a /dev/net/tun 2>/dev/null)" != 666 ]; then
  say "note: /dev/net/tun is not 0666 here: users' labs with links to the host or pcap monitors need it"
  echo "    ('chmod 0666 /dev/net/tun', Debian's default, lets them)"
fi
# Accounts of people (uid 1000-59999) without subordinate ids run their guests as themselves.
without=$(awk -F: 'NR == FNR { has[$1] = 1; next } $3 >= 1000 && $3 < 60000 && !($1 in has) { print $1 }' \
  /etc/subuid /etc/passwd 2>/dev/null | tr '\n' ' ')
if [ -n "$without" ]; then
  say "these accounts have no range in /etc/subuid, so their guests run as themselves: $without"
  echo "    ('usermod --add-subuids FIRST-LAST --add-subgids FIRST-LAST USER' gives one a range no other user has)"
fi
say "done: any user can now run 'scripts/demo.sh' and 'umlab up ...' without root"
