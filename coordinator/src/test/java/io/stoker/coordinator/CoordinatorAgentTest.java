package io.stoker.coordinator;

import io.stoker.codecs.AssignmentDecoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ChunkDescriptorsDecoder;
import io.stoker.codecs.DatasetLayoutDecoder;
import io.stoker.codecs.EpochCompleteDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.JobCompleteDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.LeaseExpiredDecoder;
import io.stoker.codecs.ManifestPartDecoder;
import io.stoker.codecs.RegionAdvertisementDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.JobServingDecoder;
import io.stoker.codecs.WorkerFencedDecoder;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.plan.RankStream;
import io.stoker.plan.SampleSpace;
import io.stoker.plan.Segment;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.JobSpecCodec;
import io.stoker.transport.control.LayoutAssembler;
import io.stoker.transport.control.ManifestAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The coordinator's brain, its duty cycle driven by hand with a hand-set clock, against members made of
 * Stoker's own member sessions over a real media driver (IPC, no token). What each rank is assigned is checked
 * against the epoch's plan computed here with the plan module, and what the coordinator reports against the
 * samples of that plan.
 */
class CoordinatorAgentTest
{
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long STEP_NS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final int IDLE_ROUNDS = 50;
    private static final long STEP_PAUSE_MS = 5;
    private static final long SEED = 9;
    private static final BatchSpec DROP_LAST = new BatchSpec(8, 2, DropPolicy.DROP_LAST);
    private static final BatchSpec PARTIAL = new BatchSpec(8, 2, DropPolicy.PARTIAL);
    private static final int[][] ACKNOWLEDGED_BEFORE_KILL = { { 0, 1, 2, 3, 7 }, { 0, 1 } };

    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final List<TestMember> members = new ArrayList<>();
    private AeronConnector connector;
    private CoordinatorAgent coordinator;
    private Manifest manifest;
    private SampleSpace space;
    private long nowNs = TimeUnit.SECONDS.toNanos(100);
    private boolean journalRuns = true;
    private TestMember server;
    private TestMember client;
    private TestMember[] workers;
    private JobToken clusterToken;

    static List<BatchSpec> feeds()
    {
        return List.of(DROP_LAST, PARTIAL, BatchSpec.CHUNKS);
    }

    @BeforeEach
    void start()
    {
        DatasetGenerator.generate(temp.resolve("dataset"), FormatSpec.parse("fixed:1000"), 1 << 20, 5, 256 << 10);
        manifest = DatasetIndexer.index(temp.resolve("dataset"), null, 64 << 10);
        final int[] records = new int[manifest.chunkCount()];
        Arrays.setAll(records, manifest::chunkRecordCount);
        space = new SampleSpace(records);
        connector = AeronConnector.connect(new AeronConnector.Context());
        coordinator = new CoordinatorAgent(context());
    }

    @AfterEach
    void stop()
    {
        members.forEach(TestMember::close);
        close(coordinator);
        CloseHelper.close(connector);
        for (final TestMember member : members)
        {
            assertEquals(List.of(), member.wrongRanks, member.role + " " + member.rank + ": assignments naming " +
                "another rank as the one delivering them");
        }
    }

    @Test
    void aJobStartsOnlyOnceEveryShardIsAdvertisedAndWorkersHearOfEveryServer()
    {
        final TestMember serverA = member(Role.DATA_SERVER, -1);
        final TestMember worker = member(Role.WORKER, 0);
        client = member(Role.CLIENT, -1);
        pump(() -> serverA.session.isRegistered() && worker.session.isRegistered() && client.session.isRegistered());

        final int shards = manifest.shardCount();
        assertTrue(shards >= 2, "the test needs shards for two servers, the dataset has " + shards);
        serverA.advertise(IntStream.range(0, shards / 2).toArray());
        final JobSpec spec = JobSpec.of(manifest.datasetId(), 1, 1, SEED, DROP_LAST);
        client.submit(spec);
        pump(() -> client.jobId > 0);
        assertEquals(-1, worker.jobId, "the client heard of its job, the manifest being there; with half the " +
            "shards advertised the job waits");

        final TestMember serverB = member(Role.DATA_SERVER, -1);
        pump(serverB.session::isRegistered);
        serverB.advertise(IntStream.range(shards / 2, shards).toArray());
        pump(() -> worker.jobId > 0 && !worker.assigned(worker.jobId, 0, 0, 0).isEmpty());

        assertEquals(spec, worker.spec, "the worker is told the job as submitted");
        assertEquals(client.jobId, worker.jobId);
        assertEquals(steps(Segment.first(space, SEED, 0, 1, DROP_LAST).stream(0)),
            worker.assigned(worker.jobId, 0, 0, 0));
        assertEquals(Set.of(serverA.session.memberId(), serverB.session.memberId()), worker.advertisingServers,
            "the coordinator relays every server's advertisement to the worker");
        assertEquals(0, worker.manifestBytes, "workers get no manifest");
        assertEquals(DatasetLayout.of(manifest), worker.layout, "the job's layout, ahead of its start");

        final TestMember late = member(Role.WORKER, 0, 1);
        pump(() -> late.session.isRegistered() && late.advertisingServers.size() == 2 && late.jobId > 0);
        assertEquals(DatasetLayout.of(manifest), late.layout, "a worker that joins later gets the layout too");
        assertEquals(0, late.manifestBytes);
    }

    /**
     * Two ranks: each worker is told the job's layout once, and, ahead of each assignment, where the chunks its
     * steps use are — those and no others, each once, as the manifest says — never the manifest.
     */
    @Test
    void eachWorkerLearnsOnlyWhereTheChunksOfItsOwnStepsAre()
    {
        startJob(2, 1, DROP_LAST);
        final Segment segment = Segment.first(space, SEED, 0, 2, DROP_LAST);
        for (int rank = 0; rank < 2; rank++)
        {
            final TestMember worker = workers[rank];
            final StreamKey own = new StreamKey(worker.jobId, 0, 0, rank);
            final Set<Integer> used = chunksOf(segment.stream(rank), worker.assigned(worker.jobId, 0, 0, rank));
            assertEquals(used, worker.describedBefore.get(own),
                "rank " + rank + ": every chunk its assigned steps use, described before the assignment");
            assertEquals(used.size(), worker.descriptorCounts.get(0), "rank " + rank + ": each once");
            assertTrue(used.size() < manifest.chunkCount(), "rank " + rank + " is told of " + used.size() +
                " of the dataset's " + manifest.chunkCount() + " chunks");
            for (final int chunkId : used)
            {
                assertArrayEquals(new long[]{ manifest.chunkShard(chunkId), manifest.chunkOffset(chunkId),
                    manifest.chunkLength(chunkId), manifest.chunkRecordCount(chunkId), manifest.chunkCrc(chunkId) },
                    worker.descriptors.get(0).get(chunkId), "chunk " + chunkId + " as the manifest has it");
            }
            assertEquals(0, worker.manifestBytes);
            assertEquals(1, worker.layouts, "one layout");
        }
    }

    private static Set<Integer> chunksOf(final RankStream stream, final Set<Integer> steps)
    {
        final Set<Integer> chunks = new TreeSet<>();
        for (final int step : steps)
        {
            for (int piece = stream.firstPiece(step); piece <= stream.lastPiece(step); piece++)
            {
                chunks.add(stream.piece(piece).chunkId());
            }
        }
        return chunks;
    }

    /**
     * Two servers send a manifest of several parts: the first a copy with one byte wrong, which does not check out
     * once whole (its last part is refused), the second a good one, which the coordinator keeps: a job on the
     * dataset starts. Workers get neither.
     */
    @Test
    void aServersBadCopyOfAManifestDoesNotKeepAnothersGoodCopyFromTheCoordinator()
    {
        final TestMember worker = member(Role.WORKER, 0);
        final TestMember badServer = member(Role.DATA_SERVER, -1);
        final TestMember goodServer = member(Role.DATA_SERVER, -1);
        client = member(Role.CLIENT, -1);
        pump(() -> worker.session.isRegistered() && badServer.session.isRegistered() &&
            goodServer.session.isRegistered() && client.session.isRegistered());
        final Manifest large = largeManifest(30_000);
        final byte[] good = large.toBytes();
        assertTrue(good.length > 2 * ManifestAssembler.PART_LENGTH, "three parts at least: " + good.length);
        final byte[] bad = good.clone();
        bad[ManifestAssembler.PART_LENGTH / 2] ^= 1;

        badServer.sendManifest(large.datasetId(), bad);
        pump(() -> badServer.errors.contains(ErrorCode.MALFORMED_MESSAGE));
        client.submit(JobSpec.of(large.datasetId(), 1, 1, SEED, DROP_LAST));
        goodServer.sendManifest(large.datasetId(), good);
        pump(() -> client.jobId > 0);

        assertEquals(large.chunkCount(), client.chunkCount, "the job is of the good copy");
        assertEquals(0, worker.manifestBytes, "workers get no manifest");
    }

    private static Manifest largeManifest(final int chunks)
    {
        final int[] shard = new int[chunks];
        final long[] offset = new long[chunks];
        final int[] length = new int[chunks];
        final int[] records = new int[chunks];
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            offset[chunk] = chunk * 1000L;
            length[chunk] = 1000;
            records[chunk] = 1;
        }
        return Manifest.ofLayout(FormatSpec.fixed(1000), 64 << 10, new String[]{ "shard-00000.bin" },
            new long[]{ chunks * 1000L }, shard, offset, length, records, new int[chunks]);
    }

    /**
     * Every rank is assigned exactly the steps of its own stream of each epoch's plan, which together hold every
     * sample once but the drop set; acknowledging them all completes the epochs, in order, with the plan's
     * sample counts.
     */
    @ParameterizedTest
    @MethodSource("feeds")
    void eachRankIsAssignedItsStreamsStepsAndAcknowledgingThemCompletesTheEpochsWithThePlansSamples(
        final BatchSpec batches)
    {
        final int worldSize = 3;
        final int epochs = 2;
        startJob(worldSize, epochs, batches);
        final long jobId = client.jobId;

        int stepsInAll = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment plan = Segment.first(space, SEED, epoch, worldSize, batches);
            final List<Long> delivered = new ArrayList<>();
            for (int rank = 0; rank < worldSize; rank++)
            {
                final RankStream stream = plan.stream(rank);
                final TreeSet<Integer> assigned = workers[rank].assigned(jobId, epoch, 0, rank);
                assertEquals(steps(stream), assigned, "epoch " + epoch + " rank " + rank);
                for (int other = 0; other < worldSize; other++)
                {
                    if (other != rank)
                    {
                        assertEquals(Set.of(), workers[rank].assigned(jobId, epoch, 0, other));
                    }
                }
                delivered.addAll(samples(stream, assigned));
                stepsInAll += assigned.size();
            }
            assertExactlyOnce(delivered, plan.dropped());
            if (batches.dropPolicy() == DropPolicy.DROP_LAST && !batches.isChunks())
            {
                assertFalse(plan.dropped().isEmpty(), "the dataset leaves a remainder to drop");
            }
        }

        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int rank = 0; rank < worldSize; rank++)
            {
                workers[rank].ack(jobId, new StreamId(epoch, 0, rank), workers[rank].assigned(jobId, epoch, 0, rank));
            }
        }
        pump(() -> null != client.outcome);

        assertEquals(stepsInAll, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertEquals(JobOutcome.COMPLETE, client.outcome);
        assertEquals(epochs, client.completions.size());
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            final Segment plan = Segment.first(space, SEED, epoch, worldSize, batches);
            assertCompletion(client.completions.get(epoch), jobId, epoch, plan, new int[0]);
            for (final TestMember worker : workers)
            {
                assertEquals(client.completions.get(epoch), worker.completions.get(epoch));
            }
        }
    }

    @Test
    void anAcknowledgementOfAStepTheSenderDoesNotHoldIsRefusedWholeAndNotCounted()
    {
        startJob(2, 1, PARTIAL);
        final long jobId = client.jobId;
        final int steps = Segment.first(space, SEED, 0, 2, PARTIAL).steps();
        final StreamId streamZero = new StreamId(0, 0, 0);
        final StreamId streamOne = new StreamId(0, 0, 1);

        refused(workers[1], ErrorCode.NOT_AUTHORIZED, () -> workers[1].ack(jobId, streamZero, 0));
        refused(workers[0], ErrorCode.NOT_AUTHORIZED, () -> workers[0].ack(jobId, streamZero, 1, steps));
        refused(workers[0], ErrorCode.NOT_AUTHORIZED, () -> workers[0].ack(jobId, new StreamId(0, 1, 0), 0));
        refused(workers[0], ErrorCode.NOT_AUTHORIZED, () -> workers[0].ack(jobId + 1, streamZero, 0));
        refused(workers[0], ErrorCode.NOT_AUTHORIZED, () -> workers[0].ack(jobId, new StreamId(1, 0, 0), 0));
        refused(client, ErrorCode.NOT_AUTHORIZED, () -> client.ack(jobId, streamZero, 0));
        refused(server, ErrorCode.NOT_AUTHORIZED, () -> server.ack(jobId, streamOne, 0));
        assertEquals(0, counter(CounterType.STEPS_ACKNOWLEDGED), "nothing refused is counted");

        workers[0].ack(jobId, streamZero, 0, 1);
        workers[1].ack(jobId, streamOne, 0);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 3);
        workers[0].ack(jobId, streamZero, 1);
        workers[0].ack(jobId, streamZero, 2);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) >= 4);
        assertEquals(4, counter(CounterType.STEPS_ACKNOWLEDGED), "a repeat counts once");
        assertEquals(7, counter(CounterType.INVALID_MESSAGES), "a repeat is not refused");
        assertEquals(0, counter(CounterType.EPOCHS_COMPLETED));
    }

    /**
     * A worker whose lease ended loses the steps it had not released to the live ranks, in about equal shares;
     * they alone may acknowledge them, also after the worker comes back, and doing so completes the epoch.
     */
    @Test
    void aWorkerWhoseLeaseEndsLosesItsUnreleasedStepsToTheLiveRanksWhichCompleteTheEpoch()
    {
        startJob(3, 1, DROP_LAST);
        final long jobId = client.jobId;
        final Segment plan = Segment.first(space, SEED, 0, 3, DROP_LAST);
        final int steps = plan.steps();
        final StreamId streamTwo = new StreamId(0, 0, 2);
        workers[2].ack(jobId, streamTwo, 0, 1, 2);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 3);

        final long expiredRegistration = workers[2].session.registrationCorrelationId();
        workers[2].silent = true;
        final long deadline = nowNs + 2 * LEASE_NS;
        pump(() -> nowNs > deadline &&
            workers[0].assigned(jobId, 0, 0, 2).size() + workers[1].assigned(jobId, 0, 0, 2).size() >= steps - 3 &&
            !server.fenced.isEmpty());
        assertEquals(1, counter(CounterType.LEASE_EXPIRIES));
        assertEquals(List.of(expiredRegistration), server.fenced,
            "the data server is told to revoke the expired registration, and no live worker's");
        assertEquals(List.of(), workers[0].fenced, "only data servers are told");
        assertEquals(steps - 3, counter(CounterType.STEPS_REASSIGNED));
        final TreeSet<Integer> toZero = workers[0].assigned(jobId, 0, 0, 2);
        final TreeSet<Integer> toOne = workers[1].assigned(jobId, 0, 0, 2);
        final TreeSet<Integer> handed = new TreeSet<>(toZero);
        handed.addAll(toOne);
        assertEquals(toZero.size() + toOne.size(), handed.size(), "no step handed to two ranks: " + toZero + toOne);
        assertEquals(range(3, steps), handed, "exactly the steps not released are handed on");
        assertTrue(Math.abs(toZero.size() - toOne.size()) <= 1, "equal shares: " + toZero + " and " + toOne);

        workers[2].silent = false;
        pump(() -> workers[2].session.registrations() == 2);
        refused(workers[2], ErrorCode.NOT_AUTHORIZED, () -> workers[2].ack(jobId, streamTwo, toZero.first()));
        refused(client, ErrorCode.NOT_AUTHORIZED, () -> client.ack(jobId, streamTwo, toOne.first()));
        assertEquals(3, counter(CounterType.STEPS_ACKNOWLEDGED));
        final int answers = workers[0].errors.size();
        workers[0].ack(jobId, streamTwo, toZero.first(), toOne.first());
        pump(() -> workers[0].errors.size() > answers);
        assertEquals(List.of(ErrorCode.NOT_AUTHORIZED), workers[0].errors.subList(answers, answers + 1));
        assertEquals(4, counter(CounterType.STEPS_ACKNOWLEDGED), "the step it holds counts, the other not");

        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), workers[rank].assigned(jobId, 0, 0, rank));
            workers[rank].ack(jobId, streamTwo, workers[rank].assigned(jobId, 0, 0, 2));
        }
        pump(() -> null != client.outcome);
        assertEquals(3L * steps, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertCompletion(client.completions.get(0), jobId, 0, plan, new int[0]);
        assertEquals(JobOutcome.COMPLETE, client.outcome);
    }

    /**
     * The coordinator's heartbeats echo the member's latest heartbeat timestamp, a reading of the member's own
     * clock: it is the member's fence. A member gone silent loses its lease, and its steps, only after that
     * timestamp plus the lease, so a worker that stops delivering there never hands out a step given to another.
     */
    @Test
    void heartbeatsEchoTheMembersLatestTimestampAndNoLeaseEndsBeforeTheEchoPlusTheLease()
    {
        startJob(3, 1, DROP_LAST);
        final TestMember worker = workers[2];
        final long echoesFrom = nowNs;
        pump(() -> worker.echoes.size() >= 3 && worker.echoes.get(worker.echoes.size() - 1) > echoesFrom);
        for (int i = 1; i < worker.echoes.size(); i++)
        {
            assertTrue(worker.echoes.get(i) >= worker.echoes.get(i - 1), "echoes never go back: " + worker.echoes);
        }

        worker.silent = true;
        final long fenceNs = worker.echoes.get(worker.echoes.size() - 1) + LEASE_NS;
        pump(() -> counter(CounterType.LEASE_EXPIRIES) == 1);
        final long expiredNs = nowNs - STEP_NS;
        assertTrue(expiredNs - fenceNs > 0, "the lease ended at " + expiredNs + ", after the fence at " + fenceNs);
        assertTrue(counter(CounterType.STEPS_REASSIGNED) > 0, "and only then were its steps given to others");
    }

    /**
     * A client that submits a job again after it finished — a submit that noticed a coordinator restart only once
     * the job was done — is told that job's outcome and epochs; no new job starts, and the workers hear of none.
     */
    @Test
    void aFinishedJobSubmittedAgainAnswersWithItsOutcomeAndStartsNoOtherJob()
    {
        startJob(2, 1, PARTIAL);
        final long jobId = client.jobId;
        final Segment plan = Segment.first(space, SEED, 0, 2, PARTIAL);
        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), range(0, plan.steps()));
        }
        pump(() -> JobOutcome.COMPLETE == client.outcome);

        assertALateSubmitIsAnsweredWithTheFinishedJob(jobId, plan);
        assertEquals(1, workers[0].jobStarts, "no other job started");
        assertEquals(1, workers[1].jobStarts, "no other job started");
    }

    @Test
    void aChunkNoServerCouldReadIsReportedMissingWhenTheEpochCompletes()
    {
        startJob(2, 1, BatchSpec.CHUNKS);
        final long jobId = client.jobId;
        final Segment plan = Segment.first(space, SEED, 0, 2, BatchSpec.CHUNKS);
        final StreamId streamZero = new StreamId(0, 0, 0);
        final int lost = plan.stream(0).piece(1).chunkId();

        refused(workers[1], ErrorCode.NOT_AUTHORIZED, () -> workers[1].unavailable(jobId, streamZero, 1, lost));
        refused(workers[0], ErrorCode.NOT_AUTHORIZED,
            () -> workers[0].unavailable(jobId, streamZero, 1, manifest.chunkCount()));
        workers[0].unavailable(jobId, streamZero, 1, lost);
        pump(() -> counter(CounterType.CHUNKS_UNAVAILABLE) == 1);

        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), workers[rank].assigned(jobId, 0, 0, rank));
        }
        pump(() -> null != client.outcome);
        assertCompletion(client.completions.get(0), jobId, 0, plan, new int[]{ lost });
        assertEquals(JobOutcome.INCOMPLETE, client.outcome);
    }

    /**
     * A coordinator restarted over its checkpoint resumes the job: the members find it by themselves, each rank
     * is assigned exactly the steps of its stream not acknowledged before, and the epoch completes with every
     * sample counted once.
     */
    @Test
    void aCoordinatorRestartedFromItsCheckpointAssignsWhatWasNotAcknowledgedAndCompletesTheEpoch()
    {
        final Path checkpoints = temp.resolve("checkpoints");
        final long jobId = acknowledgeThenKill(() -> context().checkpointDirectory(checkpoints).checkpointInterval(1));
        final Segment plan = Segment.first(space, SEED, 0, 2, PARTIAL);
        final int[][] acknowledged = ACKNOWLEDGED_BEFORE_KILL;
        coordinator = new CoordinatorAgent(context().checkpointDirectory(checkpoints).checkpointInterval(1));
        pump(() -> Arrays.stream(workers).allMatch(worker ->
            worker.session.registrations() == 2 && !worker.assigned(jobId, 0, 0, worker.rank).isEmpty()));

        assertEquals(jobId, client.jobId, "the client attaches to the resumed job");
        for (int rank = 0; rank < 2; rank++)
        {
            final TreeSet<Integer> expected = steps(plan.stream(rank));
            Arrays.stream(acknowledged[rank]).forEach(expected::remove);
            assertEquals(jobId, workers[rank].jobId);
            assertEquals(expected, workers[rank].assigned(jobId, 0, 0, rank), "rank " + rank);
            workers[rank].ack(jobId, new StreamId(0, 0, rank), expected);
        }
        pump(() -> null != client.outcome);
        assertCompletion(client.completions.get(0), jobId, 0, plan, new int[0]);
        assertEquals(JobOutcome.COMPLETE, client.outcome);
    }

    /**
     * Two jobs on one coordinator and its data server, each with its own ranks (both have a rank 0), seed and world
     * size: the second, submitted while the first runs, starts at once. A worker of one cannot acknowledge the other's
     * steps (its scheduler does not know that job), while the same acknowledgements from the job's own workers, in
     * the same run, count. Killed and restarted over its checkpoint, the coordinator resumes both jobs, each rank is
     * assigned exactly what it had not acknowledged, and both complete with every sample once; each named job's
     * figures are counted under its name too. Every member holds only its job's token (the data server the cluster
     * token): the restarted coordinator's notices prove each member's job's token, so all register again at once.
     */
    @Test
    void twoJobsRunAtOnceOnTheirOwnRanksAcrossARestartAndAWorkerOfOneCannotAcknowledgeTheOthersSteps()
    {
        clusterToken = new JobToken("the cluster token of the two jobs' test".getBytes(StandardCharsets.UTF_8));
        final Path checkpoints = temp.resolve("checkpoints");
        final Supplier<CoordinatorContext> context = () -> context().checkpointDirectory(checkpoints)
            .checkpointInterval(1);
        close(coordinator);
        coordinator = new CoordinatorAgent(context.get());
        server = member(Role.DATA_SERVER, -1);
        final TestMember clientA = member(Role.CLIENT, -1, 0, "team-a");
        final TestMember clientB = member(Role.CLIENT, -1, 0, "team-b");
        final TestMember[] a = { member(Role.WORKER, 0, 0, "team-a"), member(Role.WORKER, 1, 0, "team-a") };
        final TestMember b = member(Role.WORKER, 0, 0, "team-b");
        pump(() -> members.stream().allMatch(member -> member.session.isRegistered()));
        server.advertise(IntStream.range(0, manifest.shardCount()).toArray());
        clientA.submit(JobSpec.of(manifest.datasetId(), 2, 1, SEED, PARTIAL));
        pump(() -> clientA.jobId > 0 && Arrays.stream(a).allMatch(worker ->
            !worker.assigned(clientA.jobId, 0, 0, worker.rank).isEmpty()));
        clientB.submit(JobSpec.of(manifest.datasetId(), 1, 1, SEED + 1, PARTIAL));
        pump(() -> clientB.jobId > 0 && !b.assigned(clientB.jobId, 0, 0, 0).isEmpty());
        final long jobA = clientA.jobId;
        final long jobB = clientB.jobId;
        assertNotEquals(jobA, jobB, "job ids are unique on the coordinator");
        assertEquals(List.of(jobA, jobA, jobB), List.of(a[0].jobId, a[1].jobId, b.jobId));
        assertTrue(b.assignedIn(jobA).isEmpty() && a[0].assignedIn(jobB).isEmpty(), "each hears only of its job");

        final StreamId streamZero = new StreamId(0, 0, 0);
        refused(b, ErrorCode.NOT_AUTHORIZED, () -> b.ack(jobA, streamZero, 0));
        refused(a[0], ErrorCode.NOT_AUTHORIZED, () -> a[0].ack(jobB, streamZero, 0));
        a[0].ack(jobA, streamZero, 0);
        b.ack(jobB, streamZero, 0);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 2);

        close(coordinator);
        members.forEach(TestMember::forget);
        final long restartNs = nowNs;
        coordinator = new CoordinatorAgent(context.get());
        final Segment planA = Segment.first(space, SEED, 0, 2, PARTIAL);
        final Segment planB = Segment.first(space, SEED + 1, 0, 1, PARTIAL);
        pump(() -> Arrays.stream(a).allMatch(worker -> !worker.assigned(jobA, 0, 0, worker.rank).isEmpty()) &&
            !b.assigned(jobB, 0, 0, 0).isEmpty());
        assertTrue(nowNs - restartNs < LEASE_NS / 2, "every member took its job's restart notice and registered " +
            "again at once, not a lease later: after " + (nowNs - restartNs) + " ns of a " + LEASE_NS + " ns lease");
        assertTrue(members.stream().allMatch(member -> member.session.registrations() == 2));
        for (final TestMember worker : a)
        {
            final TreeSet<Integer> expected = steps(planA.stream(worker.rank));
            if (0 == worker.rank)
            {
                expected.remove(0);
            }
            assertEquals(expected, worker.assigned(jobA, 0, 0, worker.rank), "job A, rank " + worker.rank);
            worker.ack(jobA, new StreamId(0, 0, worker.rank), expected);
        }
        final TreeSet<Integer> expectedB = steps(planB.stream(0));
        expectedB.remove(0);
        assertEquals(expectedB, b.assigned(jobB, 0, 0, 0), "job B");
        b.ack(jobB, streamZero, expectedB);
        pump(() -> null != clientA.outcome && null != clientB.outcome);

        assertEquals(List.of(jobA, jobB), List.of(clientA.jobId, clientB.jobId), "each client attaches to its job");
        assertCompletion(clientA.completions.get(0), jobA, 0, planA, new int[0]);
        assertCompletion(clientB.completions.get(0), jobB, 0, planB, new int[0]);
        assertEquals(List.of(JobOutcome.COMPLETE, JobOutcome.COMPLETE), List.of(clientA.outcome, clientB.outcome));
        assertEquals(planB.steps() - 1, jobCounter("team-b", CounterType.STEPS_ACKNOWLEDGED),
            "the restarted coordinator's count of job B: every step but the one counted before the restart");
        assertEquals(1, jobCounter("team-a", CounterType.EPOCHS_COMPLETED));
    }

    @Test
    void aCoordinatorKeepingItsMostJobsForgetsTheOldestFinishedJobNoMemberHoldsToAdmitAnother()
    {
        close(coordinator);
        coordinator = new CoordinatorAgent(context().maxJobs(1));
        server = member(Role.DATA_SERVER, -1);
        final TestMember clientA = member(Role.CLIENT, -1, 0, "team-a");
        final TestMember a = member(Role.WORKER, 0, 0, "team-a");
        pump(() -> members.stream().allMatch(member -> member.session.isRegistered()));
        server.advertise(IntStream.range(0, manifest.shardCount()).toArray());
        clientA.submit(JobSpec.of(manifest.datasetId(), 1, 1, SEED, PARTIAL));
        pump(() -> clientA.jobId > 0 && !a.assigned(clientA.jobId, 0, 0, 0).isEmpty());
        a.ack(clientA.jobId, new StreamId(0, 0, 0), a.assigned(clientA.jobId, 0, 0, 0));
        pump(() -> null != clientA.outcome);
        assertEquals(JobOutcome.COMPLETE, clientA.outcome);
        assertEquals(2, jobCounter("team-a", CounterType.JOB_STATE), "job A is finished, and kept");

        final TestMember b = member(Role.WORKER, 0, 0, "team-b");
        pump(() -> b.errors.contains(ErrorCode.REGISTRATION_REFUSED));
        assertFalse(b.session.isRegistered(), "no room: the one job kept is finished but its members still hold it");

        clientA.silent = true;
        a.silent = true;
        pump(() -> b.session.isRegistered());
        assertEquals(-1, jobCounter("team-a", CounterType.JOB_STATE), "job A was forgotten, its figures with it");
        final TestMember clientB = member(Role.CLIENT, -1, 0, "team-b");
        pump(() -> clientB.session.isRegistered());
        clientB.submit(JobSpec.of(manifest.datasetId(), 1, 1, SEED + 1, PARTIAL));
        pump(() -> clientB.jobId > 0 && !b.assigned(clientB.jobId, 0, 0, 0).isEmpty());
        assertNotEquals(clientA.jobId, clientB.jobId, "job ids stay unique after a job is forgotten");
        b.ack(clientB.jobId, new StreamId(0, 0, 0), b.assigned(clientB.jobId, 0, 0, 0));
        pump(() -> null != clientB.outcome);
        assertCompletion(clientB.completions.get(0), clientB.jobId, 0, Segment.first(space, SEED + 1, 0, 1, PARTIAL),
            new int[0]);
        assertEquals(JobOutcome.COMPLETE, clientB.outcome);
    }

    private long jobCounter(final String jobName, final CounterType type)
    {
        final String label = "coordinator job " + jobName + ": " + type.description();
        final long[] value = { -1 };
        connector.aeron().countersReader().forEach((id, typeId, key, counterLabel) ->
        {
            if (counterLabel.equals(label))
            {
                value[0] = connector.aeron().countersReader().getCounterValue(id);
            }
        });
        return value[0];
    }

    /**
     * A client that registers after the 2-rank job of one epoch finished and submits it again is sent that job's
     * epoch and outcome.
     */
    private void assertALateSubmitIsAnsweredWithTheFinishedJob(final long jobId, final Segment plan)
    {
        final TestMember late = member(Role.CLIENT, -1);
        pump(() -> late.session.isRegistered());
        late.submit(JobSpec.of(manifest.datasetId(), 2, 1, SEED, PARTIAL));
        pump(() -> null != late.outcome);
        assertEquals(JobOutcome.COMPLETE, late.outcome);
        assertEquals(jobId, late.jobId, "the finished job, not a new one");
        assertEquals(1, late.completions.size(), "its epoch");
        assertCompletion(late.completions.get(0), jobId, 0, plan, new int[0]);
    }

    /**
     * Replace the coordinator by one of this context and start a 2-rank job of one epoch on it.
     *
     * @return the job's id.
     */
    private long restartWithJob(final CoordinatorContext context)
    {
        close(coordinator);
        coordinator = new CoordinatorAgent(context);
        startJob(2, 1, PARTIAL);
        return client.jobId;
    }

    /**
     * Start a 2-rank job of one epoch on a coordinator of this context, have the ranks acknowledge
     * {@link #ACKNOWLEDGED_BEFORE_KILL}, wait until all 7 are counted, then drop the coordinator as kill -9 would (its
     * members forget their sessions).
     *
     * @return the job's id.
     */
    private long acknowledgeThenKill(final Supplier<CoordinatorContext> context)
    {
        final long jobId = restartWithJob(context.get());
        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), ACKNOWLEDGED_BEFORE_KILL[rank]);
        }
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 7);
        close(coordinator);
        members.forEach(TestMember::forget);
        return jobId;
    }

    /**
     * An acknowledgement is counted (counter, ack log, epoch completion) only once the journal made it durable:
     * while the journal agent does not run, the coordinator takes it but counts nothing.
     */
    @Test
    void anAcknowledgementIsCountedOnlyOnceTheJournalMadeItDurable() throws Exception
    {
        final Path ackLog = temp.resolve("acks.log");
        close(coordinator);
        coordinator = new CoordinatorAgent(context().checkpointDirectory(temp.resolve("checkpoints"))
            .ackLogFile(ackLog));
        startJob(1, 1, PARTIAL);
        final long jobId = client.jobId;
        final int steps = Segment.first(space, SEED, 0, 1, PARTIAL).steps();

        journalRuns = false;
        workers[0].ack(jobId, new StreamId(0, 0, 0), range(0, steps));
        final long until = nowNs + 10 * STEP_NS;
        pump(() -> nowNs >= until);
        assertEquals(0, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertEquals(List.of(), Files.readAllLines(ackLog));
        assertEquals(null, client.outcome, "no epoch completes over acknowledgements not durable");

        journalRuns = true;
        pump(() -> null != client.outcome);
        assertEquals(steps, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertEquals(steps, Files.readAllLines(ackLog).size());
    }

    /**
     * Acknowledgements durable in the journal after the last checkpoint survive a restart (the checkpoint plus
     * the journal after it): when the workers send them again to the restarted coordinator, they are recognised
     * and neither counted nor logged again; the ack log holds every step of the epoch exactly once.
     */
    @Test
    void acknowledgementsJournaledAfterTheLastCheckpointAreNotCountedAgainWhenSentAgainAfterARestart()
        throws Exception
    {
        final Path checkpoints = temp.resolve("checkpoints");
        final Path ackLog = temp.resolve("acks.log");
        final long jobId = acknowledgeThenKill(() -> context().checkpointDirectory(checkpoints).ackLogFile(ackLog));
        final Segment plan = Segment.first(space, SEED, 0, 2, PARTIAL);
        final int[][] acknowledged = ACKNOWLEDGED_BEFORE_KILL;
        final long restartNs = nowNs;
        coordinator = new CoordinatorAgent(context().checkpointDirectory(checkpoints).ackLogFile(ackLog));
        pump(() -> Arrays.stream(workers).allMatch(worker ->
            worker.session.registrations() == 2 && !worker.assigned(jobId, 0, 0, worker.rank).isEmpty()));
        assertTrue(nowNs - restartNs < LEASE_NS / 2, "the restarted coordinator answered the members' first " +
            "messages on sessions it does not know, and they registered again at once, not a lease later: after " +
            (nowNs - restartNs) + " ns of a " + LEASE_NS + " ns lease");
        for (int rank = 0; rank < 2; rank++)
        {
            final TreeSet<Integer> expected = steps(plan.stream(rank));
            Arrays.stream(acknowledged[rank]).forEach(expected::remove);
            assertEquals(expected, workers[rank].assigned(jobId, 0, 0, rank), "rank " + rank);
            workers[rank].ack(jobId, new StreamId(0, 0, rank), acknowledged[rank]);
        }
        final long until = nowNs + 10 * STEP_NS;
        pump(() -> nowNs >= until);
        assertEquals(0, counter(CounterType.STEPS_ACKNOWLEDGED), "acknowledgements sent again are not counted");
        assertEquals(7, Files.readAllLines(ackLog).size());

        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), workers[rank].assigned(jobId, 0, 0, rank));
        }
        pump(() -> null != client.outcome);
        assertEquals(JobOutcome.COMPLETE, client.outcome);
        assertCompletion(client.completions.get(0), jobId, 0, plan, new int[0]);
        final List<String> lines = Files.readAllLines(ackLog);
        assertEquals(plan.steps() * 2L, lines.size());
        assertEquals(lines.size(), new HashSet<>(lines.stream().map(line -> line.substring(0, line.lastIndexOf(' ')))
            .toList()).size(), "each step of each stream once: " + lines);
    }

    /**
     * A worker acknowledges what it delivered while the coordinator was down as soon as it registers with the
     * restarted one, before the other ranks are back and the job starts again: those acknowledgements count; were
     * they refused, the worker would not send them again and the epoch would never complete.
     */
    @Test
    void acknowledgementsSentToARestartedCoordinatorBeforeEveryRankIsBackAreCounted()
    {
        final Path checkpoints = temp.resolve("checkpoints");
        final long jobId = restartWithJob(context().checkpointDirectory(checkpoints));
        final Segment plan = Segment.first(space, SEED, 0, 2, PARTIAL);

        close(coordinator);
        members.forEach(TestMember::forget);
        workers[1].silent = true;
        coordinator = new CoordinatorAgent(context().checkpointDirectory(checkpoints));
        pump(() -> workers[0].session.registrations() == 2);
        workers[0].ack(jobId, new StreamId(0, 0, 0), range(0, plan.stream(0).steps()));
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == plan.stream(0).steps());
        assertEquals(Set.of(), workers[0].assigned(jobId, 0, 0, 0), "the job has not started again: rank 1 is away");

        workers[1].silent = false;
        pump(() -> workers[1].session.registrations() == 2 && !workers[1].assigned(jobId, 0, 0, 1).isEmpty());
        workers[1].ack(jobId, new StreamId(0, 0, 1), workers[1].assigned(jobId, 0, 0, 1));
        pump(() -> null != client.outcome);
        assertEquals(JobOutcome.COMPLETE, client.outcome);
        assertCompletion(client.completions.get(0), jobId, 0, plan, new int[0]);
    }

    /**
     * A finished job survives a restart: a client that attaches (or submits it again) afterwards is answered with
     * its outcome and its epochs, and no job starts; a worker that registers again hears that it is complete.
     */
    @Test
    void aFinishedJobIsKeptAcrossARestartAndAnsweredWithItsOutcome()
    {
        final Path checkpoints = temp.resolve("checkpoints");
        final long jobId = restartWithJob(context().checkpointDirectory(checkpoints));
        final Segment plan = Segment.first(space, SEED, 0, 2, PARTIAL);
        for (int rank = 0; rank < 2; rank++)
        {
            workers[rank].ack(jobId, new StreamId(0, 0, rank), range(0, plan.steps()));
        }
        pump(() -> JobOutcome.COMPLETE == client.outcome);

        close(coordinator);
        members.forEach(TestMember::forget);
        coordinator = new CoordinatorAgent(context().checkpointDirectory(checkpoints));
        workers[0].outcome = null;
        pump(() -> workers[0].session.registrations() == 2 && null != workers[0].outcome);
        assertEquals(JobOutcome.COMPLETE, workers[0].outcome, "a worker registering again hears the job is complete");

        assertALateSubmitIsAnsweredWithTheFinishedJob(jobId, plan);
        assertEquals(1, workers[1].jobStarts, "no other job started");
    }

    /**
     * The same job submitted again over another world size while it runs (as by {@code stoker submit} from a new
     * client) resumes as a new job: the ranks' streams of the epoch's next segment hold exactly the samples not
     * acknowledged so far, every one once but the new drop set; acknowledging them completes the epoch with all
     * its samples accounted for.
     */
    @ParameterizedTest
    @CsvSource({ "2, 3", "3, 2" })
    void aJobResubmittedOverAnotherWorldSizeResumesWithExactlyTheSamplesNotAcknowledged(
        final int oldWorldSize, final int newWorldSize)
    {
        startJob(oldWorldSize, 1, DROP_LAST);
        final long jobId = client.jobId;
        final Segment before = Segment.first(space, SEED, 0, oldWorldSize, DROP_LAST);
        final int[] consumed = Arrays.copyOf(new int[]{ 5, 2, 3 }, oldWorldSize);
        final List<Long> seen = new ArrayList<>();
        for (int rank = 0; rank < oldWorldSize; rank++)
        {
            final TreeSet<Integer> acked = range(0, consumed[rank]);
            workers[rank].ack(jobId, new StreamId(0, 0, rank), acked);
            seen.addAll(samples(before.stream(rank), acked));
        }
        final int acknowledged = Arrays.stream(consumed).sum();
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == acknowledged);

        final TestMember[] ranks = Arrays.copyOf(workers, Math.max(oldWorldSize, newWorldSize));
        for (int rank = oldWorldSize; rank < newWorldSize; rank++)
        {
            ranks[rank] = member(Role.WORKER, rank);
        }
        final TestMember resubmitter = member(Role.CLIENT, -1);
        pump(() -> Arrays.stream(ranks).allMatch(worker -> worker.session.isRegistered()) &&
            resubmitter.session.isRegistered());
        resubmitter.submit(JobSpec.of(manifest.datasetId(), newWorldSize, 1, SEED, DROP_LAST));
        workers = Arrays.copyOf(ranks, newWorldSize);
        pump(() -> Arrays.stream(workers).allMatch(worker -> worker.jobId != jobId && worker.jobId > 0 &&
            !worker.assigned(worker.jobId, 0, 1, worker.rank).isEmpty()));

        final long resumedId = workers[0].jobId;
        assertEquals(resumedId, resubmitter.jobId, "the client that resubmitted follows the resumed job");
        final JobSpec resumed = new JobSpec(manifest.datasetId(), newWorldSize, 1, SEED, DROP_LAST, 0,
            Map.of(0, new EpochHistory(new int[]{ oldWorldSize, newWorldSize }, new int[][]{ consumed })));
        assertEquals(resumed, resubmitter.spec);
        final Segment after = before.next(newWorldSize, consumed);
        for (final TestMember worker : workers)
        {
            assertEquals(resumedId, worker.jobId);
            assertEquals(resumed, worker.spec, "every worker plans the rest of the epoch alike");
            final RankStream stream = after.stream(worker.rank);
            assertEquals(steps(stream), worker.assigned(resumedId, 0, 1, worker.rank), "rank " + worker.rank);
            final RankStream planned = worker.spec.segment(space, 0).stream(worker.rank);
            assertEquals(samples(stream, steps(stream)), samples(planned, steps(planned)),
                "the worker's own plan from the spec it was sent gives the same stream");
            seen.addAll(samples(stream, worker.assigned(resumedId, 0, 1, worker.rank)));
        }
        assertExactlyOnce(seen, after.dropped());
        for (int rank = newWorldSize; rank < ranks.length; rank++)
        {
            assertEquals(Map.of(), ranks[rank].assignedIn(resumedId), "a rank beyond the new world size");
        }

        resubmitter.submit(resubmitter.submitted);
        pump(() -> resubmitter.jobStarts == 2);
        assertEquals(resumedId, resubmitter.jobId, "the same request again, as a client sends it each time it " +
            "registers anew, attaches to the resumed job");
        assertEquals(resumedId, workers[0].jobId);

        for (final TestMember worker : workers)
        {
            worker.ack(resumedId, new StreamId(0, 1, worker.rank), worker.assigned(resumedId, 0, 1, worker.rank));
        }
        pump(() -> null != resubmitter.outcome);
        assertEquals(1, resubmitter.completions.size());
        final Completion completion = resubmitter.completions.get(0);
        assertEquals(new Completion(resumedId, 0, space.sampleCount() - samplesOf(after.dropped()).size(),
            samplesOf(after.dropped()).size(), after.steps(), new int[0]), completion,
            "the epoch's samples: delivered before the resume or after, or dropped");
        assertEquals(JobOutcome.COMPLETE, resubmitter.outcome);
    }

    /**
     * Epochs complete in order: one all of whose steps were acknowledged while an older one is open waits for it.
     * The job resubmitted over another world size meanwhile resumes at the older epoch and keeps the newer one
     * done, rather than failing to plan a resume that starts after an epoch still open.
     */
    @Test
    void anEpochAcknowledgedBeforeAnOlderOneCompletesAfterItAlsoAcrossAResume()
    {
        startJob(1, 2, PARTIAL);
        final long jobId = client.jobId;
        final Segment epochZero = Segment.first(space, SEED, 0, 1, PARTIAL);
        final int stepsOfEpochOne = Segment.first(space, SEED, 1, 1, PARTIAL).steps();
        workers[0].ack(jobId, new StreamId(1, 0, 0), range(0, stepsOfEpochOne));
        workers[0].ack(jobId, new StreamId(0, 0, 0), 0, 1, 2);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == stepsOfEpochOne + 3);
        assertEquals(0, counter(CounterType.EPOCHS_COMPLETED), "epoch 1 waits for epoch 0");

        final TestMember rankOne = member(Role.WORKER, 1);
        final TestMember resubmitter = member(Role.CLIENT, -1);
        pump(() -> rankOne.session.isRegistered() && resubmitter.session.isRegistered());
        resubmitter.submit(JobSpec.of(manifest.datasetId(), 2, 2, SEED, PARTIAL));
        workers = new TestMember[]{ workers[0], rankOne };
        pump(() -> resubmitter.jobId > 0 && Arrays.stream(workers).allMatch(worker ->
            worker.jobId == resubmitter.jobId && !worker.assigned(worker.jobId, 0, 1, worker.rank).isEmpty()));

        final long resumedId = resubmitter.jobId;
        assertEquals(new JobSpec(manifest.datasetId(), 2, 2, SEED, PARTIAL, 0, Map.of(
            0, new EpochHistory(new int[]{ 1, 2 }, new int[][]{ { 3 } }),
            1, new EpochHistory(new int[]{ 1, 2 }, new int[][]{ { stepsOfEpochOne } }))), resubmitter.spec);
        final Segment rest = epochZero.next(2, new int[]{ 3 });
        for (final TestMember worker : workers)
        {
            assertEquals(steps(rest.stream(worker.rank)), worker.assigned(resumedId, 0, 1, worker.rank));
            assertEquals(Set.of(), worker.assigned(resumedId, 1, 1, worker.rank), "epoch 1 is done");
            worker.ack(resumedId, new StreamId(0, 1, worker.rank), worker.assigned(resumedId, 0, 1, worker.rank));
        }
        pump(() -> null != resubmitter.outcome);
        assertEquals(List.of(0, 1), resubmitter.completions.stream().map(Completion::epoch).toList());
        for (final Completion completion : resubmitter.completions)
        {
            assertEquals(space.sampleCount(), completion.deliveredSamples(), completion.toString());
        }
        assertEquals(JobOutcome.COMPLETE, resubmitter.outcome);
        assertEquals(List.of(), client.completions, "no epoch was reported complete before the resume");
    }

    @Test
    void aRankHeldByALiveWorkerIsRefusedAndMembersMaySendOnlyWhatTheirRoleMay()
    {
        close(coordinator);
        coordinator = new CoordinatorAgent(context().maxWorldSize(2));
        startJob(1, 1, DROP_LAST);
        final long jobId = client.jobId;
        final TestMember twin = member(Role.WORKER, 0);
        pump(() -> twin.errors.contains(ErrorCode.REGISTRATION_REFUSED));
        assertFalse(twin.session.isRegistered());
        assertTrue(twin.errors.stream().allMatch(ErrorCode.REGISTRATION_REFUSED::equals),
            "the twin may try again, and is refused each time: " + twin.errors);

        final JobSpec other = JobSpec.of(manifest.datasetId(), 1, 1, SEED + 1, DROP_LAST);
        refused(workers[0], ErrorCode.NOT_AUTHORIZED, () -> workers[0].submit(other));
        refused(client, List.of(ErrorCode.NOT_AUTHORIZED, ErrorCode.NOT_AUTHORIZED), () -> client.advertise(0));
        refused(client, ErrorCode.JOB_REJECTED, () -> client.submit(other));
        refused(client, ErrorCode.JOB_REJECTED,
            () -> client.submit(JobSpec.of(manifest.datasetId(), 3, 1, SEED, DROP_LAST)));
        assertEquals(jobId, workers[0].jobId, "the running job goes on");

        workers[0].ack(jobId, new StreamId(0, 0, 0), 0);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 1);
    }

    /**
     * Data servers are told the job's weight as submitted when it starts, one that registers while it runs is told
     * too, both are told it again by a coordinator restarted from its checkpoint, and each is told to forget it
     * (weight 0) when it ends; a submission with a weight out of range is refused.
     */
    @Test
    void dataServersAreToldTheJobsWeightWhenItStartsAcrossARestartAndToForgetItWhenItEnds()
    {
        final Path checkpoints = temp.resolve("checkpoints");
        final Supplier<CoordinatorContext> context = () -> context().checkpointDirectory(checkpoints);
        close(coordinator);
        coordinator = new CoordinatorAgent(context.get());
        server = member(Role.DATA_SERVER, -1);
        client = member(Role.CLIENT, -1);
        workers = new TestMember[] {member(Role.WORKER, 0)};
        pump(() -> members.stream().allMatch(member -> member.session.isRegistered()));
        server.advertise(IntStream.range(0, manifest.shardCount()).toArray());
        final JobSpec spec = JobSpec.of(manifest.datasetId(), 1, 1, SEED, DROP_LAST);
        refused(client, ErrorCode.JOB_REJECTED, () -> client.submit(spec, JobClientAgent.MAX_WEIGHT + 1));
        assertEquals(List.of(), server.serving, "nothing started");

        client.submit(spec, 3);
        pump(() -> client.jobId > 0 && !server.serving.isEmpty());
        assertEquals(List.of("'' 3"), server.serving, "the default job, of weight 3");
        final TestMember late = member(Role.DATA_SERVER, -1);
        pump(() -> late.session.isRegistered() && !late.serving.isEmpty());
        assertEquals(List.of("'' 3"), late.serving, "a data server registering while the job runs");

        final long jobId = client.jobId;
        close(coordinator);
        members.forEach(TestMember::forget);
        server.serving.clear();
        late.serving.clear();
        coordinator = new CoordinatorAgent(context.get());
        pump(() -> !server.serving.isEmpty() && !late.serving.isEmpty() &&
            !workers[0].assigned(jobId, 0, 0, 0).isEmpty());
        assertEquals(List.of("'' 3"), server.serving, "the restored job announced with its submitted weight");
        assertEquals(List.of("'' 3"), late.serving);

        workers[0].ack(jobId, new StreamId(0, 0, 0), workers[0].assigned(jobId, 0, 0, 0));
        pump(() -> null != client.outcome && server.serving.size() == 2 && late.serving.size() == 2);
        assertEquals(List.of("'' 3", "'' 0"), server.serving);
        assertEquals(List.of("'' 3", "'' 0"), late.serving);
    }

    /**
     * A data server that registers after a worker's lease ended (as one restarted after the fence, which forgot it,
     * does) is told that registration is fenced on registering; the data server registered before the fence was
     * told once, at the fence, and is not told again. No live worker's registration is named to either.
     */
    @Test
    void aDataServerRegisteringAfterAWorkersLeaseEndedIsToldOfTheFenceAndOneRegisteredBeforeIsToldOnce()
    {
        startJob(2, 1, DROP_LAST);
        final long expiredRegistration = workers[1].session.registrationCorrelationId();
        workers[1].silent = true;
        pump(() -> !server.fenced.isEmpty());
        assertEquals(List.of(expiredRegistration), server.fenced, "told at the fence");

        final TestMember late = member(Role.DATA_SERVER, -1);
        pump(() -> late.session.isRegistered() && !late.fenced.isEmpty());
        final long idleUntilNs = nowNs + LEASE_NS / 2;
        pump(() -> nowNs > idleUntilNs);
        assertEquals(List.of(expiredRegistration), late.fenced, "the late data server is told of the fence");
        assertEquals(List.of(expiredRegistration), server.fenced, "the one registered before is told once");
        assertTrue(workers[0].session.isRegistered(), "the live worker stays registered, its registration unnamed");
    }

    /**
     * A worker restarted for its rank (a newer incarnation, as a process started later has) takes the rank over
     * at once, long before the dead one's lease would end: it is assigned every step the rank held and had not
     * released, and no step goes to another rank. The old incarnation is told its lease ended, what it sends is
     * refused, and when it registers again it is refused, being older. The new worker's acknowledgements count
     * and complete the epoch (the positive control).
     */
    @Test
    void aNewerIncarnationOfARankTakesItOverAtOnceAndTheOldOneIsFenced()
    {
        startJob(2, 1, DROP_LAST);
        final long jobId = client.jobId;
        final Segment plan = Segment.first(space, SEED, 0, 2, DROP_LAST);
        final int steps = plan.steps();
        final StreamId streamOne = new StreamId(0, 0, 1);
        final TestMember old = workers[1];
        old.ack(jobId, streamOne, 0, 1);
        pump(() -> counter(CounterType.STEPS_ACKNOWLEDGED) == 2);
        final int oldMemberId = old.session.memberId();

        final long oldRegistration = old.session.registrationCorrelationId();
        old.silent = true;
        final long restartedAtNs = nowNs;
        final TestMember restarted = member(Role.WORKER, 1, 2);
        pump(() -> restarted.session.isRegistered() && restarted.assigned(jobId, 0, 0, 1).size() == steps - 2 &&
            !server.fenced.isEmpty());
        assertEquals(List.of(oldRegistration), server.fenced,
            "the data server is told to revoke the superseded registration, not the new one's");
        assertNotEquals(oldRegistration, restarted.session.registrationCorrelationId());
        assertTrue(nowNs - restartedAtNs < LEASE_NS / 2, "taken over well within the old one's lease: " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - restartedAtNs) + " ms");
        assertEquals(range(2, steps), restarted.assigned(jobId, 0, 0, 1), "every step the rank had not released");
        assertEquals(jobId, restarted.jobId);
        assertEquals(Set.of(), workers[0].assigned(jobId, 0, 0, 1), "nothing of rank 1 went to another rank");
        assertEquals(0, counter(CounterType.STEPS_REASSIGNED));
        assertEquals(1, counter(CounterType.LEASE_EXPIRIES));

        old.silent = false;
        pump(() -> !old.ownLeaseEnds.isEmpty());
        assertEquals(List.of(LeaseEnd.SUPERSEDED), old.ownLeaseEnds, "the old incarnation is told why: superseded");
        final long invalid = counter(CounterType.INVALID_MESSAGES);
        old.ack(jobId, streamOne, 2);
        pump(() -> old.errors.contains(ErrorCode.REGISTRATION_REFUSED));
        assertTrue(counter(CounterType.INVALID_MESSAGES) > invalid, "the old incarnation's acknowledgement refused");
        assertEquals(2, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertFalse(old.session.isRegistered(), "the old incarnation is not admitted again");
        assertNotEquals(oldMemberId, restarted.session.memberId());

        restarted.ack(jobId, streamOne, restarted.assigned(jobId, 0, 0, 1));
        workers[0].ack(jobId, new StreamId(0, 0, 0), workers[0].assigned(jobId, 0, 0, 0));
        pump(() -> null != client.outcome);
        assertEquals(2L * steps, counter(CounterType.STEPS_ACKNOWLEDGED));
        assertEquals(JobOutcome.COMPLETE, client.outcome);
    }

    @Test
    void aCoordinatorRefusesToStartOverADamagedCheckpointNamingIt() throws Exception
    {
        final Path checkpoints = Files.createDirectories(temp.resolve("checkpoints"));
        final Path file = checkpoints.resolve(CheckpointStore.FILE_NAME);
        Files.write(file, new byte[]{ 'S', 'T', 'K', 'C', 0, 0, 0, 3, 1, 2, 3, 4, 5, 6 });
        final UncheckedIOException ex = assertThrows(UncheckedIOException.class,
            () -> new CoordinatorAgent(context().checkpointDirectory(checkpoints)));
        assertTrue(ex.getMessage().contains(file + ": cannot read the checkpoint at offset "), ex.getMessage());
    }

    private static void close(final CoordinatorAgent agent)
    {
        agent.onClose();
        agent.journalAgent().onClose();
    }

    private CoordinatorContext context()
    {
        return new CoordinatorContext()
            .aeron(connector.aeron())
            .nanoClock(() -> nowNs)
            .jobToken(clusterToken)
            .leaseTimeoutNs(LEASE_NS)
            .heartbeatIntervalNs(LEASE_NS / 10)
            .errorHandler(ex -> errors.add(ex.getMessage()))
            .logger(line -> {});
    }

    /**
     * Register a data server serving every shard, a client and the ranks, and submit the job.
     */
    private void startJob(final int worldSize, final int epochs, final BatchSpec batches)
    {
        server = member(Role.DATA_SERVER, -1);
        client = member(Role.CLIENT, -1);
        workers = new TestMember[worldSize];
        for (int rank = 0; rank < worldSize; rank++)
        {
            workers[rank] = member(Role.WORKER, rank);
        }
        pump(() -> members.stream().allMatch(member -> member.session.isRegistered()));
        server.advertise(IntStream.range(0, manifest.shardCount()).toArray());
        client.submit(JobSpec.of(manifest.datasetId(), worldSize, epochs, SEED, batches));
        final int planned = Math.min(epochs, 2);
        pump(() -> client.jobId > 0 && Arrays.stream(workers).allMatch(worker -> IntStream.range(0, planned)
            .allMatch(epoch -> !worker.assigned(client.jobId, epoch, 0, worker.rank).isEmpty())));
    }

    private TestMember member(final Role role, final int rank)
    {
        return member(role, rank, 0);
    }

    private TestMember member(final Role role, final int rank, final long incarnation)
    {
        return member(role, rank, incarnation, "");
    }

    private TestMember member(final Role role, final int rank, final long incarnation, final String jobName)
    {
        final TestMember member = new TestMember(role, rank, incarnation, jobName);
        members.add(member);
        return member;
    }

    private long counter(final CounterType type)
    {
        return coordinator.counters().get(type).get();
    }

    /**
     * Send something the coordinator must refuse: it answers the sender with the code, counts one invalid
     * message, and counts nothing acknowledged.
     */
    private void refused(final TestMember sender, final ErrorCode code, final Runnable send)
    {
        refused(sender, List.of(code), send);
    }

    /**
     * Send messages the coordinator must refuse, each answered with its code.
     */
    private void refused(final TestMember sender, final List<ErrorCode> codes, final Runnable send)
    {
        final int answers = sender.errors.size();
        final long acknowledged = counter(CounterType.STEPS_ACKNOWLEDGED);
        send.run();
        pump(() -> sender.errors.size() >= answers + codes.size());
        assertEquals(codes, sender.errors.subList(answers, sender.errors.size()), "errors: " + errors);
        assertEquals(acknowledged, counter(CounterType.STEPS_ACKNOWLEDGED));
    }

    /**
     * Run every duty cycle until all are idle, then move the clock on a step; until {@code done}. Each step
     * also gives the Aeron clients' conductors real time ({@link #STEP_PAUSE_MS}): they make new images
     * visible on their own threads, and the clock must not run a lease ahead of them.
     */
    private void pump(final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        do
        {
            assertTrue(System.nanoTime() < deadline, "no progress; coordinator said: " + errors);
            for (int idle = 0; idle < IDLE_ROUNDS; )
            {
                int work = coordinator.doWork() + (journalRuns ? coordinator.journalAgent().doWork() : 0);
                for (final TestMember member : members)
                {
                    work += member.doWork();
                }
                if (work > 0)
                {
                    idle = 0;
                }
                else
                {
                    idle++;
                    Thread.yield();
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STEP_PAUSE_MS));
            nowNs += STEP_NS;
        }
        while (!done.getAsBoolean());
    }

    private void assertExactlyOnce(final List<Long> delivered, final List<Piece> dropped)
    {
        final List<Long> all = new ArrayList<>(delivered);
        all.addAll(samplesOf(dropped));
        final Set<Long> distinct = new HashSet<>(all);
        assertEquals(all.size(), distinct.size(), "no sample twice");
        final Set<Long> expected = new HashSet<>();
        for (int chunk = 0; chunk < space.chunkCount(); chunk++)
        {
            for (int record = 0; record < space.recordCount(chunk); record++)
            {
                expected.add(sample(chunk, record));
            }
        }
        assertEquals(expected, distinct, "every sample delivered or dropped");
    }

    private static void assertCompletion(
        final Completion completion, final long jobId, final int epoch, final Segment plan, final int[] missing)
    {
        long delivered = 0;
        for (int rank = 0; rank < plan.worldSize(); rank++)
        {
            delivered += plan.stream(rank).samples();
        }
        assertEquals(jobId, completion.jobId());
        assertEquals(epoch, completion.epoch());
        assertEquals(delivered, completion.deliveredSamples());
        assertEquals(samplesOf(plan.dropped()).size(), completion.droppedSamples());
        assertEquals(plan.steps(), completion.steps());
        assertArrayEquals(missing, completion.missing());
        assertNotEquals(0, delivered);
    }

    private static TreeSet<Integer> steps(final RankStream stream)
    {
        return range(0, stream.steps());
    }

    private static TreeSet<Integer> range(final int from, final int to)
    {
        final TreeSet<Integer> steps = new TreeSet<>();
        IntStream.range(from, to).forEach(steps::add);
        return steps;
    }

    private static List<Long> samples(final RankStream stream, final Set<Integer> steps)
    {
        final List<Long> samples = new ArrayList<>();
        for (final int step : steps)
        {
            stream.forEachSample(step, (piece, record) -> samples.add(sample(stream.piece(piece).chunkId(), record)));
        }
        return samples;
    }

    private static List<Long> samplesOf(final List<Piece> pieces)
    {
        final List<Long> samples = new ArrayList<>();
        for (final Piece piece : pieces)
        {
            for (int i = 0; i < piece.count(); i++)
            {
                samples.add(sample(piece.chunkId(), piece.record(i)));
            }
        }
        return samples;
    }

    private static long sample(final int chunkId, final int record)
    {
        return ((long)chunkId << 32) | record;
    }

    /**
     * An epoch complete, as a member heard it.
     */
    private record Completion(
        long jobId, int epoch, long deliveredSamples, long droppedSamples, int steps, int[] missing)
    {
        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Completion that && jobId == that.jobId && epoch == that.epoch &&
                deliveredSamples == that.deliveredSamples && droppedSamples == that.droppedSamples &&
                steps == that.steps && Arrays.equals(missing, that.missing);
        }

        @Override
        public int hashCode()
        {
            return Long.hashCode(jobId) * 31 + epoch;
        }

        @Override
        public String toString()
        {
            return "job " + jobId + " epoch " + epoch + ": " + deliveredSamples + " delivered, " + droppedSamples +
                " dropped, " + steps + " steps, missing " + Arrays.toString(missing);
        }
    }

    /**
     * A stream of a job's epoch, as assignments name it.
     */
    private record StreamKey(long jobId, int epoch, int segment, int stream)
    {
    }

    /**
     * A member made of a real member session, on IPC without a token. Like Stoker's own members, a data server
     * advertises again and a client submits again each time it registers anew.
     */
    private final class TestMember implements ControlListener, AutoCloseable
    {
        final ControlPublisher publisher = new ControlPublisher();
        final Role role;
        final int rank;
        final MemberSession session;
        final ControlAdapter adapter;
        final Map<StreamKey, TreeSet<Integer>> assigned = new HashMap<>();
        final List<Completion> completions = new ArrayList<>();
        final List<ErrorCode> errors = new ArrayList<>();
        final List<Integer> wrongRanks = new ArrayList<>();
        final List<Long> echoes = new ArrayList<>();
        final List<Long> fenced = new ArrayList<>();
        final List<LeaseEnd> ownLeaseEnds = new ArrayList<>();
        final Set<Integer> advertisingServers = new HashSet<>();
        final LayoutAssembler layoutParts = new LayoutAssembler(2);
        final Map<Integer, Map<Integer, long[]>> descriptors = new HashMap<>();
        final Map<StreamKey, Set<Integer>> describedBefore = new HashMap<>();
        final Map<Integer, Integer> descriptorCounts = new HashMap<>();
        DatasetLayout layout;
        int layouts;
        long manifestBytes;
        int chunkCount;
        int[] shards;
        JobSpec submitted;
        final List<String> serving = new ArrayList<>();
        long jobId = -1;
        int jobStarts;
        JobSpec spec;
        JobOutcome outcome;
        boolean silent;

        TestMember(final Role role, final int rank, final long incarnation, final String jobName)
        {
            this.role = role;
            this.rank = rank;
            final String channel = ControlProtocol.IPC_CHANNEL;
            final Refusals refusals = new Refusals("test member", new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024))).newCounter("invalid"),
                ex -> {}, SystemNanoClock.INSTANCE);
            session = new MemberSession(connector.aeron(), publisher, channel, new HandshakeIdentity(role, rank,
                (byte)0, ControlProtocol.responseStreamId(connector.aeron(), channel), "test-host", channel,
                incarnation).forJob(jobName), null == clusterToken ? null : clusterToken.forJob(jobName),
                refusals);
            adapter = new ControlAdapter(
                session.subscription(), session, refusals, ErrorResponseDecoder.TEMPLATE_ID, this);
        }

        int doWork()
        {
            if (!silent)
            {
                return session.doWork(nowNs) + session.poll(adapter, 10, nowNs);
            }
            return 0;
        }

        TreeSet<Integer> assigned(final long job, final int epoch, final int segment, final int stream)
        {
            return assigned.getOrDefault(new StreamKey(job, epoch, segment, stream), new TreeSet<>());
        }

        Map<StreamKey, TreeSet<Integer>> assignedIn(final long job)
        {
            final Map<StreamKey, TreeSet<Integer>> ofJob = new HashMap<>(assigned);
            ofJob.keySet().removeIf(key -> key.jobId() != job);
            return ofJob;
        }

        /**
         * Forget what the coordinator said, as before it restarts.
         */
        void forget()
        {
            assigned.clear();
            completions.clear();
        }

        void sendManifest(final String datasetId, final byte[] bytes)
        {
            for (int offset = 0; offset < bytes.length; offset += ManifestAssembler.PART_LENGTH)
            {
                final int length = Math.min(ManifestAssembler.PART_LENGTH, bytes.length - offset);
                assertTrue(publisher.manifestPart(session.outbox(), datasetId, bytes, offset, length));
            }
        }

        void advertise(final int... shards)
        {
            this.shards = shards;
            ManifestAssembler.send(publisher, session.outbox(), manifest);
            final ServerAdvertisement self = new ServerAdvertisement(session.memberId(), manifest.datasetId(),
                "server-" + session.memberId(), TransportKind.LOCAL.addTo((byte)0), "", "");
            final ServerAdvertisement.Region[] regions = new ServerAdvertisement.Region[shards.length];
            for (int i = 0; i < shards.length; i++)
            {
                regions[i] = new ServerAdvertisement.Region(shards[i], manifest.shardLength(shards[i]),
                    manifest.shardPath(shards[i]), 0, 0);
            }
            publisher.regionAdvertisement(session.outbox(), self, regions, 0, regions.length);
        }

        void submit(final JobSpec spec)
        {
            submit(spec, JobClientAgent.DEFAULT_WEIGHT);
        }

        void submit(final JobSpec spec, final int weight)
        {
            submitted = spec;
            publisher.jobSubmit(session.outbox(), 1, spec, weight);
        }

        void ack(final long job, final StreamId stream, final Set<Integer> steps)
        {
            ack(job, stream, steps.stream().mapToInt(Integer::intValue).toArray());
        }

        void ack(final long job, final StreamId stream, final int... steps)
        {
            publisher.stepAck(session.outbox(), session.memberId(), job, stream, steps, steps.length);
        }

        void unavailable(final long job, final StreamId stream, final int step, final int chunkId)
        {
            publisher.chunkUnavailable(session.outbox(), session.memberId(), job, stream, step, chunkId, "test");
        }

        @Override
        public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
        {
            if (session.onRegistered(sessionId, decoder, nowNs) && session.registrations() > 1)
            {
                if (null != shards)
                {
                    advertise(shards);
                }
                if (null != submitted)
                {
                    submit(submitted);
                }
            }
        }

        @Override
        public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
        {
            session.onChallenge(sessionId, decoder, nowNs);
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            if (session.onHeartbeat(sessionId, decoder, nowNs))
            {
                echoes.add(decoder.echoTimestampNs());
            }
        }

        @Override
        public void onLeaseExpired(final int sessionId, final LeaseExpiredDecoder decoder)
        {
            if (decoder.memberId() == session.memberId())
            {
                ownLeaseEnds.add(decoder.reason());
            }
            session.onLeaseExpired(decoder);
        }

        @Override
        public void onWorkerFenced(final int sessionId, final WorkerFencedDecoder decoder)
        {
            fenced.add(decoder.registrationId());
        }

        @Override
        public void onJobServing(final int sessionId, final JobServingDecoder decoder)
        {
            final int weight = decoder.weight();
            serving.add("'" + decoder.jobName() + "' " + weight);
        }

        @Override
        public void onJobStarted(final int sessionId, final JobStartedDecoder decoder)
        {
            final long job = decoder.jobId();
            spec = JobSpecCodec.decode(decoder);
            chunkCount = decoder.chunkCount();
            jobId = job;
            jobStarts++;
        }

        @Override
        public void onAssignment(final int sessionId, final AssignmentDecoder decoder)
        {
            final StreamKey key = new StreamKey(decoder.jobId(), decoder.epoch(), decoder.segment(), decoder.stream());
            if (decoder.rank() != rank)
            {
                wrongRanks.add(decoder.rank());
            }
            describedBefore.computeIfAbsent(key, k -> new TreeSet<>())
                .addAll(descriptors.getOrDefault(decoder.epoch(), Map.of()).keySet());
            final TreeSet<Integer> steps = assigned.computeIfAbsent(key, k -> new TreeSet<>());
            for (final AssignmentDecoder.StepsDecoder range : decoder.steps())
            {
                IntStream.range(range.firstStep(), range.firstStep() + range.stepCount()).forEach(steps::add);
            }
        }

        @Override
        public void onEpochComplete(final int sessionId, final EpochCompleteDecoder decoder)
        {
            final long job = decoder.jobId();
            final int epoch = decoder.epoch();
            final long delivered = decoder.deliveredSamples();
            final long dropped = decoder.droppedSamples();
            final int steps = decoder.steps();
            final List<Integer> missing = new ArrayList<>();
            for (final EpochCompleteDecoder.MissingDecoder chunk : decoder.missing())
            {
                missing.add(chunk.chunkId());
            }
            completions.add(new Completion(job, epoch, delivered, dropped, steps,
                missing.stream().mapToInt(Integer::intValue).toArray()));
        }

        @Override
        public void onJobComplete(final int sessionId, final JobCompleteDecoder decoder)
        {
            outcome = decoder.outcome();
        }

        @Override
        public void onRegionAdvertisement(
            final int sessionId, final RegionAdvertisementDecoder decoder, final DirectBuffer message,
            final int offset, final int length)
        {
            advertisingServers.add(decoder.serverId());
        }

        @Override
        public void onManifestPart(
            final int sessionId, final ManifestPartDecoder decoder, final DirectBuffer message, final int offset,
            final int length)
        {
            decoder.skipDatasetId();
            manifestBytes += decoder.bytesLength();
        }

        @Override
        public void onDatasetLayout(final int sessionId, final DatasetLayoutDecoder decoder)
        {
            final DatasetLayout whole = layoutParts.onPart(decoder);
            if (null != whole)
            {
                layout = whole;
                layouts++;
            }
        }

        @Override
        public void onChunkDescriptors(final int sessionId, final ChunkDescriptorsDecoder decoder)
        {
            final Map<Integer, long[]> ofEpoch = descriptors.computeIfAbsent(decoder.epoch(), e -> new HashMap<>());
            for (final ChunkDescriptorsDecoder.ChunksDecoder chunk : decoder.chunks())
            {
                ofEpoch.put(chunk.chunkId(), new long[]{ chunk.shard(), chunk.offset(), chunk.length(),
                    chunk.recordCount(), chunk.crc() });
                chunk.skipRecordLengths();
                descriptorCounts.merge(decoder.epoch(), 1, Integer::sum);
            }
        }

        @Override
        public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
        {
            session.onErrorResponse(sessionId, decoder);
            errors.add(decoder.code());
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
        }

        @Override
        public void close()
        {
            CloseHelper.closeAll(adapter, session);
        }
    }
}
