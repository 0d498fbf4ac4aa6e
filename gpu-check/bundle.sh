#!/usr/bin/env bash
# Builds .gpu/ in the project checkout: everything a GPU check needs on a device machine that has no JDK
# and no network — a jlinked Java runtime, the launcher and benchmark jars, the worker's test classes, the
# JUnit console launcher, the Python package with python/tests/gpu_check.py, and device-check.sh. About 50 MB
# (the device tool carries at most 64 MiB).
#   gpu-check/bundle.sh                (from the project root; builds the jars first)
# Then one device run:  carry [".gpu"], command "bash .gpu/device-check.sh", timeout_s 420.
# Adapted from ../shared/gpu/bundle.sh: packages instead of installing, so no stale Stoker jars linger in ~/.m2.
set -euo pipefail
ROOT=$(git rev-parse --show-toplevel); cd "$ROOT"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
G=.gpu
EXCLUDE=$(git rev-parse --git-path info/exclude); mkdir -p "$(dirname "$EXCLUDE")"
grep -qx '/.gpu/' "$EXCLUDE" 2>/dev/null || echo '/.gpu/' >> "$EXCLUDE"
./mvnw -B -q -DskipTests package >/dev/null   # compiles the test classes too; installs nothing into ~/.m2
JUNIT=$(sed -n 's:.*<junit.version>5\.\([0-9.]*\)</junit.version>.*:1.\1:p' pom.xml | head -1)
./mvnw -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:"$JUNIT" \
  -DoutputDirectory="$G" -Dmdep.stripVersion=true >/dev/null
rm -rf "$G/jre" "$G/test-classes"
jlink --add-modules java.base,java.logging,java.management,jdk.unsupported,java.naming,java.xml,jdk.management \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$G/jre"
cp launcher/target/stoker.jar "$G/"
cp benchmarks/target/stoker-benchmarks-*-SNAPSHOT.jar "$G/benchmarks.jar"
cp -r worker-agent/target/test-classes "$G/test-classes"
rm -rf "$G/python"; mkdir -p "$G/python/tests"
cp -r python/stoker "$G/python/stoker"; rm -rf "$G/python/stoker/__pycache__"
cp python/tests/gpu_check.py "$G/python/tests/"
cp "$HERE/device-check.sh" "$HERE/worker-gpu.sh" "$G/"
du -sh "$G"
