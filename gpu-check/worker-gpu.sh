#!/usr/bin/env bash
# Runs ON the device machine from the project root (after bundle.sh): a distributed rank with the GPU sink —
# a coordinator, a data server, `stoker worker --sink gpu --verify-on-device` and `stoker submit` as processes on
# loopback, shuffled batches of 256 over 2 epochs. Passes when submit reports the job COMPLETE, the worker exits 0
# and its device checksums all matched.
set -u
G=.gpu; J=$G/jre/bin/java; W=$(mktemp -d)
F=(--add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED
   --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED)
stoker() { "$J" "${F[@]}" -jar $G/stoker.jar "$@"; }
await() { for _ in $(seq 300); do grep -q "$2" "$1" && return 0; sleep 0.1; done; echo "no '$2' in $1"; cat "$1"; exit 1; }
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
head -c 48 /dev/urandom | base64 > "$W/token"
stoker dataset generate "$W/data" --size 256MiB --format fixed:4096 > /dev/null
ID=$(stoker dataset index "$W/data" --chunk-size 4MiB | awk '/dataset id/ {print $NF}')
stoker coordinator --listen 127.0.0.1:7400 --job-token-file "$W/token" > "$W/coordinator.log" 2>&1 &
await "$W/coordinator.log" "listening on"
stoker serve --coordinator 127.0.0.1:7400 --listen 127.0.0.1:7401 --dataset "$W/data" --chunk-size 4MiB \
  --job-token-file "$W/token" --host-id data-host > "$W/server.log" 2>&1 &
await "$W/server.log" "advertised dataset"
stoker worker --coordinator 127.0.0.1:7400 --listen 127.0.0.1:7410 --rank 0 --job-token-file "$W/token" \
  --sink gpu --verify-on-device > "$W/worker.log" 2>&1 &
WORKER=$!
stoker submit --coordinator 127.0.0.1:7400 --listen 127.0.0.1:7420 --dataset-id "$ID" --world-size 1 --epochs 2 \
  --batch-size 256 --shuffle-window 16 --job-token-file "$W/token" > "$W/submit.log" 2>&1
SUBMIT=$?
wait $WORKER; WORKER_RC=$?
echo "-- submit (exit $SUBMIT)"; cat "$W/submit.log"
echo "-- worker (exit $WORKER_RC)"; tail -15 "$W/worker.log"
grep -q "COMPLETE" "$W/submit.log" && [ $SUBMIT = 0 ] && [ $WORKER_RC = 0 ] && grep -q " 0 differed" "$W/worker.log" \
  && echo "worker --sink gpu: PASSED" || { echo "worker --sink gpu: FAILED"; exit 1; }
