#!/bin/sh
# Runs INSIDE the Soft-RoCE guest (started by run-disni-smoke.sh through run-in-guest.sh):
#   1. ib_read_bw -s 1048576 on rxe0: the ceiling for RDMA READ in this guest
#   2. mr-pin-matrix: which file mappings the kernel lets us register (the data server maps shards)
#   3. RdmaReadSmoke (disni-native/src/test/java/io/stoker/disni/smoke) through DiSNI 2.1's verbs API
#      and Stoker's libdisni.so: a server JVM exports 64 MiB (+ an 8 MiB mapped file) REMOTE_READ-only;
#      a client JVM READs and checks it, then checks the wrong-rkey, refused-write and past-the-end errors
#   4. EndpointSmoke: DiSNI's RdmaActiveEndpointGroup (its CM thread, its blocking CQ thread) over the same library
#   5. ib_read_bw again (a second sample: the machine is shared)
# Expects /rdmalab/work/{native/{libdisni.so,mr-pin-matrix},lib/*.jar,classes}. Prints "RESULT name=value" lines.
W=/rdmalab/work
PORT=19999
PASSES=${PASSES:-16}   # x 64 MiB: 1 GiB, the same volume as ib_read_bw -n 1000 -s 1048576
JAVA=/opt/jdk/bin/java
CP="$W/classes:$W/lib/*"
JOPTS="--add-exports java.base/sun.nio.ch=ALL-UNNAMED -Djava.library.path=$W/native -XX:+UseSerialGC -Xmx512m \
 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.showThreadName=false"
T0=$(cut -d' ' -f1 /proc/uptime)
ulimit -l unlimited

echo "== rxe0"
ibv_devinfo -d rxe0 -v | grep -E 'transport:|state:|active_mtu|link_layer|max_qp_rd_atom|max_qp_init_rd_atom|max_sge:' | sed 's/^[[:space:]]*/  /'
echo "== libdisni.so"
ldd $W/native/libdisni.so | sed 's/^[[:space:]]*/  /'

echo "== ib_read_bw -s 1048576 (perftest; the ceiling)"
ib_read_bw -d rxe0 -s 1048576 -n 1000 -F -R > /tmp/ibrbw-server.log 2>&1 & SP=$!
sleep 1
timeout 120 ib_read_bw -d rxe0 -s 1048576 -n 1000 -F -R 10.0.2.15 > /tmp/ibrbw-client.log 2>&1
IRC=$?
wait $SP
grep -E '#bytes|^ *1048576 +[0-9]+ ' /tmp/ibrbw-client.log
BW=$(awk '/^ *1048576 +[0-9]+ /{print $4}' /tmp/ibrbw-client.log)
echo "RESULT ib_read_bw_MBps=${BW:-none}"

echo "== which file mappings can be registered REMOTE_READ (kernel $(uname -r))"
mkdir -p /var/tmp/stoker
$W/native/mr-pin-matrix /tmp/tmpfs-shard.bin /var/tmp/stoker/9p-shard.bin

echo "== DiSNI smoke: server and client JVMs over libdisni.so"
$JAVA $JOPTS -cp "$CP" io.stoker.disni.smoke.RdmaReadSmoke server 10.0.2.15 $PORT > /tmp/server.log 2>&1 & SP=$!
tail -f /tmp/server.log & TP=$!
i=0
until grep -q READY /tmp/server.log 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 240 ] || ! kill -0 $SP 2>/dev/null; then echo "server did not come up"; break; fi
  sleep 0.5
done
timeout 300 $JAVA $JOPTS -cp "$CP" io.stoker.disni.smoke.RdmaReadSmoke client 10.0.2.15 $PORT "$PASSES" > /tmp/client.log 2>&1 &
CP_PID=$!
tail -f /tmp/client.log & TC=$!
wait $CP_PID
CRC=$?
sleep 0.2; kill $TC 2>/dev/null
i=0
while kill -0 $SP 2>/dev/null && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
kill $SP 2>/dev/null
wait $SP
SRC=$?
sleep 0.2; kill $TP 2>/dev/null

echo "== DiSNI endpoint API (RdmaActiveEndpointGroup: DiSNI's CM and blocking CQ threads)"
$JAVA $JOPTS -cp "$CP" io.stoker.disni.smoke.EndpointSmoke server 10.0.2.15 $((PORT - 1)) > /tmp/ep-server.log 2>&1 & SP=$!
tail -f /tmp/ep-server.log & TP=$!
i=0
until grep -q READY /tmp/ep-server.log 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 240 ] || ! kill -0 $SP 2>/dev/null; then echo "endpoint server did not come up"; break; fi
  sleep 0.5
done
timeout 300 $JAVA $JOPTS -cp "$CP" io.stoker.disni.smoke.EndpointSmoke client 10.0.2.15 $((PORT - 1))
ECRC=$?
i=0
while kill -0 $SP 2>/dev/null && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
kill $SP 2>/dev/null
wait $SP
ESRC=$?
sleep 0.2; kill $TP 2>/dev/null

echo "== ib_read_bw -s 1048576 again (the machine is shared: a second sample)"
ib_read_bw -d rxe0 -s 1048576 -n 1000 -F -R > /tmp/ibrbw-server.log 2>&1 & SP=$!
sleep 1
timeout 120 ib_read_bw -d rxe0 -s 1048576 -n 1000 -F -R 10.0.2.15 > /tmp/ibrbw-client2.log 2>&1
wait $SP
grep -E '^ *1048576 +[0-9]+ ' /tmp/ibrbw-client2.log
BW2=$(awk '/^ *1048576 +[0-9]+ /{print $4}' /tmp/ibrbw-client2.log)
echo "RESULT ib_read_bw_2_MBps=${BW2:-none}"
T1=$(cut -d' ' -f1 /proc/uptime)

echo "== summary"
echo "RESULT ib_read_bw_rc=$IRC smoke_client_rc=$CRC smoke_server_rc=$SRC endpoint_client_rc=$ECRC endpoint_server_rc=$ESRC"
SMOKE=$(sed -n 's/.*RESULT smoke_read_MBps=\([0-9.]*\).*/\1/p' /tmp/client.log)
echo "RESULT ratio_smoke_to_best_ib_read_bw=$(awk -v s="$SMOKE" -v a="${BW:-0}" -v b="${BW2:-0}" 'BEGIN{m = a > b ? a : b; if (m > 0 && s > 0) printf "%.2f", s / m; else print "n/a"}')"
echo "RESULT guest_script_seconds=$(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.1f", b-a}')"
[ "$IRC" = 0 ] && [ "$CRC" = 0 ] && [ "$SRC" = 0 ] && [ "$ECRC" = 0 ] && [ "$ESRC" = 0 ]
