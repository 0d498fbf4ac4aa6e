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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Processes stopped by SIGTERM ({@link Process#destroy()}) remove what they created: their embedded media driver's
 * directory (tens of MB of {@code /dev/shm} each).
 */
class CleanStopIT
{
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration STOP = Duration.ofSeconds(20);
    /**
     * What a JVM that ran its shutdown on SIGTERM exits with: 128 + 15.
     */
    private static final int SIGTERM_STATUS = 143;

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
}
