#!/usr/bin/env bash
# The embedding example: a coordinator and a data server as processes, and a training loop
# (io.stoker.examples.TrainingLoopExample) that embeds a worker as rank 0 through the library, takes a
# resume token in the middle of the first epoch, stops, and restarts from it.
#   usage: embedded-training-loop.sh [DATASET_SIZE (64MiB)]
set -euo pipefail
SIZE=${1:-64MiB}
STOKER_WORK=$(mktemp -d -t stoker-embedded-XXXX)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
"${STOKER[@]}" --version >/dev/null
EXAMPLES_JAR=$(ls "$ROOT"/examples/target/stoker-examples-*.jar 2>/dev/null | head -1)
if [ -z "$EXAMPLES_JAR" ]; then
  (cd "$ROOT" && ./mvnw -B -q -DskipTests -pl examples -am install >&2)
  EXAMPLES_JAR=$(ls "$ROOT"/examples/target/stoker-examples-*.jar | head -1)
fi

head -c 48 /dev/urandom | base64 > "$STOKER_WORK/job.token"
TOKEN=(--job-token-file "$STOKER_WORK/job.token")
"${STOKER[@]}" dataset generate "$STOKER_WORK/dataset" --size "$SIZE" --format tfrecord:4000 > /dev/null
DATASET_ID=$("${STOKER[@]}" dataset index "$STOKER_WORK/dataset" --chunk-size 1MiB | awk '/dataset id/ {print $NF}')

COORDINATOR=127.0.0.1:$(free_port)
start coordinator coordinator --listen "$COORDINATOR" "${TOKEN[@]}" --lease-timeout 2000
await_log coordinator "listening on"
start server serve --coordinator "$COORDINATOR" --listen "127.0.0.1:$(free_port)" --dataset "$STOKER_WORK/dataset" \
  --chunk-size 1MiB --host-id data-host "${TOKEN[@]}"
await_log server "advertised dataset"
start submit submit --coordinator "$COORDINATOR" --listen "127.0.0.1:$(free_port)" --dataset-id "$DATASET_ID" \
  --world-size 1 --epochs 2 --batch-size 32 "${TOKEN[@]}"

# An embedding JVM needs the flags the stoker launcher sets for its own processes.
java --add-opens java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
  --add-opens java.base/java.nio=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED \
  -cp "$ROOT/launcher/target/stoker.jar:$EXAMPLES_JAR" io.stoker.examples.TrainingLoopExample \
  "$COORDINATOR" "127.0.0.1:$(free_port)" 0 "$STOKER_WORK/job.token" 20
STATUS=$?
await_log submit "COMPLETE"
cat "$STOKER_WORK/submit.log"
exit $STATUS
