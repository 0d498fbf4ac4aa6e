package io.stoker.benchmarks;

import io.stoker.coordinator.CoordinatorAgent;
import io.stoker.coordinator.CoordinatorContext;
import io.stoker.coordinator.EpochProgress;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;
import io.stoker.server.DataServerAgent;
import io.stoker.server.DataServerContext;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * One point of the scale simulation: a real coordinator ({@link CoordinatorAgent} built as {@code stoker
 * coordinator} builds it, with its journal agent on its own thread journaling to a checkpoint directory) and a real
 * embedded media driver, real data servers ({@link DataServerAgent}, sending the manifest and advertising its
 * regions) serving a laid-out dataset whose shards nobody reads, a real job client, and many
 * {@link SimulatedWorker}s multiplexed on a few threads, all in this process over Aeron IPC.
 * <p>
 * The run: every worker registers and is assigned epochs 0 and 1 while none acknowledges (the coordinator's heap
 * is measured then); epoch 0 is acknowledged by all as fast as the coordinator takes it (acknowledgements per
 * second); once epoch 2 is assigned, rank 0's worker falls silent, the rest acknowledge everything, and the time
 * from rank 0's last message until the survivors were assigned every step it held is measured against the lease;
 * the job must then complete with every planned step counted.
 */
final class ScaleSimulation
{
    /**
     * Epochs of the simulated job: one acknowledged by all, two across a worker's death.
     */
    static final int EPOCHS = 3;

    private static final int RECORD_LENGTH = 1024;
    private static final int CHUNKS_PER_SHARD = 4096;
    private static final int MIN_CHUNK_TARGET = 64 * 1024;
    private static final long SEED = 5L;
    private static final long TIMEOUT_NS = TimeUnit.MINUTES.toNanos(5);
    private static final long STALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
    private static final int ERROR_KINDS_KEPT = 1000;

    /**
     * What to simulate.
     *
     * @param ranks            world size: simulated workers.
     * @param chunks           chunks of the dataset.
     * @param recordsPerChunk  records (samples) of each chunk, of 1 KiB each.
     * @param batches          the job's batches.
     * @param servers          data servers, each serving the whole dataset.
     * @param workerThreads    threads the simulated workers share.
     * @param leaseMs          the coordinator's lease.
     * @param heartbeatMs      the heartbeat interval.
     * @param directory        for the coordinator's checkpoint and journal.
     * @param ackLog           the coordinator's ack log, or null for none.
     */
    record Settings(int ranks, int chunks, int recordsPerChunk, BatchSpec batches, int servers, int workerThreads,
        long leaseMs, long heartbeatMs, Path directory, Path ackLog)
    {
    }

    /**
     * What one run measured.
     *
     * @param stepsPerEpoch               steps of epoch 0, all ranks.
     * @param registerMs                  from start until every worker was registered and assigned two epochs.
     * @param acksPerSecond               epoch 0's steps over the time from the gate opening to the last counted.
     * @param coordinatorBusy             the coordinator thread's CPU time over that time: below 1, the coordinator
     *                                    waited for acknowledgements (the simulation on few cores is the bound).
     * @param heapBytesPerChunk           used heap after GC with the job running and two epochs planned, minus
     *                                    before the coordinator existed, over chunks.
     * @param layoutBytesPerWorker        the job's layout and the servers' advertisements each worker received (once
     *                                    per job).
     * @param descriptorBytesPerEpoch     chunk descriptors per worker per epoch.
     * @param assignmentBytesPerEpoch     assignment messages per worker per epoch.
     * @param receivedBytesPerEpoch       everything in a worker's subscription per epoch (layout included).
     * @param firstReassignedMs           from the dead worker's last message to the first of its steps assigned to
     *                                    another.
     * @param reassignedMs                to the last of them.
     * @param reassignedSteps             steps the dead worker held, all moved.
     * @param acknowledged                steps the coordinator counted, all epochs.
     * @param plannedSteps                steps planned, all epochs.
     * @param extraRegistrations          registrations beyond one per worker (a lease lost under load).
     * @param invalidMessages             messages the coordinator refused.
     * @param completed                   whether the job completed with every step counted after the death.
     * @param journalFull                 records the coordinator could not journal: its journal's ring was full.
     * @param errors                      what the members' and the coordinator's error handlers were told, by kind.
     */
    record Point(long stepsPerEpoch, double registerMs, double acksPerSecond, double coordinatorBusy,
        double heapBytesPerChunk,
        double layoutBytesPerWorker, double descriptorBytesPerEpoch, double assignmentBytesPerEpoch,
        double receivedBytesPerEpoch,
        double firstReassignedMs, double reassignedMs, long reassignedSteps, long acknowledged, long plannedSteps,
        int extraRegistrations, long invalidMessages, boolean completed, long journalFull, String errors)
    {
    }

    private ScaleSimulation()
    {
    }

    /**
     * A dataset of {@code chunks} chunks of {@code records} fixed 1 KiB records each, in shards of 4,096 chunks,
     * checked as any manifest is; no shard exists.
     */
    static Manifest manifest(final int chunks, final int records)
    {
        final int chunkLength = records * RECORD_LENGTH;
        final int shards = (chunks + CHUNKS_PER_SHARD - 1) / CHUNKS_PER_SHARD;
        final String[] paths = new String[shards];
        final long[] lengths = new long[shards];
        for (int shard = 0; shard < shards; shard++)
        {
            paths[shard] = String.format(Locale.ROOT, "shard-%05d.bin", shard);
            lengths[shard] = (long)Math.min(CHUNKS_PER_SHARD, chunks - shard * CHUNKS_PER_SHARD) * chunkLength;
        }
        final int[] chunkShard = new int[chunks];
        final long[] chunkOffset = new long[chunks];
        final int[] lengthsOfChunks = new int[chunks];
        final int[] counts = new int[chunks];
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            chunkShard[chunk] = chunk / CHUNKS_PER_SHARD;
            chunkOffset[chunk] = (long)(chunk % CHUNKS_PER_SHARD) * chunkLength;
            lengthsOfChunks[chunk] = chunkLength;
            counts[chunk] = records;
        }
        return Manifest.ofLayout(FormatSpec.fixed(RECORD_LENGTH), Math.max(MIN_CHUNK_TARGET, chunkLength), paths,
            lengths, chunkShard, chunkOffset, lengthsOfChunks, counts, new int[chunks]);
    }

    /**
     * Run one point.
     *
     * @throws IllegalStateException when the run does not reach a stage in time, or counts wrong.
     */
    static Point run(final Settings settings)
    {
        if (settings.ranks() < 2)
        {
            throw new IllegalArgumentException("a worker's death needs a survivor: at least 2 ranks");
        }
        final Manifest manifest = manifest(settings.chunks(), settings.recordsPerChunk());
        final JobSpec spec = JobSpec.of(manifest.datasetId(), settings.ranks(), EPOCHS, SEED, settings.batches());
        final int[] counts = new int[manifest.chunkCount()];
        Arrays.fill(counts, settings.recordsPerChunk());
        final long[] steps = plannedSteps(spec, new SampleSpace(counts));
        return new Run(settings, manifest, spec, steps).run();
    }

    private static long[] plannedSteps(final JobSpec spec, final SampleSpace space)
    {
        final long[] steps = new long[EPOCHS];
        for (int epoch = 0; epoch < EPOCHS; epoch++)
        {
            final EpochProgress progress = new EpochProgress(spec, space, epoch);
            for (int stream = 0; stream < progress.worldSize(); stream++)
            {
                steps[epoch] += progress.steps(stream);
            }
        }
        return steps;
    }

    /**
     * The coordinator's and data servers' log lines: what the simulation measures is in its counters.
     */
    private static void discard(final String line)
    {
    }

    /**
     * @return used heap after full collections: what is reachable.
     */
    static long usedHeap()
    {
        for (int i = 0; i < 3; i++)
        {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static final class Run
    {
        private final Settings settings;
        private final Manifest manifest;
        private final JobSpec spec;
        private final long[] steps;
        private final AtomicInteger gate = new AtomicInteger();
        private final AtomicLong errors = new AtomicLong();
        private final AtomicLong journalFull = new AtomicLong();
        private final Map<String, Integer> errorKinds = new ConcurrentHashMap<>();
        private final ErrorHandler errorHandler;
        private final List<SimulatedWorker> workers = new ArrayList<>();
        private final List<AgentRunner> runners = new ArrayList<>();
        private final List<AutoCloseable> closeLast = new ArrayList<>();

        Run(final Settings settings, final Manifest manifest, final JobSpec spec, final long[] steps)
        {
            this.settings = settings;
            this.manifest = manifest;
            this.spec = spec;
            this.steps = steps;
            errorHandler = ex ->
            {
                if (errors.incrementAndGet() <= ERROR_KINDS_KEPT)
                {
                    errorKinds.merge(String.valueOf(ex.getMessage()).replaceAll("[0-9]+", "N"), 1, Integer::sum);
                }
                if (String.valueOf(ex.getMessage()).startsWith("the journal's buffer is full"))
                {
                    journalFull.incrementAndGet();
                }
            };
        }

        Point run()
        {
            final AeronConnector connector = AeronConnector.connect(new AeronConnector.Context()
                .errorHandler(errorHandler));
            try
            {
                return simulate(connector);
            }
            finally
            {
                for (int i = runners.size() - 1; i >= 0; i--)
                {
                    CloseHelper.quietClose(runners.get(i));
                }
                CloseHelper.quietCloseAll(closeLast);
                CloseHelper.quietClose(connector);
            }
        }

        private Point simulate(final AeronConnector connector)
        {
            final byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            final JobToken token = new JobToken(secret);
            final StatusCounters workerCounters = new StatusCounters(
                connector.aeron(), "simulated workers", CounterType.INVALID_MESSAGES, CounterType.AGENT_ERRORS);
            closeLast.add(workerCounters);
            final Refusals refusals = new Refusals("simulated worker",
                workerCounters.get(CounterType.INVALID_MESSAGES), errorHandler, SystemNanoClock.INSTANCE);
            for (int rank = 0; rank < settings.ranks(); rank++)
            {
                workers.add(new SimulatedWorker(connector.aeron(), rank, token, refusals));
            }
            final List<Agent> members = new ArrayList<>();
            for (int i = 0; i < settings.servers(); i++)
            {
                members.add(new DataServerAgent(new DataServerContext()
                    .aeron(connector.aeron())
                    .datasetDirectory(Path.of("/simulated-dataset"))
                    .manifest(manifest)
                    .hostId("simulated-server-" + i)
                    .jobToken(token)
                    .errorHandler(errorHandler)
                    .logger(ScaleSimulation::discard)));
            }
            final JobClientAgent client = new JobClientAgent(connector.aeron(), ControlProtocol.IPC_CHANNEL,
                ControlProtocol.IPC_CHANNEL, token, "", spec, errorHandler);
            members.add(client);

            final long before = usedHeap();
            final CoordinatorAgent coordinator = new CoordinatorAgent(new CoordinatorContext()
                .aeron(connector.aeron())
                .controlChannel(ControlProtocol.IPC_CHANNEL)
                .jobToken(token)
                .checkpointDirectory(settings.directory())
                .ackLogFile(settings.ackLog())
                .leaseTimeoutNs(TimeUnit.MILLISECONDS.toNanos(settings.leaseMs()))
                .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(settings.heartbeatMs()))
                .errorHandler(errorHandler)
                .logger(ScaleSimulation::discard));
            final AtomicCounter acknowledged = coordinator.counters().get(CounterType.STEPS_ACKNOWLEDGED);
            final AtomicCounter agentErrors = coordinator.counters().get(CounterType.AGENT_ERRORS);
            start(coordinator.journalAgent(), agentErrors);
            start(coordinator, agentErrors);
            start(new CompositeAgent(members), agentErrors);
            final int threads = Math.max(1, Math.min(settings.workerThreads(), settings.ranks()));
            for (int t = 0; t < threads; t++)
            {
                final List<SimulatedWorker> share = new ArrayList<>();
                for (int rank = t; rank < settings.ranks(); rank += threads)
                {
                    share.add(workers.get(rank));
                }
                start(new SimulatedWorkers(share, SystemNanoClock.INSTANCE, gate),
                    workerCounters.get(CounterType.AGENT_ERRORS));
            }

            final long startNs = System.nanoTime();
            await("every worker registered and assigned epochs 0 and 1",
                () -> assigned() == steps[0] + steps[1]);
            final double registerMs = (System.nanoTime() - startNs) / 1e6;
            final double heapPerChunk = (usedHeap() - before) / (double)settings.chunks();

            final long coordinatorCpuNs = cpuTimeNs(1);
            final long gateOpenNs = System.nanoTime();
            gate.set(1);
            await("epoch 0 acknowledged", () -> acknowledged.get() >= steps[0]);
            final double ackSeconds = (System.nanoTime() - gateOpenNs) / 1e9;
            final double acksPerSecond = steps[0] / ackSeconds;
            final double coordinatorBusy = (cpuTimeNs(1) - coordinatorCpuNs) / 1e9 / ackSeconds;

            await("epoch 2 assigned", () -> assigned() == steps[0] + steps[1] + steps[2]);
            final SimulatedWorker victim = workers.get(0);
            final long held = victim.assignedSteps() - victim.acknowledgedSteps();
            victim.silence();
            await("rank 0 silent", () -> victim.silentSinceNs() != 0);
            gate.set(EPOCHS);
            await("a step of rank 0 assigned to another rank", () -> foreign() > 0);
            final double firstMs = (System.nanoTime() - victim.silentSinceNs()) / 1e6;
            await("every step rank 0 held assigned to others", () -> foreign() >= held);
            final double allMs = (System.nanoTime() - victim.silentSinceNs()) / 1e6;
            final long planned = steps[0] + steps[1] + steps[2];
            final boolean completed = reached(() -> null != client.outcome() && acknowledged.get() >= planned,
                STALL_TIMEOUT_NS);
            long layoutBytes = 0;
            long descriptorBytes = 0;
            long assignmentBytes = 0;
            long receivedBytes = 0;
            int registrations = 0;
            for (int i = 1; i < workers.size(); i++)
            {
                final SimulatedWorker worker = workers.get(i);
                layoutBytes += worker.layoutBytes();
                descriptorBytes += worker.descriptorBytes();
                assignmentBytes += worker.assignmentBytes();
                receivedBytes += worker.receivedBytes();
                registrations += worker.registrations();
            }
            final int survivors = workers.size() - 1;
            return new Point(steps[0], registerMs, acksPerSecond, coordinatorBusy, heapPerChunk,
                layoutBytes / (double)survivors, descriptorBytes / (double)survivors / EPOCHS,
                assignmentBytes / (double)survivors / EPOCHS,
                receivedBytes / (double)survivors / EPOCHS, firstMs, allMs,
                coordinator.counters().get(CounterType.STEPS_REASSIGNED).get(), acknowledged.get(), planned,
                registrations - survivors, coordinator.counters().get(CounterType.INVALID_MESSAGES).get(), completed,
                journalFull.get(), errorKinds.toString());
        }

        private void start(final Agent agent, final AtomicCounter agentErrors)
        {
            final AgentRunner runner = new AgentRunner(
                new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200)),
                errorHandler, agentErrors, agent);
            AgentRunner.startOnThread(runner);
            runners.add(runner);
        }

        /**
         * @param index of the runner: 0 the journal, 1 the coordinator.
         */
        private long cpuTimeNs(final int index)
        {
            return ManagementFactory.getThreadMXBean().getThreadCpuTime(runners.get(index).thread().getId());
        }

        private long assigned()
        {
            long sum = 0;
            for (final SimulatedWorker worker : workers)
            {
                sum += worker.assignedSteps();
            }
            return sum;
        }

        private long foreign()
        {
            long sum = 0;
            for (final SimulatedWorker worker : workers)
            {
                sum += worker.foreignSteps();
            }
            return sum;
        }

        private void await(final String stage, final BooleanSupplier done)
        {
            if (!reached(done, TIMEOUT_NS))
            {
                throw new IllegalStateException(settings.ranks() + " ranks, " + settings.chunks() +
                    " chunks: not reached in time: " + stage + " (assigned " + assigned() + ", errors " +
                    errors.get() + ": " + errorKinds + ")");
            }
        }

        private boolean reached(final BooleanSupplier done, final long timeoutNs)
        {
            final long deadlineNs = System.nanoTime() + timeoutNs;
            while (!done.getAsBoolean())
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    return false;
                }
                try
                {
                    Thread.sleep(1);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ex);
                }
            }
            return true;
        }
    }
}
