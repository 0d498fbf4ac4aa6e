package io.stoker.launcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.aeron.Publication;
import io.stoker.dataset.Manifest;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Coordinator, data servers, workers and the submitting client as separate processes on loopback,
 * over Aeron UDP, with real {@code kill -9}s.
 */
class DistributedRunIT
{
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration RUN = Duration.ofSeconds(120);
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void threeProcessKindsOverUdpDeliverEveryChunkOnceWithMatchingCrcsThroughGarbage() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 512 * KIB);
            final Run run = new Run(cluster, manifest);
            run.coordinator();
            final String server = run.server("server-a");
            run.workers(2);
            final StokerProcesses.Node submit = run.submit(2, 2);

            final String[] endpoints = { run.coordinatorEndpoint, server, run.workerEndpoints.get(0) };
            sendGarbageDatagrams(endpoints);
            sendGarbageMessages(run.coordinatorEndpoint);

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
            run.workers.forEach(worker -> assertTrue(worker.log().contains("over udp"), worker.log()));

            final String stat = run.stat("coordinator");
            assertTrue(counter(stat, "coordinator: invalid messages") >= 2, stat);
            assertTrue(counter(stat, "media driver: invalid packets") >= 1, stat);
            assertTrue(counter(run.stat("server-a"), "media driver: invalid packets") >= 1, run.stat("server-a"));
        }
    }

    @Test
    void aWorkerKilledMidEpochLeavesItsChunksToTheSurvivorsAndNothingIsDeliveredTwice() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final Run run = new Run(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(3, "--step-time", "15000");
            final StokerProcesses.Node submit = run.submit(3, 2);

            run.awaitAcks(2, 8);
            run.workers.get(2).kill9();

            run.assertCompletesExactlyOnce(submit, 2, Set.of(2));
            assertTrue(run.coordinator.log().contains("lease of worker rank 2"), run.coordinator.log());
        }
    }

    @Test
    void aReplicaDataServerKilledMidEpochLosesNoChunk() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("tfrecord:3000", 16 * MIB, 128 * KIB);
            final Run run = new Run(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.server("server-b");
            run.workers(2, "--step-time", "10000", "--read-timeout", "1000");
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.awaitAcks(-1, 20);
            run.servers.get(0).kill9();

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
        }
    }

    @Test
    void aCoordinatorKilledMidEpochAndRestartedResumesWithoutRepeatingOrSkipping() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 16 * MIB, 128 * KIB);
            final Run run = new Run(cluster, manifest);
            run.coordinator("--checkpoint-dir", temp.resolve("checkpoints").toString(), "--checkpoint-every", "4");
            run.server("server-a");
            run.workers(2, "--step-time", "15000");
            final StokerProcesses.Node submit = run.submit(2, 2);

            run.awaitAcks(-1, 30);
            run.coordinator.kill9();
            run.coordinator("--checkpoint-dir", temp.resolve("checkpoints").toString(), "--checkpoint-every", "4");
            run.coordinator.awaitLog("resumed job", START);

            run.assertCompletesExactlyOnce(submit, 2, Set.of());
        }
    }

    @Test
    void aWrongTokenIsRefusedAndGetsNothingOfTheDataset() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 4 * MIB, 256 * KIB);
            final Run run = new Run(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            final Path wrongToken = Files.writeString(temp.resolve("wrong.token"), "not-the-job-token-at-all-0000");
            final StokerProcesses.Node intruder = cluster.start("intruder", "worker",
                "--coordinator", run.coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0",
                "--job-token-file", wrongToken.toString(), "--host-id", "intruder-host");
            final StokerProcesses.Node noToken = cluster.start("no-token", "worker",
                "--coordinator", run.coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0",
                "--host-id", "intruder-host");

            intruder.awaitLog("did not prove the job token", START);
            noToken.awaitLog("asks for a job token", START);
            run.coordinator.awaitLog("did not complete in time", START);
            assertFalse(intruder.log().contains("reads server"), intruder.log());
            assertFalse(noToken.log().contains("reads server"), noToken.log());
            assertTrue(counter(run.stat("coordinator"), "coordinator: sessions refused") >= 1);
        }
    }

    private static void sendGarbageDatagrams(final String... endpoints) throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket())
        {
            final byte[] garbage = new byte[100];
            for (int i = 0; i < garbage.length; i++)
            {
                garbage[i] = (byte)(i * 31 + 7);
            }
            for (final String endpoint : endpoints)
            {
                final int colon = endpoint.lastIndexOf(':');
                final InetSocketAddress address = new InetSocketAddress(
                    endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
                for (int i = 0; i < 10; i++)
                {
                    socket.send(new DatagramPacket(garbage, garbage.length - i, address));
                }
            }
        }
    }

    /**
     * Well-formed Aeron frames whose payload is not a Stoker message.
     */
    private static void sendGarbageMessages(final String coordinator) throws InterruptedException
    {
        try (AeronConnector connector = AeronConnector.connect(new AeronConnector.Context());
            Publication publication = connector.aeron().addExclusivePublication(
                ControlProtocol.udpChannel(coordinator), ControlProtocol.COORDINATOR_STREAM_ID))
        {
            final long deadline = System.nanoTime() + START.toNanos();
            while (!publication.isConnected())
            {
                assertTrue(System.nanoTime() < deadline, "no connection to the coordinator");
                Thread.sleep(10);
            }
            final UnsafeBuffer garbage = new UnsafeBuffer(new byte[40]);
            garbage.setMemory(0, 40, (byte)0x5A);
            while (publication.offer(garbage, 0, 40) < 0 || publication.offer(garbage, 0, 3) < 0)
            {
                Thread.sleep(1);
            }
            Thread.sleep(200);
        }
    }

    private static long counter(final String stat, final String label)
    {
        for (final String line : stat.split("\n"))
        {
            if (line.endsWith(label))
            {
                return Long.parseLong(line.trim().split("\\s+")[0].replace(",", ""));
            }
        }
        throw new AssertionError("no counter '" + label + "' in:\n" + stat);
    }

    /**
     * One distributed run's processes and the checks on what they delivered.
     */
    private static final class Run
    {
        final StokerProcesses cluster;
        final Manifest manifest;
        final String coordinatorEndpoint = StokerProcesses.endpoint();
        final List<StokerProcesses.Node> servers = new ArrayList<>();
        final List<StokerProcesses.Node> workers = new ArrayList<>();
        final List<String> workerEndpoints = new ArrayList<>();
        final Path ackLog;
        StokerProcesses.Node coordinator;
        int coordinatorStarts;

        Run(final StokerProcesses cluster, final Manifest manifest)
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

        String server(final String name) throws Exception
        {
            final String endpoint = StokerProcesses.endpoint();
            servers.add(cluster.start(name, "serve", "--coordinator", coordinatorEndpoint, "--listen", endpoint,
                "--dataset", cluster.datasetDirectory().toString(), "--chunk-size", "" + manifest.chunkSizeTarget(),
                "--job-token-file", cluster.tokenFile.toString(), "--host-id", name + "-host")
                .awaitLog("advertised dataset", START));
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

        String stat(final String name) throws Exception
        {
            final StokerProcesses.Node node = new ArrayList<>(servers).stream().filter(s -> s.name.equals(name))
                .findFirst().orElse(coordinator);
            final String prefix = node == coordinator ? "coordinator" : "server";
            final StokerProcesses.Node stat = cluster.start("stat-" + name + System.nanoTime(), "stat", "--once",
                "--aeron-dir", "/dev/shm/stoker-" + prefix + "-" + node.process.pid());
            stat.awaitExit(START);
            return stat.log();
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
}
