package io.stoker.worker.shm;

import io.stoker.worker.gpu.IpcSlots;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The channel's layout version 3, byte by byte as DESIGN.md gives it, with and without device slots; no GPU needed.
 */
class ChannelLayoutTest
{
    @Test
    void theHeaderGrowsByTheHandlesRoundedUpToAPage()
    {
        assertEquals(4096, ChannelLayout.headerLength(0));
        assertEquals(8192, ChannelLayout.headerLength(1));
        assertEquals(8192, ChannelLayout.headerLength(64));
        assertEquals(12288, ChannelLayout.headerLength(65));
        assertEquals(4096 + 64 * 3, ChannelLayout.ipcHandleOffset(3));
        assertEquals(8192 + (1 << 20) + 768, ChannelLayout.releasesOffset(8192, 1 << 20));
        assertEquals(8192 + (1 << 20) + 768 + (64 << 10) + 768, ChannelLayout.fileLength(8192, 1 << 20, 64 << 10));
        assertThrows(IllegalArgumentException.class, () -> ChannelLayout.headerLength(-1));
    }

    @Test
    void aHostChannelSaysSoAndItsRingsStartAfterTheFixedHeader(@TempDir final Path dir) throws Exception
    {
        try (ShmChannel channel = ShmChannel.create(dir.resolve("channel"), 1 << 16))
        {
            final UnsafeBuffer header = map(dir.resolve("channel"));
            assertEquals(4, header.getInt(8));
            assertEquals(ChannelLayout.MEMORY_HOST_POOL, header.getInt(112));
            assertEquals(-1, header.getInt(116));
            assertEquals(0, header.getInt(120));
            assertEquals(0, header.getInt(124));
            assertEquals(4096, header.getInt(128));
            assertEquals(ChannelLayout.fileLength(1 << 16, ChannelLayout.RELEASES_CAPACITY), Files.size(dir.resolve(
                "channel")));
        }
    }

    @Test
    void aDeviceChannelHoldsEachSlotsHandleAfterTheFixedHeader(@TempDir final Path dir) throws Exception
    {
        final byte[][] handles = new byte[70][64];
        for (int slot = 0; slot < handles.length; slot++)
        {
            for (int i = 0; i < 64; i++)
            {
                handles[slot][i] = (byte)(slot * 7 + i);
            }
        }
        final IpcSlots slots = new IpcSlots(1, 4 << 20, handles);
        try (ShmChannel channel = ShmChannel.create(dir.resolve("channel"), 1 << 16, slots))
        {
            channel.ready(0, 0, 4 << 20, 70, 64, 2, 1, 9, 10_000);
            final UnsafeBuffer header = map(dir.resolve("channel"));
            assertEquals(ChannelLayout.MAGIC, header.getLong(0));
            assertEquals(ChannelLayout.MEMORY_CUDA_SLOTS, header.getInt(112));
            assertEquals(1, header.getInt(116));
            assertEquals(70, header.getInt(120));
            assertEquals(4 << 20, header.getInt(124));
            assertEquals(12288, header.getInt(128));
            for (int slot = 0; slot < handles.length; slot++)
            {
                final byte[] stored = new byte[64];
                header.getBytes(4096 + 64 * slot, stored);
                assertArrayEquals(handles[slot], stored, "slot " + slot);
            }
            assertEquals(ChannelLayout.fileLength(12288, 1 << 16, ChannelLayout.RELEASES_CAPACITY),
                Files.size(dir.resolve("channel")));
            assertEquals(1 << 16, channel.batches().capacity());
            assertEquals(ChannelLayout.RELEASES_CAPACITY, channel.releases().capacity());
        }
    }

    @Test
    void aHandleIsSixtyFourBytes()
    {
        assertThrows(IllegalArgumentException.class, () -> new IpcSlots(0, 4096, new byte[][]{ new byte[63] }));
    }

    private static UnsafeBuffer map(final Path file) throws Exception
    {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final MappedByteBuffer mapping = channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            return new UnsafeBuffer(mapping);
        }
    }
}
