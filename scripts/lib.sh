# Shared by scripts/test.sh and scripts/demo.sh: install what is missing, configure, build.
# Sourced, not run. Works on a brand-new Debian 12 machine: every package the build and the
# tests need is listed here, and installed with apt-get only when absent.

UMLAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UMLAB_BUILD=${UMLAB_BUILD:-$UMLAB_ROOT/build}

# Build and test dependencies (Debian package names).
UMLAB_PACKAGES=(
  cmake ninja-build g++ pkg-config          # toolchain
  libyaml-cpp-dev libboost-graph-dev libpcap-dev catch2   # libraries
  libext2fs-dev diffutils                   # umlab diff: reads guests' ext4 disks (libext2fs), diff -u for --content
  clang libclang-rt-14-dev                  # the libFuzzer target
  graphviz                                  # umlab graph --format svg
  python3 python3-yaml python3-jsonschema   # the JSON Schema test
  tcpdump                                   # reads the project's captures in a test
  iproute2                                  # ip: lab network namespaces, taps (minimal roots lack it)
  netbase                                   # /etc/protocols: pcap filters name protocols ('proto ospf'); without it, in a
                                            # minbase chroot, libpcap 1.10 took 'ospf' as protocol 0 (its getprotobyname_r
                                            # failed) and a traffic check matched IPv6 hop-by-hop frames (MLD)
  strace                                    # the test that umlab never runs umlab again
  user-mode-linux uml-utilities vde2        # the guests' kernel; uml_switch and vde_switch, the switch anchors
  debootstrap e2fsprogs                     # building the base image (mkfs.ext4 -d, debugfs)
  zstd                                      # umlab archive / up FILE.umlab: the archive's compressor (tar runs it)
  acl                                       # setfacl: guests (the lab's uid) may write the directories they mount
  uidmap                                    # newuidmap/newgidmap: rootless labs run their guests under subordinate ids
  linux-source-6.1 make patch xz-utils bc bison flex libelf-dev   # umlab kernel build: umlab's own UML kernel (kernel/uml)
  qt6-base-dev qt6-svg-dev fonts-dejavu-core  # umlab-gui: Qt 6 Widgets, SVG export, a font for offscreen screenshots
  slurm-wlm munge                           # the multi-host test: a real Slurm cluster (../shared/recipes/slurm-cluster.sh)
)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  # shellcheck disable=SC2086
  say "installing missing packages: $(echo $missing)"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "umlab: error: these packages are missing and this user cannot install them: $missing" >&2
      echo "run as root: apt-get install -y $missing" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  $sudo apt-get install -y -qq --no-install-recommends $missing
}

configure_and_build() {
  if [ ! -f "$UMLAB_BUILD/build.ninja" ]; then
    say "configuring in $UMLAB_BUILD"
    cmake -S "$UMLAB_ROOT" -B "$UMLAB_BUILD" -G Ninja "$@"
  fi
  say "building"
  cmake --build "$UMLAB_BUILD" -j "$(nproc)"
}
