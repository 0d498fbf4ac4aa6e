package io.stoker.disni.smoke;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.IbvQP;
import com.ibm.disni.verbs.IbvQPInitAttr;
import com.ibm.disni.verbs.IbvRecvWR;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaConnParam;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.SVCPollCq;
import com.ibm.disni.verbs.SVCPostRecv;
import com.ibm.disni.verbs.SVCPostSend;
import com.ibm.disni.verbs.SVCRegMr;
import io.stoker.disni.DisniLibrary;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;

/**
 * Smoke test of Stoker's libdisni on real verbs (the Soft-RoCE guest, rdma-lab/disni-smoke.sh),
 * through DiSNI's stateful verbs API - the calls Stoker's rdma transport makes.
 *
 * <pre>
 *   server HOST PORT   registers a 64 MiB pattern buffer and an 8 MiB read-only mapped file, both
 *                      IBV_ACCESS_REMOTE_READ only; serves 4 connections; SENDs each client the
 *                      regions' address/rkey/length; at the end checks its memory is unchanged
 *   client HOST PORT [PASSES]
 *     1. 1 MiB RDMA READs, 16 in flight, over the whole 64 MiB region PASSES times; MB/s; checks every byte
 *     2. the mapped-file region, read and checked the same way
 *     3. a READ with a wrong rkey            -> expects IBV_WC_REM_ACCESS_ERR (new connection after it)
 *     4. an RDMA WRITE into the server region -> expects IBV_WC_REM_ACCESS_ERR (region refuses writes)
 *     5. a READ running past the region's end -> expects IBV_WC_REM_ACCESS_ERR
 *     6. a READ of chunk 0 on a fresh connection: still the pattern (the refused WRITE changed nothing)
 * </pre>
 * Exit status 0 when everything held, 1 when a check failed, 2 when DiSNI is unusable.
 */
public final class RdmaReadSmoke {
    static final int REGION = 64 << 20;
    static final int FILE_REGION = 8 << 20;
    static final int CHUNK = 1 << 20;
    static final int DEPTH = 16;
    static final int CONNECTIONS = 4;
    static final int INFO_SIZE = 64;
    static final long MAGIC = 0x53544f4b45520001L; // "STOKER" v1
    static final long SEED_REGION = 0x9E3779B97F4A7C15L;
    static final long SEED_FILE = 0xC2B2AE3D27D4EB4FL;
    static final int CM_TIMEOUT_MS = 5000;
    static final long COMPLETION_TIMEOUT_NS = 60_000_000_000L;

    private static String role = "smoke";

    private RdmaReadSmoke() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: RdmaReadSmoke server|client HOST PORT [PASSES]");
            System.exit(64);
        }
        role = args[0];
        log(DisniLibrary.describe());
        if (!DisniLibrary.load()) {
            System.exit(2);
        }
        InetSocketAddress address = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        boolean ok;
        if ("server".equals(role)) {
            ok = new Server().run(address);
        } else {
            ok = new Client().run(address, args.length > 3 ? Integer.parseInt(args[3]) : 8);
        }
        log(ok ? "PASS" : "FAIL");
        System.exit(ok ? 0 : 1);
    }

    static void log(String line) {
        System.out.println("[" + role + "] " + line);
        System.out.flush();
    }

    /** The byte pattern: 8-byte word i of a region is mix(seed, i). */
    static long word(long seed, long index) {
        long z = seed + index * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 29);
    }

    static void fill(ByteBuffer buffer, long seed, long firstWord) {
        LongBuffer words = buffer.duplicate().order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int i = 0; i < words.capacity(); i++) {
            words.put(i, word(seed, firstWord + i));
        }
    }

    /** Returns the byte offset of the first word that differs from the pattern, or -1. */
    static long check(ByteBuffer buffer, int offset, int length, long seed, long firstWord) {
        ByteBuffer view = buffer.duplicate();
        view.position(offset).limit(offset + length);
        LongBuffer words = view.slice().order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int i = 0; i < words.capacity(); i++) {
            if (words.get(i) != word(seed, firstWord + i)) {
                return offset + 8L * i;
            }
        }
        return -1;
    }

    static IbvMr register(IbvPd pd, ByteBuffer buffer, int access) throws IOException {
        SVCRegMr call = pd.regMr(buffer, access);
        call.execute();
        IbvMr mr = call.getMr();
        call.free();
        return mr;
    }

    static String status(int status) {
        try {
            return IbvWC.IbvWcStatus.valueOf(status).name() + " (" + status + ")";
        } catch (IllegalArgumentException e) {
            return "status " + status;
        }
    }

    /** Waits for the next CM event of the given type; acks it. */
    static RdmaCmEvent expect(RdmaEventChannel channel, RdmaCmEvent.EventType type) throws IOException {
        long deadline = System.nanoTime() + CM_TIMEOUT_MS * 1_000_000L;
        while (System.nanoTime() < deadline) {
            RdmaCmEvent event = channel.getCmEvent(500); // null on timeout
            if (event == null) {
                continue;
            }
            event.ackEvent();
            int got = event.getEvent();
            if (got != type.ordinal()) {
                throw new IOException("expected " + type + ", got " + RdmaCmEvent.EventType.values()[got]);
            }
            return event;
        }
        throw new IOException("no " + type + " within " + CM_TIMEOUT_MS + " ms");
    }

    static IbvQPInitAttr qpAttr(IbvCQ cq, int sendWr, int recvWr) {
        IbvQPInitAttr attr = new IbvQPInitAttr();
        attr.cap().setMax_send_wr(sendWr);
        attr.cap().setMax_recv_wr(recvWr);
        attr.cap().setMax_send_sge(1); // ignored by DiSNI 2.1 (libdisni picks min(device, 4))
        attr.cap().setMax_recv_sge(1);
        attr.cap().setMax_inline_data(0);
        attr.setQp_type(IbvQP.IBV_QPT_RC);
        attr.setSend_cq(cq);
        attr.setRecv_cq(cq);
        return attr;
    }

    static RdmaConnParam connParam() throws IOException {
        RdmaConnParam param = new RdmaConnParam();
        param.setRetry_count((byte) 7);     // DiSNI's default is 0: no transport retries at all
        param.setRnr_retry_count((byte) 7); // 7 = retry forever on receiver-not-ready
        return param;
    }

    /** Busy-polls until one completion arrives (or the timeout passes). */
    static IbvWC pollOne(SVCPollCq poll, IbvWC[] wcs) throws IOException {
        long deadline = System.nanoTime() + COMPLETION_TIMEOUT_NS;
        while (System.nanoTime() < deadline) {
            int n = poll.execute().getPolls();
            if (n > 0) {
                return wcs[0];
            }
            Thread.onSpinWait();
        }
        throw new IOException("no completion within " + COMPLETION_TIMEOUT_NS / 1_000_000_000L + " s");
    }

    static SVCPostSend singleWr(IbvQP qp, int opcode, long localAddr, int length, int lkey, long remoteAddr, int rkey)
            throws IOException {
        IbvSge sge = new IbvSge();
        sge.setAddr(localAddr);
        sge.setLength(length);
        sge.setLkey(lkey);
        LinkedList<IbvSge> sgl = new LinkedList<>();
        sgl.add(sge);
        IbvSendWR wr = new IbvSendWR();
        wr.setWr_id(0);
        wr.setOpcode(opcode);
        wr.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
        wr.setSg_list(sgl); // also sets num_sge; getSg_list().add() would leave num_sge at 0
        wr.getRdma().setRemote_addr(remoteAddr);
        wr.getRdma().setRkey(rkey);
        List<IbvSendWR> list = new ArrayList<>(1);
        list.add(wr);
        return qp.postSend(list, null);
    }

    // ------------------------------------------------------------------------------------------
    static final class Server {
        private final Map<RdmaCmId, Conn> conns = new HashMap<>();

        static final class Conn {
            IbvCompChannel compChannel;
            IbvCQ cq;
            IbvQP qp;
        }

        boolean run(InetSocketAddress address) throws Exception {
            RdmaEventChannel channel = RdmaEventChannel.createEventChannel();
            RdmaCmId listenId = channel.createId(RdmaCm.RDMA_PS_TCP);
            listenId.bindAddr(address); // bind to the device's address: a wildcard bind leaves getVerbs() null
            listenId.listen(8);
            IbvContext context = listenId.getVerbs();
            IbvPd pd = context.allocPd();

            ByteBuffer region = ByteBuffer.allocateDirect(REGION);
            fill(region, SEED_REGION, 0);
            IbvMr regionMr = register(pd, region, IbvMr.IBV_ACCESS_REMOTE_READ);
            log(String.format("region: 64 MiB at 0x%x, rkey 0x%x, access IBV_ACCESS_REMOTE_READ only",
                    regionMr.getAddr(), regionMr.getRkey()));

            Path file = Paths.get(System.getProperty("java.io.tmpdir"), "stoker-smoke-shard.bin");
            ByteBuffer content = ByteBuffer.allocate(FILE_REGION).order(ByteOrder.nativeOrder());
            fill(content, SEED_FILE, 0);
            Files.write(file, content.array());
            // what the data server does with a shard: map it, register it REMOTE_READ only. A read-only
            // MAP_SHARED mapping is the natural choice; kernels before 6.2 pin every MR page with
            // FOLL_WRITE (+FOLL_FORCE), which such a mapping refuses (EFAULT). Then a read-write shared
            // mapping (the file opened "rw"; still REMOTE_READ only, pages not dirtied) is the fallback.
            IbvMr fileMr;
            String how;
            MappedByteBuffer mapped;
            try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r"); FileChannel fc = raf.getChannel()) {
                mapped = fc.map(FileChannel.MapMode.READ_ONLY, 0, FILE_REGION);
            }
            try {
                fileMr = register(pd, mapped, IbvMr.IBV_ACCESS_REMOTE_READ);
                how = "mapped READ_ONLY (MAP_SHARED, PROT_READ)";
                log("file region: registering a READ_ONLY (MAP_SHARED, PROT_READ) mapping: OK");
            } catch (IOException e) {
                log("file region: registering a READ_ONLY (MAP_SHARED, PROT_READ) mapping failed: " + e.getMessage()
                        + " (kernel " + System.getProperty("os.version") + ")");
                try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw");
                        FileChannel fc = raf.getChannel()) {
                    mapped = fc.map(FileChannel.MapMode.READ_WRITE, 0, FILE_REGION);
                }
                fileMr = register(pd, mapped, IbvMr.IBV_ACCESS_REMOTE_READ);
                how = "mapped READ_WRITE (MAP_SHARED) as the fallback";
            }
            log(String.format("file region: %s %s, 8 MiB at 0x%x, rkey 0x%x, access IBV_ACCESS_REMOTE_READ only",
                    file, how, fileMr.getAddr(), fileMr.getRkey()));

            ByteBuffer info = ByteBuffer.allocateDirect(INFO_SIZE).order(ByteOrder.nativeOrder());
            info.putLong(0, MAGIC).putLong(8, regionMr.getAddr()).putInt(16, regionMr.getRkey()).putInt(20, REGION)
                    .putLong(24, fileMr.getAddr()).putInt(32, fileMr.getRkey()).putInt(36, FILE_REGION);
            IbvMr infoMr = register(pd, info, IbvMr.IBV_ACCESS_LOCAL_WRITE);
            log("listening on " + address + ", device context fd " + context.getCmd_fd() + ", "
                    + context.getNumCompVectors() + " completion vectors; READY");

            int served = 0;
            boolean ok = true;
            long deadline = System.nanoTime() + 600_000_000_000L;
            while (served < CONNECTIONS && System.nanoTime() < deadline) {
                RdmaCmEvent event = channel.getCmEvent(1000);
                if (event == null) {
                    continue;
                }
                int type = event.getEvent();
                RdmaCmId id = event.getConnIdPriv();
                if (type == RdmaCmEvent.EventType.RDMA_CM_EVENT_CONNECT_REQUEST.ordinal()) {
                    Conn conn = new Conn();
                    IbvContext ctx = id.getVerbs();
                    conn.compChannel = ctx.createCompChannel();
                    conn.cq = ctx.createCQ(conn.compChannel, 16, 0);
                    conn.qp = id.createQP(pd, qpAttr(conn.cq, 16, 4));
                    conns.put(id, conn);
                    id.accept(connParam());
                    log("connection " + (served + 1) + ": connect request from " + id.getDestination()
                            + ", accepted (qp " + conn.qp.getQp_num() + ")");
                } else if (type == RdmaCmEvent.EventType.RDMA_CM_EVENT_ESTABLISHED.ordinal()) {
                    Conn conn = conns.get(id);
                    IbvSendWR wr = new IbvSendWR();
                    wr.setOpcode(IbvSendWR.IBV_WR_SEND);
                    wr.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
                    IbvSge sge = new IbvSge();
                    sge.setAddr(infoMr.getAddr());
                    sge.setLength(INFO_SIZE);
                    sge.setLkey(infoMr.getLkey());
                    LinkedList<IbvSge> sgl = new LinkedList<>();
                    sgl.add(sge);
                    wr.setSg_list(sgl);
                    List<IbvSendWR> list = new ArrayList<>();
                    list.add(wr);
                    SVCPostSend send = conn.qp.postSend(list, null);
                    send.execute().free();
                    IbvWC[] wcs = {new IbvWC()};
                    SVCPollCq poll = conn.cq.poll(wcs, 1);
                    IbvWC wc = pollOne(poll, wcs);
                    poll.free();
                    log("established; sent region info: " + status(wc.getStatus()) + ", opcode " + wc.getOpcode());
                    ok &= wc.getStatus() == IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal();
                } else if (type == RdmaCmEvent.EventType.RDMA_CM_EVENT_DISCONNECTED.ordinal()) {
                    Conn conn = conns.remove(id);
                    id.destroyQP();
                    conn.cq.destroyCQ();                 // CQ before its channel (DiSNI's
                    conn.compChannel.destroyCompChannel(); // RdmaCqProvider.close does it the other way)
                    id.destroyId();
                    served++;
                    log("connection " + served + ": disconnected, resources freed");
                } else {
                    log("event " + RdmaCmEvent.EventType.values()[type]);
                }
                event.ackEvent();
            }
            long diff = check(region, 0, REGION, SEED_REGION, 0);
            log("region after " + served + " connections: " + (diff < 0 ? "unchanged (pattern intact)"
                    : "CHANGED at byte " + diff));
            ok &= diff < 0 && served == CONNECTIONS;

            for (IbvMr mr : new IbvMr[] {regionMr, fileMr, infoMr}) {
                mr.deregMr().execute().free();
            }
            pd.deallocPd();
            listenId.destroyId();
            channel.destroyEventChannel();
            Files.deleteIfExists(file);
            return ok;
        }
    }

    // ------------------------------------------------------------------------------------------
    static final class Client {
        private RdmaEventChannel channel;
        private IbvPd pd;
        private ByteBuffer local;
        private IbvMr localMr;
        private ByteBuffer info;
        private IbvMr infoMr;

        final class Conn {
            RdmaCmId id;
            IbvCompChannel compChannel;
            IbvCQ cq;
            IbvQP qp;
            long regionAddr;
            int regionRkey;
            int regionLength;
            long fileAddr;
            int fileRkey;
            int fileLength;

            void close() throws IOException {
                id.disconnect();
                expect(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_DISCONNECTED);
                id.destroyQP();
                cq.destroyCQ();
                compChannel.destroyCompChannel();
                id.destroyId();
            }
        }

        Conn connect(InetSocketAddress address) throws IOException {
            Conn c = new Conn();
            c.id = channel.createId(RdmaCm.RDMA_PS_TCP);
            c.id.resolveAddr(null, address, 2000);
            expect(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ADDR_RESOLVED);
            c.id.resolveRoute(2000);
            expect(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ROUTE_RESOLVED);
            IbvContext context = c.id.getVerbs();
            if (pd == null) { // librdmacm shares one context per device: one PD and its MRs serve every connection
                pd = context.allocPd();
                local = ByteBuffer.allocateDirect(REGION);
                localMr = register(pd, local, IbvMr.IBV_ACCESS_LOCAL_WRITE);
                info = ByteBuffer.allocateDirect(INFO_SIZE).order(ByteOrder.nativeOrder());
                infoMr = register(pd, info, IbvMr.IBV_ACCESS_LOCAL_WRITE);
            }
            c.compChannel = context.createCompChannel();
            c.cq = context.createCQ(c.compChannel, 64, 0);
            c.qp = c.id.createQP(pd, qpAttr(c.cq, 32, 4));

            // the region info arrives as a SEND: post the receive before connecting
            info.putLong(0, 0);
            IbvSge sge = new IbvSge();
            sge.setAddr(infoMr.getAddr());
            sge.setLength(INFO_SIZE);
            sge.setLkey(infoMr.getLkey());
            LinkedList<IbvSge> sgl = new LinkedList<>();
            sgl.add(sge);
            IbvRecvWR recv = new IbvRecvWR();
            recv.setWr_id(4242);
            recv.setSg_list(sgl);
            List<IbvRecvWR> recvs = new ArrayList<>();
            recvs.add(recv);
            SVCPostRecv postRecv = c.qp.postRecv(recvs, null);
            postRecv.execute().free();

            c.id.connect(connParam());
            expect(channel, RdmaCmEvent.EventType.RDMA_CM_EVENT_ESTABLISHED);

            // completion-channel path: arm, wait for the event, ack, poll
            IbvWC[] wcs = {new IbvWC()};
            SVCPollCq poll = c.cq.poll(wcs, 1);
            c.cq.reqNotification(false).execute().free();
            int n = poll.execute().getPolls();
            if (n == 0) {
                if (!c.compChannel.getCqEvent(c.cq, CM_TIMEOUT_MS)) {
                    throw new IOException("no completion event for the region info within " + CM_TIMEOUT_MS + " ms");
                }
                c.cq.ackEvents(1);
                n = poll.execute().getPolls();
            }
            poll.free();
            IbvWC wc = wcs[0];
            if (n != 1 || wc.getStatus() != 0 || wc.getWr_id() != 4242
                    || wc.getOpcode() != IbvWC.IbvWcOpcode.IBV_WC_RECV.getOpcode()
                    || info.getLong(0) != MAGIC) {
                throw new IOException("bad region info: polls " + n + ", " + status(wc.getStatus())
                        + ", wr_id " + wc.getWr_id()
                        + ", opcode " + wc.getOpcode() + ", magic " + Long.toHexString(info.getLong(0)));
            }
            c.regionAddr = info.getLong(8);
            c.regionRkey = info.getInt(16);
            c.regionLength = info.getInt(20);
            c.fileAddr = info.getLong(24);
            c.fileRkey = info.getInt(32);
            c.fileLength = info.getInt(36);
            log(String.format("connected (qp %d); region info by SEND/RECV via the completion channel (byte_len %d,"
                    + " opcode IBV_WC_RECV): region 0x%x rkey 0x%x %d bytes, file 0x%x rkey 0x%x %d bytes",
                    c.qp.getQp_num(), wc.getByte_len(), c.regionAddr, c.regionRkey, c.regionLength,
                    c.fileAddr, c.fileRkey, c.fileLength));
            return c;
        }

        /**
         * Reads [remote, remote+length) into local[0, length) PASSES times: 1 MiB READs, DEPTH in flight. Returns ns.
         */
        long readAll(Conn c, long remote, int rkey, int length, int passes) throws IOException {
            int chunks = length / CHUNK;
            long total = (long) chunks * passes;
            long localBase = localMr.getAddr();
            SVCPostSend[] slots = new SVCPostSend[DEPTH];
            for (int s = 0; s < DEPTH; s++) {
                slots[s] = singleWr(
                        c.qp, IbvSendWR.IBV_WR_RDMA_READ, localBase, CHUNK, localMr.getLkey(), remote, rkey);
            }
            IbvWC[] wcs = new IbvWC[DEPTH];
            for (int i = 0; i < DEPTH; i++) {
                wcs[i] = new IbvWC();
            }
            // ne must not exceed wcs.length: DiSNI sizes its buffer by wcs.length
            SVCPollCq poll = c.cq.poll(wcs, DEPTH);
            long posted = 0;
            long completed = 0;
            long start = System.nanoTime();
            long lastProgress = start;
            for (int s = 0; s < DEPTH && posted < total; s++) {
                post(slots[s], s, posted++, chunks, localBase, remote);
            }
            while (completed < total) {
                int n = poll.execute().getPolls();
                long now = System.nanoTime();
                if (n == 0) {
                    if (now - lastProgress > COMPLETION_TIMEOUT_NS) {
                        throw new IOException("RDMA READ stalled: " + completed + " of " + total + " completed");
                    }
                    continue;
                }
                lastProgress = now;
                for (int i = 0; i < n; i++) {
                    IbvWC wc = wcs[i];
                    if (wc.getStatus() != 0) {
                        throw new IOException(
                                "RDMA READ failed: " + status(wc.getStatus()) + ", wr_id " + wc.getWr_id());
                    }
                    if (wc.getOpcode() != IbvWC.IbvWcOpcode.IBV_WC_RDMA_READ.getOpcode() || wc.getByte_len() != CHUNK) {
                        throw new IOException(
                                "unexpected completion: opcode " + wc.getOpcode() + ", byte_len " + wc.getByte_len());
                    }
                    completed++;
                    int slot = (int) (wc.getWr_id() & 0xff);
                    if (posted < total) {
                        post(slots[slot], slot, posted++, chunks, localBase, remote);
                    }
                }
            }
            long elapsed = System.nanoTime() - start;
            poll.free();
            for (SVCPostSend slot : slots) {
                slot.free();
            }
            return elapsed;
        }

        /** Reuses a slot's SVCPostSend: new wr_id, local and remote address; same opcode, length and keys. */
        private void post(SVCPostSend slot, int s, long seq, int chunks, long localBase, long remote)
                throws IOException {
            long chunk = seq % chunks;
            SVCPostSend.SendWRMod wr = slot.getWrMod(0);
            wr.setWr_id((seq << 8) | s);
            wr.getSgeMod(0).setAddr(localBase + chunk * CHUNK);
            wr.getRdmaMod().setRemote_addr(remote + chunk * CHUNK);
            slot.execute();
        }

        /** Posts one signaled work request and returns its completion status. */
        int single(Conn c, int opcode, int length, long remote, int rkey) throws IOException {
            SVCPostSend post = singleWr(c.qp, opcode, localMr.getAddr(), length, localMr.getLkey(), remote, rkey);
            post.getWrMod(0).setWr_id(77);
            IbvWC[] wcs = {new IbvWC()};
            SVCPollCq poll = c.cq.poll(wcs, 1);
            post.execute();
            IbvWC wc = pollOne(poll, wcs);
            poll.free();
            post.free();
            return wc.getStatus();
        }

        boolean run(InetSocketAddress address, int passes) throws Exception {
            channel = RdmaEventChannel.createEventChannel();
            boolean ok = true;
            int remoteAccessError = IbvWC.IbvWcStatus.IBV_WC_REM_ACCESS_ERR.ordinal();

            // 1 + 2: throughput and every byte, then the mapped file's region
            Conn c = connect(address);
            readAll(c, c.regionAddr, c.regionRkey, c.regionLength, 1); // warm-up (JIT, caches)
            local.clear();
            for (int i = 0; i < REGION; i += 8) {
                local.putLong(i, 0L);
            }
            long ns = readAll(c, c.regionAddr, c.regionRkey, c.regionLength, passes);
            double mib = (double) c.regionLength * passes / (1 << 20);
            double mbs = (double) c.regionLength * passes / (ns / 1e9) / 1e6;
            long diff = check(local, 0, c.regionLength, SEED_REGION, 0);
            log(String.format("RDMA READ throughput: %.0f MiB in %.3f s = %.1f MB/s"
                    + " (%d x 1 MiB READs, %d in flight, busy-polled)",
                    mib, ns / 1e9, mbs, c.regionLength / CHUNK * passes, DEPTH));
            log("RESULT smoke_read_MBps=" + String.format("%.1f", mbs));
            log("verified " + c.regionLength + " bytes: "
                    + (diff < 0 ? "every byte matches the pattern" : "MISMATCH at byte " + diff));
            ok &= diff < 0;

            readAll(c, c.fileAddr, c.fileRkey, c.fileLength, 1);
            diff = check(local, 0, c.fileLength, SEED_FILE, 0);
            log("read-only mapped file region, " + c.fileLength + " bytes: "
                    + (diff < 0 ? "every byte matches" : "MISMATCH at byte " + diff));
            ok &= diff < 0;

            // 3: wrong rkey (the QP goes to the error state after it: the next check uses a new connection)
            int st = single(c, IbvSendWR.IBV_WR_RDMA_READ, 4096, c.regionAddr, c.regionRkey ^ 0x5a5a5a00);
            log("(a) RDMA READ with a wrong rkey -> " + status(st)
                    + (st == remoteAccessError ? "  [expected]" : "  [UNEXPECTED]"));
            ok &= st == remoteAccessError;
            c.close();

            // 4: a WRITE into the read-only region
            c = connect(address);
            st = single(c, IbvSendWR.IBV_WR_RDMA_WRITE, 4096, c.regionAddr, c.regionRkey);
            log("(b) RDMA WRITE into the REMOTE_READ-only region -> " + status(st)
                    + (st == remoteAccessError ? "  [expected: the region refuses remote writes]" : "  [UNEXPECTED]"));
            ok &= st == remoteAccessError;
            c.close();

            // 5: a READ running past the end of the region
            c = connect(address);
            st = single(c, IbvSendWR.IBV_WR_RDMA_READ, 8192, c.regionAddr + c.regionLength - 4096, c.regionRkey);
            log("(c) RDMA READ past the end of the region -> " + status(st)
                    + (st == remoteAccessError ? "  [expected]" : "  [UNEXPECTED]"));
            ok &= st == remoteAccessError;
            c.close();

            // 6: the refused WRITE targeted chunk 0: it must still hold the pattern
            c = connect(address);
            for (int i = 0; i < CHUNK; i += 8) {
                local.putLong(i, 0L);
            }
            st = single(c, IbvSendWR.IBV_WR_RDMA_READ, CHUNK, c.regionAddr, c.regionRkey);
            diff = check(local, 0, CHUNK, SEED_REGION, 0);
            log("(d) fresh connection, chunk 0 after the refused WRITE: " + status(st) + ", "
                    + (diff < 0 ? "pattern intact" : "CHANGED at byte " + diff));
            ok &= st == 0 && diff < 0;
            c.close();

            localMr.deregMr().execute().free();
            infoMr.deregMr().execute().free();
            pd.deallocPd();
            channel.destroyEventChannel();
            return ok;
        }
    }
}
