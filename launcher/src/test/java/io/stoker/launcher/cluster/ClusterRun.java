package io.stoker.launcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.dataset.Manifest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One distributed run's processes over UDP on loopback (coordinator, data servers, workers, the
 * submitting client, all with the job token) and the checks on what they delivered.
 */
final class ClusterRun
{
    static final Duration START = Duration.ofSeconds(30);
    static final Duration RUN = Duration.ofSeconds(120);

    final StokerProcesses cluster;
    final Manifest manifest;
    final String coordinatorEndpoint = StokerProcesses.endpoint();
    final List<StokerProcesses.Node> servers = new ArrayList<>();
    final List<StokerProcesses.Node> workers = new ArrayList<>();
    final List<String> workerEndpoints = new ArrayList<>();
    final Path ackLog;
    StokerProcesses.Node coordinator;
    int coordinatorStarts;

    ClusterRun(final StokerProcesses cluster, final Manifest manifest)
    {
        this.cluster = cluster;
        this.manifest = manifest;
        this.ackLog = cluster.directory.resolve("acks.log");
    }

    void coordinator(final String... extra) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("coordinator", "--listen", coordinatorEndpoint,
            "--job-token-file", cluster.tokenFile.toString(), "--lease-timeout", "1500",
            "--heartbeat-interval", "250", "--ack-log", ackLog.toString()));
        args.addAll(List.of(extra));
        coordinator = cluster.start("coordinator-" + coordinatorStarts++, args.toArray(String[]::new))
            .awaitLog("listening on", START);
    }

    String server(final String name, final String... extra) throws Exception
    {
        final String endpoint = StokerProcesses.endpoint();
        final List<String> args = new ArrayList<>(List.of("serve", "--coordinator", coordinatorEndpoint,
            "--listen", endpoint, "--dataset", cluster.datasetDirectory().toString(),
            "--chunk-size", "" + manifest.chunkSizeTarget(), "--job-token-file", cluster.tokenFile.toString(),
            "--host-id", name + "-host"));
        args.addAll(List.of(extra));
        servers.add(cluster.start(name, args.toArray(String[]::new)).awaitLog("advertised dataset", START));
        return endpoint;
    }

    void workers(final int count, final String... extra) throws Exception
    {
        for (int rank = 0; rank < count; rank++)
        {
            final String endpoint = StokerProcesses.endpoint();
            workerEndpoints.add(endpoint);
            final List<String> args = new ArrayList<>(List.of("worker", "--coordinator", coordinatorEndpoint,
                "--listen", endpoint, "--rank", "" + rank, "--job-token-file", cluster.tokenFile.toString(),
                "--host-id", "worker-host", "--report", report(rank).toString()));
            args.addAll(List.of(extra));
            workers.add(cluster.start("worker-" + rank, args.toArray(String[]::new)));
        }
        for (final StokerProcesses.Node worker : workers)
        {
            worker.awaitLog("joining", START);
        }
    }

    StokerProcesses.Node submit(final int worldSize, final int epochs) throws IOException
    {
        return cluster.start("submit", "submit", "--coordinator", coordinatorEndpoint,
            "--listen", StokerProcesses.endpoint(), "--dataset-id", manifest.datasetId(),
            "--world-size", "" + worldSize, "--epochs", "" + epochs, "--seed", "5",
            "--job-token-file", cluster.tokenFile.toString());
    }

    Path report(final int rank)
    {
        return cluster.directory.resolve("worker-" + rank + ".json");
    }

    /**
     * Wait until the coordinator counted {@code count} acknowledgements (of {@code rank}, or of anyone with -1).
     */
    void awaitAcks(final int rank, final int count) throws Exception
    {
        final long deadline = System.nanoTime() + RUN.toNanos();
        while (acks(rank) < count)
        {
            assertTrue(System.nanoTime() < deadline, "no progress:\n" + coordinator.log());
            Thread.sleep(20);
        }
    }

    private long acks(final int rank) throws IOException
    {
        return !Files.exists(ackLog) ? 0 : Files.readAllLines(ackLog).stream()
            .filter(line -> rank < 0 || line.endsWith(" " + rank)).count();
    }

    /**
     * @return the counters of the coordinator.
     */
    RemoteCounters coordinatorCounters()
    {
        return new RemoteCounters("coordinator", coordinator.process.pid());
    }

    /**
     * @return the counters of a data server, by its index in {@link #servers}.
     */
    RemoteCounters serverCounters(final int index)
    {
        return new RemoteCounters("server", servers.get(index).process.pid());
    }

    /**
     * @return the counters of a worker, by rank.
     */
    RemoteCounters workerCounters(final int rank)
    {
        return new RemoteCounters("worker-" + rank, workers.get(rank).process.pid());
    }

    /**
     * The submitting client and every surviving worker exit 0, the client reported each epoch, and
     * each epoch was delivered exactly once (see {@link #assertEachEpochExactlyOnce}).
     */
    void assertCompletesExactlyOnce(
        final StokerProcesses.Node submit, final int epochs, final Set<Integer> killedRanks) throws Exception
    {
        assertEquals(0, submit.awaitExit(RUN), submit.log());
        for (int rank = 0; rank < workers.size(); rank++)
        {
            if (!killedRanks.contains(rank))
            {
                assertEquals(0, workers.get(rank).awaitExit(RUN), workers.get(rank).log());
            }
        }
        assertSubmitReported(submit, epochs);
        assertEachEpochExactlyOnce(epochs, killedRanks);
    }

    void assertSubmitReported(final StokerProcesses.Node submit, final int epochs)
    {
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            assertTrue(submit.log().contains("epoch " + epoch + ": " + manifest.chunkCount() + " chunks delivered\n"),
                submit.log());
        }
        assertTrue(submit.log().contains(": COMPLETE"), submit.log());
    }

    /**
     * Each epoch: the chunks the killed ranks had acknowledged (from the coordinator's log) plus what the
     * surviving workers report they delivered are every chunk of the manifest, each exactly once, and
     * every delivered chunk's CRC32C equals the one computed here from the shard file.
     */
    void assertEachEpochExactlyOnce(final int epochs, final Set<Integer> killedRanks) throws IOException
    {
        final Map<Integer, Integer> fileCrcs = new HashMap<>();
        for (int chunkId = 0; chunkId < manifest.chunkCount(); chunkId++)
        {
            fileCrcs.put(chunkId, cluster.fileCrc(manifest, chunkId));
        }
        final List<String> acks = Files.readAllLines(ackLog);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final List<Integer> delivered = new ArrayList<>();
            for (final String line : acks)
            {
                final String[] parts = line.split(" ");
                if (Integer.parseInt(parts[0]) == epoch && killedRanks.contains(Integer.parseInt(parts[2])))
                {
                    delivered.add(Integer.parseInt(parts[1]));
                }
            }
            for (int rank = 0; rank < workers.size(); rank++)
            {
                if (killedRanks.contains(rank))
                {
                    continue;
                }
                final JsonNode report = new ObjectMapper().readTree(report(rank).toFile());
                for (final JsonNode epochNode : report.get("epochs"))
                {
                    if (epochNode.get("epoch").asInt() != epoch)
                    {
                        continue;
                    }
                    for (final JsonNode chunk : epochNode.get("ranks").get(0).get("chunks"))
                    {
                        final int id = chunk.get("id").asInt();
                        delivered.add(id);
                        assertEquals(Integer.toUnsignedLong(fileCrcs.get(id)), chunk.get("crc32c").asLong(),
                            "CRC32C of chunk " + id + " delivered by rank " + rank + " in epoch " + epoch);
                    }
                }
            }
            final Set<Integer> unique = new HashSet<>(delivered);
            assertEquals(delivered.size(), unique.size(), "a chunk delivered twice in epoch " + epoch);
            assertEquals(manifest.chunkCount(), unique.size(), "chunks delivered in epoch " + epoch);
        }
    }
}
