package io.stoker.worker;

import io.aeron.Aeron;
import io.stoker.codecs.ChunkDescriptorsEncoder;
import io.stoker.codecs.ChunkUnavailableDecoder;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.Role;
import io.stoker.codecs.StepAckDecoder;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.GeneratedDataset;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.plan.RankStream;
import io.stoker.plan.SampleSpace;
import io.stoker.plan.Segment;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.control.LayoutAssembler;
import io.stoker.transport.control.MemberSession;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.DataTransport;
import io.stoker.transport.data.LocalDataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.session.HandshakeIdentity;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.session.MessageOpener;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.session.PendingSession;
import io.stoker.transport.session.Service;
import io.stoker.transport.session.SessionAcceptor;
import io.stoker.transport.session.SessionDirectory;
import io.stoker.transport.session.TokenAuthenticator;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's brain, its duty cycle driven by hand with a hand-set clock, against a coordinator the test plays:
 * Stoker's own session acceptor proving the job token, and the control publisher, over a real media driver (IPC).
 * The data is a real dataset on disk, read over the local transport from the regions the fake coordinator
 * advertises. What the consumer gets is checked against each epoch's plan computed here with the plan module, and
 * every sample's bytes against the shard files where the generator says it wrote them.
 */
class WorkerAgentTest
{
    private static final int RANK = 1;
    private static final int WORLD_SIZE = 2;
    private static final long SEED = 11;
    private static final long JOB_ID = 42;
    private static final int SERVER_ID = 1000;
    private static final int RECORD_BYTES = 1000;
    private static final int ENOUGH_BUFFERS = 32;
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(1);
    private static final long HEARTBEAT_NS = LEASE_NS / 10;
    private static final long TICK_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final int IDLE_ROUNDS = 20;
    private static final String HOST = "worker-agent-test-host";
    private static final JobToken TOKEN =
        new JobToken("the job token of WorkerAgentTest".getBytes(StandardCharsets.US_ASCII));
    private static final BatchSpec DROP_LAST = new BatchSpec(32, 2, DropPolicy.DROP_LAST);
    private static final BatchSpec PARTIAL = new BatchSpec(32, 2, DropPolicy.PARTIAL);

    @TempDir
    Path temp;

    private final List<String> errors = new ArrayList<>();
    private final Map<Path, byte[]> files = new HashMap<>();
    private GeneratedDataset dataset;
    private Manifest manifest;
    private SampleSpace space;
    private AeronConnector connector;
    private FakeCoordinator coordinator;
    private WorkerAgent<HostChunk> worker;
    private long nowNs = TimeUnit.SECONDS.toNanos(1000);

    static List<BatchSpec> feeds()
    {
        return List.of(DROP_LAST, PARTIAL, BatchSpec.CHUNKS);
    }

    @BeforeEach
    void start()
    {
        dataset = DatasetGenerator.generate(
            temp.resolve("dataset"), FormatSpec.parse("fixed:" + RECORD_BYTES), 1200 * RECORD_BYTES, 5,
            256 * RECORD_BYTES);
        manifest = DatasetIndexer.index(dataset.dir(), null, 64 << 10);
        final int[] records = new int[manifest.chunkCount()];
        for (int chunkId = 0; chunkId < records.length; chunkId++)
        {
            records[chunkId] = manifest.chunkRecordCount(chunkId);
        }
        space = new SampleSpace(records);
        connector = AeronConnector.connect(new AeronConnector.Context());
        coordinator = new FakeCoordinator(TOKEN);
    }

    @AfterEach
    void stop()
    {
        if (null != worker)
        {
            worker.onClose();
        }
        CloseHelper.closeAll(coordinator, connector);
        if (null != coordinator)
        {
            assertEquals(List.of(), coordinator.complaints, "what the coordinator refused");
        }
    }

    /**
     * The worker registers with the job token, takes the job and its steps, and hands its consumer one batch per
     * step, in step order, each holding exactly the samples of the rank's stream in the plan, read once. A step
     * is claimed (acknowledged) once, when the consumer asks for its batch and not before: not while the batch
     * waits in the feed, not ahead of the consumer, not again at release; the batch goes to the consumer only once
     * the coordinator confirmed it. When the coordinator completes the job the feed ends.
     */
    @ParameterizedTest
    @MethodSource("feeds")
    void theFeedYieldsThePlansStepsInOrderEachOnlyOnceTheCoordinatorConfirmedItsClaim(final BatchSpec batches)
    {
        startWorker(ENOUGH_BUFFERS, null);
        assertEquals(Role.WORKER, coordinator.identity.role());
        assertEquals(RANK, coordinator.identity.rank());
        assertEquals(HOST, coordinator.identity.hostId());
        assertTrue(coordinator.identity.incarnation() > 0, "the worker names its incarnation in its Hello");
        final JobSpec spec = JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, batches);
        startJob(spec);
        assertEquals(spec, worker.job().spec());
        assertEquals(DatasetLayout.of(manifest), worker.layout());

        final RankStream own = plan(0, batches).stream(RANK);
        final int steps = own.steps();
        assertTrue(steps >= 4, "the test needs a few steps, the stream has " + steps);
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.holdAnswers = true;
        coordinator.assign(JOB_ID, streamId, RANK, span(0, steps / 2));
        coordinator.assign(JOB_ID, streamId, RANK, span(steps / 2, steps - steps / 2));
        pump(() -> counter(CounterType.STEPS_DELIVERED) >= 2);
        advance(3 * HEARTBEAT_NS);
        assertEquals(List.of(), coordinator.acked(streamId), "nothing is claimed before the consumer asks");

        assertNull(worker.feed().poll(), "the consumer asks: the batch waits for its claim's answer");
        pump(() -> coordinator.acked(streamId).size() == 1);
        advance(3 * HEARTBEAT_NS);
        assertNull(worker.feed().poll(), "no batch before the coordinator confirmed it");
        assertEquals(List.of(0), coordinator.acked(streamId), "the head claimed once, none ahead of the consumer");
        coordinator.answerHeld();
        coordinator.holdAnswers = false;

        final List<Batch<HostChunk>> held = take(steps);
        for (int step = 0; step < steps; step++)
        {
            assertBatch(held.get(step), own, 0, step);
        }
        assertEquals(own.lastPiece(steps - 1) - own.firstPiece(0) + 1, counter(CounterType.CHUNKS_DELIVERED),
            "each piece of the stream read once");
        assertEquals(stepList(0, steps), coordinator.acked(streamId), "each step claimed once, as it was taken");
        assertNull(worker.feed().poll());

        for (int step = steps - 1; step >= 0; step--)
        {
            held.get(step).release();
            if (step == 1)
            {
                advance(TICK_NS);
                assertEquals(0, worker.resumeToken().step(), "the consumer has not released step 0 yet");
            }
        }
        advance(3 * HEARTBEAT_NS);
        assertEquals(stepList(0, steps), coordinator.acked(streamId), "a release claims nothing more");
        assertNull(worker.feed().poll());
        assertEquals(steps, counter(CounterType.STEPS_DELIVERED));
        assertEquals(own.samples(), counter(CounterType.SAMPLES_DELIVERED));
        assertEquals(0, counter(CounterType.DUPLICATES_DROPPED));
        assertEquals(0, counter(CounterType.INVALID_MESSAGES));
        assertEquals(0, counter(CounterType.ERRORS));
        assertEquals(List.of(), errors);

        coordinator.epochComplete(JOB_ID, 0);
        coordinator.jobComplete(JOB_ID, JobOutcome.COMPLETE, 1);
        pump(() -> worker.feed().isFinished());
        assertEquals(JobOutcome.COMPLETE, worker.outcome());
        assertEquals(1, worker.epochsCompleted());
        final ResumeToken token = worker.resumeToken();
        assertEquals(1, token.epoch(), "the job is done: a restart resumes past its last epoch");
        assertEquals(0, token.step());
    }

    /**
     * A coordinator that assigns steps again (its resend after a lease timer, or after it lost the worker's
     * acknowledgements) gets no step delivered twice: steps queued or with the consumer are dropped and counted,
     * steps already released are acknowledged again. The same holds for another rank's steps taken over.
     */
    @Test
    void anAssignmentRepeatedDeliversNoStepTwiceAndAcknowledgesAgainWhatWasReleased()
    {
        startWorker(ENOUGH_BUFFERS, null);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        final Segment plan = plan(0, DROP_LAST);
        final RankStream own = plan.stream(RANK);
        final int steps = own.steps();
        final StreamId streamId = new StreamId(0, 0, RANK);

        coordinator.assign(JOB_ID, streamId, RANK, span(0, 4));
        final List<Batch<HostChunk>> first = take(4);
        assertEquals(List.of(0, 1, 2, 3), coordinator.acked(streamId), "claimed as taken");
        first.get(0).release();
        first.get(1).release();
        advance(TICK_NS);

        coordinator.assign(JOB_ID, streamId, RANK, span(0, 4));
        pump(() -> coordinator.acked(streamId).size() == 6);
        assertEquals(List.of(0, 1, 2, 3, 0, 1), coordinator.acked(streamId), "released steps acknowledged again");
        assertEquals(2, counter(CounterType.DUPLICATES_DROPPED), "steps 2 and 3, with the consumer");
        advance(3 * HEARTBEAT_NS);
        assertNull(worker.feed().poll(), "no step delivered twice");

        coordinator.assign(JOB_ID, streamId, RANK, span(0, steps));
        final List<Batch<HostChunk>> rest = take(steps - 4);
        for (int i = 0; i < rest.size(); i++)
        {
            assertBatch(rest.get(i), own, 0, 4 + i);
        }
        assertEquals(4, counter(CounterType.DUPLICATES_DROPPED));
        first.get(2).release();
        first.get(3).release();
        rest.forEach(Batch::release);
        advance(3 * HEARTBEAT_NS);
        final List<Integer> expected = new ArrayList<>(List.of(0, 1, 2, 3, 0, 1, 0, 1));
        IntStream.range(4, steps).forEach(expected::add);
        assertEquals(expected, coordinator.acked(streamId), "a release claims nothing");

        final StreamId takenOver = new StreamId(0, 0, 0);
        coordinator.assign(JOB_ID, takenOver, RANK, span(0, 2));
        coordinator.assign(JOB_ID, takenOver, RANK, span(0, 2));
        final List<Batch<HostChunk>> others = take(2);
        assertBatch(others.get(0), plan.stream(0), 0, 0);
        assertBatch(others.get(1), plan.stream(0), 0, 1);
        assertEquals(6, counter(CounterType.DUPLICATES_DROPPED));
        others.forEach(Batch::release);
        pump(() -> coordinator.acked(takenOver).size() == 2);
        advance(3 * HEARTBEAT_NS);
        assertNull(worker.feed().poll());
        assertEquals(List.of(0, 1), coordinator.acked(takenOver));
        assertEquals(steps + 2, counter(CounterType.STEPS_DELIVERED));
        assertEquals(0, counter(CounterType.INVALID_MESSAGES));
        assertEquals(List.of(), errors);
    }

    /**
     * What does not fit the job and the rank, even on the coordinator's own authenticated session, is refused
     * whole and counted once, and nothing of it is delivered or acknowledged; so is anything on another session.
     * The worker goes on: the same session's well-formed messages are served.
     */
    @Test
    void forgedOrMisdirectedMessagesAreRefusedAndCountedAndTheWorkerGoesOn()
    {
        startWorker(ENOUGH_BUFFERS, null);
        coordinator.advertise();
        final StreamId own = new StreamId(0, 0, RANK);
        refused(() -> coordinator.assignOnly(JOB_ID, own, RANK, span(0, 1)), "an assignment before any job");
        refused(() -> coordinator.jobStarted(JOB_ID - 1, JobSpec.of(manifest.datasetId(), RANK, 1, SEED, DROP_LAST)),
            "a job whose world size lacks this rank");
        assertNull(worker.job());

        final JobSpec spec = JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST);
        coordinator.jobStarted(JOB_ID, spec);
        pump(() -> null != worker.job());
        assertEquals(JOB_ID, worker.job().jobId());
        final int steps = plan(0, DROP_LAST).stream(RANK).steps();

        refused(() -> coordinator.assignOnly(JOB_ID + 1, own, RANK, span(0, 1)), "another job");
        refused(() -> coordinator.assignOnly(JOB_ID, own, 0, span(0, 1)), "another rank to deliver");
        refused(() -> coordinator.assignOnly(JOB_ID, own, RANK, span(steps, 1)), "a step past the stream's end");
        refused(() -> coordinator.assignOnly(JOB_ID, own, RANK, span(-1, 2)), "a negative step");
        refused(() -> coordinator.assignOnly(JOB_ID, own, RANK, span(0, 0)), "an empty range");
        refused(() -> coordinator.assignOnly(JOB_ID, own, RANK, span(0, 1), span(steps - 1, 2)),
            "a good range with a bad one");
        refused(() -> coordinator.assignOnly(JOB_ID, new StreamId(1, 0, RANK), RANK, span(0, 1)),
            "an epoch past the job");
        refused(() -> coordinator.assignOnly(JOB_ID, new StreamId(-1, 0, RANK), RANK, span(0, 1)), "a negative epoch");
        refused(() -> coordinator.assignOnly(JOB_ID, new StreamId(0, 1, RANK), RANK, span(0, 1)),
            "a segment not planned");
        refused(() -> coordinator.assignOnly(JOB_ID, new StreamId(0, 0, WORLD_SIZE), RANK, span(0, 1)),
            "the stream of a rank beyond the world size");
        refused(() -> coordinator.epochComplete(JOB_ID + 1, 0), "another job's epoch complete");
        refused(() -> coordinator.jobComplete(JOB_ID + 1, JobOutcome.COMPLETE, 1), "another job complete");

        final ControlPublisher forger = new ControlPublisher();
        try (Outbox stranger = new Outbox(connector.aeron().addExclusivePublication(
            coordinator.identity.responseChannel(), coordinator.identity.responseStreamId())))
        {
            pump(() -> stranger.publication().isConnected());
            refused(() -> forger.assignment(stranger, JOB_ID, own, RANK, new int[]{ 0 }, new int[]{ 1 }, 0, 1),
                "a well-formed assignment on a session the worker never authenticated");
            refused(() -> forger.jobComplete(stranger, JOB_ID, JobOutcome.FAILED, 0), "a stranger ending the job");
        }

        final long errorsBefore = counter(CounterType.ERRORS);
        coordinator.jobStarted(JOB_ID + 1, spec);
        pump(() -> counter(CounterType.ERRORS) > errorsBefore);
        assertEquals(JOB_ID, worker.job().jobId(), "a worker serves the job it started");

        assertEquals(16, counter(CounterType.INVALID_MESSAGES));
        assertEquals(0, counter(CounterType.STEPS_DELIVERED));
        assertEquals(0, counter(CounterType.CHUNKS_DELIVERED));
        assertEquals(Map.of(), coordinator.acks);
        assertNull(worker.outcome());
        assertFalse(worker.feed().isFinished());

        coordinator.assign(JOB_ID, own, RANK, span(0, 2));
        final List<Batch<HostChunk>> batches = take(2);
        assertBatch(batches.get(0), plan(0, DROP_LAST).stream(RANK), 0, 0);
        assertBatch(batches.get(1), plan(0, DROP_LAST).stream(RANK), 0, 1);
        batches.forEach(Batch::release);
        pump(() -> coordinator.acked(own).size() == 2);
        assertEquals(List.of(0, 1), coordinator.acked(own));
        assertEquals(16, counter(CounterType.INVALID_MESSAGES));
    }

    /**
     * The token a finished job's consumer took names the epoch after the last: a worker restarted with it (a
     * training job restarted after its end) acknowledges every step of its own streams unread and reads nothing,
     * where it used to refuse the token and deliver the whole job again.
     */
    @Test
    void aTokenTakenAfterTheLastEpochLeavesNothingToRead()
    {
        final ResumeToken token = new ResumeToken(manifest.datasetId(), SEED, PARTIAL, RANK, 2,
            new EpochHistory(new int[]{ WORLD_SIZE }, new int[0][]), 0);
        startWorker(ENOUGH_BUFFERS, token);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 2, SEED, PARTIAL));
        assertEquals(List.of(), errors, "the token is this job's");
        final StreamId zero = new StreamId(0, 0, RANK);
        final StreamId one = new StreamId(1, 0, RANK);
        final int stepsZero = plan(0, PARTIAL).stream(RANK).steps();
        final int stepsOne = plan(1, PARTIAL).stream(RANK).steps();

        coordinator.assign(JOB_ID, zero, RANK, span(0, stepsZero));
        coordinator.assign(JOB_ID, one, RANK, span(0, stepsOne));
        pump(() -> coordinator.acked(zero).size() == stepsZero && coordinator.acked(one).size() == stepsOne);
        assertEquals(stepList(0, stepsZero), coordinator.acked(zero));
        assertEquals(stepList(0, stepsOne), coordinator.acked(one));
        assertEquals(0, counter(CounterType.CHUNKS_DELIVERED), "nothing read");
        assertNull(worker.feed().poll(), "nothing delivered");
        assertEquals(2, worker.resumeToken().epoch());
    }

    /**
     * A worker restarted with its consumer's resume token acknowledges, without reading them, the steps of its
     * own stream the token says were consumed, and delivers the rest; its resume position follows the consumer
     * from there. Another rank's steps taken over are not the token's: they are delivered.
     */
    @Test
    void aResumeTokenSkipsUnreadTheStepsItsConsumerTookAndTheRestAreDelivered()
    {
        final int consumed = plan(1, PARTIAL).stream(RANK).steps() / 2;
        final ResumeToken token = new ResumeToken(manifest.datasetId(), SEED, PARTIAL, RANK, 1,
            new EpochHistory(new int[]{ WORLD_SIZE }, new int[0][]), consumed);
        startWorker(ENOUGH_BUFFERS, token);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 2, SEED, PARTIAL));
        assertEquals(List.of(), errors, "the token is this job's");
        final RankStream epochZero = plan(0, PARTIAL).stream(RANK);
        final RankStream epochOne = plan(1, PARTIAL).stream(RANK);
        final StreamId zero = new StreamId(0, 0, RANK);
        final StreamId one = new StreamId(1, 0, RANK);
        assertTrue(epochOne.firstPiece(consumed) > 0, "the consumed steps have pieces of their own");

        coordinator.assign(JOB_ID, zero, RANK, span(0, epochZero.steps()));
        coordinator.assign(JOB_ID, one, RANK, span(0, epochOne.steps()));
        final List<Batch<HostChunk>> held = take(epochOne.steps() - consumed);
        for (int i = 0; i < held.size(); i++)
        {
            assertBatch(held.get(i), epochOne, 1, consumed + i);
        }
        assertEquals(stepList(0, epochZero.steps()), coordinator.acked(zero), "epoch 0 acknowledged unread");
        assertEquals(stepList(0, epochOne.steps()), coordinator.acked(one),
            "the consumed steps acknowledged unread, the others claimed as the consumer took them");
        assertEquals(epochOne.lastPiece(epochOne.steps() - 1) - epochOne.firstPiece(consumed) + 1,
            counter(CounterType.CHUNKS_DELIVERED), "only the pieces of the steps not consumed are read");
        assertEquals(1, worker.resumeToken().epoch());
        assertEquals(consumed, worker.resumeToken().step());

        held.get(0).release();
        advance(TICK_NS);
        assertEquals(consumed + 1, worker.resumeToken().step(), "the resume position follows the releases");
        held.subList(1, held.size()).forEach(Batch::release);
        advance(TICK_NS);
        assertEquals(stepList(0, epochOne.steps()), coordinator.acked(one));
        assertEquals(2, worker.resumeToken().epoch(), "the rank's own streams are all consumed");

        final StreamId takenOver = new StreamId(0, 0, 0);
        coordinator.assign(JOB_ID, takenOver, RANK, span(0, 2));
        final List<Batch<HostChunk>> others = take(2);
        assertBatch(others.get(0), plan(0, PARTIAL).stream(0), 0, 0);
        assertBatch(others.get(1), plan(0, PARTIAL).stream(0), 0, 1);
        others.forEach(Batch::release);
        assertEquals(List.of(0, 1), coordinator.acked(takenOver));
        assertEquals(0, counter(CounterType.INVALID_MESSAGES));
        assertEquals(List.of(), errors);
    }

    /**
     * The worker heartbeats at the interval the coordinator gave it. A coordinator silent for one lease, to the
     * nanosecond, is given up: the worker opens a new session. A claim whose answer was lost with the old session
     * is sent again once registered again, and its batch goes to the consumer once confirmed; while not
     * registered nothing is claimed, and nothing handed out.
     */
    @Test
    void theWorkerHeartbeatsAndRegistersAgainAfterALeaseOfSilenceClaimingAgainWhatWasNotAnswered()
    {
        startWorker(ENOUGH_BUFFERS, null);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assign(JOB_ID, streamId, RANK, span(0, own.steps()));
        final List<Batch<HostChunk>> held = take(3);
        held.forEach(Batch::release);
        assertEquals(List.of(0, 1, 2), coordinator.acked(streamId));

        coordinator.heartbeats.clear();
        advance(LEASE_NS);
        assertEquals(LEASE_NS / HEARTBEAT_NS, coordinator.heartbeats.size(), "heartbeats: " + coordinator.heartbeats);
        for (int i = 1; i < coordinator.heartbeats.size(); i++)
        {
            assertEquals(HEARTBEAT_NS, coordinator.heartbeats.get(i) - coordinator.heartbeats.get(i - 1));
        }

        coordinator.holdAnswers = true;
        assertNull(worker.feed().poll());
        pump(() -> coordinator.acked(streamId).size() == 4);
        coordinator.heartbeat();
        settle();
        final long lastWordNs = nowNs;
        coordinator.mute = true;
        final int hellos = coordinator.hellos.size();
        advance(LEASE_NS);
        assertEquals(lastWordNs + LEASE_NS, nowNs);
        assertEquals(hellos, coordinator.hellos.size(), "a lease has not passed yet");
        assertEquals(1, coordinator.registrations);
        nowNs++;
        settle();
        assertEquals(hellos + 1, coordinator.hellos.size(), "the worker opens a new session");
        assertNotEquals(coordinator.hellos.get(hellos - 1), coordinator.hellos.get(hellos));

        advance(2 * HEARTBEAT_NS);
        assertNull(worker.feed().poll(), "nothing handed out without the coordinator's answer");
        assertEquals(List.of(0, 1, 2, 3), coordinator.acked(streamId), "no one to claim from");
        assertEquals(0, counter(CounterType.LEASE_EXPIRIES), "the coordinator did not end the worker's lease");

        coordinator.held.clear();
        coordinator.holdAnswers = false;
        coordinator.restart();
        pump(() -> coordinator.registrations == 2 && coordinator.acked(streamId).size() == 5);
        assertEquals(List.of(0, 1, 2, 3, 3), coordinator.acked(streamId), "the unanswered claim sent again");
        final List<Batch<HostChunk>> rest = take(own.steps() - 3);
        assertBatch(rest.get(0), own, 0, 3);
        rest.forEach(Batch::release);
        assertEquals(stepList(4, own.steps()), coordinator.acked(streamId).subList(5, own.steps() + 1));
        assertEquals(own.steps(), counter(CounterType.STEPS_DELIVERED));
        assertEquals(List.of(), errors);
    }

    /**
     * The coordinator ending the worker's lease takes back the steps not yet with the consumer: the worker drops
     * them, registers again, still acknowledges what its consumer held and releases, and delivers the dropped
     * steps only when they are assigned again.
     */
    @Test
    void aLeaseExpiryDropsTheStepsNotWithTheConsumerAndTheWorkerRegistersAgain()
    {
        startWorker(2, null);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final int steps = own.steps();
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assign(JOB_ID, streamId, RANK, span(0, steps));
        final List<Batch<HostChunk>> held = new ArrayList<>();
        pump(() ->
        {
            final int before = held.size();
            drain(held);
            return held.size() == before && !held.isEmpty();
        });
        advance(3 * HEARTBEAT_NS);
        drain(held);
        final int delivered = held.size();
        assertTrue(delivered < steps, "the consumer holding its batches holds the worker back: " + delivered);

        coordinator.leaseExpired(coordinator.memberId);
        pump(() -> coordinator.registrations == 2);
        assertEquals(1, counter(CounterType.LEASE_EXPIRIES));
        held.forEach(Batch::release);
        pump(() -> coordinator.acked(streamId).size() == delivered);
        assertEquals(stepList(0, delivered), coordinator.acked(streamId));
        advance(3 * HEARTBEAT_NS);
        assertNull(worker.feed().poll(), "the steps the coordinator took back are not delivered");

        coordinator.assign(JOB_ID, streamId, RANK, span(delivered, steps - delivered));
        final List<Integer> rest = new ArrayList<>();
        pump(() ->
        {
            Batch<HostChunk> batch;
            while (null != (batch = worker.feed().poll()))
            {
                assertBatch(batch, own, 0, delivered + rest.size());
                rest.add(batch.step());
                batch.release();
            }
            return rest.size() == steps - delivered;
        });
        pump(() -> coordinator.acked(streamId).size() == steps);
        assertEquals(stepList(0, steps), coordinator.acked(streamId));
        assertEquals(steps, counter(CounterType.STEPS_DELIVERED));
        assertEquals(List.of(), errors);
    }

    /**
     * A newer incarnation of the worker's rank took the rank over: the coordinator says so, authenticated, on the
     * worker's session. The worker stops for good: the batches waiting in its feed are dropped, not handed out,
     * its feed ends, and it does not register again. The batches its consumer already holds stay valid. The
     * positive control is the test above: a lease that merely expired makes the worker register again.
     */
    @Test
    void aWorkerSupersededByANewerIncarnationDropsWhatItHasNotHandedOutEndsItsFeedAndDoesNotRegisterAgain()
    {
        startWorker(4, null);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assign(JOB_ID, streamId, RANK, span(0, own.steps()));
        final List<Batch<HostChunk>> held = new ArrayList<>();
        pump(() ->
        {
            final Batch<HostChunk> batch = worker.feed().poll();
            if (null != batch)
            {
                held.add(batch);
            }
            return held.size() == 2;
        });
        pump(() ->
        {
            final long before = counter(CounterType.STEPS_DELIVERED);
            advance(3 * TICK_NS);
            return counter(CounterType.STEPS_DELIVERED) == before;
        });
        assertTrue(counter(CounterType.STEPS_DELIVERED) > held.size(), "batches wait in the feed");
        final Batch<HostChunk> taken = held.get(0);

        coordinator.leaseEnded(coordinator.memberId, LeaseEnd.SUPERSEDED);
        pump(worker::isSuperseded);
        assertNull(worker.feed().poll(), "nothing more is handed out");
        assertTrue(worker.feed().isFinished(), "the feed ends once what waited in it is dropped");
        advance(3 * LEASE_NS);
        assertEquals(1, coordinator.registrations, "it does not register again");
        assertEquals(held.size(), counter(CounterType.STEPS_DELIVERED),
            "steps delivered: only those the consumer took");
        assertEquals(1, counter(CounterType.LEASE_EXPIRIES));
        assertBatch(taken, own, 0, 0);
        held.forEach(Batch::release);
        assertEquals(List.of(), errors);
    }

    /**
     * A worker paused (SIGSTOP, a long GC) past its lease: while it was stopped the coordinator ended the lease and
     * gave its steps to others. On waking it claims nothing while its lease may have ended, so it hands out nothing,
     * although batches wait in its feed; it registers again and claims the batch its consumer wants: the
     * coordinator confirms the steps it still holds and refuses those it gave to others, whose batches are dropped
     * (their buffers go back), and the steps assigned to the new registration are delivered. The batches its
     * consumer took before the pause were confirmed before they were taken.
     */
    @Test
    void aWorkerPausedPastItsLeaseHandsOutOnlyWhatTheCoordinatorConfirmsAndDropsWhatItRefuses()
    {
        startWorker(4, null);
        startJob(JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final int steps = own.steps();
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assign(JOB_ID, streamId, RANK, span(0, steps));
        final List<Batch<HostChunk>> taken = take(2);
        pump(() ->
        {
            final long before = counter(CounterType.STEPS_DELIVERED);
            advance(3 * TICK_NS);
            return counter(CounterType.STEPS_DELIVERED) == before;
        });
        final int built = (int)counter(CounterType.STEPS_DELIVERED);
        assertTrue(built >= 4 && built < steps - 1, "batches wait in the feed: " + built + " of " + steps);
        assertTrue(worker.fence().isHeld(nowNs), "the lease is held while the coordinator echoes the heartbeats");
        assertEquals(List.of(0, 1), coordinator.acked(streamId), "the batches taken were claimed, no other");

        for (int step = 4; step < built; step++)
        {
            coordinator.refuse.add(step);
        }
        coordinator.restart();
        nowNs += 2 * LEASE_NS;
        assertFalse(worker.fence().isHeld(nowNs));
        assertNull(worker.feed().poll(), "the lease may have ended: nothing is handed out");
        pump(() -> coordinator.registrations == 2);
        coordinator.assign(JOB_ID, streamId, RANK, span(2, 2), span(built, 1));
        final List<Integer> after = new ArrayList<>();
        pump(() ->
        {
            Batch<HostChunk> batch;
            while (null != (batch = worker.feed().poll()))
            {
                assertBatch(batch, own, 0, batch.step());
                after.add(batch.step());
                batch.release();
            }
            return after.size() == 3;
        });
        advance(3 * HEARTBEAT_NS);
        assertNull(worker.feed().poll(), "the steps given to others are not delivered");
        assertEquals(List.of(2, 3, built), after, "each once, in order; those refused dropped");
        assertEquals(stepList(0, built + 1), coordinator.acked(streamId), "each claimed once, the refused ones too");
        assertEquals(5, counter(CounterType.STEPS_DELIVERED), "a refused batch counts as delivered no more");

        taken.forEach(Batch::release);
        coordinator.assign(JOB_ID, streamId, RANK, span(built + 1, steps - built - 1));
        final List<Integer> rest = new ArrayList<>();
        pump(() ->
        {
            Batch<HostChunk> batch;
            while (null != (batch = worker.feed().poll()))
            {
                assertBatch(batch, own, 0, batch.step());
                rest.add(batch.step());
                batch.release();
            }
            return rest.size() == steps - built - 1;
        });
        assertEquals(stepList(built + 1, steps), rest, "four buffers still serve the stream: none was lost");
        assertEquals(List.of(), errors);
    }

    /**
     * A coordinator that cannot prove the job token is not answered: the worker refuses its challenge, counts it,
     * proves nothing, and holds its next Hello back for a handshake timeout, to the tick, before it tries again.
     */
    @Test
    void aCoordinatorWithoutTheJobTokenIsRefusedAndTheWorkerTriesAgainAfterAHandshakeTimeout()
    {
        coordinator.close();
        coordinator = new FakeCoordinator(
            new JobToken("a token that is not the job's".getBytes(StandardCharsets.US_ASCII)));
        worker = newWorker(ENOUGH_BUFFERS, null);
        pump(() -> counter(CounterType.INVALID_MESSAGES) == 1);
        final int hellos = coordinator.hellos.size();
        assertTrue(errors.get(0).contains("did not prove the job token"), errors.toString());

        advance(MemberSession.HANDSHAKE_TIMEOUT_NS - TICK_NS);
        assertEquals(hellos, coordinator.hellos.size(), "the Hello is held back");
        advance(TICK_NS);
        assertEquals(hellos + 1, coordinator.hellos.size(), "a handshake timeout later the worker tries again");
        pump(() -> counter(CounterType.INVALID_MESSAGES) == 2);
        assertEquals(0, coordinator.registrations, "the impostor never registered the worker");
        assertNull(worker.job());
        coordinator.complaints.removeIf(line -> line.contains("did not complete in time"));
    }

    /**
     * A chunk whose bytes do not match the manifest's CRC32C on any try is not handed out: the steps that use it
     * come with its samples missing, the coordinator hears which chunk of which step, and the other samples
     * arrive intact.
     */
    @Test
    void aChunkFailingItsChecksumIsLeftOutOfItsStepsAndReportedUnavailable() throws IOException
    {
        startWorker(ENOUGH_BUFFERS, null);
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final int chunkId = own.piece(own.firstPiece(0)).chunkId();
        final int shard = manifest.chunkShard(chunkId);
        final Path damaged = temp.resolve("damaged-shard");
        final byte[] bytes = Files.readAllBytes(dataset.dir().resolve(manifest.shardPath(shard)));
        bytes[(int)manifest.chunkOffset(chunkId) + 7] ^= 0x5A;
        Files.write(damaged, bytes);
        coordinator.advertise(shard, damaged);
        coordinator.jobStarted(JOB_ID, JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        pump(() -> null != worker.job());

        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assign(JOB_ID, streamId, RANK, span(0, 1));
        final Batch<HostChunk> batch = take(1).get(0);
        final List<Long> expected = new ArrayList<>();
        own.forEachSample(0, (piece, record) ->
        {
            if (own.piece(piece).chunkId() != chunkId)
            {
                expected.add(sample(own.piece(piece).chunkId(), record));
            }
        });
        assertEquals(own.stepSize(0) - expected.size(), batch.missing());
        assertTrue(batch.missing() > 0);
        assertEquals(expected, samplesOf(batch));
        assertBytes(batch);
        final List<List<Integer>> reports = new ArrayList<>();
        for (int piece = own.firstPiece(0); piece <= own.lastPiece(0); piece++)
        {
            if (own.piece(piece).chunkId() == chunkId)
            {
                reports.add(List.of(0, chunkId));
            }
        }
        pump(() -> coordinator.unavailable.size() >= reports.size());
        assertEquals(reports, coordinator.unavailable);
        assertEquals((long)WorkerContext.DEFAULT_MAX_READ_ATTEMPTS * reports.size(),
            counter(CounterType.CHECKSUM_FAILURES), "every try failed its checksum");
        batch.release();
        pump(() -> coordinator.acked(streamId).size() == 1);
    }

    /**
     * A chunk's descriptor that passes the end of its shard is refused, naming the chunk, whatever the session it
     * came on; the steps that use the chunk come without its samples, the coordinator hears it is unavailable, and
     * the other chunks, described well in the same run, arrive intact.
     */
    @Test
    void aDescriptorPassingItsShardIsRefusedNamingItAndItsChunkIsLeftOutOfItsSteps()
    {
        startWorker(ENOUGH_BUFFERS, null);
        coordinator.advertise();
        coordinator.jobStarted(JOB_ID, JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        pump(() -> null != worker.job());
        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        final int chunkId = own.piece(own.firstPiece(0)).chunkId();
        final int shard = manifest.chunkShard(chunkId);

        refused(() -> coordinator.describe(JOB_ID, 0, chunkId,
            manifest.shardLength(shard) - manifest.chunkLength(chunkId) + 1), "a descriptor past its shard");
        assertTrue(errors.stream().anyMatch(error -> error.contains("descriptor of chunk " + chunkId + ": ") &&
            error.contains("do not fit " + manifest.shardPath(shard))), errors.toString());
        assertEquals(0, counter(CounterType.STEPS_DELIVERED));

        final int[] others = IntStream.range(0, manifest.chunkCount()).filter(id -> id != chunkId).toArray();
        coordinator.publisher.chunkDescriptors(coordinator.outbox, JOB_ID, 0, manifest, others, 0, others.length);
        final StreamId streamId = new StreamId(0, 0, RANK);
        coordinator.assignOnly(JOB_ID, streamId, RANK, span(0, 1));
        final Batch<HostChunk> batch = take(1).get(0);
        final List<Long> expected = new ArrayList<>();
        own.forEachSample(0, (piece, record) ->
        {
            if (own.piece(piece).chunkId() != chunkId)
            {
                expected.add(sample(own.piece(piece).chunkId(), record));
            }
        });
        assertTrue(batch.missing() > 0);
        assertEquals(own.stepSize(0) - expected.size(), batch.missing());
        assertEquals(expected, samplesOf(batch), "the well described chunks' samples, intact");
        assertBytes(batch);
        pump(() -> !coordinator.unavailable.isEmpty());
        assertEquals(List.of(0, chunkId), coordinator.unavailable.get(0));
        batch.release();
        pump(() -> coordinator.acked(streamId).size() == 1);
    }

    /**
     * A worker started in a later millisecond has a larger incarnation, whatever its random bits: the coordinator
     * lets it take its rank over from the earlier one.
     */
    @Test
    void aWorkerStartedLaterHasALargerIncarnation()
    {
        for (int i = 0; i < 100; i++)
        {
            final long startMs = 1_785_000_000_000L + i;
            assertTrue(WorkerContext.newIncarnation(startMs + 1) > WorkerContext.newIncarnation(startMs));
        }
    }

    /**
     * Two replica data servers on other hosts; one goes down while it holds reads, as the UDP reader does when its
     * server is killed (it fails what it holds and says it is not available): the worker reads those chunks from the
     * replica at once, each counted as a failure and a retry, and the consumer gets every step with the right
     * bytes, a few duty-cycle ticks later: not a read timeout, not a lease.
     */
    @Test
    void readsHeldByADataServerThatGoesDownAreReadFromItsReplicaAtOnce()
    {
        final ReplicaTransport replicas = new ReplicaTransport();
        worker = new WorkerAgent<>(context(ENOUGH_BUFFERS, null).addTransport(ctx -> replicas));
        pump(() -> coordinator.registrations == 1);
        coordinator.advertiseReplicas(SERVER_ID, SERVER_ID + 1);
        coordinator.jobStarted(JOB_ID, JobSpec.of(manifest.datasetId(), WORLD_SIZE, 1, SEED, DROP_LAST));
        pump(() -> null != worker.job() && replicas.readers.size() == 2);
        final ReplicaReader dying = replicas.readers.get(SERVER_ID);
        dying.holding = true;

        final RankStream own = plan(0, DROP_LAST).stream(RANK);
        coordinator.assign(JOB_ID, new StreamId(0, 0, RANK), RANK, span(0, own.steps()));
        pump(() -> !dying.held.isEmpty());
        settle();
        final int held = dying.held.size();

        final long downAtNs = nowNs;
        dying.down = true;
        final List<Batch<HostChunk>> batches = take(own.steps());
        for (int step = 0; step < own.steps(); step++)
        {
            assertBatch(batches.get(step), own, 0, step);
        }
        assertTrue(nowNs - downAtNs < TimeUnit.SECONDS.toNanos(1), "delivered " +
            TimeUnit.NANOSECONDS.toMillis(nowNs - downAtNs) + " ms after the server went down");
        assertEquals(held, counter(CounterType.READ_FAILURES));
        assertEquals(held, counter(CounterType.READ_RETRIES));
        assertEquals(0, counter(CounterType.CHUNKS_UNAVAILABLE));
        assertEquals(List.of(), dying.held, "the dying server kept nothing");
        assertEquals(List.of(), errors);
    }

    private void startWorker(final int buffers, final ResumeToken resumeFrom)
    {
        worker = newWorker(buffers, resumeFrom);
        pump(() -> coordinator.registrations == 1);
    }

    private WorkerAgent<HostChunk> newWorker(final int buffers, final ResumeToken resumeFrom)
    {
        return new WorkerAgent<>(context(buffers, resumeFrom));
    }

    private WorkerContext<HostChunk> context(final int buffers, final ResumeToken resumeFrom)
    {
        return WorkerContext.host()
            .aeron(connector.aeron())
            .rank(RANK)
            .hostId(HOST)
            .jobToken(TOKEN)
            .bufferCount(buffers)
            .resumeFrom(resumeFrom)
            .nanoClock(() -> nowNs)
            .errorHandler(ex -> errors.add(ex.getMessage()))
            .logger(line -> {});
    }

    private void startJob(final JobSpec spec)
    {
        coordinator.advertise();
        coordinator.jobStarted(JOB_ID, spec);
        pump(() -> null != worker.job());
    }

    private Segment plan(final int epoch, final BatchSpec batches)
    {
        return Segment.first(space, SEED, epoch, WORLD_SIZE, batches);
    }

    private long counter(final CounterType type)
    {
        return worker.counters().get(type).get();
    }

    /**
     * Send something the worker must refuse: it counts exactly one invalid message, and nothing comes of it.
     */
    private void refused(final Runnable send, final String what)
    {
        final long before = counter(CounterType.INVALID_MESSAGES);
        final long delivered = counter(CounterType.STEPS_DELIVERED);
        send.run();
        pump(() -> counter(CounterType.INVALID_MESSAGES) > before);
        advance(3 * TICK_NS);
        assertEquals(before + 1, counter(CounterType.INVALID_MESSAGES), what + ": errors " + errors);
        assertEquals(delivered, counter(CounterType.STEPS_DELIVERED), what);
        assertNull(worker.feed().poll(), what);
    }

    /**
     * The consumer's side: wait for {@code count} batches, taking them as they come, and asking the feed no more once
     * they are taken: asking makes the worker claim the next one.
     */
    private List<Batch<HostChunk>> take(final int count)
    {
        final List<Batch<HostChunk>> batches = new ArrayList<>();
        pump(() ->
        {
            Batch<HostChunk> batch;
            while (batches.size() < count && null != (batch = worker.feed().poll()))
            {
                batches.add(batch);
            }
            return batches.size() >= count;
        });
        assertEquals(count, batches.size());
        return batches;
    }

    private void drain(final List<Batch<HostChunk>> batches)
    {
        Batch<HostChunk> batch;
        while (null != (batch = worker.feed().poll()))
        {
            batches.add(batch);
        }
    }

    private void assertBatch(final Batch<HostChunk> batch, final RankStream stream, final int epoch, final int step)
    {
        final String name = "epoch " + epoch + " stream " + stream.rank() + " step " + step;
        assertEquals(epoch, batch.epoch(), name);
        assertEquals(0, batch.segment(), name);
        assertEquals(stream.rank(), batch.stream(), name);
        assertEquals(step, batch.step(), name);
        assertEquals(RANK, batch.rank(), name);
        assertEquals(0, batch.missing(), name);
        final List<Long> expected = new ArrayList<>();
        stream.forEachSample(step, (piece, record) -> expected.add(sample(stream.piece(piece).chunkId(), record)));
        assertEquals(stream.stepSize(step), expected.size(), name);
        assertEquals(expected, samplesOf(batch), name);
        assertBytes(batch);
    }

    /**
     * Each sample's bytes are the record's, where the generator wrote it.
     */
    private void assertBytes(final Batch<HostChunk> batch)
    {
        for (int i = 0; i < batch.size(); i++)
        {
            final long record = manifest.chunkFirstRecord(batch.chunkId(i)) + batch.record(i);
            final int length = dataset.recordLength(record);
            assertEquals(length, batch.length(i));
            final byte[] file = file(dataset.dir().resolve(dataset.recordShard(record)));
            final int offset = (int)dataset.recordOffset(record);
            final byte[] expected = new byte[length];
            System.arraycopy(file, offset, expected, 0, length);
            final byte[] actual = new byte[length];
            final DirectBuffer buffer = batch.chunk(i).buffer();
            buffer.getBytes(batch.offset(i), actual);
            assertArrayEquals(expected, actual, "record " + record + " in " + batch);
        }
    }

    private byte[] file(final Path path)
    {
        return files.computeIfAbsent(path, p ->
        {
            try
            {
                return Files.readAllBytes(p);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        });
    }

    private static List<Long> samplesOf(final Batch<HostChunk> batch)
    {
        final List<Long> samples = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++)
        {
            samples.add(sample(batch.chunkId(i), batch.record(i)));
        }
        return samples;
    }

    private static long sample(final int chunkId, final int record)
    {
        return ((long)chunkId << 32) | record;
    }

    /**
     * @return a range of steps, as an assignment names it.
     */
    private static int[] span(final int firstStep, final int stepCount)
    {
        return new int[]{ firstStep, stepCount };
    }

    /**
     * @return the steps {@code [from, to)} in order.
     */
    private static List<Integer> stepList(final int from, final int to)
    {
        return IntStream.range(from, to).boxed().toList();
    }

    /**
     * Run both duty cycles until neither has work for a while; the clock stands still.
     */
    private void settle()
    {
        for (int idle = 0; idle < IDLE_ROUNDS; )
        {
            final int work = worker.doWork() + coordinator.doWork();
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
    }

    /**
     * Move the clock on by {@code ns}, a tick at a time, settling at each.
     */
    private void advance(final long ns)
    {
        final long end = nowNs + ns;
        settle();
        while (nowNs < end)
        {
            nowNs = Math.min(end, nowNs + TICK_NS);
            settle();
        }
    }

    /**
     * Settle, then move the clock a tick, until {@code done}. Each tick also gives the Aeron clients' conductors
     * real time: they make new publications and images visible on their own threads.
     */
    private void pump(final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        settle();
        while (!done.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "no progress; the worker said: " + errors);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            nowNs += TICK_NS;
            settle();
        }
    }

    /**
     * The coordinator, as far as one worker can tell: it authenticates the worker with the job token through
     * Stoker's own session acceptor, registers it, heartbeats, and sends what the test tells it; it records what
     * the worker sends. A muted coordinator still hears, but says nothing, not even to a Hello.
     */
    private final class FakeCoordinator implements ControlListener, SessionAcceptor.Listener, SessionDirectory,
        AutoCloseable
    {
        final ControlPublisher publisher = new ControlPublisher();
        final SessionAcceptor acceptor;
        final ControlAdapter adapter;
        final List<Long> hellos = new ArrayList<>();
        final List<Long> heartbeats = new ArrayList<>();
        final Map<StreamId, List<Integer>> acks = new HashMap<>();
        final List<List<Integer>> unavailable = new ArrayList<>();
        final List<String> complaints = new ArrayList<>();
        HandshakeIdentity identity;
        Outbox outbox;
        MessageOpener opener;
        int sessionId = Aeron.NULL_VALUE;
        long correlationId;
        int memberId;
        int registrations;
        long nextHeartbeatNs;
        boolean mute;
        boolean ended;
        boolean holdAnswers;
        final Set<Integer> refuse = new HashSet<>();
        final List<Runnable> held = new ArrayList<>();

        /**
         * @param token the job token it proves.
         */
        FakeCoordinator(final JobToken token)
        {
            final CountersManager counters = new CountersManager(
                new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024)),
                new UnsafeBuffer(ByteBuffer.allocateDirect(8 * 1024)));
            final Refusals refusals = new Refusals(
                "fake coordinator", counters.newCounter("invalid"), ex -> complaints.add(ex.getMessage()), () -> nowNs);
            acceptor = new SessionAcceptor(connector.aeron(), ControlProtocol.IPC_CHANNEL,
                new TokenAuthenticator(token, Service.COORDINATOR), refusals, counters.newCounter("refused"),
                counters.newCounter("pending"), 4, MemberSession.HANDSHAKE_TIMEOUT_NS, this);
            adapter = new ControlAdapter(connector.aeron().addSubscription(
                ControlProtocol.IPC_CHANNEL, ControlProtocol.COORDINATOR_STREAM_ID), this, refusals, -1, this);
        }

        int doWork()
        {
            int work = adapter.poll(32);
            if (mute)
            {
                return work;
            }
            work += acceptor.doWork(nowNs);
            if (null != outbox)
            {
                if (!ended && nowNs - nextHeartbeatNs >= 0)
                {
                    heartbeat();
                }
                work += outbox.drain();
            }
            return work;
        }

        List<Integer> acked(final StreamId stream)
        {
            return acks.getOrDefault(stream, List.of());
        }

        /**
         * Heartbeat, echoing the worker's latest heartbeat as the coordinator does.
         */
        void heartbeat()
        {
            publisher.heartbeat(outbox, memberId, nowNs,
                heartbeats.isEmpty() ? ControlProtocol.NO_ECHO : heartbeats.get(heartbeats.size() - 1));
            nextHeartbeatNs = nowNs + HEARTBEAT_NS;
        }

        void advertise()
        {
            advertise(-1, null);
        }

        /**
         * Relay a server on the worker's host holding every shard, one of them at another path.
         */
        void advertise(final int shard, final Path path)
        {
            final ServerAdvertisement server = new ServerAdvertisement(
                SERVER_ID, manifest.datasetId(), HOST, TransportKind.LOCAL.addTo((byte)0), "", "");
            final ServerAdvertisement.Region[] regions = new ServerAdvertisement.Region[manifest.shardCount()];
            for (int i = 0; i < regions.length; i++)
            {
                final Path file = i == shard ? path : dataset.dir().resolve(manifest.shardPath(i));
                regions[i] = new ServerAdvertisement.Region(
                    i, manifest.shardLength(i), file.toAbsolutePath().toString(), 0, 0);
            }
            publisher.regionAdvertisement(outbox, server, regions, 0, regions.length);
        }

        /**
         * Relay replica servers on other hosts, each holding every shard, reachable over udp alone.
         */
        void advertiseReplicas(final int... serverIds)
        {
            for (final int serverId : serverIds)
            {
                final ServerAdvertisement server = new ServerAdvertisement(serverId, manifest.datasetId(),
                    "replica-host-" + serverId, TransportKind.UDP.addTo((byte)0),
                    "aeron:udp?endpoint=127.0.0.1:" + (9000 + serverId), "");
                final ServerAdvertisement.Region[] regions = new ServerAdvertisement.Region[manifest.shardCount()];
                for (int i = 0; i < regions.length; i++)
                {
                    regions[i] = new ServerAdvertisement.Region(i, manifest.shardLength(i),
                        dataset.dir().resolve(manifest.shardPath(i)).toAbsolutePath().toString(), 0, 0);
                }
                publisher.regionAdvertisement(outbox, server, regions, 0, regions.length);
            }
        }

        /**
         * The job's layout, then its start, as the coordinator sends them to a worker.
         */
        void jobStarted(final long jobId, final JobSpec spec)
        {
            LayoutAssembler.send(publisher, outbox, jobId, manifest.datasetId(), DatasetLayout.of(manifest).toBytes());
            publisher.jobStarted(outbox, 1, jobId, manifest.chunkCount(), manifest.totalBytes(), spec);
        }

        /**
         * Describe every chunk of the dataset for an epoch (the coordinator describes only those the assigned steps
         * use), then assign.
         *
         * @param ranges each {first step, step count}.
         */
        void assign(final long jobId, final StreamId stream, final int rank, final int[]... ranges)
        {
            final int[] chunkIds = new int[manifest.chunkCount()];
            Arrays.setAll(chunkIds, i -> i);
            publisher.chunkDescriptors(outbox, jobId, stream.epoch(), manifest, chunkIds, 0, chunkIds.length);
            assignOnly(jobId, stream, rank, ranges);
        }

        /**
         * Describe one chunk of the dataset as being at an offset of its shard.
         */
        void describe(final long jobId, final int epoch, final int chunkId, final long offset)
        {
            final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
            final ChunkDescriptorsEncoder descriptors = new ChunkDescriptorsEncoder()
                .wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).jobId(jobId).epoch(epoch);
            descriptors.chunksCount(1).next().chunkId(chunkId).shard(manifest.chunkShard(chunkId)).offset(offset)
                .length(manifest.chunkLength(chunkId)).recordCount(manifest.chunkRecordCount(chunkId))
                .crc(manifest.chunkCrc(chunkId)).putRecordLengths(new byte[0], 0, 0);
            outbox.offer(buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + descriptors.encodedLength());
        }

        /**
         * Assign steps, describing no chunk.
         *
         * @param ranges each {first step, step count}.
         */
        void assignOnly(final long jobId, final StreamId stream, final int rank, final int[]... ranges)
        {
            final int[] firsts = new int[ranges.length];
            final int[] counts = new int[ranges.length];
            for (int i = 0; i < ranges.length; i++)
            {
                firsts[i] = ranges[i][0];
                counts[i] = ranges[i][1];
            }
            publisher.assignment(outbox, jobId, stream, rank, firsts, counts, 0, ranges.length);
        }

        void epochComplete(final long jobId, final int epoch)
        {
            publisher.epochComplete(outbox, jobId, epoch, 0, 0, 0, new int[0]);
        }

        void jobComplete(final long jobId, final JobOutcome outcome, final int epochs)
        {
            publisher.jobComplete(outbox, jobId, outcome, epochs);
        }

        /**
         * Come back as a coordinator restarted from its checkpoint: the worker's session is forgotten.
         */
        void restart()
        {
            CloseHelper.close(outbox);
            outbox = null;
            opener = null;
            sessionId = Aeron.NULL_VALUE;
            mute = false;
        }

        /**
         * End a member's lease: when it is the worker's, its session ends here, as the coordinator removes the
         * member, and nothing more goes out on it.
         */
        void leaseExpired(final int member)
        {
            leaseEnded(member, LeaseEnd.EXPIRED);
        }

        void leaseEnded(final int member, final LeaseEnd reason)
        {
            publisher.leaseExpired(outbox, member, reason);
            ended = member == memberId;
        }

        @Override
        public MessageOpener opener(final int sessionId)
        {
            return sessionId == this.sessionId ? opener : null;
        }

        @Override
        public String screen(final HelloDecoder hello)
        {
            return null;
        }

        @Override
        public boolean isOpen(final int sessionId, final long correlationId)
        {
            return sessionId == this.sessionId && correlationId == this.correlationId;
        }

        /**
         * Admit the worker, as the coordinator does: a new session of the same publication replaces the old one.
         */
        @Override
        public boolean onAuthenticated(final PendingSession session, final long nowNs)
        {
            CloseHelper.close(outbox);
            identity = session.identity();
            outbox = session.outbox();
            opener = session.opener();
            sessionId = session.sessionId();
            correlationId = session.correlationId();
            memberId = 7 + registrations++;
            ended = false;
            publisher.registered(outbox, correlationId, memberId, LEASE_NS, HEARTBEAT_NS);
            nextHeartbeatNs = nowNs + HEARTBEAT_NS;
            return true;
        }

        @Override
        public void onHello(final int sessionId, final HelloDecoder decoder)
        {
            hellos.add(decoder.correlationId());
            if (!mute)
            {
                acceptor.onHello(sessionId, decoder, nowNs);
            }
        }

        @Override
        public void onProof(final int sessionId, final ProofDecoder decoder)
        {
            acceptor.onProof(sessionId, decoder, nowNs);
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            if (decoder.memberId() != memberId)
            {
                complaints.add("heartbeat of member " + decoder.memberId());
            }
            heartbeats.add(decoder.timestampNs());
        }

        @Override
        public void onStepAck(final int sessionId, final StepAckDecoder decoder)
        {
            if (decoder.memberId() != memberId || decoder.jobId() != JOB_ID)
            {
                complaints.add("step ack of member " + decoder.memberId() + " job " + decoder.jobId());
            }
            final StreamId stream = new StreamId(decoder.epoch(), decoder.segment(), decoder.stream());
            final List<Integer> steps = acks.computeIfAbsent(stream, key -> new ArrayList<>());
            final int[] confirmed = new int[decoder.steps().count()];
            final int[] refused = new int[confirmed.length];
            int confirmedCount = 0;
            int refusedCount = 0;
            decoder.sbeRewind();
            for (final StepAckDecoder.StepsDecoder step : decoder.steps())
            {
                steps.add(step.step());
                if (refuse.contains(step.step()))
                {
                    refused[refusedCount++] = step.step();
                }
                else
                {
                    confirmed[confirmedCount++] = step.step();
                }
            }
            final long jobId = decoder.jobId();
            final int confirmedSteps = confirmedCount;
            final int refusedSteps = refusedCount;
            final Runnable answer = () -> publisher.stepAckAnswer(outbox, jobId, stream.epoch(), stream.segment(),
                stream.rank(), confirmed, confirmedSteps, refused, refusedSteps);
            if (holdAnswers)
            {
                held.add(answer);
            }
            else if (null != outbox && !ended)
            {
                answer.run();
            }
        }

        /**
         * Send the answers held back.
         */
        void answerHeld()
        {
            held.forEach(Runnable::run);
            held.clear();
        }

        @Override
        public void onChunkUnavailable(final int sessionId, final ChunkUnavailableDecoder decoder)
        {
            if (decoder.memberId() != memberId || decoder.jobId() != JOB_ID)
            {
                complaints.add("chunk unavailable of member " + decoder.memberId() + " job " + decoder.jobId());
            }
            unavailable.add(List.of(decoder.step(), decoder.chunkId()));
        }

        @Override
        public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
        {
            complaints.add("error response " + decoder.code());
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
            complaints.add("unexpected template " + templateId);
        }

        @Override
        public void close()
        {
            CloseHelper.closeAll(acceptor, adapter, outbox);
        }
    }

    /**
     * Reaches the replica servers over "udp": their readers read the shard files, unless told to hold reads.
     */
    private static final class ReplicaTransport implements DataTransport
    {
        final Map<Integer, ReplicaReader> readers = new HashMap<>();

        @Override
        public TransportKind kind()
        {
            return TransportKind.UDP;
        }

        @Override
        public String unreachableReason(final ServerAdvertisement server)
        {
            return TransportKind.UDP.isIn(server.transports()) ? null : "no udp";
        }

        @Override
        public DataReader connect(final ServerAdvertisement server, final ByteBuffer localMemory)
        {
            final ReplicaReader reader = new ReplicaReader(server);
            readers.put(server.serverId(), reader);
            return reader;
        }

        @Override
        public void close()
        {
        }
    }

    /**
     * A replica's reader: reads the files, or holds every read while {@link #holding}; once {@link #down} it fails
     * what it holds and is not available, as a reader whose server was killed.
     */
    private static final class ReplicaReader implements DataReader
    {
        final LocalDataReader files;
        final List<Long> held = new ArrayList<>();
        boolean holding;
        boolean down;

        ReplicaReader(final ServerAdvertisement server)
        {
            files = new LocalDataReader(server, 64);
        }

        @Override
        public TransportKind kind()
        {
            return TransportKind.UDP;
        }

        @Override
        public boolean read(
            final long readId,
            final int regionId,
            final long offset,
            final int length,
            final AtomicBuffer destination,
            final int destinationOffset)
        {
            if (holding)
            {
                held.add(readId);
                return true;
            }
            return files.read(readId, regionId, offset, length, destination, destinationOffset);
        }

        @Override
        public int poll(final ReadCompletionHandler handler)
        {
            int work = 0;
            if (down)
            {
                for (final long readId : held)
                {
                    handler.onReadFailed(readId, "connection to the server lost");
                    work++;
                }
                held.clear();
            }
            return work + files.poll(handler);
        }

        @Override
        public int inFlight()
        {
            return held.size() + files.inFlight();
        }

        @Override
        public boolean isAvailable()
        {
            return !down;
        }

        @Override
        public void close()
        {
            files.close();
        }
    }
}
