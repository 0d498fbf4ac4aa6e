package io.stoker.transport.udp;

import io.stoker.transport.AeronConnector;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.CloseHelper;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
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
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The UDP data plane over a real embedded media driver on loopback.
 */
class UdpTransportTest
{
    private static final JobToken TOKEN =
        new JobToken("a-token-for-the-udp-transport-test".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final List<String> outcomes = new ArrayList<>();
    private final ReadCompletionHandler handler = new ReadCompletionHandler()
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
    private AeronConnector connector;
    private StatusCounters serverCounters;
    private AtomicCounter bytesServed;
    private AtomicCounter invalid;
    private UdpRegionServer server;
    private byte[] content;
    private ServerAdvertisement advertisement;

    @BeforeEach
    void start() throws IOException
    {
        connector = AeronConnector.connect(new AeronConnector.Context().udpTermLength(4 * 1024 * 1024));
        content = new byte[3_000_000];
        for (int i = 0; i < content.length; i++)
        {
            content[i] = (byte)(i * 7 + (i >>> 12));
        }
        final Path shard = Files.write(temp.resolve("shard-0.bin"), content);
        final String endpoint = endpoint();
        serverCounters = new StatusCounters(connector.aeron(), "data server", CounterType.BYTES_SERVED,
            CounterType.READ_REQUESTS_SERVED, CounterType.READS_FENCED, CounterType.INVALID_MESSAGES,
            CounterType.SESSIONS_REFUSED, CounterType.SESSIONS_PENDING);
        bytesServed = serverCounters.get(CounterType.BYTES_SERVED);
        invalid = serverCounters.get(CounterType.INVALID_MESSAGES);
        server = new UdpRegionServer(connector.aeron(), endpoint, TOKEN, SystemNanoClock.INSTANCE,
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
    void readsRangesIntoTheirPlacesWithFramesOfManyReadsInterleaved() throws Exception
    {
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(4_000_000));
        try (DataReader reader = transport(TOKEN, 1000).connect(advertisement, destination.byteBuffer()))
        {
            assertTrue(reader.read(1, 0, 0, 1_000_000, destination, 0));
            assertTrue(reader.read(2, 0, 1_500_000, 1_500_000, destination, 1_000_000));
            assertTrue(reader.read(3, 0, 123, 77, destination, 3_000_000));
            pollUntil(reader, 3);
        }

        assertEquals(List.of("1 ok", "2 ok", "3 ok"), outcomes.stream().sorted().toList());
        for (int i = 0; i < 1_000_000; i++)
        {
            assertEquals(content[i], destination.getByte(i));
        }
        for (int i = 0; i < 1_500_000; i++)
        {
            assertEquals(content[1_500_000 + i], destination.getByte(1_000_000 + i));
        }
        for (int i = 0; i < 77; i++)
        {
            assertEquals(content[123 + i], destination.getByte(3_000_000 + i));
        }
        assertEquals(2_500_077, bytesServed.get());
    }

    /**
     * Once the server is told a worker's registration is fenced, a read under it is refused with
     * {@code NOT_REGISTERED} and counted, while another worker's reads are served (the positive control, before and
     * after); the same worker, registered again, reads again on the same connection.
     */
    @Test
    void aFencedRegistrationsReadsAreRefusedWhileAnotherWorkersAreServedAndItReadsAgainOnceRegisteredAgain()
        throws Exception
    {
        final AtomicCounter readsFenced = serverCounters.get(CounterType.READS_FENCED);
        final WorkerRegistration workerA = new WorkerRegistration(0, TOKEN);
        final WorkerRegistration workerB = new WorkerRegistration(1, TOKEN);
        workerA.registered(0xa1L);
        workerB.registered(0xb1L);
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
        final long timeoutNs = TimeUnit.SECONDS.toNanos(2);
        try (DataReader readerA = transport(workerA, timeoutNs, SystemNanoClock.INSTANCE)
            .connect(advertisement, destination.byteBuffer());
            DataReader readerB = transport(workerB, timeoutNs, SystemNanoClock.INSTANCE)
                .connect(advertisement, destination.byteBuffer()))
        {
            assertTrue(readerA.read(1, 0, 0, 100, destination, 0));
            pollUntil(readerA, 1);
            assertTrue(readerB.read(2, 0, 0, 100, destination, 4096));
            pollUntil(readerB, 2);
            assertEquals(List.of("1 ok", "2 ok"), outcomes, "both read before the fence");

            server.fence(0xa1L);
            assertTrue(readerA.read(3, 0, 0, 100, destination, 0));
            pollUntil(readerA, 3);
            assertTrue(readerB.read(4, 0, 0, 100, destination, 4096));
            pollUntil(readerB, 4);
            assertTrue(outcomes.get(2).startsWith("3 failed") && outcomes.get(2).contains("NOT_REGISTERED") &&
                outcomes.get(2).contains("registration 161 is fenced"), outcomes.toString());
            assertEquals("4 ok", outcomes.get(3), "the live worker reads on");
            assertEquals(1, readsFenced.get());

            workerA.registered(0xa2L);
            assertTrue(readerA.read(5, 0, 0, 100, destination, 0));
            pollUntil(readerA, 5);
            assertEquals("5 ok", outcomes.get(4), "registered again, it reads again");
            assertEquals(1, readsFenced.get());
        }
        for (int i = 0; i < 100; i++)
        {
            assertEquals(content[i], destination.getByte(i));
        }
    }

    @Test
    void aReadOutsideTheRegionOrOfAnUnknownRegionIsRefusedWithAnError() throws Exception
    {
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        try (DataReader reader = transport(TOKEN, 2000).connect(advertisement, destination.byteBuffer()))
        {
            reader.read(1, 0, content.length - 10, 100, destination, 0);
            reader.read(2, 5, 0, 100, destination, 0);
            pollUntil(reader, 2);
        }

        assertEquals(2, outcomes.size(), outcomes.toString());
        assertTrue(outcomes.stream().anyMatch(o -> o.startsWith("1 failed") && o.contains("OUT_OF_REGION") &&
            o.contains("outside region 0")), outcomes.toString());
        assertTrue(outcomes.stream().anyMatch(o -> o.startsWith("2 failed") && o.contains("UNKNOWN_REGION")),
            outcomes.toString());
        assertEquals(0, bytesServed.get());
    }

    /**
     * A read whose offset plus length would overflow, a negative offset or length, a region that does
     * not exist: each refused alone, and the connection serves the next read.
     */
    @Test
    void readsOutsideARegionOrOverflowingItAreRefusedAndTheConnectionServesOn() throws Exception
    {
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        try (DataReader reader = transport(TOKEN, 2000).connect(advertisement, destination.byteBuffer()))
        {
            reader.read(1, 0, Long.MAX_VALUE - 10, 100, destination, 0);
            reader.read(2, 0, -1, 100, destination, 0);
            reader.read(3, 0, 0, -100, destination, 0);
            reader.read(4, -7, 0, 100, destination, 0);
            pollUntil(reader, 4);
            reader.read(5, 0, 100, 200, destination, 0);
            pollUntil(reader, 5);
        }

        for (int read = 1; read <= 3; read++)
        {
            final String prefix = read + " failed";
            assertTrue(outcomes.stream().anyMatch(o -> o.startsWith(prefix) && o.contains("OUT_OF_REGION")),
                outcomes.toString());
        }
        assertTrue(outcomes.stream().anyMatch(o -> o.startsWith("4 failed") && o.contains("UNKNOWN_REGION")),
            outcomes.toString());
        assertEquals("5 ok", outcomes.get(4), outcomes.toString());
        for (int i = 0; i < 200; i++)
        {
            assertEquals(content[100 + i], destination.getByte(i));
        }
        assertEquals(200, bytesServed.get());
    }

    @Test
    void aWorkerWithTheWrongTokenGetsNoDataWhileOneWithTheRightTokenDoes() throws Exception
    {
        final JobToken wrong = new JobToken("definitely-not-the-right-token!!".getBytes(StandardCharsets.UTF_8));
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        try (DataReader reader = transport(wrong, 1000).connect(advertisement, destination.byteBuffer()))
        {
            reader.read(1, 0, 0, 100, destination, 0);
            pollUntil(reader, 1);
        }
        assertTrue(outcomes.get(0).startsWith("1 failed") &&
            outcomes.get(0).contains("did not prove the job token"), outcomes.toString());
        assertEquals(0, bytesServed.get());

        try (DataReader reader = transport(TOKEN, 1000).connect(advertisement, destination.byteBuffer()))
        {
            reader.read(2, 0, 0, 100, destination, 0);
            pollUntil(reader, 2);
        }
        assertEquals("2 ok", outcomes.get(1), outcomes.toString());
        assertEquals(100, bytesServed.get());
        for (int i = 0; i < 100; i++)
        {
            assertEquals(content[i], destination.getByte(i));
        }
    }

    /**
     * A server that stops answering (as one killed with {@code kill -9} does: its endpoint stays quiet, Aeron
     * notices only seconds later) is taken as down once it sent nothing for a quarter of the read timeout: the
     * reads waiting on it fail then, not at the read timeout, and the reader takes no reads until the server shows
     * a sign of life, here its late answers once it runs again. Time is a hand-set clock.
     */
    @Test
    void aServerThatStopsAnsweringIsTakenAsDownAfterTheStallBoundAndItsReadsFailThen() throws Exception
    {
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(TimeUnit.SECONDS.toNanos(1000));
        final long timeoutNs = TimeUnit.SECONDS.toNanos(2);
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(3_000_000));
        try (DataReader reader = transport(TOKEN, timeoutNs, clock).connect(advertisement, destination.byteBuffer()))
        {
            assertFalse(reader.isAvailable(), "not available before its session is up");
            assertTrue(reader.read(1, 0, 0, 100, destination, 0));
            pollUntil(reader, 1);
            assertEquals(List.of("1 ok"), outcomes);
            assertTrue(reader.isAvailable());

            assertTrue(reader.read(2, 0, 0, 1_000_000, destination, 0));
            assertTrue(reader.read(3, 0, 1_000_000, 1_000_000, destination, 1_000_000));
            reader.poll(handler);
            clock.advance(timeoutNs / 4);
            reader.poll(handler);
            assertEquals(1, outcomes.size(), "within the stall bound the reads wait: " + outcomes);
            assertTrue(reader.isAvailable());

            clock.advance(TimeUnit.MILLISECONDS.toNanos(1));
            reader.poll(handler);
            assertEquals(3, outcomes.size(), outcomes.toString());
            for (final String outcome : outcomes.subList(1, 3))
            {
                assertTrue(outcome.contains("failed") && outcome.contains("sent nothing for 500 ms"), outcome);
            }
            assertFalse(reader.isAvailable(), "a stalled server takes no reads");
            assertEquals(0, reader.inFlight());

            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!reader.isAvailable())
            {
                assertTrue(System.nanoTime() < deadline, "the server's late answers did not bring it back");
                server.doWork();
                reader.poll(handler);
            }
            assertTrue(reader.read(4, 0, 200, 300, destination, 0));
            pollUntil(reader, 4);
            assertEquals("4 ok", outcomes.get(3));
        }
        assertEquals(0, invalid.get(), "late answers of failed reads are no invalid messages");
    }

    /**
     * A server that closes (its stream to the worker ends): the reads waiting on it fail as soon as the worker's
     * Aeron sees the stream gone, with the hand-set clock standing still, so not at a read timeout or a stall; the
     * reader is not available, and it opens a new session to a server at that endpoint when there is one.
     */
    @Test
    void aServerWhoseStreamEndsFailsTheReadsWaitingOnItWithoutATimeout() throws Exception
    {
        final CachedNanoClock clock = new CachedNanoClock();
        clock.update(TimeUnit.SECONDS.toNanos(1000));
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(3_000_000));
        try (DataReader reader = transport(TOKEN, TimeUnit.SECONDS.toNanos(2), clock)
            .connect(advertisement, destination.byteBuffer()))
        {
            assertTrue(reader.read(1, 0, 0, 100, destination, 0));
            pollUntil(reader, 1);
            assertTrue(reader.isAvailable());

            assertTrue(reader.read(2, 0, 0, 1_000_000, destination, 0));
            reader.poll(handler);
            server.close();
            server = null;
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (outcomes.size() < 2)
            {
                assertTrue(System.nanoTime() < deadline, "the closed server's stream did not end: " + outcomes);
                reader.poll(handler);
                Thread.sleep(1);
            }
            assertTrue(outcomes.get(1).startsWith("2 failed") && outcomes.get(1).contains("lost"), outcomes.get(1));
            assertFalse(reader.isAvailable(), "no reads for a server whose connection is gone");
            assertEquals(0, reader.inFlight());
        }
    }

    private UdpTransport transport(final JobToken token, final long timeoutMs)
    {
        return transport(token, TimeUnit.MILLISECONDS.toNanos(timeoutMs), SystemNanoClock.INSTANCE);
    }

    private UdpTransport transport(final JobToken token, final long timeoutNs, final NanoClock clock)
    {
        return transport(new WorkerRegistration(0, token), timeoutNs, clock);
    }

    private UdpTransport transport(final WorkerRegistration registration, final long timeoutNs, final NanoClock clock)
    {
        return new UdpTransport(connector.aeron(), endpoint(), registration, "worker-host", clock, 8, timeoutNs,
            invalid, ex -> errors.add(ex.getMessage()));
    }

    private void pollUntil(final DataReader reader, final int count) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (outcomes.size() < count)
        {
            assertTrue(System.nanoTime() < deadline, "outcomes so far: " + outcomes);
            server.doWork();
            if (0 == reader.poll(handler))
            {
                Thread.sleep(1);
            }
        }
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
}
