package io.stoker.coordinator;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinator's brain, its duty cycle driven by hand with a hand-set clock, against members made of
 * Stoker's own member sessions over a real media driver (IPC, no token).
 */
class CoordinatorAgentTest
{
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long STEP_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int IDLE_ROUNDS = 50;
    private static final long STEP_PAUSE_MS = 5;

    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final List<TestMember> members = new ArrayList<>();
    private AeronConnector connector;
    private CoordinatorAgent coordinator;
    private Manifest manifest;
    private long nowNs = TimeUnit.SECONDS.toNanos(100);

    @BeforeEach
    void start()
    {
        DatasetGenerator.generate(temp.resolve("dataset"), FormatSpec.parse("fixed:4096"), 1 << 20, 5, 256 << 10);
        manifest = DatasetIndexer.index(temp.resolve("dataset"), null, 64 << 10);
        connector = AeronConnector.connect(new AeronConnector.Context());
        coordinator = new CoordinatorAgent(new CoordinatorContext()
            .aeron(connector.aeron())
            .nanoClock(() -> nowNs)
            .leaseTimeoutNs(LEASE_NS)
            .heartbeatIntervalNs(LEASE_NS / 10)
            .errorHandler(ex -> errors.add(ex.getMessage()))
            .logger(line -> {}));
    }

    @AfterEach
    void stop()
    {
        members.forEach(TestMember::close);
        coordinator.onClose();
        CloseHelper.close(connector);
    }

    @Test
    void aJobStartsOnlyOnceEveryShardIsAdvertised()
    {
        final TestMember serverA = member(Role.DATA_SERVER, -1);
        final TestMember worker = member(Role.WORKER, 0);
        final TestMember client = member(Role.CLIENT, -1);
        pump(() -> serverA.session.isRegistered() && worker.session.isRegistered() && client.session.isRegistered());

        serverA.advertise(0, 1);
        client.submit(1, 1);
        for (int i = 0; i < 20; i++)
        {
            pump(() -> true);
        }
        assertEquals(-1, worker.jobId, "half the shards advertised: the job waits");

        final TestMember serverB = member(Role.DATA_SERVER, -1);
        pump(serverB.session::isRegistered);
        serverB.advertise(2, 3);
        pump(() -> worker.jobId > 0 && !worker.assigned.isEmpty());
        assertEquals(manifest.chunkCount(), worker.assigned.get(0).size());
    }

    @Test
    void aWorkerWhoseLeaseEndsLosesItsChunksToTheLiveRankWhichAloneMayAcknowledgeThem()
    {
        final TestMember server = member(Role.DATA_SERVER, -1);
        final TestMember rankZero = member(Role.WORKER, 0);
        final TestMember rankOne = member(Role.WORKER, 1);
        final TestMember client = member(Role.CLIENT, -1);
        pump(() -> members.stream().allMatch(member -> member.session.isRegistered()));
        server.advertise(0, 1, 2, 3);
        client.submit(2, 1);
        pump(() -> rankZero.assigned.containsKey(0) && rankOne.assigned.containsKey(0));
        final List<Integer> ownOfRankZero = List.copyOf(rankZero.assigned.get(0));
        final List<Integer> ofRankOne = List.copyOf(rankOne.assigned.get(0));

        rankOne.silent = true;
        final long deadline = nowNs + 2 * LEASE_NS;
        pump(() -> rankZero.assigned.get(0).size() == manifest.chunkCount() && nowNs > deadline);
        assertEquals(1, coordinator.counters().get(CounterType.LEASE_EXPIRIES).get());
        assertEquals(ofRankOne.size(), coordinator.counters().get(CounterType.CHUNKS_REASSIGNED).get());

        final long invalidBefore = coordinator.counters().get(CounterType.INVALID_MESSAGES).get();
        client.acknowledge(1, 0, ofRankOne);
        pump(() -> coordinator.counters().get(CounterType.INVALID_MESSAGES).get() == invalidBefore + 1);
        assertTrue(client.errors.contains(ErrorCode.NOT_AUTHORIZED), client.errors.toString());

        rankZero.acknowledge(1, 0, ownOfRankZero);
        rankZero.acknowledge(1, 0, ofRankOne);
        pump(() -> coordinator.counters().get(CounterType.EPOCHS_COMPLETED).get() == 1);
        assertEquals(manifest.chunkCount(), coordinator.counters().get(CounterType.CHUNKS_ACKNOWLEDGED).get());
        assertEquals(invalidBefore + 1, coordinator.counters().get(CounterType.INVALID_MESSAGES).get());
    }

    private TestMember member(final Role role, final int rank)
    {
        final TestMember member = new TestMember(role, rank);
        members.add(member);
        return member;
    }

    /**
     * Run every duty cycle until all are idle, then move the clock on a step; until {@code done}. Each step
     * also gives the Aeron clients' conductors real time ({@link #STEP_PAUSE_MS}): they make new images
     * visible on their own threads, and the clock must not run a lease ahead of them.
     */
    private void pump(final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do
        {
            assertTrue(System.nanoTime() < deadline, "no progress; coordinator said: " + errors);
            for (int idle = 0; idle < IDLE_ROUNDS; )
            {
                int work = coordinator.doWork();
                for (final TestMember member : members)
                {
                    work += member.doWork();
                }
                if (work > 0)
                {
                    idle = 0;
                }
                else
                {
                    idle++;
                    Thread.yield();
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STEP_PAUSE_MS));
            nowNs += STEP_NS;
        }
        while (!done.getAsBoolean());
    }

    /**
     * A member made of a real member session, on IPC without a token.
     */
    private final class TestMember implements ControlListener, AutoCloseable
    {
        final ControlPublisher publisher = new ControlPublisher();
        final MemberSession session;
        final ControlAdapter adapter;
        final Map<Integer, List<Integer>> assigned = new TreeMap<>();
        final List<ErrorCode> errors = new ArrayList<>();
        long jobId = -1;
        boolean silent;

        TestMember(final Role role, final int rank)
        {
            final String channel = ControlProtocol.IPC_CHANNEL;
            final Refusals refusals = new Refusals("test member", new CountersManager(
                new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid"),
                ex -> {}, SystemNanoClock.INSTANCE);
            session = new MemberSession(connector.aeron(), publisher, channel, new HandshakeIdentity(role, rank,
                (byte)0, ControlProtocol.responseStreamId(connector.aeron(), channel), "test-host", channel), null,
                refusals);
            adapter = new ControlAdapter(
                session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
        }

        int doWork()
        {
            if (!silent)
            {
                return session.doWork(nowNs) + session.poll(adapter, 10, nowNs);
            }
            return 0;
        }

        void advertise(final int... shards)
        {
            ManifestAssembler.send(publisher, session.outbox(), manifest);
            final ServerAdvertisement self = new ServerAdvertisement(session.memberId(), manifest.datasetId(),
                "server-" + session.memberId(), TransportKind.LOCAL.addTo((byte)0), "", "");
            final ServerAdvertisement.Region[] regions = new ServerAdvertisement.Region[shards.length];
            for (int i = 0; i < shards.length; i++)
            {
                regions[i] = new ServerAdvertisement.Region(shards[i], manifest.shardLength(shards[i]),
                    manifest.shardPath(shards[i]), 0, 0);
            }
            publisher.regionAdvertisement(session.outbox(), self, regions, 0, regions.length);
        }

        void submit(final int worldSize, final int epochs)
        {
            publisher.jobSubmit(session.outbox(), 1, worldSize, epochs, 9, manifest.datasetId());
        }

        void acknowledge(final long job, final int epoch, final List<Integer> chunks)
        {
            final int[] ids = chunks.stream().mapToInt(Integer::intValue).toArray();
            final int[] crcs = chunks.stream().mapToInt(manifest::chunkCrc).toArray();
            publisher.chunkAck(session.outbox(), session.memberId(), job, epoch, ids, crcs, ids.length);
        }

        @Override
        public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
        {
            session.onRegistered(sessionId, decoder, nowNs);
        }

        @Override
        public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
        {
            session.onChallenge(sessionId, decoder, nowNs);
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            session.onHeartbeat(sessionId, decoder, nowNs);
        }

        @Override
        public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
        {
            session.onLeaseExpired(decoder);
        }

        @Override
        public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
        {
            jobId = decoder.jobId();
        }

        @Override
        public void onAssignment(final int sessionId, final AssignmentDecoder decoder)
        {
            final List<Integer> chunks = assigned.computeIfAbsent(decoder.epoch(), epoch -> new ArrayList<>());
            for (final AssignmentDecoder.ChunksDecoder chunk : decoder.chunks())
            {
                chunks.add(chunk.chunkId());
            }
        }

        @Override
        public void onRegionAdvertisement(
            final int sessionId, final RegionAdvertisementDecoder decoder, final DirectBuffer message,
            final int offset, final int length)
        {
        }

        @Override
        public void onManifestPart(
            final int sessionId, final ManifestPartDecoder decoder, final DirectBuffer message, final int offset,
            final int length)
        {
        }

        @Override
        public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
        {
            errors.add(decoder.code());
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
        }

        @Override
        public void close()
        {
            CloseHelper.closeAll(adapter, session);
        }
    }
}
