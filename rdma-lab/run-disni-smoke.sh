#!/bin/bash
# Host side of the DiSNI smoke test on real verbs: builds disni-native (libdisni.so + DisniLibrary),
# compiles RdmaReadSmoke against the DiSNI jar, stages everything under rdma-lab/target/smoke,
# builds the Soft-RoCE guest if needed and runs disni-smoke.sh in it. Needs root.
#   rdma-lab/run-disni-smoke.sh          SKIP_BUILD=1 reuses disni-native/target
# Exit status: the guest script's (0 = every check held).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JDK=${JDK:-$(readlink -f /usr/lib/jvm/java-17-openjdk-amd64)}
export JDK
T0=$(date +%s)
if [ "$(id -u)" != 0 ]; then
  echo "run-disni-smoke.sh: needs root (the guest build and QEMU's 9p passthrough); run it as root" >&2
  exit 2
fi

S=$HERE/target/smoke
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -B -q -pl disni-native verify)
fi
[ -f "$ROOT/disni-native/target/native/libdisni.so" ] || {
  echo "run-disni-smoke.sh: disni-native/target/native/libdisni.so was not built ($(cat "$ROOT/disni-native/target/native/SKIPPED" 2>/dev/null))" >&2
  exit 2; }
rm -rf "$S"; mkdir -p "$S/native" "$S/lib" "$S/classes"
(cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -B -q -pl disni-native dependency:copy-dependencies \
  -DoutputDirectory="$S/lib" -DincludeScope=test -DincludeArtifactIds=disni,slf4j-api,slf4j-simple)
cp "$ROOT/disni-native/target/native/libdisni.so" "$S/native/"
"$JDK/bin/javac" -d "$S/classes" -cp "$ROOT/disni-native/target/classes:$S/lib/*" \
  "$ROOT"/disni-native/src/test/java/io/stoker/disni/smoke/*.java
cp -r "$ROOT/disni-native/target/classes/." "$S/classes/"
gcc -O2 -Wall -Wextra -Werror -o "$S/native/mr-pin-matrix" "$HERE/mr-pin-matrix.c" -libverbs
T1=$(date +%s)

"$HERE/build-guest.sh"
T2=$(date +%s)
set +e
"$HERE/run-in-guest.sh" "$HERE/disni-smoke.sh" "$S/native" "$S/lib" "$S/classes"
RC=$?
set -e
T3=$(date +%s)
LOG=$(ls -t "$HERE"/target/logs/disni-smoke-*.log | head -1)
echo "== results ($LOG)"
grep -E 'RESULT|\(a\)|\(b\)|\(c\)|\(d\)|throughput|verified|PASS|FAIL|endpoint 2 ->|x 1 MiB READs posted|READ_ONLY' "$LOG" | sed 's/^/  /'
echo "run-disni-smoke.sh: rc=$RC; wall time: build $((T1 - T0)) s, guest image $((T2 - T1)) s, boot+run $((T3 - T2)) s, total $((T3 - T0)) s"
exit $RC
