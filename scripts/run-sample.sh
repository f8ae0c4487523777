#!/usr/bin/env bash
# The main job on the bundled sample. Until the annotation cycle lands, it exercises the
# foundation: a metrics service in its own process, scored over ipc from the CLI.
set -euo pipefail
annotator=$1
socket=$(mktemp -u /tmp/annotator-run-XXXXXX.sock)
endpoint="ipc://$socket"
"$annotator" serve metrics --bind "$endpoint" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -f "$socket"' EXIT
scripts/wait-for-service.sh "$annotator" "$endpoint" metrics
"$annotator" health "$endpoint"
"$annotator" metrics --gt Samples/metrics/gt --pred Samples/metrics/pred --endpoint "$endpoint"
# The classical baseline on the bundled MoNuSeg crops, scored against their label maps.
baseline_out=$(mktemp -d /tmp/annotator-baseline-XXXXXX)
"$annotator" baseline --images Samples/monuseg-mini/images --out "$baseline_out"
"$annotator" metrics --gt Samples/monuseg-mini/instance_masks --pred "$baseline_out" --endpoint "$endpoint"
rm -rf "$baseline_out"
