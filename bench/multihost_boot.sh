#!/usr/bin/env bash
# Boot time of a lab on 3 Slurm hosts against the same lab on one host (issue 20), run by hand:
#   bench/multihost_boot.sh BUILD_DIR [SIZES]      (default sizes 30,90; root)
# Brings up ../shared/recipes/slurm-cluster.sh's cluster of 3 hosts (network namespaces of this
# machine), and for each size a generated campus lab (umlab-genlab, LANs of up to 9 hosts, 64M
# guests): `umlab up --engine slurm --hosts 3` and `umlab down`, then plain `umlab up` on one
# host and `down`; each timed with the wall clock, RUNS times (default 2). The hosts here share
# this machine's cores, so the ratio is umlab's cost of spreading a lab (allocation, srun steps,
# VXLAN sockets, per-host supervisors), not a speed-up: on real hosts each has its own cores.
# Hold /tmp/umlab-bench.lock (flock) so that nothing else measures at the same time.
set -euo pipefail
bindir=$1/bin
sizes=${2:-30,90}
runs=${RUNS:-2}
recipe=${UMLAB_SLURM_RECIPE:-$(dirname "$0")/../../shared/recipes/slurm-cluster.sh}
[ "$(id -u)" -eq 0 ] || { echo "multihost_boot: needs root (the cluster recipe)" >&2; exit 1; }
[ -e /run/netns/umlab-ctl ] && { echo "multihost_boot: a test cluster already runs (/run/netns/umlab-ctl)" >&2; exit 1; }
work=$(mktemp -d /tmp/umlab-mhbench.XXXXXX)
cleanup() {
  set +e
  for d in "$work"/state/*; do [ -d "$d" ] && ctl env UMLAB_STATE_DIR="$work/state" "$bindir/umlab" down "$(basename "$d")" >/dev/null 2>&1; done
  for d in "$work"/one/*; do [ -d "$d" ] && UMLAB_STATE_DIR="$work/one" "$bindir/umlab" down "$(basename "$d")" >/dev/null 2>&1; done
  bash "$recipe" down "$work/cluster" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
ctl() { SLURM_CONF=$work/cluster/slurm.conf nsenter --net=/run/netns/umlab-ctl "$@"; }
now() { date +%s.%N; }
bash "$recipe" up 3 "$work/cluster" >/dev/null
mkdir -m 700 "$work/state" "$work/one"
printf '%-6s %-22s %10s %10s\n' guests where "up (s)" "down (s)"
for n in ${sizes//,/ }; do
  "$bindir/umlab-genlab" --nodes "$n" --hosts-per-lan 9 --name "mh$n" -o "$work/mh$n.yaml"
  for run in $(seq 1 "$runs"); do
    t0=$(now)
    ctl env UMLAB_STATE_DIR="$work/state" UMLAB_SHARD_ROOT="$work" "$bindir/umlab" up "$work/mh$n.yaml" --engine slurm --hosts 3 --timeout 600s >"$work/up.log" 2>&1 ||
      { cat "$work/up.log"; exit 1; }
    t1=$(now)
    tunnels=$(grep -o '[0-9]* VXLAN tunnels' "$work/up.log" | head -1)
    ctl env UMLAB_STATE_DIR="$work/state" "$bindir/umlab" down "mh$n" >/dev/null
    t2=$(now)
    printf '%-6s %-22s %10.1f %10.1f\n' "$n" "3 hosts ($tunnels)" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
    t0=$(now)
    UMLAB_STATE_DIR="$work/one" "$bindir/umlab" up "$work/mh$n.yaml" --timeout 600s >"$work/up1.log" 2>&1 || { cat "$work/up1.log"; exit 1; }
    t1=$(now)
    UMLAB_STATE_DIR="$work/one" "$bindir/umlab" down "mh$n" >/dev/null
    t2=$(now)
    printf '%-6s %-22s %10.1f %10.1f\n' "$n" "1 host" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
  done
done
