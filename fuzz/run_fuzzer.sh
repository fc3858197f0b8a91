#!/bin/sh
# run_fuzzer.sh FUZZER OUT_DIR SEED_DIR [libFuzzer options...]
#
# Runs a libFuzzer target for a bounded amount of work (the options give -runs and -seed), the
# same way every time: OUT_DIR/corpus is emptied first and passed as the first corpus directory,
# where libFuzzer writes the new inputs it finds, so the seeds in SEED_DIR stay untouched and
# every run starts from them alone. Crash reproducers land in OUT_DIR/artifacts/.
set -eu
if [ $# -lt 3 ]; then
  echo "usage: run_fuzzer.sh FUZZER OUT_DIR SEED_DIR [libFuzzer options...]" >&2
  exit 2
fi
fuzzer=$1
out=$2
seeds=$3
shift 3
if [ ! -x "$fuzzer" ]; then
  echo "run_fuzzer.sh: error: '$fuzzer' is not built; build the 'umlab_fuzzers' target first" >&2
  exit 1
fi
rm -rf "$out/corpus"
mkdir -p "$out/corpus" "$out/artifacts"
exec "$fuzzer" "$out/corpus" "$seeds" -artifact_prefix="$out/artifacts/" "$@"
