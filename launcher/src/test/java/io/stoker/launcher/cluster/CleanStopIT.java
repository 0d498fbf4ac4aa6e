package io.stoker.launcher.cluster;

import io.stoker.dataset.Manifest;
import io.stoker.transport.TransportDefaults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processes stopped by SIGTERM ({@link Process#destroy()}) remove what they created: their embedded media driver's
 * directory (tens of MB of {@code /dev/shm} each) and, for {@code stoker local}, a temporary dataset.
 */
class CleanStopIT
{
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration STOP = Duration.ofSeconds(20);
    /**
     * What a JVM that ran its shutdown on SIGTERM exits with: 128 + 15.
     */
    private static final int SIGTERM_STATUS = 143;
    private static final Pattern COUNTERS = Pattern.compile("counters in (\\S+)");
    private static final Pattern GENERATED = Pattern.compile("records in (\\S+) in ");

    @TempDir
    Path temp;

    @Test
    void everyRoleOfADistributedRunRemovesItsDriverDirectoryOnSigterm() throws Exception
    {
        try (StokerProcesses processes = new StokerProcesses(temp))
        {
            final Manifest manifest = processes.dataset("fixed:4096", 4 << 20, 256 << 10);
            final String coordinatorEndpoint = StokerProcesses.endpoint();
            final String token = processes.tokenFile.toString();
            final StokerProcesses.Node coordinator = processes.start("coordinator", "coordinator",
                "--listen", coordinatorEndpoint, "--job-token-file", token).awaitLog("listening on", START);
            final StokerProcesses.Node server = processes.start("server", "serve",
                "--coordinator", coordinatorEndpoint, "--listen", StokerProcesses.endpoint(),
                "--dataset", processes.datasetDirectory().toString(), "--chunk-size", "" + manifest.chunkSizeTarget(),
                "--job-token-file", token).awaitLog("advertised dataset", START);
            final StokerProcesses.Node worker = processes.start("worker", "worker",
                "--coordinator", coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0",
                "--job-token-file", token).awaitLog("joining", START);
            // World size 2 with one worker: the job starts and waits for rank 1, so the client stays in it.
            final StokerProcesses.Node submit = processes.start("submit", "submit",
                "--coordinator", coordinatorEndpoint, "--listen", StokerProcesses.endpoint(),
                "--dataset-id", manifest.datasetId(), "--world-size", "2", "--job-token-file", token)
                .awaitLog("chunks", START);

            final Map<StokerProcesses.Node, String> roles = new LinkedHashMap<>();
            roles.put(submit, "client");
            roles.put(worker, "worker-0");
            roles.put(server, "server");
            roles.put(coordinator, "coordinator");
            for (final Map.Entry<StokerProcesses.Node, String> role : roles.entrySet())
            {
                final StokerProcesses.Node node = role.getKey();
                final Path driver = Path.of(TransportDefaults.tempAeronDirectory(
                    "stoker-" + role.getValue() + "-" + node.process.pid()));
                assertTrue(Files.isDirectory(driver), node.name + " runs a media driver in " + driver);
                assertTrue(node.process.isAlive(), node.log());

                node.process.destroy();

                assertEquals(SIGTERM_STATUS, node.awaitExit(STOP), node.log());
                assertFalse(Files.exists(driver), node.name + " left " + driver + ":\n" + node.log());
            }
        }
    }

    @Test
    void localRemovesItsDriverDirectoryAndTemporaryDatasetOnSigterm() throws Exception
    {
        try (StokerProcesses processes = new StokerProcesses(temp))
        {
            final StokerProcesses.Node local = processes.start("local", "local", "--generate", "8MiB",
                "--epochs", "1000000", "--step-time", "1000", "--no-progress", "--verbose")
                .awaitLog("counters in", START);
            final Path dataset = find(GENERATED, local);
            final Path driver = find(COUNTERS, local);
            assertTrue(Files.isRegularFile(dataset.resolve("shard-00000.bin")), "the run feeds " + dataset);
            assertTrue(Files.isDirectory(driver), "the run's media driver is in " + driver);

            local.process.destroy();

            assertEquals(SIGTERM_STATUS, local.awaitExit(STOP), local.log());
            assertTrue(local.log().contains("stoker local: interrupted"), local.log());
            assertFalse(Files.exists(driver), "left " + driver);
            assertFalse(Files.exists(dataset), "left " + dataset);
        }
    }

    @Test
    void localStoppedWhileGeneratingRemovesWhatItWrote() throws Exception
    {
        try (StokerProcesses processes = new StokerProcesses(temp))
        {
            final Path dataset = temp.resolve("generated").resolve("data");
            final StokerProcesses.Node local = processes.start("local", "local", "--generate", "4GiB",
                "--dataset", dataset.toString(), "--no-progress");
            final long deadline = System.nanoTime() + START.toNanos();
            while (!Files.exists(dataset.resolve("shard-00000.bin")))
            {
                assertTrue(System.nanoTime() < deadline && local.process.isAlive(), local.log());
                Thread.sleep(10);
            }

            local.process.destroy();

            assertEquals(SIGTERM_STATUS, local.awaitExit(STOP), local.log());
            assertEquals("stoker local: interrupted", local.log().strip());
            assertFalse(Files.exists(temp.resolve("generated")), "the directories it created are gone");
        }
    }

    private static Path find(final Pattern pattern, final StokerProcesses.Node node)
    {
        final Matcher matcher = pattern.matcher(node.log());
        assertTrue(matcher.find(), pattern + " in:\n" + node.log());
        return Path.of(matcher.group(1));
    }
}
