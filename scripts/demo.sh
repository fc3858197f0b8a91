#!/usr/bin/env bash
# Installs what is missing, builds, then compiles every lab in topologies/: validates it,
# plans it, and draws it to build/demo/<lab>.svg. (Booting the labs arrives with the guest
# runtime; this shows the compiler end to end.)
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
say "done: pictures and plans are in build/demo/"
