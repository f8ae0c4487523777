#!/usr/bin/env bash
# Runs the C client test against a Swift metrics service started as its own process,
# then checks that SIGTERM drains it and it exits 0.
set -euo pipefail
annotator=$1
c_test=$2
fixtures=$3
# Everything this script makes lives in one folder, removed on exit.
work=$(mktemp -d /tmp/annotator-c-test-XXXXXX)
socket="$work/metrics.sock"
endpoint="ipc://$socket"
"$annotator" serve metrics --bind "$endpoint" 2>"$work/server.log" &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/wait-for-service.sh "$annotator" "$endpoint" metrics
"$c_test" "$endpoint" "$fixtures"
kill -TERM $server
status=0
wait $server || status=$?
if [[ $status -ne 0 ]]; then
    echo "metrics service exited with status $status after SIGTERM (expected 0)" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "c-client: service drained and exited 0 after SIGTERM"

# The interactive service with a one-step model, driven by the C example program.
c_build=$(dirname "$c_test")
model="$work/model.safetensors"
"$annotator" interactive train --data Samples/monuseg-mini --out "$model" --steps 1 --batch 2 --lr 0.002 >/dev/null
socket2="$work/interactive.sock"
"$annotator" serve interactive --bind "ipc://$socket2" --model "$model" --store "$work/store" 2>"$work/interactive.log" &
interactive=$!
trap 'kill -9 $server $interactive 2>/dev/null || true; rm -rf "$work"' EXIT
scripts/wait-for-service.sh "$annotator" "ipc://$socket2" interactive
image=$(ls Samples/monuseg-mini/images/*.png | head -1)
result=$("$c_build/interactive_click" "ipc://$socket2" "$image" 128 128)
echo "c-client interactive: $result"
kill -TERM $interactive
wait $interactive
