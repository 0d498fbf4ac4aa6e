package io.stoker.launcher.cluster;

import io.stoker.launcher.StokerCli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code stoker dataset generate} failing part-way, as on a full disk, leaves the target as it found it.
 */
class DatasetGenerateIT
{
    private static final Duration RUN = Duration.ofSeconds(60);

    @TempDir
    Path temp;

    @Test
    void aGenerateThatFailsPartWayRemovesWhatItWrote() throws Exception
    {
        try (StokerProcesses processes = new StokerProcesses(temp))
        {
            // The positive control: the same dataset without a limit. Its shards vary in size, so a limit just
            // above the first shard lets that one be written whole and makes a later one fail part-way.
            final Path control = temp.resolve("control");
            final StokerProcesses.Node unlimited = processes.start("control", generate(control));
            assertEquals(0, unlimited.awaitExit(RUN), unlimited.log());
            final List<Path> shards = shards(control);
            final long limitKiB = (Files.size(shards.get(0)) + 1023) / 1024;
            final Path failing = shards.stream().filter(shard -> size(shard) > limitKiB * 1024).findFirst()
                .orElseThrow(() -> new AssertionError("no shard larger than " + limitKiB + " KiB in " + shards));
            assertTrue(shards.indexOf(failing) > 0, "a later shard fails: " + failing);
            final StokerProcesses.Node index = processes.start("index", "dataset", "index", control.toString());
            assertEquals(0, index.awaitExit(RUN), index.log());

            final Path created = temp.resolve("created").resolve("data");
            final StokerProcesses.Node intoNew =
                processes.startWithFileSizeLimit(limitKiB, "into-new", generate(created));
            assertFailedOn(created.resolve(failing.getFileName()), intoNew);
            assertFalse(Files.exists(temp.resolve("created")), "the directories it created are gone");

            final Path existing = Files.createDirectory(temp.resolve("existing"));
            final StokerProcesses.Node intoExisting =
                processes.startWithFileSizeLimit(limitKiB, "into-existing", generate(existing));
            assertFailedOn(existing.resolve(failing.getFileName()), intoExisting);
            try (Stream<Path> left = Files.list(existing))
            {
                assertEquals(List.of(), left.toList(), "the directory it found empty is empty");
            }
        }
    }

    private static String[] generate(final Path directory)
    {
        return new String[]{ "dataset", "generate", directory.toString(), "--format", "tfrecord:200000",
            "--size", "8MiB", "--shard-size", "1MiB", "--seed", "3" };
    }

    private static void assertFailedOn(final Path shard, final StokerProcesses.Node node) throws Exception
    {
        assertEquals(StokerCli.EXIT_BAD_DATASET, node.awaitExit(RUN), node.log());
        final String line = node.log().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.startsWith("stoker: " + shard + ": cannot write"), line);
        assertTrue(line.contains("File too large"), line);
    }

    private static List<Path> shards(final Path directory) throws Exception
    {
        try (Stream<Path> files = Files.list(directory))
        {
            return files.filter(file -> file.getFileName().toString().startsWith("shard-")).sorted().toList();
        }
    }

    private static long size(final Path file)
    {
        return file.toFile().length();
    }
}
