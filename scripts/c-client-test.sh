#!/usr/bin/env bash
# Runs the C client test against a Swift metrics service started as its own process,
# then checks that SIGTERM drains it and it exits 0.
set -euo pipefail
annotator=$1
c_test=$2
fixtures=$3
socket=$(mktemp -u /tmp/annotator-c-test-XXXXXX.sock)
endpoint="ipc://$socket"
"$annotator" serve metrics --bind "$endpoint" 2>/tmp/annotator-c-test-server.log &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -f "$socket"' EXIT
ready=0
for _ in $(seq 1 100); do
    if "$annotator" health "$endpoint" --timeout 1 >/dev/null 2>&1; then ready=1; break; fi
    sleep 0.1
done
if [[ $ready -ne 1 ]]; then echo "error: the metrics service did not come up on $endpoint" >&2; exit 1; fi
"$c_test" "$endpoint" "$fixtures"
kill -TERM $server
status=0
wait $server || status=$?
if [[ $status -ne 0 ]]; then
    echo "metrics service exited with status $status after SIGTERM (expected 0)" >&2
    cat /tmp/annotator-c-test-server.log >&2
    exit 1
fi
echo "c-client: service drained and exited 0 after SIGTERM"
