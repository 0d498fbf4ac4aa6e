package io.stoker.transport.data;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

class MappedRegionTest
{
    @TempDir
    Path temp;

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aNamedPipeIsRefusedByNameInsteadOfBlockingTheOpen() throws Exception
    {
        final Path shard = mkfifo(temp.resolve("shard-00000.bin"));

        final UncheckedIOException ex = assertThrows(UncheckedIOException.class, () -> new MappedRegion(shard, -1));
        assertTrue(ex.getMessage().startsWith(shard + ": "), ex.getMessage());
        assertTrue(ex.getMessage().contains("named pipe"), ex.getMessage());
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());

        Files.delete(shard);
        Files.write(shard, new byte[]{ 1, 2, 3, 4 });
        try (MappedRegion region = new MappedRegion(shard, 4))
        {
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[2]);
            region.copy(2, 2, copy, 0);
            assertEquals(3, copy.getByte(0));
            assertEquals(4, copy.getByte(1));
        }
    }

    @Test
    void containsRefusesRangesThatOverflowPastTheEnd() throws Exception
    {
        final Path shard = Files.write(temp.resolve("shard-00000.bin"), new byte[4096]);
        try (MappedRegion region = new MappedRegion(shard, -1))
        {
            assertTrue(region.contains(0, 4096));
            assertTrue(region.contains(4000, 96));
            assertTrue(region.contains(4096, 0));
            assertFalse(region.contains(4000, 97));
            assertFalse(region.contains(4097, 0));
            assertFalse(region.contains(-1, 1));
            assertFalse(region.contains(0, -1));
            assertFalse(region.contains(Long.MAX_VALUE, 1), "MAX_VALUE + 1 wraps negative");
            assertFalse(region.contains(Long.MAX_VALUE - 10, 100));
            assertFalse(region.contains(Long.MAX_VALUE, Integer.MAX_VALUE));
            assertFalse(region.contains(Long.MIN_VALUE, 10));
        }
    }

    private static Path mkfifo(final Path path) throws IOException, InterruptedException
    {
        final Process process;
        try
        {
            process = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        }
        catch (final IOException ex)
        {
            return abort("mkfifo is not installed here: " + ex.getMessage());
        }
        assertEquals(0, process.waitFor(), "mkfifo " + path);
        return path;
    }
}
