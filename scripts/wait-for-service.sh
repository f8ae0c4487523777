#!/usr/bin/env bash
# wait-for-service.sh ANNOTATOR ENDPOINT NAME — waits up to 10 s for a service to answer
# Health; fails naming the service otherwise.
set -euo pipefail
for _ in $(seq 1 100); do
    if "$1" health "$2" --timeout 1 >/dev/null 2>&1; then exit 0; fi
    sleep 0.1
done
echo "error: the $3 service did not come up on $2" >&2
exit 1
