#!/usr/bin/env bash
# A whole distributed run on this machine: a coordinator, two data servers (replicas of one dataset)
# and N workers as separate processes over Aeron UDP on loopback; two epochs; each worker's summary;
# then everything stops. Across hosts, run the same commands on each host with its own addresses
# (see the README).
#   usage: launch-loopback.sh [WORKERS (2)] [DATASET_SIZE (256MiB)]
set -euo pipefail
WORKERS=${1:-2}
SIZE=${2:-256MiB}
STOKER_WORK=$(mktemp -d -t stoker-loopback-XXXX)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"${STOKER[@]}" --version >/dev/null   # builds the launcher on first use

head -c 48 /dev/urandom | base64 > "$STOKER_WORK/job.token"
TOKEN=(--job-token-file "$STOKER_WORK/job.token")
"${STOKER[@]}" dataset generate "$STOKER_WORK/dataset" --size "$SIZE" --format fixed:4096 > /dev/null
DATASET_ID=$("${STOKER[@]}" dataset index "$STOKER_WORK/dataset" | awk '/dataset id/ {print $NF}')
echo "dataset $DATASET_ID ($SIZE) in $STOKER_WORK/dataset"

COORDINATOR=127.0.0.1:$(free_port)
start coordinator coordinator --listen "$COORDINATOR" "${TOKEN[@]}" --checkpoint-dir "$STOKER_WORK/checkpoints"
await_log coordinator "listening on"
for server in a b; do
  # distinct host ids make the workers read over UDP, as they would from another machine
  start "server-$server" serve --coordinator "$COORDINATOR" --listen "127.0.0.1:$(free_port)" \
    --dataset "$STOKER_WORK/dataset" --host-id "server-$server" "${TOKEN[@]}"
  await_log "server-$server" "advertised dataset"
done
for rank in $(seq 0 $((WORKERS - 1))); do
  start "worker-$rank" worker --coordinator "$COORDINATOR" --listen "127.0.0.1:$(free_port)" --rank "$rank" \
    --host-id worker-host "${TOKEN[@]}"
done

"${STOKER[@]}" submit --coordinator "$COORDINATOR" --listen "127.0.0.1:$(free_port)" --dataset-id "$DATASET_ID" \
  --world-size "$WORKERS" --epochs 2 "${TOKEN[@]}"
STATUS=$?
for rank in $(seq 0 $((WORKERS - 1))); do
  await_log "worker-$rank" "checksum failures"
  grep -A3 "^stoker worker rank $rank:" "$STOKER_WORK/worker-$rank.log" | grep -v "^--"
done
exit $STATUS
