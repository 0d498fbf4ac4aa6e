package io.stoker.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import io.stoker.dataset.format.ShardInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * A named pipe in the place of a shard, the manifest or the format file is refused by name before it is opened:
 * opening one for reading would block until something writes to it. Each test runs on a thread of its own under a
 * timeout, so a regression fails the test instead of hanging the build, and ends with the same dataset holding a
 * regular file in that place, which works.
 */
@Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class NamedPipeTest
{
    private static final int CHUNK = DatasetIndexer.MIN_CHUNK_SIZE;

    @TempDir
    Path dir;

    @Test
    void aNamedPipeAsAShardIsRefused() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path pipe = mkfifo(dir.resolve("shard-00001.bin"));

        assertRefused(pipe, () -> DatasetIndexer.index(dir, null, CHUNK));
        assertRefused(pipe, () -> DatasetIndexer.loadOrIndex(dir, CHUNK));
        assertRefused(pipe, () -> new ShardInput(pipe).close());

        Files.delete(pipe);
        Files.copy(dir.resolve("shard-00000.bin"), pipe);
        assertEquals(20, DatasetIndexer.index(dir, null, CHUNK).totalRecords());
    }

    @Test
    void aNamedPipeAsTheFormatFileIsRefused() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path formatFile = dir.resolve(DatasetIndexer.FORMAT_FILE_NAME);
        Files.delete(formatFile);
        mkfifo(formatFile);

        assertRefused(formatFile, () -> DatasetIndexer.index(dir, null, CHUNK));

        Files.delete(formatFile);
        Files.writeString(formatFile, "fixed:1000\n");
        assertEquals(10, DatasetIndexer.index(dir, null, CHUNK).totalRecords());
    }

    @Test
    void aSymbolicLinkToANamedPipeAsTheFormatFileIsRefused() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path formatFile = dir.resolve(DatasetIndexer.FORMAT_FILE_NAME);
        Files.delete(formatFile);
        final Path pipe = mkfifo(dir.resolve(".format-pipe"));
        Files.createSymbolicLink(formatFile, pipe);

        assertRefused(formatFile, () -> DatasetIndexer.index(dir, null, CHUNK));

        Files.delete(pipe);
        Files.writeString(pipe, "fixed:1000\n");
        assertEquals(10, DatasetIndexer.index(dir, null, CHUNK).totalRecords());
    }

    @Test
    void aNamedPipeAsTheManifestIsRefused() throws Exception
    {
        DatasetGenerator.generate(dir, FormatSpec.fixed(1000), 10_000, 1);
        final Path manifestFile = mkfifo(dir.resolve(Manifest.FILE_NAME));

        assertRefused(manifestFile, () -> Manifest.read(manifestFile));
        assertRefused(manifestFile, () -> DatasetIndexer.loadOrIndex(dir, CHUNK));

        Files.delete(manifestFile);
        final Manifest manifest = DatasetIndexer.index(dir, null, CHUNK);
        manifest.write(manifestFile);
        assertEquals(manifest.datasetId(), Manifest.read(manifestFile).datasetId());
        assertEquals(manifest.datasetId(), DatasetIndexer.loadOrIndex(dir, CHUNK).datasetId());
    }

    private static void assertRefused(final Path file, final Executable executable)
    {
        final DatasetException ex = assertThrows(DatasetException.class, executable);
        final String message = ex.getMessage();
        assertEquals(file, ex.file(), message);
        assertTrue(message.startsWith(file + ": "), message);
        assertTrue(message.contains("named pipe"), message);
        assertFalse(message.contains("\n"), message);
    }

    /**
     * Makes a named pipe with {@code mkfifo}; skips the test where there is no such command.
     */
    static Path mkfifo(final Path path) throws IOException, InterruptedException
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
        assertTrue(Files.exists(path) && !Files.isRegularFile(path), path + " is a named pipe");
        return path;
    }
}
