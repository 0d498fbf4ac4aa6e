package io.stoker.transport.data;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LocalDataReaderTest
{
    @TempDir
    Path temp;

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

    @Test
    void copiesTheRequestedRangesInOrder() throws Exception
    {
        final byte[] content = new byte[100_000];
        for (int i = 0; i < content.length; i++)
        {
            content[i] = (byte)(i * 13);
        }
        final Path file = Files.write(temp.resolve("shard-0.bin"), content);
        final ServerAdvertisement server =
            new ServerAdvertisement(1, "dataset", "host", TransportKind.LOCAL.addTo((byte)0), "", "")
            .addRegion(new ServerAdvertisement.Region(0, content.length, file.toString(), 0, 0));
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(200_000));

        try (LocalDataReader reader = new LocalDataReader(server, 2))
        {
            assertTrue(reader.read(1, 0, 1000, 5000, destination, 0));
            assertTrue(reader.read(2, 0, 90_000, 10_000, destination, 100_000));
            assertFalse(reader.read(3, 0, 0, 10, destination, 0), "a third read exceeds the reader's capacity");
            assertEquals(2, reader.inFlight());

            assertEquals(2, reader.poll(handler));
            assertEquals(List.of("1 ok", "2 ok"), outcomes);
            assertEquals(0, reader.inFlight());
        }
        for (int i = 0; i < 5000; i++)
        {
            assertEquals(content[1000 + i], destination.getByte(i));
        }
        for (int i = 0; i < 10_000; i++)
        {
            assertEquals(content[90_000 + i], destination.getByte(100_000 + i));
        }
    }

    @Test
    void failsReadsOutsideARegionOrOfAnUnknownRegion() throws Exception
    {
        final Path file = Files.write(temp.resolve("shard-0.bin"), new byte[4096]);
        final ServerAdvertisement server =
            new ServerAdvertisement(1, "dataset", "host", TransportKind.LOCAL.addTo((byte)0), "", "")
            .addRegion(new ServerAdvertisement.Region(0, 4096, file.toString(), 0, 0))
            .addRegion(new ServerAdvertisement.Region(1, 4096, temp.resolve("gone.bin").toString(), 0, 0));
        final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));

        try (LocalDataReader reader = new LocalDataReader(server, 8))
        {
            reader.read(1, 0, 4000, 200, destination, 0);
            reader.read(2, 7, 0, 10, destination, 0);
            reader.read(3, 1, 0, 10, destination, 0);
            reader.read(4, 0, 0, 100, destination, 8150);
            reader.read(5, 0, Long.MAX_VALUE - 10, 100, destination, 0);
            reader.poll(handler);
        }

        assertEquals(5, outcomes.size());
        assertTrue(outcomes.get(0).contains("outside region 0"), outcomes.get(0));
        assertTrue(outcomes.get(1).contains("does not export region 7"), outcomes.get(1));
        assertTrue(outcomes.get(2).contains("gone.bin"), outcomes.get(2));
        assertTrue(outcomes.get(3).contains("does not fit"), outcomes.get(3));
        assertTrue(outcomes.get(4).contains("outside region 0"), "no overflow into range: " + outcomes.get(4));
    }

    @Test
    void refusesAFileWhoseLengthChangedSinceItWasAdvertised() throws Exception
    {
        final Path file = Files.write(temp.resolve("shard-0.bin"), new byte[4096]);
        final ServerAdvertisement server =
            new ServerAdvertisement(1, "dataset", "host", TransportKind.LOCAL.addTo((byte)0), "", "")
            .addRegion(new ServerAdvertisement.Region(0, 8192, file.toString(), 0, 0));

        try (LocalDataReader reader = new LocalDataReader(server, 8))
        {
            reader.read(1, 0, 0, 10, new UnsafeBuffer(ByteBuffer.allocateDirect(16)), 0);
            reader.poll(handler);
        }

        assertTrue(outcomes.get(0).contains("advertised as 8192"), outcomes.get(0));
    }
}
