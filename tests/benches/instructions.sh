#!/usr/bin/env bash
# Counts the instructions one execution of each workload takes, under callgrind: a figure that,
# unlike time, does not move with the machine's load or speed. Each workload runs twice, with
# 10 and with 40 executions after its check (`--profile N`); the difference over 30 leaves out
# start-up, loading and the check. Needs valgrind. Arguments: workload names (default: all
# seven); `--no-history` counts executions that record no history. The bench is built with line
# tables under target/instructions, apart from the usual release build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v valgrind >/dev/null; then
  echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2
  exit 1
fi
workloads=${SFN_BENCH_DIR:-$root/../shared/bench/workloads}
extra=()
names=()
for arg in "$@"; do
  case "$arg" in
    --no-history) extra+=(--no-history) ;;
    *) names+=("$arg") ;;
  esac
done
if [ ${#names[@]} -eq 0 ]; then
  names=(pass-chain choice-loop map-1k parallel-fanout task-mocked wait-heavy retry-heavy)
fi
cd "$root"
# Line tables only: symbols for callgrind_annotate, the same code as the release bench.
bin=$(CARGO_TARGET_DIR=$root/target/instructions CARGO_PROFILE_BENCH_DEBUG=line-tables-only cargo bench -p sfn-test-suite --bench workloads \
  --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -n 1)
if [ -z "$bin" ]; then
  echo "instructions.sh: could not build the bench" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cd "$root/tests"
printf '%-16s %14s\n' workload instructions
for name in "${names[@]}"; do
  for n in 10 40; do
    SFN_BENCH_DIR=$workloads valgrind --tool=callgrind --callgrind-out-file="$out/$name.$n" \
      "$bin" "$name" --profile "$n" "${extra[@]}" >/dev/null 2>"$out/$name.$n.log"
  done
  a=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$name.10.log")
  b=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out/$name.40.log")
  printf '%-16s %14d\n' "$name" $(((b - a) / 30))
done
echo "(per execution: callgrind's count with 40 executions, minus with 10, over 30)"
