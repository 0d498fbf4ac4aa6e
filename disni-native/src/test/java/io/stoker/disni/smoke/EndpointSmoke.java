package io.stoker.disni.smoke;

import com.ibm.disni.RdmaActiveEndpoint;
import com.ibm.disni.RdmaActiveEndpointGroup;
import com.ibm.disni.RdmaServerEndpoint;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvRecvWR;
import com.ibm.disni.verbs.IbvSendWR;
import com.ibm.disni.verbs.IbvSge;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.SVCPostSend;
import io.stoker.disni.DisniLibrary;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * DiSNI's own higher-level API over Stoker's libdisni: RdmaActiveEndpointGroup, whose CM thread polls
 * the event channel with a timeout and whose CQ thread blocks on the completion channel
 * (getCqEvent with timeout, ackEvents, reqNotify, poll) - the path DiSNI's own examples use.
 *
 * <pre>
 *   server HOST PORT   64 MiB REMOTE_READ-only region; for each of 2 connections SENDs its address/rkey
 *   client HOST PORT   endpoint 1: RECV the info, 16 x 1 MiB READs at once, check every byte;
 *                      endpoint 2: a wrong-rkey READ - reports which endpoint DiSNI hands the error to
 * </pre>
 */
public final class EndpointSmoke {
    static final int REGION = 64 << 20;
    static final int CHUNK = 1 << 20;
    static final int READS = 16;
    static final int INFO = 64;
    static final long MAGIC = 0x53544f4b45520002L;

    private EndpointSmoke() {
    }

    /** An endpoint that queues copies of its completions (DiSNI reuses the IbvWC objects). */
    static final class Ep extends RdmaActiveEndpoint {
        final LinkedBlockingQueue<IbvWC> completions = new LinkedBlockingQueue<>();
        final boolean serverSide;
        ByteBuffer info;
        IbvMr infoMr;

        Ep(RdmaActiveEndpointGroup<Ep> group, RdmaCmId id, boolean serverSide) throws IOException {
            super(group, id, serverSide);
            this.serverSide = serverSide;
        }

        @Override
        public void dispatchCqEvent(IbvWC wc) {
            completions.add(wc.clone());
        }

        /** Runs once the QP exists, before connect/accept: the client posts the RECV for the region info. */
        @Override
        protected synchronized void init() throws IOException {
            super.init();
            info = ByteBuffer.allocateDirect(INFO).order(ByteOrder.nativeOrder());
            infoMr = RdmaReadSmoke.register(getPd(), info, IbvMr.IBV_ACCESS_LOCAL_WRITE);
            if (!serverSide) {
                IbvRecvWR recv = new IbvRecvWR();
                recv.setWr_id(1);
                recv.setSg_list(sgl(infoMr.getAddr(), INFO, infoMr.getLkey()));
                List<IbvRecvWR> list = new ArrayList<>();
                list.add(recv);
                postRecv(list).execute().free();
            }
        }

        IbvWC next(long seconds) throws IOException, InterruptedException {
            IbvWC wc = completions.poll(seconds, TimeUnit.SECONDS);
            if (wc == null) {
                throw new IOException("no completion within " + seconds + " s");
            }
            return wc;
        }
    }

    static LinkedList<IbvSge> sgl(long addr, int length, int lkey) {
        IbvSge sge = new IbvSge();
        sge.setAddr(addr);
        sge.setLength(length);
        sge.setLkey(lkey);
        LinkedList<IbvSge> sgl = new LinkedList<>();
        sgl.add(sge);
        return sgl;
    }

    static SVCPostSend post(Ep ep, int opcode, long wrId, long local, int length, int lkey, long remote, int rkey)
            throws IOException {
        IbvSendWR wr = new IbvSendWR();
        wr.setWr_id(wrId);
        wr.setOpcode(opcode);
        wr.setSend_flags(IbvSendWR.IBV_SEND_SIGNALED);
        wr.setSg_list(sgl(local, length, lkey));
        wr.getRdma().setRemote_addr(remote);
        wr.getRdma().setRkey(rkey);
        List<IbvSendWR> list = new ArrayList<>();
        list.add(wr);
        return ep.postSend(list).execute();
    }

    static void log(String role, String line) {
        System.out.println("[endpoint-" + role + "] " + line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        String role = args[0];
        if (!DisniLibrary.load()) {
            log(role, DisniLibrary.describe());
            System.exit(2);
        }
        InetSocketAddress address = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        // timeout 1000 ms for the CM and CQ threads; polling=false: the CQ thread blocks in getCqEvent
        RdmaActiveEndpointGroup<Ep> group = new RdmaActiveEndpointGroup<>(1000, false, 64, 1, 128);
        group.init((id, serverSide) -> new Ep(group, id, serverSide));
        boolean ok = role.equals("server") ? server(group, address) : client(group, address);
        group.close();
        log(role, "group closed; " + (ok ? "PASS" : "FAIL"));
        System.exit(ok ? 0 : 1);
    }

    static boolean server(RdmaActiveEndpointGroup<Ep> group, InetSocketAddress address) throws Exception {
        RdmaServerEndpoint<Ep> server = group.createServerEndpoint();
        server.bind(address, 10);
        ByteBuffer region = ByteBuffer.allocateDirect(REGION);
        RdmaReadSmoke.fill(region, RdmaReadSmoke.SEED_REGION, 0);
        // not server.registerMemory: that adds REMOTE_WRITE
        IbvMr mr = RdmaReadSmoke.register(server.getPd(), region, IbvMr.IBV_ACCESS_REMOTE_READ);
        log("server", "listening on " + address + "; READY");
        List<Ep> eps = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < 2; i++) {
            Ep ep = server.accept();
            eps.add(ep);
            ep.info.putLong(0, MAGIC).putLong(8, mr.getAddr()).putInt(16, mr.getRkey()).putInt(20, REGION);
            post(ep, IbvSendWR.IBV_WR_SEND, 9, ep.infoMr.getAddr(), INFO, ep.infoMr.getLkey(), 0, 0).free();
            IbvWC wc = ep.next(30);
            log("server", "endpoint " + (i + 1) + " accepted; info SENT: " + RdmaReadSmoke.status(wc.getStatus()));
            ok &= wc.getStatus() == 0;
        }
        long deadline = System.nanoTime() + 120_000_000_000L;
        for (Ep ep : eps) {
            while (!ep.isClosed() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            ok &= ep.isClosed();
        }
        log("server", "both endpoints disconnected by the client; region "
                + (RdmaReadSmoke.check(region, 0, REGION, RdmaReadSmoke.SEED_REGION, 0) < 0 ? "intact" : "CHANGED"));
        mr.deregMr().execute().free();
        return ok;
    }

    static Ep connect(RdmaActiveEndpointGroup<Ep> group, InetSocketAddress address) throws Exception {
        Ep ep = group.createEndpoint();
        ep.connect(address, 2000); // resolve, route, resources (init posts the RECV), connect: waits for ESTABLISHED
        IbvWC wc = ep.next(30);    // delivered by DiSNI's CQ thread: getCqEvent -> ackEvents -> reqNotify -> poll
        if (wc.getStatus() != 0 || wc.getOpcode() != IbvWC.IbvWcOpcode.IBV_WC_RECV.getOpcode()
                || ep.info.getLong(0) != MAGIC) {
            throw new IOException("bad info completion: " + RdmaReadSmoke.status(wc.getStatus())
                    + ", opcode " + wc.getOpcode());
        }
        return ep;
    }

    static boolean client(RdmaActiveEndpointGroup<Ep> group, InetSocketAddress address) throws Exception {
        Ep ep1 = connect(group, address);
        long remote = ep1.info.getLong(8);
        int rkey = ep1.info.getInt(16);
        log("client", "endpoint 1 connected (qp " + ep1.getQp().getQp_num()
                + "); info by RECV through DiSNI's CQ thread");

        ByteBuffer local = ByteBuffer.allocateDirect(READS * CHUNK);
        IbvMr localMr = RdmaReadSmoke.register(ep1.getPd(), local, IbvMr.IBV_ACCESS_LOCAL_WRITE);
        List<SVCPostSend> posts = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < READS; i++) {
            posts.add(post(ep1, IbvSendWR.IBV_WR_RDMA_READ, 100 + i, localMr.getAddr() + (long) i * CHUNK, CHUNK,
                    localMr.getLkey(), remote + (long) i * CHUNK, rkey));
        }
        boolean ok = true;
        for (int i = 0; i < READS; i++) {
            IbvWC wc = ep1.next(60);
            ok &= wc.getStatus() == 0 && wc.getOpcode() == IbvWC.IbvWcOpcode.IBV_WC_RDMA_READ.getOpcode();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        posts.forEach(SVCPostSend::free);
        long diff = RdmaReadSmoke.check(local, 0, READS * CHUNK, RdmaReadSmoke.SEED_REGION, 0);
        log("client", String.format("16 x 1 MiB READs posted at once, completions via the blocking CQ thread:"
                + " %s in %.3f s (%.1f MB/s); %s", ok ? "all IBV_WC_SUCCESS" : "FAILED", seconds,
                READS * CHUNK / seconds / 1e6,
                diff < 0 ? "every byte matches" : "MISMATCH at byte " + diff));
        ok &= diff < 0;

        // a failing READ on a second endpoint: which endpoint gets the error completion?
        Ep ep2 = connect(group, address);
        log("client", "endpoint 2 connected (qp " + ep2.getQp().getQp_num() + ")");
        IbvMr local2 = RdmaReadSmoke.register(ep2.getPd(), local, IbvMr.IBV_ACCESS_LOCAL_WRITE);
        // one more successful READ on endpoint 1 first, so that the CQ thread's last successful
        // completion is endpoint 1's
        post(ep1, IbvSendWR.IBV_WR_RDMA_READ, 200, localMr.getAddr(), 4096, localMr.getLkey(), remote, rkey).free();
        IbvWC last = ep1.next(30);
        ok &= last.getStatus() == 0;
        post(ep2, IbvSendWR.IBV_WR_RDMA_READ, 777, local2.getAddr(), 4096, local2.getLkey(), remote,
                rkey ^ 0x5a5a5a00).free();
        IbvWC onEp2 = ep2.completions.poll(10, TimeUnit.SECONDS);
        IbvWC onEp1 = onEp2 == null ? ep1.completions.poll(1, TimeUnit.SECONDS) : null;
        if (onEp2 != null) {
            log("client", "wrong-rkey READ on endpoint 2 -> " + RdmaReadSmoke.status(onEp2.getStatus())
                    + ", delivered to endpoint 2");
        } else if (onEp1 != null) {
            log("client", "wrong-rkey READ on endpoint 2 -> " + RdmaReadSmoke.status(onEp1.getStatus()) + " (wr_id "
                    + onEp1.getWr_id() + "), but DiSNI delivered it to endpoint 1 (stale qp_num " + onEp1.getQp_num()
                    + "): NatPollCqCall reads qp_num only for successful completions");
        } else {
            log("client", "wrong-rkey READ on endpoint 2 -> its error completion was delivered to no endpoint (DiSNI"
                    + " dispatches by qp_num, which it does not read for failed completions)");
        }
        localMr.deregMr().execute().free();
        local2.deregMr().execute().free();
        ep2.close();
        ep1.close();
        return ok;
    }
}
