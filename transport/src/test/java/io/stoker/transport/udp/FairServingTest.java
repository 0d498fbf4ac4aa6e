package io.stoker.transport.udp;

import io.stoker.transport.AeronConnector;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two jobs reading one data server at once over UDP on loopback, with a real embedded media driver and real data
 * connections, each job's workers proving their own job's token: job "light" reads with one worker and a few reads
 * in flight, job "greedy" with two workers reading as fast as they can (many reads in flight each). While both have
 * reads waiting, each job's share of the bytes the server sends, read from its per-job counter, must be within 20%
 * of its weight's share; and, the positive control, every read of both jobs completes with the chunk's CRC32C.
 */
class FairServingTest
{
    private static final JobToken CLUSTER_TOKEN =
        new JobToken("the-cluster-token-of-the-fair-serving-test".getBytes(StandardCharsets.UTF_8));
    private static final int CHUNK = 1024 * 1024;
    private static final int CHUNKS = 16;
    private static final long WARM_UP_BYTES = 16L * CHUNK;

    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final int[] chunkCrcs = new int[CHUNKS];
    private AeronConnector connector;
    private StatusCounters serverCounters;
    private UdpRegionServer server;
    private ServerAdvertisement advertisement;

    @BeforeEach
    void start() throws IOException
    {
        connector = AeronConnector.connect(new AeronConnector.Context().udpTermLength(8 * 1024 * 1024));
        final byte[] content = new byte[CHUNKS * CHUNK];
        new Random(42).nextBytes(content);
        for (int i = 0; i < CHUNKS; i++)
        {
            final CRC32C crc = new CRC32C();
            crc.update(content, i * CHUNK, CHUNK);
            chunkCrcs[i] = (int)crc.getValue();
        }
        final Path shard = Files.write(temp.resolve("shard-0.bin"), content);
        serverCounters = new StatusCounters(connector.aeron(), "data server", CounterType.BYTES_SERVED,
            CounterType.READ_REQUESTS_SERVED, CounterType.READS_FENCED, CounterType.INVALID_MESSAGES,
            CounterType.SESSIONS_REFUSED, CounterType.SESSIONS_PENDING);
        server = new UdpRegionServer(connector.aeron(), endpoint(), CLUSTER_TOKEN, SystemNanoClock.INSTANCE,
            TimeUnit.SECONDS.toNanos(5), serverCounters, ex -> errors.add(ex.getMessage()));
        final ServerAdvertisement.Region region = server.export(
            new ServerAdvertisement.Region(0, content.length, shard.toString(), 0, 0));
        advertisement = new ServerAdvertisement(7, "dataset", "host", TransportKind.UDP.addTo((byte)0),
            server.endpoint(), "").addRegion(region);
    }

    @AfterEach
    void stop()
    {
        CloseHelper.close(server);
        serverCounters.close();
        connector.close();
    }

    @Test
    void equalWeightsShareTheServerEquallyThoughOneJobHasTwiceTheConnectionsAndReadsAsFastAsItCan() throws Exception
    {
        run(1, 1);
    }

    @Test
    void weightsOneToThreeGiveTheLightJobAQuarterOfTheServer() throws Exception
    {
        run(1, 3);
    }

    /**
     * Workers of every job read, each proving its own job's token, which the server derives from the cluster token;
     * a job's token does not read as another job: its Hello's proof does not verify and nothing is served to it.
     */
    @Test
    void aJobsTokenReadsAsThatJobAndNotAsAnother() throws Exception
    {
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        final List<String> outcomes = new ArrayList<>();
        final ReadCompletionHandler handler = new ReadCompletionHandler()
        {
            @Override
            public void onReadComplete(final long readId)
            {
                outcomes.add(readId + " ok");
            }

            @Override
            public void onReadFailed(final long readId, final String reason)
            {
                outcomes.add(readId + " failed: " + reason);
            }
        };
        final JobToken teamA = CLUSTER_TOKEN.forJob("team-a");
        try (DataReader asA = reader(new WorkerRegistration(0, teamA, "team-a"), destination);
            DataReader asB = reader(new WorkerRegistration(0, teamA, "team-b"), destination))
        {
            assertTrue(asA.read(1, 0, 0, 100, destination, 0));
            assertTrue(asB.read(2, 0, 0, 100, destination, 0));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (outcomes.size() < 2)
            {
                assertTrue(System.nanoTime() < deadline, outcomes.toString());
                server.doWork();
                asA.poll(handler);
                asB.poll(handler);
            }
        }
        assertTrue(outcomes.contains("1 ok"), "positive control: team-a's token reads as team-a: " + outcomes);
        assertTrue(outcomes.stream().anyMatch(o -> o.startsWith("2 failed") && o.contains("did not prove")),
            outcomes.toString());
        assertEquals(100, server.servedTo("team-a"));
        assertEquals(-1, server.servedTo("team-b"), "nothing served to, nor kept of, a job no one proved");
    }

    private DataReader reader(final WorkerRegistration registration, final UnsafeBuffer destination)
    {
        registration.registered(99);
        return new UdpTransport(connector.aeron(), endpoint(), registration, "worker-host", SystemNanoClock.INSTANCE, 8,
            TimeUnit.SECONDS.toNanos(2), serverCounters.get(CounterType.INVALID_MESSAGES),
            ex -> errors.add(ex.getMessage())).connect(advertisement, destination.byteBuffer());
    }

    private void run(final int lightWeight, final int greedyWeight) throws Exception
    {
        server.serveJob("light", lightWeight);
        server.serveJob("greedy", greedyWeight);
        final Job light = new Job("light", 1, 8, 64 * lightWeight);
        final Job greedy = new Job("greedy", 2, 32, 96 * greedyWeight);
        try
        {
            long lightAtStart = -1;
            long greedyAtStart = -1;
            long lightAtEnd = -1;
            long greedyAtEnd = -1;
            long startNs = 0;
            long endNs = 0;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!light.isDone() || !greedy.isDone())
            {
                assertTrue(System.nanoTime() < deadline, "light " + light + ", greedy " + greedy + ", " + errors);
                int work = server.doWork();
                work += light.doWork();
                work += greedy.doWork();
                final long lightServed = server.servedTo("light");
                final long greedyServed = server.servedTo("greedy");
                if (lightAtStart < 0 && lightServed + greedyServed >= WARM_UP_BYTES && light.isConnected() &&
                    greedy.isConnected())
                {
                    lightAtStart = lightServed;
                    greedyAtStart = greedyServed;
                    startNs = System.nanoTime();
                }
                if (lightAtStart >= 0 && lightAtEnd < 0 && (light.allIssued() || greedy.allIssued()))
                {
                    lightAtEnd = lightServed;
                    greedyAtEnd = greedyServed;
                    endNs = System.nanoTime();
                }
                if (0 == work)
                {
                    Thread.onSpinWait();
                }
            }

            assertEquals(List.of(), light.failures, "every read of the light job completes with its CRC32C");
            assertEquals(List.of(), greedy.failures, "every read of the greedy job completes with its CRC32C");
            assertEquals(light.planned, light.completed);
            assertEquals(greedy.planned, greedy.completed);
            assertEquals(server.servedTo("light"), counterValue("data server (job light): bytes served to job"),
                "the light job's counter, as stoker stat reads it");
            assertEquals(server.servedTo("greedy"), counterValue("data server (job greedy): bytes served to job"));

            final long lightBytes = lightAtEnd - lightAtStart;
            final long greedyBytes = greedyAtEnd - greedyAtStart;
            final double share = (double)lightBytes / (lightBytes + greedyBytes);
            final double expected = (double)lightWeight / (lightWeight + greedyWeight);
            System.out.printf("fair serving %d:%d: light %,d B, greedy %,d B while both read (%.0f MB/s): light's " +
                "share %.3f, its weight's %.3f%n", lightWeight, greedyWeight, lightBytes, greedyBytes,
                (lightBytes + greedyBytes) * 1e3 / (endNs - startNs), share, expected);
            assertTrue(lightBytes + greedyBytes >= 32L * CHUNK, "measured over too little: " + (lightBytes +
                greedyBytes));
            assertTrue(Math.abs(share - expected) <= 0.2 * expected, "light's share " + share + ", its weight's " +
                expected + " (light " + lightBytes + " B, greedy " + greedyBytes + " B)");
        }
        finally
        {
            light.close();
            greedy.close();
        }
    }

    private long counterValue(final String label)
    {
        final long[] value = {-1};
        final CountersReader counters = connector.aeron().countersReader();
        counters.forEach((counterId, typeId, keyBuffer, counterLabel) ->
        {
            if (typeId == CounterType.BYTES_SERVED_TO_JOB.typeId() && counterLabel.equals(label))
            {
                value[0] = counters.getCounterValue(counterId);
            }
        });
        return value[0];
    }

    private static String endpoint()
    {
        try (DatagramSocket socket = new DatagramSocket(0))
        {
            return "127.0.0.1:" + socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    /**
     * A job's workers: each a data connection to the server with its own reads in flight, issuing the next read of
     * the job's plan (chunk after chunk, round and round) as soon as one completes, and checking each chunk's CRC32C.
     */
    private final class Job implements AutoCloseable
    {
        final String name;
        final int planned;
        final List<String> failures = new ArrayList<>();
        final List<Worker> workers = new ArrayList<>();
        int issued;
        int completed;

        Job(final String name, final int workerCount, final int readsInFlight, final int planned)
        {
            this.name = name;
            this.planned = planned;
            for (int rank = 0; rank < workerCount; rank++)
            {
                workers.add(new Worker(rank, readsInFlight));
            }
        }

        boolean isDone()
        {
            return completed == planned;
        }

        boolean allIssued()
        {
            return issued == planned;
        }

        boolean isConnected()
        {
            for (final Worker worker : workers)
            {
                if (!worker.reader.isAvailable())
                {
                    return false;
                }
            }
            return true;
        }

        int doWork()
        {
            int work = 0;
            for (final Worker worker : workers)
            {
                work += worker.doWork();
            }
            return work;
        }

        @Override
        public void close()
        {
            workers.forEach(worker -> CloseHelper.close(worker.reader));
        }

        @Override
        public String toString()
        {
            return issued + " issued, " + completed + " of " + planned + " completed, failures " + failures;
        }

        private final class Worker implements ReadCompletionHandler
        {
            final DataReader reader;
            final UnsafeBuffer destination;
            final int[] chunkOfSlot;
            final long[] readOfSlot;
            final List<Integer> freeSlots = new ArrayList<>();
            long nextReadId = 1;

            Worker(final int rank, final int readsInFlight)
            {
                final WorkerRegistration registration = new WorkerRegistration(rank, CLUSTER_TOKEN.forJob(name), name);
                registration.registered(1000 + rank);
                destination = new UnsafeBuffer(ByteBuffer.allocateDirect(readsInFlight * CHUNK));
                chunkOfSlot = new int[readsInFlight];
                readOfSlot = new long[readsInFlight];
                for (int slot = 0; slot < readsInFlight; slot++)
                {
                    freeSlots.add(slot);
                }
                reader = new UdpTransport(connector.aeron(), endpoint(), registration, "worker-host",
                    SystemNanoClock.INSTANCE, readsInFlight, TimeUnit.SECONDS.toNanos(20),
                    serverCounters.get(CounterType.INVALID_MESSAGES), ex -> errors.add(ex.getMessage()))
                    .connect(advertisement, destination.byteBuffer());
            }

            int doWork()
            {
                int work = reader.poll(this);
                while (!freeSlots.isEmpty() && issued < planned)
                {
                    final int slot = freeSlots.get(freeSlots.size() - 1);
                    final int chunk = issued % CHUNKS;
                    final long readId = nextReadId++;
                    if (!reader.read(readId, 0, (long)chunk * CHUNK, CHUNK, destination, slot * CHUNK))
                    {
                        break;
                    }
                    freeSlots.remove(freeSlots.size() - 1);
                    chunkOfSlot[slot] = chunk;
                    readOfSlot[slot] = readId;
                    issued++;
                    work++;
                }
                return work;
            }

            @Override
            public void onReadComplete(final long readId)
            {
                final int slot = slotOf(readId);
                final CRC32C crc = new CRC32C();
                final ByteBuffer bytes = destination.byteBuffer().duplicate();
                bytes.limit(slot * CHUNK + CHUNK).position(slot * CHUNK);
                crc.update(bytes);
                if ((int)crc.getValue() != chunkCrcs[chunkOfSlot[slot]])
                {
                    failures.add("read " + readId + " of chunk " + chunkOfSlot[slot] + ": CRC32C mismatch");
                }
                completed++;
                freeSlots.add(slot);
            }

            @Override
            public void onReadFailed(final long readId, final String reason)
            {
                failures.add("read " + readId + " failed: " + reason);
                completed++;
                freeSlots.add(slotOf(readId));
            }

            private int slotOf(final long readId)
            {
                for (int slot = 0; slot < readOfSlot.length; slot++)
                {
                    if (readOfSlot[slot] == readId && !freeSlots.contains(slot))
                    {
                        return slot;
                    }
                }
                throw new AssertionError(name + ": no read " + readId + " in flight");
            }
        }
    }
}
