package io.stoker.launcher.cluster;

import io.aeron.ExclusivePublication;
import io.stoker.codecs.HelloEncoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.wire.FuzzCorpus;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every listening role of a distributed run, as real processes on loopback, under a seeded flood of
 * hostile input from a party without the job token: each role counts every hostile frame exactly once
 * (the media driver every datagram that is not an Aeron frame), keeps its agent threads, its heap and
 * its publications, holds no more than its bound of handshakes under a flood of Hellos, and then feeds
 * a job exactly once, with the data connection itself fuzzed while the job runs.
 */
class HostileInputIT
{
    private static final long SEED = 20261129L;
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final Duration SETTLE = Duration.ofSeconds(40);
    /**
     * How long the pending handshakes are watched after a Hello flood: past the 2 s handshake timeout the
     * coordinator and the data server are started with, so the flood's handshakes are given up meanwhile.
     */
    private static final Duration FLOOD_WATCH = Duration.ofSeconds(3);
    private static final long HEAP_SLACK = 8 * MIB;
    private static final long RESIDENT_SLACK = 64 * MIB;
    private static final int DATAGRAMS = 200;
    private static final int FLOOD_SESSIONS = 100;
    private static final int HELLOS_PER_SESSION = 5;
    private static final int MAX_PENDING = 64;
    private static final long CPU_SLACK_TICKS = 40;
    private static final Pattern READS_SERVER = Pattern.compile("reads server (\\d+) on");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void everyRoleCountsEveryHostileFrameKeepsItsThreadsAndMemoryAndThenFeedsAJobExactlyOnce() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp); Intruder intruder = new Intruder())
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 256 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator("--handshake-timeout", "2000");
            final String serverEndpoint = run.server("server-a", "--connection-timeout", "2000");
            run.workers(2, "--step-time", "100000");
            final String workerEndpoint = run.workerEndpoints.get(0);

            final List<FuzzCorpus.Frame> corpus = new ArrayList<>(FuzzCorpus.generate(SEED, 300));
            corpus.add(new FuzzCorpus.Frame("fragmented, from a stranger", new byte[100 * KIB]));
            final List<byte[]> frames = corpus.stream().map(FuzzCorpus.Frame::bytes).toList();
            System.out.println("fuzz corpus per listening endpoint: " + frames.size() + " frames " +
                FuzzCorpus.countByKind(corpus));

            final List<Target> targets = List.of(
                new Target("coordinator", run.coordinator, run.coordinatorCounters(), "coordinator",
                    "stoker-coordinator", run.coordinatorEndpoint),
                new Target("data server", run.servers.get(0), run.serverCounters(0), "data server",
                    "stoker-data-server", serverEndpoint),
                new Target("worker rank 0", run.workers.get(0), run.workerCounters(0), "worker rank 0",
                    "stoker-worker-0", workerEndpoint));
            final Map<Target, Long> heapBefore = new LinkedHashMap<>();
            final Map<Target, Long> publicationsBefore = new LinkedHashMap<>();
            final Map<Target, Long> imagesBefore = new LinkedHashMap<>();
            final Map<Target, Long> residentBefore = new LinkedHashMap<>();
            for (final Target role : targets)
            {
                heapBefore.put(role, JvmProbe.heapUsedAfterGc(role.node.process.pid()));
                publicationsBefore.put(role, role.counters.publications());
                imagesBefore.put(role, role.counters.images());
                residentBefore.put(role, JvmProbe.residentBytes(role.node.process.pid()));
            }
            final Map<Target, Long> cpuBefore = cpuTicksOverTwoSeconds(targets);

            fuzz(intruder, targets.get(0), ControlProtocol.COORDINATOR_STREAM_ID, frames);
            fuzz(intruder, targets.get(1), ControlProtocol.MEMBER_STREAM_ID, frames);
            fuzz(intruder, targets.get(1), ControlProtocol.DATA_REQUEST_STREAM_ID, frames);
            fuzz(intruder, targets.get(2), ControlProtocol.MEMBER_STREAM_ID, frames);
            for (final Target role : targets)
            {
                datagrams(role);
            }
            helloFlood(intruder, targets.get(0), ControlProtocol.COORDINATOR_STREAM_ID);
            helloFlood(intruder, targets.get(1), ControlProtocol.DATA_REQUEST_STREAM_ID);

            for (final Target role : targets)
            {
                final long pid = role.node.process.pid();
                await(role + ": publications back to " + publicationsBefore.get(role), role.counters::publications,
                    publicationsBefore.get(role));
                await(role + ": images of strangers released", role.counters::images, imagesBefore.get(role));
                final long heap = JvmProbe.heapUsedAfterGc(pid);
                assertTrue(heap <= heapBefore.get(role) + HEAP_SLACK,
                    role + ": heap after a full GC " + heap + " bytes, before the fuzz " + heapBefore.get(role));
                final long resident = JvmProbe.residentBytes(pid);
                assertTrue(resident <= residentBefore.get(role) + RESIDENT_SLACK,
                    role + ": resident " + resident + " bytes, before the fuzz " + residentBefore.get(role));
                assertAlive(role);
            }
            final Map<Target, Long> cpuAfter = cpuTicksOverTwoSeconds(targets);
            for (final Target role : targets)
            {
                final long cpu = cpuAfter.get(role);
                System.out.println(
                    role + ": CPU ticks in 2 s before the fuzz " + cpuBefore.get(role) + ", after " + cpu);
                assertTrue(cpu <= cpuBefore.get(role) + CPU_SLACK_TICKS,
                    role + ": " + cpu + " CPU ticks in 2 s after the flood, " + cpuBefore.get(role) + " before");
            }

            final StokerProcesses.Node submit = run.submit(2, 2);
            run.workers.get(0).awaitLog("reads server", ClusterRun.START);
            final Matcher server = READS_SERVER.matcher(run.workers.get(0).log());
            assertTrue(server.find(), run.workers.get(0).log());
            final int dataStream = ControlProtocol.DATA_RESPONSE_STREAM_BASE + Integer.parseInt(server.group(1));
            fuzz(intruder, targets.get(2), dataStream, frames);
            fuzz(intruder, targets.get(1), ControlProtocol.DATA_REQUEST_STREAM_ID, frames);
            assertAlive(targets.get(2));

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
            assertEquals(0, targets.get(0).counters.value("coordinator: errors escaping a duty cycle"));
            assertEquals(0, targets.get(1).counters.value("data server: errors escaping a duty cycle"));
        }
    }

    /**
     * Send the corpus from a session of the intruder's own, and wait until the role counted exactly one
     * refusal per frame: no more, no less.
     */
    private static void fuzz(final Intruder intruder, final Target role, final int streamId, final List<byte[]> frames)
        throws InterruptedException
    {
        final long before = role.invalidMessages();
        final long sent = intruder.send(role.endpoint, streamId, frames);
        await(role + " stream " + streamId + ": invalid messages", role::invalidMessages, before + sent);
        Thread.sleep(200);
        assertEquals(before + sent, role.invalidMessages(), role + " stream " + streamId + ": one count per frame");
        System.out.println(role + " stream " + streamId + ": " + sent + " hostile frames, " + sent + " counted");
        assertAlive(role);
    }

    /**
     * Datagrams that are not Aeron frames (the version byte is never Aeron's): the role's media driver
     * counts each as an invalid packet.
     */
    private static void datagrams(final Target role) throws InterruptedException
    {
        final SplittableRandom random = new SplittableRandom(SEED ^ role.name.hashCode());
        final List<byte[]> datagrams = new ArrayList<>();
        for (int i = 0; i < DATAGRAMS; i++)
        {
            final byte[] datagram = new byte[8 + random.nextInt(200)];
            random.nextBytes(datagram);
            datagram[4] = (byte)(1 + random.nextInt(255));
            datagrams.add(datagram);
        }
        final long before = role.counters.invalidPackets();
        Intruder.datagrams(role.endpoint, datagrams);
        await(role + ": invalid packets", role.counters::invalidPackets, before + DATAGRAMS);
    }

    /**
     * Well-formed Hellos from many sessions, each naming a reply channel where no one listens: the role
     * holds at most its bound of handshakes at any time, and releases them all when they run out of time.
     */
    private static void helloFlood(final Intruder intruder, final Target role, final int streamId)
        throws InterruptedException
    {
        final String pending = role.prefix + ": sessions pending";
        final long refusedBefore = role.counters.value(role.prefix + ": sessions refused");
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final HelloEncoder hello = new HelloEncoder();
        final SplittableRandom random = new SplittableRandom(SEED);
        long maxPending = 0;
        for (int session = 0; session < FLOOD_SESSIONS; session++)
        {
            final ExclusivePublication publication = intruder.connected(role.endpoint, streamId);
            for (int i = 0; i < HELLOS_PER_SESSION; i++)
            {
                hello.wrapAndApplyHeader(buffer, 0, header).correlationId(random.nextLong()).role(Role.WORKER)
                    .rank(session).responseStreamId(ControlProtocol.MEMBER_STREAM_ID).putNonce(new byte[32], 0, 32);
                hello.transports().clear();
                hello.hostId("flood").responseChannel(ControlProtocol.udpChannel(StokerProcesses.endpoint()))
                    .jobName("");
                Intruder.offer(publication, buffer, MessageHeaderEncoder.ENCODED_LENGTH + hello.encodedLength());
            }
            publication.close();
            maxPending = Math.max(maxPending, role.counters.value(pending));
        }
        final long deadline = System.nanoTime() + FLOOD_WATCH.toNanos();
        while (System.nanoTime() < deadline)
        {
            maxPending = Math.max(maxPending, role.counters.value(pending));
            Thread.sleep(5);
        }
        assertTrue(maxPending > 0 && maxPending <= MAX_PENDING, role + ": at most " + MAX_PENDING +
            " handshakes pending at once, saw " + maxPending);
        await(pending, () -> role.counters.value(pending), 0);
        assertTrue(role.counters.value(role.prefix + ": sessions refused") - refusedBefore >= maxPending,
            role + ": every handshake given up was counted");
        System.out.println(role + ": Hello flood of " + FLOOD_SESSIONS * HELLOS_PER_SESSION + " from " +
            FLOOD_SESSIONS + " sessions, at most " + maxPending + " pending, all released");
    }

    private static void assertAlive(final Target role)
    {
        assertTrue(role.node.process.isAlive(), role.node.log());
        assertTrue(JvmProbe.threads(role.node.process.pid()).contains(role.thread),
            role + ": its agent thread " + role.thread + " runs");
        assertEquals(0, role.counters.value(role.prefix + ": errors escaping a duty cycle"),
            role + ": nothing escaped a duty cycle");
    }

    /**
     * @return each role's CPU ticks over the same two seconds.
     */
    private static Map<Target, Long> cpuTicksOverTwoSeconds(final List<Target> roles) throws InterruptedException
    {
        final Map<Target, Long> before = new LinkedHashMap<>();
        for (final Target role : roles)
        {
            before.put(role, JvmProbe.cpuTicks(role.node.process.pid()));
        }
        Thread.sleep(2000);
        final Map<Target, Long> ticks = new LinkedHashMap<>();
        for (final Target role : roles)
        {
            ticks.put(role, JvmProbe.cpuTicks(role.node.process.pid()) - before.get(role));
        }
        return ticks;
    }

    private static void await(final String what, final LongSupplier value, final long expected)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + SETTLE.toNanos();
        long now;
        while ((now = value.getAsLong()) != expected)
        {
            assertTrue(System.nanoTime() < deadline, what + ": " + now + ", expected " + expected);
            Thread.sleep(20);
        }
    }

    /**
     * A listening role: its process, counters, the prefix of its counters' labels, its agent thread and endpoint.
     */
    private record Target(
        String name, StokerProcesses.Node node, RemoteCounters counters, String prefix, String thread, String endpoint)
    {
        long invalidMessages()
        {
            return counters.value(prefix + ": invalid messages");
        }

        @Override
        public String toString()
        {
            return name;
        }
    }
}
