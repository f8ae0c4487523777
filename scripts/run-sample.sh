#!/usr/bin/env bash
# The main job on the bundled sample: the whole annotation cycle (synthesis, refinement,
# interactive and HoVerNet training, simulated annotation of a real crop, retraining,
# evaluation). The metrics service runs as a separate process to show the remote path;
# the other services run inside the orchestrator. Finishes in about five minutes.
set -euo pipefail
annotator=$1
socket=$(mktemp -u /tmp/annotator-run-XXXXXX.sock)
endpoint="ipc://$socket"
"$annotator" serve metrics --bind "$endpoint" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$socket"' EXIT
scripts/wait-for-service.sh "$annotator" "$endpoint" metrics
"$annotator" run --project .run/sample.sqlite --fresh --endpoint "metrics=$endpoint"
"$annotator" cycle status --project .run/sample.sqlite
# What the run made, ready to use: both models and the accepted annotations.
"$annotator" cycle export --project .run/sample.sqlite --out .run/sample-export
# For comparison: the classical baseline on the same sample crops.
baseline_out=$(mktemp -d /tmp/annotator-baseline-XXXXXX)
"$annotator" baseline --images Samples/monuseg-mini/images --out "$baseline_out" > /dev/null
echo "classical baseline on all six sample crops:"
"$annotator" metrics --gt Samples/monuseg-mini/instance_masks --pred "$baseline_out" --endpoint "$endpoint" | tail -2
rm -rf "$baseline_out"
# How close the accepted annotations came to the sample's ground truth (never used for training).
echo "accepted annotations against the sample's ground truth:"
"$annotator" cycle audit --project .run/sample.sqlite --gt Samples/monuseg-mini/instance_masks | tail -1
