#!/bin/bash
# Boot the Soft-RoCE lab guest, run one script inside it, stream its output, return its exit status.
#
#   rdma-lab/run-in-guest.sh SCRIPT [FILE_OR_DIR ...]
#
# SCRIPT runs as root inside the guest as /rdmalab/run.sh, with /rdmalab as its working directory;
# every FILE_OR_DIR is copied (recursively, symlinks followed) into /rdmalab/work/ first, under its
# own base name. The guest has rxe0 on eth0 (10.0.2.15; a process can connect to itself there),
# rdma-core, perftest, and the host's JDK 17 read-only at /opt/jdk.
#
# Environment:
#   JDK=...            JDK folder to share (default: readlink -f /usr/lib/jvm/java-17-openjdk-amd64)
#   LAB_TIMEOUT=600    hard limit in seconds for the whole boot (QEMU is killed after it)
#   MEM=2048 CPU=qemu64 SMP=2   guest memory (MiB), CPU model (keep qemu64: see ../shared/rdma-lab), vCPUs
#   GUEST_DIR=...      guest build (default rdma-lab/target/guest; built by build-guest.sh if missing)
#
# Exit status: the script's own (from the guest's "GUEST: run.sh rc=N" line); 124 when the hard
# timeout hit; 3 when the guest ended without reporting one; 2 when not root / no guest.
# The full console log is kept in rdma-lab/target/logs/.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${GUEST_DIR:-$HERE/target/guest}
SCRIPT=${1:?usage: run-in-guest.sh SCRIPT [FILE_OR_DIR ...]}
shift
[ -f "$SCRIPT" ] || { echo "run-in-guest.sh: no such script: $SCRIPT" >&2; exit 2; }
if [ "$(id -u)" != 0 ]; then
  echo "run-in-guest.sh: needs root (QEMU's 9p passthrough of the guest root); run it as root" >&2
  exit 2
fi
[ -f "$OUT/.built" ] || GUEST_DIR=$OUT "$HERE/build-guest.sh" || exit $?
JDK=${JDK:-$(readlink -f /usr/lib/jvm/java-17-openjdk-amd64)}
[ -x "$JDK/bin/java" ] || { echo "run-in-guest.sh: no JDK at $JDK (set JDK=...)" >&2; exit 2; }
LAB_TIMEOUT=${LAB_TIMEOUT:-600}

# one boot at a time per guest build: they share the guest's root folder
exec 9>"$OUT/.lock"
flock -w "$LAB_TIMEOUT" 9 || { echo "run-in-guest.sh: another run holds $OUT/.lock" >&2; exit 2; }

R=$OUT/root/rdmalab
rm -rf "$R"; mkdir -p "$R/work"
cp "$SCRIPT" "$R/run.sh"; chmod +x "$R/run.sh"
for f in "$@"; do
  [ -e "$f" ] || { echo "run-in-guest.sh: no such file: $f" >&2; exit 2; }
  cp -rL "$f" "$R/work/"
done

mkdir -p "$HERE/target/logs"
LOG=$HERE/target/logs/$(basename "$SCRIPT" .sh)-$(date +%Y%m%d-%H%M%S).log
echo "run-in-guest.sh: booting $OUT (JDK $JDK, limit ${LAB_TIMEOUT}s), log $LOG"
T0=$(date +%s.%N)
timeout -k 10 "$LAB_TIMEOUT" qemu-system-x86_64 -accel tcg,thread=multi -cpu "${CPU:-qemu64}" -m "${MEM:-2048}" \
  -smp "${SMP:-2}" -nographic -no-reboot \
  -kernel "$OUT/vmlinux" -initrd "$OUT/initrd.gz" -append "console=ttyS0 loglevel=4 panic=-1 ${KERNEL_ARGS:-}" \
  -virtfs local,path="$OUT/root",mount_tag=rootfs,security_model=passthrough,id=fs0 \
  -virtfs local,path="$JDK",mount_tag=jdk,security_model=none,readonly=on,id=fs1 \
  -nic user,model=virtio-net-pci,restrict=on </dev/null 2>&1 | tr -d '\r' | tee "$LOG"
QRC=${PIPESTATUS[0]}
T1=$(date +%s.%N)
WALL=$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}')

RC=$(sed -n 's/.*GUEST: run\.sh rc=\([0-9][0-9]*\).*/\1/p' "$LOG" | tail -1)
if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
  echo "run-in-guest.sh: hard timeout after ${LAB_TIMEOUT}s (QEMU killed); log $LOG" >&2
  exit 124
fi
if [ -z "$RC" ]; then
  echo "run-in-guest.sh: the guest ended (QEMU rc=$QRC) without a 'GUEST: run.sh rc=' line; log $LOG" >&2
  exit 3
fi
echo "run-in-guest.sh: $(basename "$SCRIPT") rc=$RC, boot wall time ${WALL}s"
exit "$RC"
