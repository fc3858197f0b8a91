#!/usr/bin/env bash
# Derives kernel/uml/umlab.config, the configuration of umlab's own UML kernel, from Debian's UML
# configuration and the kernel sources it will build. Run by hand when either changes; the result is
# committed, so that a build needs nothing but the sources (`umlab kernel build`).
#
#   kernel/uml/derive-config.sh /usr/share/doc/user-mode-linux/config.gz /usr/src/linux-source-6.1.tar.xz
#
# What it changes, and why:
#   * No loadable modules (CONFIG_MODULES=n). Debian's modules in the base image are built for
#     Debian's kernel; ours must not need them. Every `=m` option whose Kconfig lives under a
#     directory in KEEP_DIRS below becomes `=y` (networking, netfilter, qdiscs, bridging, 802.1Q,
#     crypto for IPsec/WireGuard, the file systems labs use), and loop and nbd; every other `=m` (RAID,
#     SCSI, MTD, IIO, DRBD, exotic file systems, test modules) is dropped: a shorter build, and
#     guests that still boot at mem=64M.
#   * nftables with every family (inet, ip, ip6, arp, bridge, netdev) and every expression, plus the
#     rest of netfilter (conntrack, NAT, xtables) switched on as far as Kconfig allows.
#   * The legacy transports daemon/mcast/pcap (pcap is off in Debian's build), the vector transports;
#     vde off (it would need libvdeplug at link time and umlab does not use it).
#   * No debug info (half the build time and most of the binary's size); LOCALVERSION "-umlab".
set -euo pipefail

debian_config=${1:?usage: derive-config.sh DEBIAN_CONFIG(.gz) LINUX_SOURCE(.tar.xz|dir)}
source=${2:?usage: derive-config.sh DEBIAN_CONFIG(.gz) LINUX_SOURCE(.tar.xz|dir)}
here=$(cd "$(dirname "$0")" && pwd)

KEEP_DIRS=(net drivers/net crypto lib security/keys fs/nfs fs/nfsd fs/lockd fs/nfs_common fs/overlayfs
           fs/fuse fs/9p fs/autofs fs/squashfs fs/isofs fs/fat fs/nls fs/netfs fs/fscache fs/smb
           drivers/connector block init)
# Single `=m` options kept from elsewhere. Not the rest of drivers/block: DRBD, built in, takes
# 32 MB of every guest's memory at boot for its page pool, and a 64M guest then cannot boot.
KEEP_SYMBOLS=(BLK_DEV_LOOP BLK_DEV_NBD)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ -d $source ]]; then
  tree=$source
else
  echo "extracting $source ..." >&2
  tar -C "$work" -xf "$source"
  tree=$(echo "$work"/linux-source-*)
fi

if [[ $debian_config == *.gz ]]; then zcat "$debian_config"; else cat "$debian_config"; fi > "$work/config"

# symbol -> directory of the Kconfig file that defines it
(cd "$tree" && grep -rE --include='Kconfig*' '^[[:space:]]*(menu)?config[[:space:]]+[A-Z0-9_]+' . |
  sed -E 's#^\./(.*)/Kconfig[^:]*:[[:space:]]*(menu)?config[[:space:]]+([A-Z0-9_]+).*#\3 \1#') > "$work/symdirs"

keep_re="^($(IFS='|'; echo "${KEEP_DIRS[*]}"))(/|$)"
keep_syms=" ${KEEP_SYMBOLS[*]} "
# Test modules (XZ_DEC_TEST, ...) are never kept.
awk -v re="$keep_re" -v syms="$keep_syms" 'NR==FNR { if (!($1 in dir)) dir[$1] = $2; next }
  /=m$/ { sym = substr($0, 8, length($0) - 9); d = dir[sym];
          keep = (d ~ re || index(syms, " " sym " ") > 0) && sym !~ /(^|_)TEST(_|$)/;
          if (keep) print "CONFIG_" sym "=y"; else print "# CONFIG_" sym " is not set"; next }
  { print }' "$work/symdirs" "$work/config" > "$work/config.kept"

cp "$work/config.kept" "$tree/.config"
cfg() { (cd "$tree" && ./scripts/config "$@"); }
cfg --disable MODULES --disable DEBUG_INFO --enable DEBUG_INFO_NONE --disable DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT --disable DEBUG_INFO_REDUCED \
    --disable DEBUG_INFO_COMPRESSED --disable UML_NET_VDE --enable UML_NET_PCAP \
    --enable UML_NET_DAEMON --enable UML_NET_MCAST --enable UML_NET_VECTOR \
    --set-str LOCALVERSION "-umlab" --disable LOCALVERSION_AUTO
# Options that stay off, also when the netfilter round below would turn on what its directories
# offer:
#  * built in, these would each add an interface to every guest's `ip link` (eql, ipddp0, wpan0/1,
#    teql0) for protocols no lab uses (bond0 and ifb0/1 are turned off on the kernel command line,
#    bonding.max_bonds=0 ifb.numifbs=0, since labs use bonding and ifb);
#  * every built-in driver costs each guest memory (its code is part of the guest's memory, its init
#    allocates): at mem=64M with many guests booting at once, this kernel ran out of memory at boot
#    until protocol families and file systems no lab of a network course uses went (ATM, CAN,
#    6LoWPAN, NFC, CAIF, RDS, TIPC, Phonet, X.25, RxRPC, Ceph, vsock, KCM; btrfs, XFS, JFS: guest
#    roots are ext4);
#  * bpfilter (experimental, unused by iptables and nft) starts a user-mode helper process from an
#    initcall; in a UML guest booting under load that fork failed and the guest hung at boot.
OFF=(EQUALIZER ATALK IEEE802154 NET_SCH_TEQL
     ATM CAN 6LOWPAN NFC CAIF RDS TIPC PHONET X25 LAPB AF_RXRPC CEPH_LIB VSOCKETS AF_KCM BTRFS_FS XFS_FS JFS_FS
     BPFILTER)
off_args=()
for s in "${OFF[@]}"; do off_args+=(--disable "$s"); done
cfg "${off_args[@]}"
# netfilter: families first, then everything under the netfilter directories that Kconfig offers
cfg --enable NETFILTER_INGRESS --enable NETFILTER_EGRESS --enable NF_TABLES --enable NF_TABLES_INET \
    --enable NF_TABLES_IPV4 --enable NF_TABLES_IPV6 --enable NF_TABLES_ARP --enable NF_TABLES_NETDEV \
    --enable NF_TABLES_BRIDGE --enable NETFILTER_ADVANCED
nf_dirs_re='^(net/netfilter|net/ipv4/netfilter|net/ipv6/netfilter|net/bridge/netfilter|net/sched)$'
for round in 1 2 3; do
  (cd "$tree" && make -s ARCH=um olddefconfig)
  mapfile -t unset < <(awk -v re="$nf_dirs_re" 'NR==FNR { if (!($1 in dir)) dir[$1] = $2; next }
    /^# CONFIG_.* is not set$/ { sym = $2; sub(/^CONFIG_/, "", sym); if (dir[sym] ~ re) print sym }' \
    "$work/symdirs" "$tree/.config")
  # debugging and deprecated knobs stay off, and so does OFF
  args=()
  for s in "${unset[@]}"; do
    case $s in *DEBUG*|*_TEST*|NF_CONNTRACK_PROCFS|NETFILTER_XTABLES_COMPAT|IP_NF_TARGET_CLUSTERIP|NET_SCH_DEFAULT|NF_CT_PROTO_*|NET_EMATCH_STACK) continue ;; esac
    [[ " ${OFF[*]} " == *" $s "* ]] && continue
    args+=(--enable "$s")
  done
  [[ ${#args[@]} -eq 0 ]] && break
  cfg "${args[@]}"
done
(cd "$tree" && make -s ARCH=um olddefconfig)
{
  echo "# umlab's UML kernel configuration: derived by kernel/uml/derive-config.sh from Debian's"
  echo "# $(basename "$debian_config") and $(basename "$source"). Do not edit by hand; change the script."
  grep -v '^# Automatically generated\|^# Linux/um .* Kernel Configuration' "$tree/.config"
} > "$here/umlab.config"
echo "wrote $here/umlab.config: $(grep -c '=y$' "$here/umlab.config") options =y, $(grep -c '=m$' "$here/umlab.config" || true) =m" >&2
