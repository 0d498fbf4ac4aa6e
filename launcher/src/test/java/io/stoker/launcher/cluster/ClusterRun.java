package io.stoker.launcher.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.RecordTable;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.plan.RankStream;
import io.stoker.plan.Segment;
import io.stoker.worker.WorkerJob;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
    static final BatchSpec BATCHES = new BatchSpec(64, 4, DropPolicy.DROP_LAST);
    private static final long SEED = 5;

    final StokerProcesses cluster;
    final Manifest manifest;
    final String coordinatorEndpoint;
    final List<StokerProcesses.Node> servers = new ArrayList<>();
    final List<StokerProcesses.Node> workers = new ArrayList<>();
    final List<String> workerEndpoints = new ArrayList<>();
    final Path ackLog;
    final List<StokerProcesses.Node> coordinators = new ArrayList<>();
    StokerProcesses.Node coordinator;
    int coordinatorStarts;
    String leaseTimeoutMs = "1500";
    JobSpec spec;
    final Map<Integer, NetworkNamespace> namespaces = new HashMap<>();
    private final String address;
    private final Map<Integer, byte[]> chunkBytes = new HashMap<>();

    ClusterRun(final StokerProcesses cluster, final Manifest manifest)
    {
        this(cluster, manifest, "127.0.0.1");
    }

    /**
     * @param address where the coordinator and the data servers listen: loopback, or an address workers in other
     *                network namespaces ({@link #namespaces}, by rank) reach too.
     */
    ClusterRun(final StokerProcesses cluster, final Manifest manifest, final String address)
    {
        this.cluster = cluster;
        this.manifest = manifest;
        this.address = address;
        this.coordinatorEndpoint = StokerProcesses.endpoint(address);
        this.ackLog = cluster.directory.resolve("acks.log");
    }

    void coordinator(final String... extra) throws Exception
    {
        final List<String> args = new ArrayList<>(List.of("coordinator", "--listen", coordinatorEndpoint,
            "--job-token-file", cluster.tokenFile.toString(), "--lease-timeout", leaseTimeoutMs,
            "--heartbeat-interval", "250", "--ack-log", ackLog.toString()));
        args.addAll(List.of(extra));
        coordinator = cluster.start("coordinator-" + coordinatorStarts++, args.toArray(String[]::new));
        coordinators.add(coordinator);
        coordinator.awaitLog("listening on", START);
    }

    String server(final String name, final String... extra) throws Exception
    {
        final String endpoint = StokerProcesses.endpoint(address);
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
            workerEndpoints.add(workerEndpoint(rank));
            workers.add(worker(rank, "worker-" + rank, extra));
        }
        for (final StokerProcesses.Node worker : workers)
        {
            worker.awaitLog("joining", START);
        }
    }

    /**
     * Start a worker for a rank whose worker was killed, at a new endpoint, writing the rank's report; it takes the
     * dead one's place in {@link #workers}.
     */
    StokerProcesses.Node restartWorker(final int rank, final String... extra) throws Exception
    {
        workerEndpoints.set(rank, workerEndpoint(rank));
        final StokerProcesses.Node worker = worker(rank, "worker-" + rank + "-restarted", extra);
        workers.set(rank, worker);
        return worker.awaitLog("joining", START);
    }

    private String workerEndpoint(final int rank)
    {
        final NetworkNamespace namespace = namespaces.get(rank);
        return StokerProcesses.endpoint(null != namespace ? namespace.innerAddress() : "127.0.0.1");
    }

    private StokerProcesses.Node worker(final int rank, final String name, final String... extra) throws IOException
    {
        final NetworkNamespace namespace = namespaces.get(rank);
        final List<String> args = new ArrayList<>(List.of("worker", "--coordinator", coordinatorEndpoint,
            "--listen", workerEndpoints.get(rank), "--rank", "" + rank, "--job-token-file",
            cluster.tokenFile.toString(), "--host-id", "worker-host", "--report", report(rank).toString()));
        args.addAll(List.of(extra));
        return null != namespace ? cluster.startWrapped(name, namespace.exec(), args.toArray(String[]::new)) :
            cluster.start(name, args.toArray(String[]::new));
    }

    /**
     * Submit the job: shuffled batches of {@link #BATCHES}, seed 5.
     */
    StokerProcesses.Node submit(final int worldSize, final int epochs) throws IOException
    {
        spec = JobSpec.of(manifest.datasetId(), worldSize, epochs, SEED, BATCHES);
        return cluster.start("submit", "submit", "--coordinator", coordinatorEndpoint,
            "--listen", StokerProcesses.endpoint(), "--dataset-id", manifest.datasetId(),
            "--world-size", "" + worldSize, "--epochs", "" + epochs, "--seed", "" + SEED,
            "--batch-size", "" + BATCHES.batchSize(), "--shuffle-window", "" + BATCHES.shuffleWindow(),
            "--drop-policy", BATCHES.dropPolicy().label(), "--job-token-file", cluster.tokenFile.toString());
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

    /**
     * @return acknowledgements the coordinator logged so far, of anyone.
     */
    int ackLines() throws IOException
    {
        return !Files.exists(ackLog) ? 0 : Files.readAllLines(ackLog).size();
    }

    /**
     * @return acknowledgements the coordinator logged so far of {@code rank}, or of anyone with -1.
     */
    long acks(final int rank) throws IOException
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
        assertCompletesExactlyOnce(submit, epochs, killedRanks, Map.of());
    }

    /**
     * As {@link #assertCompletesExactlyOnce(StokerProcesses.Node, int, Set)}, with ranks whose worker was killed and
     * started again (see {@link #assertEachEpochExactlyOnce(int, Set, Map)}).
     */
    void assertCompletesExactlyOnce(
        final StokerProcesses.Node submit,
        final int epochs,
        final Set<Integer> killedRanks,
        final Map<Integer, Integer> restartedRanks) throws Exception
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
        assertEachEpochExactlyOnce(epochs, killedRanks, restartedRanks);
    }

    void assertSubmitReported(final StokerProcesses.Node submit, final int epochs)
    {
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final long dropped = segment(epoch).dropped().stream().mapToLong(Piece::count).sum();
            assertTrue(submit.log().contains("epoch " + epoch + ": " + (manifest.totalRecords() - dropped) +
                " samples delivered in " + segment(epoch).steps() + " steps per rank"), submit.log());
        }
        assertTrue(submit.log().contains(": COMPLETE"), submit.log());
    }

    /**
     * @return what every coordinator of the run logged, one after the other.
     */
    String coordinatorLogs()
    {
        final StringBuilder logs = new StringBuilder();
        coordinators.forEach(node -> logs.append(node.log()));
        return logs.toString();
    }

    /**
     * @return the steps of every stream of the first {@code epochs} epochs: the acknowledgements of a whole run.
     */
    int plannedSteps(final int epochs)
    {
        return plannedSteps(JobSpec.of(manifest.datasetId(), workers.size(), epochs, SEED, BATCHES));
    }

    /**
     * @return the steps of every stream of every epoch of a job: the acknowledgements of its whole run.
     */
    int plannedSteps(final JobSpec planned)
    {
        int steps = 0;
        for (int epoch = 0; epoch < planned.epochs(); epoch++)
        {
            final Segment segment = planned.segment(WorkerJob.spaceOf(DatasetLayout.of(manifest)), epoch);
            for (int stream = 0; stream < segment.worldSize(); stream++)
            {
                steps += segment.stream(stream).steps();
            }
        }
        return steps;
    }

    /**
     * The ack log holds each (epoch, segment, stream, step) of the plan exactly once: no step counted twice, none
     * missing, whatever restarts happened.
     */
    void assertAckLogExactlyOnce(final int epochs) throws IOException
    {
        final List<String> lines = Files.readAllLines(ackLog);
        final Set<String> steps = new HashSet<>();
        for (final String line : lines)
        {
            assertTrue(steps.add(line.substring(0, line.lastIndexOf(' '))), "acknowledged twice: " + line);
        }
        final Set<String> planned = new HashSet<>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment segment = segment(epoch);
            for (int stream = 0; stream < segment.worldSize(); stream++)
            {
                for (int step = 0; step < segment.stream(stream).steps(); step++)
                {
                    planned.add(epoch + " 0 " + stream + " " + step);
                }
            }
        }
        assertEquals(planned, steps, "the ack log's steps");
    }

    Segment segment(final int epoch)
    {
        return spec.segment(WorkerJob.spaceOf(DatasetLayout.of(manifest)), epoch);
    }

    /**
     * Each epoch: the steps the killed ranks had acknowledged (from the coordinator's log) plus the steps the
     * surviving workers report they delivered are every step of every rank's stream in the epoch's plan, each
     * exactly once; every reported step holds the samples the plan puts in it, with the CRC32C computed here from
     * the shard files.
     */
    void assertEachEpochExactlyOnce(final int epochs, final Set<Integer> killedRanks) throws IOException
    {
        assertEachEpochExactlyOnce(epochs, killedRanks, Map.of());
    }

    /**
     * As {@link #assertEachEpochExactlyOnce(int, Set)}, where the worker of each rank in {@code restartedRanks} was
     * killed and started again: what the dead one delivered is that rank's acknowledgements among the first lines of
     * the ack log (as many as the map says it had when the new one started), what the new one delivered is in the
     * rank's report.
     */
    void assertEachEpochExactlyOnce(
        final int epochs, final Set<Integer> killedRanks, final Map<Integer, Integer> restartedRanks)
        throws IOException
    {
        final List<String> acks = Files.readAllLines(ackLog);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment segment = segment(epoch);
            final List<String> delivered = new ArrayList<>();
            for (int i = 0; i < acks.size(); i++)
            {
                final String[] parts = acks.get(i).split(" ");
                final int rank = Integer.parseInt(parts[4]);
                if (Integer.parseInt(parts[0]) == epoch &&
                    (killedRanks.contains(rank) || i < restartedRanks.getOrDefault(rank, 0)))
                {
                    delivered.add(parts[2] + "/" + parts[3]);
                }
            }
            for (int rank = 0; rank < workers.size(); rank++)
            {
                if (killedRanks.contains(rank))
                {
                    continue;
                }
                delivered.addAll(reported(report(rank), epoch, segment));
            }
            assertEveryStepOnce(segment, epoch, delivered);
        }
    }

    /**
     * Each epoch of a job none of whose workers was killed (one of several on the coordinator): the steps its
     * workers report are every step of every stream of the plan exactly once, each holding the samples the plan puts
     * in it with the CRC32C computed here from the shard files, and every rank delivered the same number of steps.
     *
     * @param job     the job as submitted.
     * @param reports its workers' reports, by rank.
     */
    void assertReportsExactlyOnce(final JobSpec job, final List<Path> reports) throws IOException
    {
        for (int epoch = 0; epoch < job.epochs(); epoch++)
        {
            final Segment segment = job.segment(WorkerJob.spaceOf(DatasetLayout.of(manifest)), epoch);
            final List<String> delivered = new ArrayList<>();
            for (int rank = 0; rank < reports.size(); rank++)
            {
                final List<String> ofRank = reported(reports.get(rank), epoch, segment);
                assertEquals(segment.steps(), ofRank.size(), "steps of rank " + rank + " in epoch " + epoch);
                delivered.addAll(ofRank);
            }
            assertEveryStepOnce(segment, epoch, delivered);
        }
    }

    private static void assertEveryStepOnce(final Segment segment, final int epoch, final List<String> delivered)
    {
        final Set<String> unique = new HashSet<>(delivered);
        assertEquals(delivered.size(), unique.size(), "a step delivered twice in epoch " + epoch);
        final Set<String> planned = new HashSet<>();
        for (int stream = 0; stream < segment.worldSize(); stream++)
        {
            for (int step = 0; step < segment.stream(stream).steps(); step++)
            {
                planned.add(stream + "/" + step);
            }
        }
        assertEquals(planned, unique, "steps delivered in epoch " + epoch);
    }

    /**
     * @return the steps ({@code stream/step}) a worker's report says it delivered in an epoch, each checked to hold
     * the samples the plan puts in it, with the CRC32C computed here from the shard files.
     */
    private List<String> reported(final Path reportFile, final int epoch, final Segment segment) throws IOException
    {
        final List<String> delivered = new ArrayList<>();
        final JsonNode report = new ObjectMapper().readTree(reportFile.toFile());
        for (final JsonNode epochNode : report.get("epochs"))
        {
            if (epochNode.get("epoch").asInt() != epoch)
            {
                continue;
            }
            for (final JsonNode step : epochNode.get("ranks").get(0).get("steps"))
            {
                final int stream = step.get("stream").asInt();
                final int index = step.get("step").asInt();
                final String where = "step " + index + " of stream " + stream + " in epoch " + epoch +
                    " reported in " + reportFile.getFileName();
                final int[] samples = new int[step.get("samples").size()];
                for (int i = 0; i < samples.length; i++)
                {
                    samples[i] = step.get("samples").get(i).asInt();
                }
                assertArrayEquals(plannedSamples(segment.stream(stream), index), samples, where);
                assertEquals(Integer.toUnsignedLong(fileCrc(samples)), step.get("crc32c").asLong(), where);
                delivered.add(stream + "/" + index);
            }
        }
        return delivered;
    }

    static int[] plannedSamples(final RankStream stream, final int step)
    {
        final List<Integer> samples = new ArrayList<>();
        stream.forEachSample(step, (piece, record) ->
        {
            samples.add(stream.piece(piece).chunkId());
            samples.add(record);
        });
        return samples.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * CRC32C of the samples' bytes one after the other, read from the shard files.
     */
    int fileCrc(final int[] samples) throws IOException
    {
        final RecordTable table = new RecordTable();
        final ChunkRecords chunkRecords = new ChunkRecords();
        final ChunkDescriptors descriptors = ChunkDescriptors.of(manifest);
        final CRC32C crc = new CRC32C();
        for (int i = 0; i < samples.length; i += 2)
        {
            final int chunkId = samples[i];
            byte[] bytes = chunkBytes.get(chunkId);
            if (null == bytes)
            {
                bytes = new byte[manifest.chunkLength(chunkId)];
                final Path shard = cluster.datasetDirectory().resolve(manifest.shardPath(manifest.chunkShard(chunkId)));
                try (FileChannel channel = FileChannel.open(shard))
                {
                    channel.read(ByteBuffer.wrap(bytes), manifest.chunkOffset(chunkId));
                }
                chunkBytes.put(chunkId, bytes);
            }
            chunkRecords.fill(descriptors, chunkId, ByteBuffer.wrap(bytes), table);
            crc.update(bytes, table.offset(samples[i + 1]), table.length(samples[i + 1]));
        }
        return (int)crc.getValue();
    }
}
