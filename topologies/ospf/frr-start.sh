#!/bin/sh
# Starts FRR and makes sure its integrated config (/etc/frr/frr.conf) is in force before the
# node counts as ready. Under CPU load FRR can start ospfd before vtysh applied the file, and the
# router then runs without its 'router ospf' section or its interface settings (FRR issue 15799,
# "100% reproducible when the system is CPU loaded"; seen here on a busy machine: r1 had no route
# to lan3 for 70 s). Applying the file again (vtysh -b) is harmless, so it is applied until the
# running config holds both, for up to 40 s.
/usr/lib/frr/frrinit.sh start
i=0
while [ "$i" -lt 20 ]; do
  running=$(vtysh -c 'show running-config' 2>/dev/null)
  if printf '%s\n' "$running" | grep -q '^router ospf' &&
    printf '%s\n' "$running" | grep -q 'ip ospf network point-to-point'; then
    exit 0
  fi
  sleep 2
  vtysh -b >/dev/null 2>&1
  i=$((i + 1))
done
echo "frr-start: FRR's config is not in force after 40 s: 'vtysh -c \"show running-config\"' shows what runs" >&2
exit 1
