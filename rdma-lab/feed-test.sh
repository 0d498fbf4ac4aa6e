#!/bin/sh
# Runs INSIDE the Soft-RoCE guest (started by run-feed-test.sh through run-in-guest.sh):
#   1. ib_read_bw with Stoker's read size and reads in flight: the ceiling
#   2. stoker local --workers 2 --epochs 2 --transport rdma over the dataset: the feed, with its JSON report,
#      then the same with more epochs: the extra bytes over the extra time are the feed's rate without start-up
#   3. RdmaLabCheck (transport test classes): an unproven connection refused, wrong rkey -> IBV_WC_REM_ACCESS_ERR
#      and the chunk over the other path, reconnect, a fenced worker's old keys -> IBV_WC_REM_ACCESS_ERR while a
#      live worker reads, a replayed proof refused while fresh ones get keys, RDMA WRITE refused; then the
#      transport's throughput alone (no checksums)
#   4. ib_read_bw again (the machine is shared: a second sample)
# Expects /rdmalab/work/{stoker.jar,native/libdisni.so,test-classes,dataset,lab.env}. Writes everything the
# host checks to /rdmalab/results (the host reads it through the 9p share) and prints RESULT lines.
W=/rdmalab/work
R=/rdmalab/results
. $W/lab.env    # READ_SIZE, READS_PER_QUEUE_PAIR, WORKERS, EPOCHS, LONG_EPOCHS, IB_ITERATIONS
ADDRESS=10.0.2.15
JAVA=/opt/jdk/bin/java
# C2 only: under TCG, tiered compilation's C1 and C2 threads and its profiling code take the two emulated
# CPUs that the feed and Soft-RoCE share (steady feed ~70 -> ~90 MB/s), and its many compiled-code patches
# widen the window of TCG's cross-modifying-code race (a JIT'd method entry seen half-patched: SIGILL, seen once)
JOPTS="-XX:+UseSerialGC -XX:-TieredCompilation -Xmx768m -Djava.library.path=$W/native"
mkdir -p $R
ulimit -l unlimited
now() { cut -d' ' -f1 /proc/uptime; }
T0=$(now)

# the data server maps and registers the shards: keep them in guest memory (tmpfs), not on the 9p share
cp -r $W/dataset /tmp/dataset

# one queue pair per Stoker worker, the same reads in flight on each
ceiling() { # $1: sample name
  ib_read_bw -d rxe0 -s "$READ_SIZE" -n "$IB_ITERATIONS" -q "$WORKERS" -t "$READS_PER_QUEUE_PAIR" -F -R \
    > /tmp/ib-server.log 2>&1 & SP=$!
  sleep 1
  timeout 120 ib_read_bw -d rxe0 -s "$READ_SIZE" -n "$IB_ITERATIONS" -q "$WORKERS" -t "$READS_PER_QUEUE_PAIR" \
    -F -R $ADDRESS > /tmp/ib-client.log 2>&1
  wait $SP
  grep -E '#bytes|^ *'"$READ_SIZE"' +[0-9]+ ' /tmp/ib-client.log
  echo "RESULT $1=$(awk '/^ *'"$READ_SIZE"' +[0-9]+ /{print $4}' /tmp/ib-client.log)" | tee -a $R/results
}

echo "== ib_read_bw -s $READ_SIZE -q $WORKERS -t $READS_PER_QUEUE_PAIR (the ceiling)"
ceiling ib_read_bw_1_MBps

feed() { # $1: epochs, $2: name of the run's files in $R
  $JAVA $JOPTS -jar $W/stoker.jar local --dataset /tmp/dataset --workers "$WORKERS" --epochs "$1" \
    --transport rdma --rdma-address $ADDRESS --report $R/$2.json --no-progress --verbose > $R/$2.log 2>&1
  echo $? > $R/$2.rc
  sed 's/^/  /' $R/$2.log
  echo "  (exit status $(cat $R/$2.rc))"
}

echo "== stoker local --workers $WORKERS --epochs $EPOCHS --transport rdma"
feed "$EPOCHS" local

echo "== stoker local --workers $WORKERS --epochs $LONG_EPOCHS --transport rdma (the same start-up, more epochs: the feed's rate)"
feed "$LONG_EPOCHS" long

echo "== RdmaLabCheck: unproven refused, wrong rkey, the other path, reconnect, fencing, replay refused, RDMA WRITE refused; then the transport alone"
$JAVA $JOPTS --add-exports java.base/sun.nio.ch=ALL-UNNAMED --add-opens java.base/jdk.internal.misc=ALL-UNNAMED \
  --add-opens java.base/java.nio=ALL-UNNAMED -cp $W/stoker.jar:$W/test-classes \
  io.stoker.transport.rdma.RdmaLabCheck /tmp/dataset $ADDRESS "$LONG_EPOCHS" > $R/check.log 2>&1
echo $? > $R/check.rc
sed 's/^/  /' $R/check.log

echo "== ib_read_bw again"
ceiling ib_read_bw_2_MBps

echo "RESULT guest_script_seconds=$(awk -v a="$T0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')" | tee -a $R/results
[ "$(cat $R/local.rc)" = 0 ] && [ "$(cat $R/long.rc)" = 0 ] && [ "$(cat $R/check.rc)" = 0 ]
