package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvSendWR;
import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.Manifest;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.LocalTransport;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.JobToken;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.CloseHelper;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The rdma transport's failure paths on a real device, against a data server's {@link RdmaRegionServer}
 * exporting a dataset (run in the Soft-RoCE lab by {@code rdma-lab/run-feed-test.sh}, and by
 * {@link RdmaDeviceTest} where a device exists):
 * <ol>
 *     <li>a chunk read over RDMA (a worker's connection, proven under the job token) has the manifest's
 *     CRC32C;</li>
 *     <li>a connection proven under another token is refused (counted by the server) and its read fails;</li>
 *     <li>a worker of a named job, proven under its job's token (derived from the cluster token), reads; the same
 *     token naming another job is refused;</li>
 *     <li>a read under a key its connection was not given fails with {@code IBV_WC_REM_ACCESS_ERR (10)} in its
 *     reason, and the chunk is then delivered over the other path, as the worker retries it: the {@code local}
 *     transport, the one other path on a single host;</li>
 *     <li>the reader whose queue pair that error broke reconnects and reads the next chunk;</li>
 *     <li>fencing: once the server is told that worker A's lease ended, A's next read under its old keys fails
 *     with {@code IBV_WC_REM_ACCESS_ERR (10)}, while worker B, live, reads the same region (the positive control);
 *     A connecting again under the ended registration is refused, and A, registered again, reads again;</li>
 *     <li>replay: a proof captured on one connection and sent again on the next (over another challenge) is refused,
 *     counted by the server, while fresh proofs over their own connection's challenge, before and after in the same
 *     run, get the keys;</li>
 *     <li>an RDMA WRITE into a registered region fails with {@code IBV_WC_REM_ACCESS_ERR (10)} and changes
 *     nothing.</li>
 * </ol>
 * Prints {@code CHECK name: PASS|FAIL ...} lines; exit status 0 when all passed. With a number of passes, it
 * then measures the transport alone: two readers (one queue pair each, as two workers), each with 8 chunk reads
 * in flight, read the dataset once to warm up, then that many times without checksums, and it prints
 * {@code RESULT transport_MBps=}.
 * <pre>RdmaLabCheck DATASET_DIR DEVICE_ADDRESS [PASSES]</pre>
 */
public final class RdmaLabCheck
{
    private static final String REMOTE_ACCESS_ERROR = "IBV_WC_REM_ACCESS_ERR (10)";
    private static final long OUTCOME_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);
    private static final JobToken TOKEN =
        new JobToken("rdma-lab job token, 32 bytes long".getBytes(StandardCharsets.US_ASCII));
    private static final JobToken TEAM_A = TOKEN.forJob("team-a");
    private static final JobToken OTHER_TOKEN =
        new JobToken("not the rdma-lab job token, no..".getBytes(StandardCharsets.US_ASCII));
    private static final int READERS = 2;
    private static final int READS_PER_READER = 8;

    private final Manifest manifest;
    private final Consumer<String> out;
    private final NanoClock clock = SystemNanoClock.INSTANCE;
    private final Crc32c crc32c = new Crc32c();
    private final ByteBuffer memory;
    private final UnsafeBuffer destination;
    private final Outcome outcome = new Outcome();
    private RdmaRegionServer server;
    private boolean passed = true;

    private RdmaLabCheck(final Manifest manifest, final Consumer<String> out)
    {
        this.manifest = manifest;
        this.out = out;
        memory = BufferUtil.allocateDirectAligned(BitUtil.align(manifest.maxChunkLength(), 4096), 4096);
        destination = new UnsafeBuffer(memory);
    }

    public static void main(final String[] args) throws Exception
    {
        if (args.length < 2 || args.length > 3)
        {
            System.err.println("usage: RdmaLabCheck DATASET_DIR DEVICE_ADDRESS [PASSES]");
            System.exit(64);
        }
        final Path directory = Path.of(args[0]);
        final Manifest manifest = DatasetIndexer.loadOrIndex(directory, DatasetIndexer.DEFAULT_CHUNK_SIZE);
        final int passes = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        System.exit(run(directory, manifest, args[1], passes, System.out::println) ? 0 : 1);
    }

    /**
     * @param passes times to read the dataset to measure the transport's throughput, 0 for no measurement.
     * @return true when every check passed.
     */
    static boolean run(
        final Path directory,
        final Manifest manifest,
        final String address,
        final int passes,
        final Consumer<String> out)
        throws IOException
    {
        final RdmaCapability capability = RdmaCapability.probe(address);
        if (!capability.isAvailable())
        {
            out.accept("CHECK rdma: FAIL " + capability.unavailableReason());
            return false;
        }
        final RdmaLabCheck check = new RdmaLabCheck(manifest, out);
        try (RdmaRegionServer server = new RdmaRegionServer(address, 0, TOKEN, check.clock,
            ex -> out.accept("data server: " + ex.getMessage())))
        {
            check.server = server;
            final ServerAdvertisement advertisement = advertise(server, directory, manifest);
            check.run(capability, advertisement);
            if (passes > 0)
            {
                check.measure(capability, advertisement, passes);
            }
        }
        return check.passed;
    }

    private void run(final RdmaCapability capability, final ServerAdvertisement good) throws IOException
    {
        final int chunk = 0;
        final int region = manifest.chunkShard(chunk);
        final ServerAdvertisement.Region exported = good.region(region);
        final int alias = manifest.shardCount();
        final ServerAdvertisement faulty = copy(good)
            .addRegion(new ServerAdvertisement.Region(alias, exported.length(), exported.path(),
                exported.rdmaAddress(), 0));
        out.accept(String.format("region %d: %d bytes at 0x%x (keys per connection), served on %s",
            region, exported.length(), exported.rdmaAddress(), server.endpoint()));

        final WorkerRegistration workerA = registered(0, TOKEN, 0x0a0a_0001L);
        final WorkerRegistration workerB = registered(1, TOKEN, 0x0b0b_0001L);
        try (RdmaTransport transportA = transport(capability, workerA, 4);
            RdmaTransport transportB = transport(capability, workerB, 4);
            RdmaTransport stranger = transport(capability, registered(2, OTHER_TOKEN, 0x0c0c_0001L), 1);
            RdmaTransport ofJob = transport(capability, registered(0, TEAM_A, "team-a", 0x0d0d_0001L), 1);
            RdmaTransport posing = transport(capability, registered(0, TEAM_A, "team-b", 0x0e0e_0001L), 1);
            DataReader reader = transportA.connect(good, memory);
            DataReader wrongKey = transportA.connect(faulty, memory);
            DataReader readerB = transportB.connect(good, memory);
            DataReader unproven = stranger.connect(good, memory);
            DataReader jobReader = ofJob.connect(good, memory);
            DataReader posingReader = posing.connect(good, memory);
            DataReader local = new LocalTransport(good.hostId()).connect(good, memory))
        {
            String failure = read(reader, region, chunk);
            expect("rdma read", null == failure && crcMatches(chunk), "worker A, chunk " + chunk + " over rdma: " +
                (null == failure ? "CRC32C " + crcText(chunk) : failure));

            long refused = server.refusedConnections();
            failure = read(unproven, region, chunk);
            expect("unproven refused", null != failure && server.refusedConnections() > refused,
                "a connection proven under another job token: refused " + (server.refusedConnections() - refused) +
                " time(s), its read -> " + failure);
            unproven.close();

            failure = read(jobReader, region, chunk);
            expect("named job", null == failure && crcMatches(chunk), "a worker of job team-a, proven under its " +
                "job's token (derived from the cluster token), chunk " + chunk + " over rdma: " +
                (null == failure ? "CRC32C " + crcText(chunk) : failure));
            refused = server.refusedConnections();
            failure = read(posingReader, region, chunk);
            expect("other job refused", null != failure && server.refusedConnections() > refused,
                "job team-a's token naming job team-b: refused " + (server.refusedConnections() - refused) +
                " time(s), its read -> " + failure);
            posingReader.close();

            failure = read(wrongKey, alias, chunk);
            expect("wrong rkey", null != failure && failure.contains(REMOTE_ACCESS_ERROR),
                "read of region " + alias + ", for which the connection has no key (key 0) -> " + failure);

            failure = read(local, region, chunk);
            expect("other path", null == failure && crcMatches(chunk), "chunk " + chunk + " then read over " +
                local.kind().label() + ": " + (null == failure ? "CRC32C " + crcText(chunk) : failure));

            failure = read(wrongKey, region, chunk);
            expect("reconnect", null == failure && crcMatches(chunk), "the reader the error broke, next read: " +
                (null == failure ? "CRC32C " + crcText(chunk) : failure));

            checkFencing(workerA, reader, readerB, region, chunk);
        }

        checkReplayRefused(capability);
        checkWriteRefused(capability, good, region, chunk);
    }

    /**
     * Worker A's lease ends (what the data server does when the coordinator says so); B stays live.
     */
    private void checkFencing(
        final WorkerRegistration workerA,
        final DataReader readerA,
        final DataReader readerB,
        final int region,
        final int chunk)
    {
        String failure = read(readerB, region, chunk);
        final boolean bRead = null == failure && crcMatches(chunk);
        failure = read(readerA, region, chunk);
        final boolean aRead = null == failure && crcMatches(chunk);
        final long revoked = server.revokedConnections();

        server.fence(workerA.registrationId());
        final String fenced = read(readerA, region, chunk);
        expect("fenced worker", aRead && server.revokedConnections() > revoked && null != fenced &&
            fenced.contains(REMOTE_ACCESS_ERROR), "worker A read the region, then its lease ended (" +
            (server.revokedConnections() - revoked) + " connection(s) revoked); its next read under its old keys -> " +
            fenced);

        failure = read(readerB, region, chunk);
        expect("live worker", bRead && null == failure && crcMatches(chunk),
            "worker B, live, read the same region before and after A was fenced: " +
            (null == failure ? "CRC32C " + crcText(chunk) : failure));

        final long refused = server.refusedConnections();
        failure = read(readerA, region, chunk);
        expect("fenced registration refused", null != failure && server.refusedConnections() > refused,
            "worker A connecting again under its ended registration: refused " +
            (server.refusedConnections() - refused) + " time(s), its read -> " + failure);

        workerA.registered(0x0a0a_0002L);
        failure = read(readerA, region, chunk);
        expect("registered again", null == failure && crcMatches(chunk), "worker A, registered again, reads " +
            "under its new connection's keys: " + (null == failure ? "CRC32C " + crcText(chunk) : failure));
    }

    /**
     * A proof seen on one connection, sent again on a new one by hand ({@link RawProofClient}): the new connection's
     * challenge is another, so it is refused and counted; fresh proofs by the same client for the same registration,
     * one before and one after, get the keys (the positive control).
     */
    private void checkReplayRefused(final RdmaCapability capability) throws IOException
    {
        final long registration = 0x0f0e_0001L;
        try (RawProofClient client = new RawProofClient(capability.address(), server))
        {
            final String first = client.connect(TOKEN, 5, registration, null);
            final byte[] captured = client.lastProof();
            final long refused = server.refusedConnections();
            final String replayed = client.connect(TOKEN, 5, registration, captured);
            final long refusedReplays = server.refusedConnections() - refused;
            final String fresh = client.connect(TOKEN, 5, registration, null);
            expect("fresh proof", first.endsWith(" keys") && fresh.endsWith(" keys"),
                "a proof over its connection's own challenge, before and after the replay: " + first + ", " + fresh);
            expect("replayed proof refused", !replayed.endsWith(" keys") && 1 == refusedReplays,
                "the first connection's proof sent again on a new connection: refused " + refusedReplays +
                " time(s) -> " + replayed);
        }
    }

    /**
     * Post an RDMA WRITE of the chunk's first page into the region through the reader's own code path,
     * then read the chunk back.
     */
    private void checkWriteRefused(
        final RdmaCapability capability, final ServerAdvertisement good, final int region, final int chunk)
        throws IOException
    {
        destination.setMemory(0, destination.capacity(), (byte)0x5a);
        final int length = Math.min(4096, manifest.chunkLength(chunk));
        try (RdmaDevice device = RdmaDevice.open(new InetSocketAddress(capability.address(), 0)))
        {
            final IbvMr registration = device.register(memory, IbvMr.IBV_ACCESS_LOCAL_WRITE);
            try (DataReader writer = new RdmaDataReader(device, registration, good,
                registered(3, TOKEN, 0x0d0d_0001L), RdmaSettings.DEFAULTS, 1, clock, IbvSendWR.IBV_WR_RDMA_WRITE))
            {
                final String failure = read(writer, region, chunk, length);
                expect("write refused", null != failure && failure.contains(REMOTE_ACCESS_ERROR),
                    "RDMA WRITE of " + length + " bytes into region " + region + " -> " + failure);
            }
            finally
            {
                registration.deregMr().execute().free();
            }
        }
        try (RdmaTransport transport = transport(capability, registered(4, TOKEN, 0x0e0e_0001L), 1);
            DataReader reader = transport.connect(good, memory))
        {
            final String failure = read(reader, region, chunk);
            expect("region unchanged", null == failure && crcMatches(chunk), "chunk " + chunk + " read back: " +
                (null == failure ? "CRC32C " + crcText(chunk) : failure));
        }
    }

    /**
     * Read every chunk {@code passes} times, as the workers of a feed would, but without checksums or
     * consumers: what the transport alone moves. One pass first warms up.
     */
    private void measure(final RdmaCapability capability, final ServerAdvertisement good, final int passes)
    {
        final RdmaTransport[] transports = new RdmaTransport[READERS];
        final DataReader[] readers = new DataReader[READERS];
        try
        {
            final SpeedRun run = new SpeedRun();
            for (int i = 0; i < READERS; i++)
            {
                transports[i] = transport(capability, registered(i, TOKEN, 0x0f0f_0001L + i), READS_PER_READER);
                readers[i] = transports[i].connect(good, run.pool);
            }
            run.readEveryChunk(readers, 1);
            final long startNs = clock.nanoTime();
            final long bytes = run.readEveryChunk(readers, passes);
            final double seconds = (clock.nanoTime() - startNs) / 1e9;
            out.accept(String.format("transport alone: %d MiB in %.2f s over %d readers x %d chunk reads in flight " +
                "(%d-byte rdma reads, %d per queue pair), no checksums", bytes >> 20, seconds, READERS,
                READS_PER_READER, RdmaSettings.DEFAULT_READ_SIZE, RdmaSettings.DEFAULT_READS_PER_QUEUE_PAIR));
            out.accept(String.format("RESULT transport_MBps=%.1f", bytes / seconds / 1e6));
        }
        finally
        {
            CloseHelper.closeAll(readers);
            CloseHelper.closeAll(transports);
        }
    }

    private RdmaTransport transport(
        final RdmaCapability capability, final WorkerRegistration registration, final int maxReads)
    {
        return new RdmaTransport(capability, RdmaSettings.DEFAULTS, maxReads, clock, registration);
    }

    private static WorkerRegistration registered(final int rank, final JobToken token, final long registrationId)
    {
        return registered(rank, token, "", registrationId);
    }

    private static WorkerRegistration registered(
        final int rank, final JobToken token, final String jobName, final long registrationId)
    {
        final WorkerRegistration registration = new WorkerRegistration(rank, token, jobName);
        registration.registered(registrationId);
        return registration;
    }

    private String read(final DataReader reader, final int region, final int chunk)
    {
        return read(reader, region, chunk, manifest.chunkLength(chunk));
    }

    /**
     * @return null when the read completed, else its failure.
     */
    private String read(final DataReader reader, final int region, final int chunk, final int length)
    {
        destination.setMemory(0, length, (byte)0);
        outcome.reset();
        if (!reader.read(1, region, manifest.chunkOffset(chunk), length, destination, 0))
        {
            return "the reader refused the read";
        }
        final long deadline = clock.nanoTime() + OUTCOME_TIMEOUT_NS;
        while (!outcome.done && clock.nanoTime() - deadline < 0)
        {
            server.doWork();
            reader.poll(outcome);
            Thread.onSpinWait();
        }
        return outcome.done ?
            outcome.failure : "no outcome within " + TimeUnit.NANOSECONDS.toSeconds(OUTCOME_TIMEOUT_NS) + " s";
    }

    private boolean crcMatches(final int chunk)
    {
        return crc32c.compute(memory, 0, manifest.chunkLength(chunk)) == manifest.chunkCrc(chunk);
    }

    private String crcText(final int chunk)
    {
        final int crc = crc32c.compute(memory, 0, manifest.chunkLength(chunk));
        return Integer.toHexString(crc) + (crc == manifest.chunkCrc(chunk) ? " matches the manifest" :
            " != manifest's " + Integer.toHexString(manifest.chunkCrc(chunk)));
    }

    private void expect(final String name, final boolean held, final String detail)
    {
        passed &= held;
        out.accept("CHECK " + name + ": " + (held ? "PASS " : "FAIL ") + detail);
    }

    private static ServerAdvertisement advertise(
        final RdmaRegionServer server, final Path directory, final Manifest manifest)
    {
        final ServerAdvertisement advertisement = new ServerAdvertisement(1, manifest.datasetId(), "lab",
            TransportKind.RDMA.addTo(TransportKind.LOCAL.addTo((byte)0)), "", server.endpoint());
        for (int shard = 0; shard < manifest.shardCount(); shard++)
        {
            advertisement.addRegion(server.export(new ServerAdvertisement.Region(shard, manifest.shardLength(shard),
                directory.resolve(manifest.shardPath(shard)).toAbsolutePath().toString(), 0, 0)));
        }
        return advertisement;
    }

    private static ServerAdvertisement copy(final ServerAdvertisement server)
    {
        final ServerAdvertisement copy = new ServerAdvertisement(server.serverId(), server.datasetId(), server.hostId(),
            server.transports(), server.udpChannel(), server.rdmaEndpoint());
        server.regions().values().forEach(copy::addRegion);
        return copy;
    }

    /**
     * Buffers for {@link #READERS} x {@link #READS_PER_READER} chunk reads, each buffer bound to one reader.
     */
    private final class SpeedRun implements ReadCompletionHandler
    {
        final int bufferLength = BitUtil.align(manifest.maxChunkLength(), 4096);
        final ByteBuffer pool = BufferUtil.allocateDirectAligned(READERS * READS_PER_READER * bufferLength, 4096);
        final UnsafeBuffer[] buffers = new UnsafeBuffer[READERS * READS_PER_READER];
        final int[] free = new int[buffers.length];
        int freeCount;
        long completed;

        SpeedRun()
        {
            for (int i = 0; i < buffers.length; i++)
            {
                buffers[i] = new UnsafeBuffer(pool, i * bufferLength, bufferLength);
            }
        }

        /**
         * @return bytes read.
         */
        long readEveryChunk(final DataReader[] readers, final int passes)
        {
            for (int i = 0; i < buffers.length; i++)
            {
                free[i] = i;
            }
            freeCount = buffers.length;
            completed = 0;
            final long reads = (long)manifest.chunkCount() * passes;
            long issued = 0;
            long bytes = 0;
            while (completed < reads)
            {
                while (freeCount > 0 && issued < reads)
                {
                    final int chunk = (int)(issued % manifest.chunkCount());
                    final int buffer = free[--freeCount];
                    if (!readers[buffer % READERS].read(buffer, manifest.chunkShard(chunk), manifest.chunkOffset(chunk),
                        manifest.chunkLength(chunk), buffers[buffer], 0))
                    {
                        freeCount++;
                        break;
                    }
                    bytes += manifest.chunkLength(chunk);
                    issued++;
                }
                server.doWork();
                for (final DataReader reader : readers)
                {
                    reader.poll(this);
                }
            }
            return bytes;
        }

        @Override
        public void onReadComplete(final long readId)
        {
            free[freeCount++] = (int)readId;
            completed++;
        }

        @Override
        public void onReadFailed(final long readId, final String reason)
        {
            throw new IllegalStateException(reason);
        }
    }

    private static final class Outcome implements ReadCompletionHandler
    {
        boolean done;
        String failure;

        void reset()
        {
            done = false;
            failure = null;
        }

        @Override
        public void onReadComplete(final long readId)
        {
            done = true;
        }

        @Override
        public void onReadFailed(final long readId, final String reason)
        {
            done = true;
            failure = reason;
        }
    }
}
