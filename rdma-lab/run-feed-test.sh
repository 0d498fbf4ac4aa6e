#!/bin/bash
# The rdma transport on real verbs, end to end, in one boot of the Soft-RoCE guest:
#   builds the launcher and libdisni.so, generates a small dataset, builds the guest once (reused after),
#   shares the launcher jar, libdisni.so, the transport's test classes, the dataset and the JDK into it,
#   runs feed-test.sh there (ib_read_bw, stoker local --transport rdma for 2 and for 8 epochs, RdmaLabCheck,
#   ib_read_bw), then asserts on what it left in the guest's /rdmalab/results:
#     - each stoker local exited 0, the job COMPLETE, every sample of every epoch delivered exactly once, each rank over rdma;
#     - every byte read over rdma (dataset bytes x epochs, plus chunks split between ranks), none over local or udp;
#       no retries, 0 checksum failures;
#     - RdmaLabCheck: a connection proven under another job token is refused; a worker of a named job proven under
#       its job's token reads, and that token naming another job is refused; a read under a key its connection
#       was not given fails with IBV_WC_REM_ACCESS_ERR (10) and the chunk is then delivered over the local
#       transport; the reader reconnects; a worker whose lease ended (fenced) gets IBV_WC_REM_ACCESS_ERR (10) on its
#       next read under its old keys while a live worker reads the same region, is refused when it connects again
#       under the ended registration, and reads once registered again; a proof captured on one connection and
#       replayed on a new one (another challenge) is refused while fresh proofs in the same run get keys; an RDMA
#       WRITE into a registered region is refused, region unchanged.
#   It prints Stoker's feed throughput in steady state (the 8-epoch run's deliveries between the 10th and
#   90th percentile of their times: the emulated JVM's seconds-long start-up left out), the transport's alone
#   (RdmaLabCheck, no checksums) and ib_read_bw's: same read size, queue pairs and reads in flight, same boot.
#
#   rdma-lab/run-feed-test.sh            SKIP_BUILD=1 reuses the built jars; DATASET_SIZE=64MiB
#
# Exit status 0 when every assertion held. Where it cannot run (not root, QEMU not installable, libdisni not
# buildable) it prints "SKIPPED: <reason>" and exits 0, so CI can always call it.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JDK=${JDK:-$(readlink -f /usr/lib/jvm/java-17-openjdk-amd64)}
export JDK
GUEST=${GUEST_DIR:-$HERE/target/guest}
# qemu64 plus SSE4.2 (and what x86 implies with it): the JVM's CRC32C intrinsic needs SSE4.2, which every
# x86 server has; without it the worker's checksum runs as emulated table code and bounds the feed, not
# RDMA. No pclmulqdq: rxe's ICRC then stays on generic crc32, as with plain qemu64 (see ../shared/rdma-lab).
export CPU=${CPU:-qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt}
S=$HERE/target/feed
T0=$(date +%s)

skip() { echo "SKIPPED: $*"; exit 0; }
fail() { echo "run-feed-test.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot and QEMU's 9p passthrough of the guest root)"
[ -x "$JDK/bin/java" ] || skip "no JDK 17 at $JDK (set JDK=...)"
if ! command -v qemu-system-x86_64 >/dev/null || ! command -v debootstrap >/dev/null; then
  { apt-get install -y -q qemu-system-x86 debootstrap || { apt-get update -q && apt-get install -y -q qemu-system-x86 debootstrap; }; } \
    >/dev/null 2>&1 || skip "qemu-system-x86 and debootstrap are missing and apt cannot install them"
fi

# 1. build: the launcher (with the rdma transport and DiSNI) and libdisni.so
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$ROOT" && JAVA_HOME=$JDK ./mvnw -B -q install -DskipTests -pl launcher -am) || fail "the build failed"
fi
LIB=$ROOT/disni-native/target/native/libdisni.so
[ -f "$LIB" ] || skip "libdisni.so was not built: $(cat "$ROOT/disni-native/target/native/SKIPPED" 2>/dev/null)"
[ -f "$ROOT/transport/target/test-classes/io/stoker/transport/rdma/RdmaLabCheck.class" ] || fail "transport test classes missing"

# 2. stage: jar, library, the check's classes, a dataset generated and indexed here (the guest's JVM is slow)
rm -rf "$S"; mkdir -p "$S/native" "$S/test-classes/io/stoker/transport"
cp "$ROOT/launcher/target/stoker.jar" "$S/"
cp "$LIB" "$S/native/"
cp -r "$ROOT/transport/target/test-classes/io/stoker/transport/rdma" "$S/test-classes/io/stoker/transport/"
STOKER="$JDK/bin/java -jar $S/stoker.jar"
$STOKER dataset generate "$S/dataset" --size "${DATASET_SIZE:-64MiB}" --shard-size 16MiB --seed 7 >/dev/null || fail "dataset generate failed"
$STOKER dataset index "$S/dataset" --chunk-size 4MiB >/dev/null || fail "dataset index failed"
# Stoker's defaults (RdmaSettings): 1 MiB reads, 16 in flight per queue pair, one queue pair per worker and server
cat > "$S/lab.env" <<'EOF'
READ_SIZE=1048576
READS_PER_QUEUE_PAIR=16
WORKERS=2
EPOCHS=2
LONG_EPOCHS=8
IB_ITERATIONS=256
EOF
T1=$(date +%s)

# 3. the guest (built once), one boot
"$HERE/build-guest.sh" || fail "the guest build failed"
T2=$(date +%s)
"$HERE/run-in-guest.sh" "$HERE/feed-test.sh" "$S/stoker.jar" "$S/native" "$S/test-classes" "$S/dataset" "$S/lab.env"
GUEST_RC=$?
T3=$(date +%s)

# 4. assertions, on what the guest left
python3 - "$GUEST/root/rdmalab/results" "$GUEST_RC" "$S/lab.env" <<'EOF'
import json, os, re, sys
results, guest_rc, env_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
env = {k: int(v) for k, v in (line.strip().split('=', 1) for line in open(env_file) if '=' in line)}
failures = []
def check(ok, what):
    print(('  PASS ' if ok else '  FAIL ') + what)
    if not ok:
        failures.append(what)
def read(name):
    path = os.path.join(results, name)
    return open(path).read().strip() if os.path.exists(path) else ''

def check_run(name, epochs):
    """stoker local's exit status and JSON report: complete, exactly once, every byte over rdma."""
    report = json.loads(read(name + '.json') or '{}')
    totals, dataset, job = report.get('totals', {}), report.get('dataset', {}), report.get('job', {})
    size, chunks, ranks = dataset.get('bytes', 0), dataset.get('chunks', 0), report.get('ranks', [])
    read_bytes = totals.get('bytesRead', {})
    print('== %s: stoker local --workers %d --epochs %d --transport rdma' % (name, env['WORKERS'], epochs))
    check(read(name + '.rc') == '0' and job.get('outcome') == 'COMPLETE',
          'exit status %s, job %s' % (read(name + '.rc') or 'none', job.get('outcome')))
    check(job.get('epochs') == epochs and len(ranks) == env['WORKERS'] and all(r['transport'] == 'rdma' for r in ranks),
          '%s epochs, ranks over %s' % (job.get('epochs'), [r['transport'] for r in ranks]))
    largest = max((c['length'] for c in dataset.get('chunkTable', [])), default=0)
    split_reads = (env['WORKERS'] - 1) * largest * epochs
    check(size > 0 and read_bytes.get('rdma') == totals.get('bytes') and
          size * epochs <= totals.get('bytes', 0) <= size * epochs + split_reads,
          'bytes read over rdma %s = all bytes read, dataset bytes %s x %d epochs plus at most a chunk per rank '
          'boundary (a chunk split between two ranks is read by both)' % (read_bytes.get('rdma'), size, epochs))
    check(read_bytes.get('local') == 0 and read_bytes.get('udp') == 0,
          'bytes read over local %s, over udp %s' % (read_bytes.get('local'), read_bytes.get('udp')))
    check(totals.get('checksumFailures') == 0 and totals.get('chunksUnavailable') == 0 and totals.get('readRetries') == 0,
          'checksum failures %s, chunks unavailable %s, read retries %s' % (
              totals.get('checksumFailures'), totals.get('chunksUnavailable'), totals.get('readRetries')))
    every = sorted((c['id'], r) for c in dataset.get('chunkTable', []) for r in range(c['records']))
    once = []
    for e in report.get('epochs', []):
        pairs = [p for r in e['ranks'] for s in r['steps'] for p in zip(s['samples'][0::2], s['samples'][1::2])]
        dropped = set(zip(e['dropped'][0::2], e['dropped'][1::2]))
        once.append(sorted(pairs) == [p for p in every if p not in dropped] and not e['missing'])
    check(len(once) == epochs and all(once) and len(every) > 0,
          'each of the %d samples delivered exactly once in each epoch' % len(every))
    return report

print('== guest: exit status %d' % guest_rc)
check_run('local', env['EPOCHS'])
report = check_run('long', env['LONG_EPOCHS'])
checks = re.findall(r'^CHECK (.+?): (PASS|FAIL) (.*)$', read('check.log'), re.M)
print('== RdmaLabCheck')
for name, status, detail in checks:
    check(status == 'PASS', '%s: %s' % (name, detail))
check(read('check.rc') == '0' and len(checks) == 15, 'all 15 checks ran (exit status %s)' % (read('check.rc') or 'none'))

values = dict(re.findall(r'RESULT (\S+)=(\S*)', read('results')))
samples = [float(values[k]) for k in ('ib_read_bw_1_MBps', 'ib_read_bw_2_MBps') if re.match(r'^[0-9.]+$', values.get(k, ''))]
check(len(samples) == 2, 'two ib_read_bw samples')
# steady state: the bytes delivered between the 10th and the 90th percentile of delivery times, over that time
deliveries = sorted((s['deliveredSeconds'], s['bytes']) for e in report.get('epochs', []) for r in e['ranks'] for s in r['steps'])
first, last = len(deliveries) // 10, len(deliveries) * 9 // 10
window = deliveries[last][0] - deliveries[first][0] if deliveries else 0
steady_bytes = sum(length for _, length in deliveries[first + 1:last + 1])
feed = steady_bytes / window / 1e6 if window > 0 else 0
ceiling = max(samples) if samples else 0
totals = report.get('totals', {})
print('== throughput, same boot: %d-byte reads, %d queue pairs x %d reads in flight (%d in all)' % (
    env['READ_SIZE'], env['WORKERS'], env['READS_PER_QUEUE_PAIR'], env['WORKERS'] * env['READS_PER_QUEUE_PAIR']))
print('  Stoker rdma feed: %.1f MB/s in steady state: %d MiB delivered in %.2f s, between the 10th and 90th percentile'
      ' of the %d-epoch run\'s deliveries (whole run, start-up included: %.1f MB/s)' % (
      feed, steady_bytes >> 20, window, env['LONG_EPOCHS'], totals.get('gigabytesPerSecond', 0) * 1e3))
transport = float((re.findall(r'RESULT transport_MBps=([0-9.]+)', read('check.log')) or ['0'])[0])
print('  Stoker rdma transport alone: %.1f MB/s (RdmaLabCheck: the same readers and reads in flight, no checksums,'
      ' no consumers)' % transport)
print('  ib_read_bw:       %s MB/s (before and after)' % ' and '.join('%.1f' % s for s in samples))
ratio = lambda value: '%.2f' % (value / ceiling) if ceiling else 'n/a'
print('  ratio to the better ib_read_bw sample: feed %s, transport alone %s (target >= 0.9)' % (ratio(feed), ratio(transport)))
print('RESULT stoker_feed_MBps=%.1f stoker_transport_MBps=%.1f ib_read_bw_MBps=%.1f feed_ratio=%s transport_ratio=%s' % (
    feed, transport, ceiling, ratio(feed), ratio(transport)))
check(guest_rc == 0, 'guest script exit status 0')
sys.exit(1 if failures else 0)
EOF
RC=$?
echo "run-feed-test.sh: $([ $RC = 0 ] && echo PASSED || echo FAILED); wall time: build+stage $((T1 - T0)) s, guest image $((T2 - T1)) s, boot+run $((T3 - T2)) s, total $(( $(date +%s) - T0 )) s"
exit $RC
