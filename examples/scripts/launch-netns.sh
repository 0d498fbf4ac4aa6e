#!/usr/bin/env bash
# A multi-host run on one machine: every "host" is a network namespace of its own, with its own address and host
# id, joined to the others through a veth pair to a bridge in one more namespace: a coordinator host (the
# coordinator and the submitting client), two data-server hosts (replicas of one dataset) and one host per
# worker. The processes reach each other only over that network (Aeron UDP; distinct host ids, so no shared-file
# reads); two epochs; each worker's summary; then everything stops and the namespaces are deleted. Nothing
# outside the namespaces this script makes is touched: no interface, address or route of the machine's own.
#   usage: launch-netns.sh [WORKERS (2)] [DATASET_SIZE (256MiB)]     as root, where `ip netns` works
# Exits 77 (and says why) where it cannot run: not root, no `ip`, or network namespaces not permitted.
# STOKER_WORK=DIR keeps the logs, the dataset and each worker's report (worker-R.json) in DIR.
set -euo pipefail
WORKERS=${1:-2}
SIZE=${2:-256MiB}
SUBNET=10.213.0   # private, and only inside the namespaces below
NETNS_PREFIX="stoker-$$"

cannot_run() {
  echo "launch-netns.sh: cannot run here: $1" >&2
  exit 77
}
[ "$(id -u)" = 0 ] || cannot_run "needs root to make network namespaces (ip netns add)"
command -v ip > /dev/null || cannot_run "no 'ip' command (iproute2)"

STOKER_WORK=${STOKER_WORK:-$(mktemp -d -t stoker-netns-XXXX)}
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NAMESPACES=()
delete_namespaces() {
  for netns in "${NAMESPACES[@]}"; do ip netns delete "$netns" 2>/dev/null || true; done
}
at_exit delete_namespaces

SWITCH="$NETNS_PREFIX-switch"
ip netns add "$SWITCH" 2>/dev/null || cannot_run "ip netns add failed: network namespaces are not permitted"
NAMESPACES+=("$SWITCH")
ip -n "$SWITCH" link add switch type bridge
ip -n "$SWITCH" link set switch up

HOSTS=0
# add_host NAME HOST_NUMBER: namespace $NETNS_PREFIX-NAME with eth0 = $SUBNET.HOST_NUMBER, cabled to the switch
add_host() {
  local netns="$NETNS_PREFIX-$1"
  ip netns add "$netns"
  NAMESPACES+=("$netns")
  HOSTS=$((HOSTS + 1))
  ip -n "$netns" link set lo up
  ip -n "$netns" link add eth0 type veth peer name "port$HOSTS" netns "$SWITCH"
  ip -n "$SWITCH" link set "port$HOSTS" master switch up
  ip -n "$netns" addr add "$SUBNET.$2/24" dev eth0
  ip -n "$netns" link set eth0 up
  echo "host $1: namespace $netns, address $SUBNET.$2"
}

add_host coordinator 1
add_host server-a 2
add_host server-b 3
for rank in $(seq 0 $((WORKERS - 1))); do add_host "worker-$rank" $((10 + rank)); done

head -c 48 /dev/urandom | base64 > "$STOKER_WORK/job.token"
chmod 600 "$STOKER_WORK/job.token"
TOKEN=(--job-token-file "$STOKER_WORK/job.token")
"${STOKER[@]}" dataset generate "$STOKER_WORK/dataset" --size "$SIZE" --format fixed:4096 > /dev/null
DATASET_ID=$("${STOKER[@]}" dataset index "$STOKER_WORK/dataset" | awk '/dataset id/ {print $NF}')
echo "dataset $DATASET_ID ($SIZE) in $STOKER_WORK/dataset"

COORDINATOR=$SUBNET.1:7400
start_in "$NETNS_PREFIX-coordinator" coordinator coordinator --listen "$COORDINATOR" "${TOKEN[@]}" \
  --host-id host-coordinator --checkpoint-dir "$STOKER_WORK/checkpoints"
await_log coordinator "listening on"
host=2
for server in a b; do
  start_in "$NETNS_PREFIX-server-$server" "server-$server" serve --coordinator "$COORDINATOR" \
    --listen "$SUBNET.$host:7401" --dataset "$STOKER_WORK/dataset" --host-id "host-server-$server" "${TOKEN[@]}"
  await_log "server-$server" "advertised dataset"
  host=$((host + 1))
done
for rank in $(seq 0 $((WORKERS - 1))); do
  start_in "$NETNS_PREFIX-worker-$rank" "worker-$rank" worker --coordinator "$COORDINATOR" \
    --listen "$SUBNET.$((10 + rank)):7410" --rank "$rank" --host-id "host-worker-$rank" \
    --report "$STOKER_WORK/worker-$rank.json" "${TOKEN[@]}"
done

STATUS=0
ip netns exec "$NETNS_PREFIX-coordinator" "${STOKER[@]}" submit --coordinator "$COORDINATOR" \
  --listen "$SUBNET.1:7420" --host-id host-coordinator --dataset-id "$DATASET_ID" --world-size "$WORKERS" \
  --epochs 2 "${TOKEN[@]}" || STATUS=$?
for rank in $(seq 0 $((WORKERS - 1))); do
  await_log "worker-$rank" "checksum failures"
  grep -A3 "^stoker worker rank $rank: $WORKERS workers," "$STOKER_WORK/worker-$rank.log"
done
exit $STATUS
