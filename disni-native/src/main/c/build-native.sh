#!/bin/bash
# Builds libdisni.so (Stoker's DiSNI-compatible JNI library) at Maven's compile phase.
#   build-native.sh JAVA_HOME DISNI_JAR CLASSES_DIR OUT_DIR
# Skips with one line (and success) where the rdma-core headers or gcc/make are missing; the
# reason is also left in OUT_DIR/SKIPPED for the tests' assumptions.
set -euo pipefail
JAVA_HOME=$1 DISNI_JAR=$2 CLASSES=$3 OUT=$4
SRC=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
rm -f "$OUT/SKIPPED"

INC=${RDMA_INCLUDE_DIR:-/usr/include} # where rdma-core's headers are (override to test the skip path)
skip() {
  rm -f "$OUT/libdisni.so" # never leave a library this build did not make
  echo "[disni-native] libdisni.so NOT built: $1" | tee "$OUT/SKIPPED"
  exit 0
}
for h in "$INC/infiniband/verbs.h" "$INC/rdma/rdma_cma.h"; do
  [ -f "$h" ] || skip "$h is missing -- install the Debian packages libibverbs-dev and librdmacm-dev (apt-get install -y libibverbs-dev librdmacm-dev)"
done
for t in gcc make nm; do
  command -v $t >/dev/null || skip "$t is missing -- install the Debian packages gcc make binutils"
done
[ -f "$JAVA_HOME/include/jni.h" ] || skip "no JNI headers in $JAVA_HOME/include (build with a JDK, not a JRE)"

# JNI headers generated from the classes themselves (DiSNI's jar, our DisniLibrary), so that gcc
# checks every C definition against the Java declaration it implements.
GEN=$OUT/include
STUBS=$OUT/stubs
rm -rf "$STUBS"; mkdir -p "$GEN" "$STUBS/src" "$STUBS/classes"
natives() { # classpath class -> "native" declaration lines, parameters named
  "$JAVA_HOME/bin/javap" -p -cp "$1" "$2" | grep -E '[[:space:]]native[[:space:]]' | awk '{
    o = index($0, "("); c = index($0, ")"); ps = substr($0, o + 1, c - o - 1); out = "";
    n = split(ps, p, ", ");
    for (i = 1; i <= n; i++) if (p[i] != "") out = out (i > 1 ? ", " : "") p[i] " a" i;
    print substr($0, 1, o) out substr($0, c) }'
}
stub() { # classpath fqcn
  local pkg=${2%.*} cls=${2##*.} f
  f=$STUBS/src/${2//.//}.java; mkdir -p "$(dirname "$f")"
  { echo "package $pkg;"; echo "public class $cls {"; natives "$1" "$2"; echo "}"; } > "$f"
  echo "$f"
}
S1=$(stub "$DISNI_JAR" com.ibm.disni.verbs.impl.NativeDispatcher)
S2=$(stub "$DISNI_JAR" com.ibm.disni.util.NativeAffinity)
S3=$(stub "$CLASSES" io.stoker.disni.DisniLibrary)
"$JAVA_HOME/bin/javac" -h "$GEN" -d "$STUBS/classes" "$S1" "$S2" "$S3"

make -s -C "$SRC" OUT="$OUT" GEN="$GEN" JAVA_HOME="$JAVA_HOME"

# every native method DiSNI (and DisniLibrary) declares must be exported
missing=0 count=0
for cls in com.ibm.disni.verbs.impl.NativeDispatcher com.ibm.disni.util.NativeAffinity io.stoker.disni.DisniLibrary; do
  cp=$DISNI_JAR; [ "$cls" = io.stoker.disni.DisniLibrary ] && cp=$CLASSES
  for m in $(natives "$cp" "$cls" | sed -E 's/.* ([A-Za-z_$][A-Za-z0-9_$]*)\(.*/\1/'); do
    sym="Java_$(echo "$cls" | sed 's/_/_1/g; s/\./_/g')_$(echo "$m" | sed 's/_/_1/g')"
    count=$((count + 1))
    nm -D --defined-only "$OUT/libdisni.so" | grep -q " T $sym\$" || { echo "[disni-native] missing JNI symbol $sym" >&2; missing=1; }
  done
done
[ $missing = 0 ] || { echo "[disni-native] libdisni.so lacks native methods (see above)" >&2; exit 1; }
echo "[disni-native] built $OUT/libdisni.so ($count JNI methods, DiSNI JNI version 32)"
