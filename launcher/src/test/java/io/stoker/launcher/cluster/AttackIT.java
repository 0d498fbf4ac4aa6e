package io.stoker.launcher.cluster;

import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.stoker.codecs.AssignmentEncoder;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.EpochCompleteEncoder;
import io.stoker.codecs.HelloEncoder;
import io.stoker.codecs.JobCompleteEncoder;
import io.stoker.codecs.JobOutcome;
import io.stoker.codecs.LeaseEnd;
import io.stoker.codecs.LeaseExpiredEncoder;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.codecs.MessageHeaderEncoder;
import io.stoker.codecs.ProofEncoder;
import io.stoker.codecs.Role;
import io.stoker.dataset.Manifest;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import io.stoker.transport.session.JobToken;
import io.stoker.transport.udp.UdpTransport;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The attacks found against the first protocol, replayed against real processes, each with its
 * positive control in the same run: the member with the right token, in a job that has started, does
 * get its bytes, and the job completes exactly once.
 */
class AttackIT
{
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;
    private static final JobToken WRONG =
        new JobToken("not-the-job-token-at-all-0000".getBytes(StandardCharsets.UTF_8));

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    @Test
    void aWrongOrMissingTokenGetsNothingWhileTheRightOneInTheSameRunGetsItsBytes() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 4 * MIB, 256 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            final String serverEndpoint = run.server("server-a");
            final Path wrongToken = Files.writeString(temp.resolve("wrong.token"), "not-the-job-token-at-all-0000");
            final StokerProcesses.Node intruder = cluster.start("intruder", "worker",
                "--coordinator", run.coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0",
                "--job-token-file", wrongToken.toString(), "--host-id", "intruder-host");
            final StokerProcesses.Node noToken = cluster.start("no-token", "worker",
                "--coordinator", run.coordinatorEndpoint, "--listen", StokerProcesses.endpoint(), "--rank", "0",
                "--host-id", "intruder-host");
            intruder.awaitLog("did not prove the job token", ClusterRun.START);
            noToken.awaitLog("asks for a job token", ClusterRun.START);
            run.coordinator.awaitLog("did not complete in time", ClusterRun.START);
            assertTrue(run.coordinatorCounters().value("coordinator: sessions refused") >= 1);

            final List<String> outcomes = readOverUdp(serverEndpoint, manifest, WRONG);
            assertTrue(outcomes.get(0).contains("did not prove the job token"), outcomes.toString());
            assertEquals(0, run.serverCounters(0).value("data server: bytes served"), "no byte for a wrong token");

            run.workers(1);
            final StokerProcesses.Node submit = run.submit(1, 1);
            run.assertCompletesExactlyOnce(submit, 1, Set.of());
            assertEquals(manifest.totalBytes(), run.serverCounters(0).value("data server: bytes served"),
                "the right token, same run: every byte");
            assertFalse(intruder.log().contains("reads server"), intruder.log());
            assertFalse(noToken.log().contains("reads server"), noToken.log());
        }
    }

    /**
     * A party without the token opens handshakes with the coordinator and the data server and relays
     * their challenges to a worker, to make it prove the token for it: the worker refuses each (it has
     * no handshake of its own with that correlation, and the transcript is not its own), and the
     * party gets no registration, no manifest, no advertisement and no byte.
     */
    @Test
    void relayingChallengesThroughAWorkerGetsNoRegistrationAndNoBytes() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp); Intruder intruder = new Intruder())
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 4 * MIB, 256 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            final String serverEndpoint = run.server("server-a");
            run.workers(1, "--step-time", "50000");
            final StokerProcesses.Node submit = run.submit(1, 1);
            run.workers.get(0).awaitLog("reads server", ClusterRun.START);

            final String listen = StokerProcesses.endpoint();
            final Subscription replies = intruder.listen(listen, ControlProtocol.MEMBER_STREAM_ID);
            final byte[] coordinatorChallenge = challengeFrom(intruder, replies, run.coordinatorEndpoint,
                ControlProtocol.COORDINATOR_STREAM_ID, listen, ControlProtocol.MEMBER_STREAM_ID);
            final Subscription dataReplies = intruder.listen(listen, ControlProtocol.DATA_RESPONSE_STREAM_BASE);
            final byte[] serverChallenge = challengeFrom(intruder, dataReplies, serverEndpoint,
                ControlProtocol.DATA_REQUEST_STREAM_ID, listen, ControlProtocol.DATA_RESPONSE_STREAM_BASE);

            final long workerInvalid = run.workerCounters(0).value("worker rank 0: invalid messages");
            final int relayed = intruder.send(run.workerEndpoints.get(0), ControlProtocol.MEMBER_STREAM_ID,
                List.of(coordinatorChallenge, serverChallenge));
            await(() -> run.workerCounters(0).value("worker rank 0: invalid messages") == workerInvalid + relayed);

            final long coordinatorInvalid = run.coordinatorCounters().value("coordinator: invalid messages");
            final byte[] proof = proof(coordinatorChallenge);
            intruder.send(run.coordinatorEndpoint, ControlProtocol.COORDINATOR_STREAM_ID, List.of(proof));
            await(() -> run.coordinatorCounters().value("coordinator: invalid messages") == coordinatorInvalid + 1);

            assertEquals(
                List.of(), templatesOtherThanChallenges(replies), "no registration, manifest or advertisement");
            assertEquals(List.of(), templatesOtherThanChallenges(dataReplies), "no read data");
            run.assertCompletesExactlyOnce(submit, 1, Set.of());
        }
    }

    /**
     * Job-complete, lease-expired (claiming the worker was superseded), assignment and epoch-complete messages from
     * anyone but the coordinator's session, unsealed or with a forged seal, are refused and counted; the worker feeds
     * on to the end.
     */
    @Test
    void controlMessagesForgedByAStrangerAreRefusedAndTheWorkerFeedsOn() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp); Intruder intruder = new Intruder())
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 8 * MIB, 256 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(1, "--step-time", "100000");
            final StokerProcesses.Node submit = run.submit(1, 1);
            run.awaitAcks(0, 2);

            final List<byte[]> forged = forgedControl();
            final long before = run.workerCounters(0).value("worker rank 0: invalid messages");
            final int sent = intruder.send(run.workerEndpoints.get(0), ControlProtocol.MEMBER_STREAM_ID, forged);
            await(() -> run.workerCounters(0).value("worker rank 0: invalid messages") == before + sent);
            assertTrue(run.workers.get(0).process.isAlive(), "the worker did not take a forged job-complete");

            run.assertCompletesExactlyOnce(submit, 1, Set.of());
        }
    }

    /**
     * Members that hold the token but not the step: a client acknowledging steps, and a worker of rank 1
     * acknowledging rank 0's steps or steps, epochs and jobs that do not exist. Each message is refused and
     * counted, and none reaches the ack log; the same worker's acknowledgements of its own steps do.
     */
    @Test
    void onlyTheWorkerHoldingAStepMayAcknowledgeIt() throws Exception
    {
        try (StokerProcesses cluster = new StokerProcesses(temp))
        {
            final Manifest manifest = cluster.dataset("fixed:4096", 4 * MIB, 256 * KIB);
            final ClusterRun run = new ClusterRun(cluster, manifest);
            run.coordinator();
            run.server("server-a");
            run.workers(1, "--step-time", "50000");
            final JobToken token = JobToken.read(cluster.tokenFile);
            try (FakeMember client = new FakeMember(run.coordinatorEndpoint, Role.CLIENT, -1, token);
                FakeMember rankOne = new FakeMember(run.coordinatorEndpoint, Role.WORKER, 1, token))
            {
                final StokerProcesses.Node submit = run.submit(2, 1);
                await(() -> rankOne.jobId() > 0 && !rankOne.assigned().isEmpty() && client.isRegistered());
                final long job = rankOne.jobId();
                final StreamId ownStream = new StreamId(0, 0, 1);
                final StreamId otherStream = new StreamId(0, 0, 0);
                final int[] own = rankOne.assigned().get(ownStream).stream().mapToInt(Integer::intValue).toArray();
                final int steps = own.length;
                assertTrue(steps > 0, "rank 1 was assigned its stream: " + rankOne.assigned());

                final long before = run.coordinatorCounters().value("coordinator: invalid messages");
                client.act(member -> member.acknowledge(job, otherStream, 0, 1));
                rankOne.act(member -> member.acknowledge(job, otherStream, 0, 1));
                rankOne.act(member -> member.acknowledge(job, ownStream, -1));
                rankOne.act(member -> member.acknowledge(job, ownStream, Integer.MAX_VALUE));
                rankOne.act(member -> member.acknowledge(job, new StreamId(-1, 0, 1), own));
                rankOne.act(member -> member.acknowledge(job, new StreamId(1_000_000, 0, 1), own));
                rankOne.act(member -> member.acknowledge(job + 1, ownStream, own));
                await(() -> run.coordinatorCounters().value("coordinator: invalid messages") == before + 7);
                await(() -> client.errors().stream().anyMatch(error -> error.startsWith("NOT_AUTHORIZED")));

                rankOne.act(member -> member.acknowledge(job, ownStream, own));
                assertEquals(0, submit.awaitExit(ClusterRun.RUN), submit.log());
                assertEquals(before + 7, run.coordinatorCounters().value("coordinator: invalid messages"));

                final List<String> acks = Files.readAllLines(run.ackLog);
                assertEquals(2 * steps, acks.size(), "every step of both streams counted once: " + acks);
                for (final String line : acks)
                {
                    final String[] fields = line.split(" ");
                    assertEquals(fields[2], fields[4], "the step of stream " + fields[2] + " acknowledged by: " + line);
                }
            }
        }
    }

    private static List<String> readOverUdp(final String serverEndpoint, final Manifest manifest, final JobToken token)
        throws InterruptedException
    {
        final List<String> outcomes = new ArrayList<>();
        final ServerAdvertisement server = new ServerAdvertisement(1, manifest.datasetId(), "server-a-host",
            TransportKind.UDP.addTo((byte)0), ControlProtocol.udpChannel(serverEndpoint), "")
            .addRegion(new ServerAdvertisement.Region(0, manifest.shardLength(0), "", 0, 0));
        try (io.stoker.transport.AeronConnector connector =
            io.stoker.transport.AeronConnector.connect(new io.stoker.transport.AeronConnector.Context()))
        {
            final UdpTransport transport = new UdpTransport(connector.aeron(), StokerProcesses.endpoint(),
                new WorkerRegistration(0, token), "intruder-host", SystemNanoClock.INSTANCE, 4,
                TimeUnit.SECONDS.toNanos(3), new CountersManager(
                new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024])).newCounter("invalid"),
                ex -> {});
            final UnsafeBuffer destination = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * KIB));
            try (DataReader reader = transport.connect(server, destination.byteBuffer()))
            {
                reader.read(1, 0, 0, 64 * KIB, destination, 0);
                final ReadCompletionHandler handler = new ReadCompletionHandler()
                {
                    @Override
                    public void onReadComplete(final long readId)
                    {
                        outcomes.add(readId + " ok");
                    }

                    @Override
                    public void onReadFailed(final long readId, final String reason)
                    {
                        outcomes.add(readId + " failed: " + reason);
                    }
                };
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (outcomes.isEmpty())
                {
                    assertTrue(System.nanoTime() < deadline);
                    if (0 == reader.poll(handler))
                    {
                        Thread.sleep(1);
                    }
                }
            }
        }
        return outcomes;
    }

    /**
     * Open a handshake as a worker of rank 7 and return the verifier's Challenge frame, as it arrived.
     */
    private static byte[] challengeFrom(
        final Intruder intruder,
        final Subscription replies,
        final String endpoint,
        final int streamId,
        final String listen,
        final int listenStream) throws InterruptedException
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final HelloEncoder hello = new HelloEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(4242).role(Role.WORKER).rank(7).responseStreamId(listenStream).putNonce(new byte[32], 0, 32);
        hello.transports().clear();
        hello.hostId("relay").responseChannel(ControlProtocol.udpChannel(listen)).jobName("");
        final ExclusivePublication publication = intruder.connected(endpoint, streamId);
        Intruder.offer(publication, buffer, MessageHeaderEncoder.ENCODED_LENGTH + hello.encodedLength());
        final List<byte[]> frames = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (frames.isEmpty())
        {
            assertTrue(System.nanoTime() < deadline, "no challenge from " + endpoint);
            replies.poll((message, offset, length, header) ->
            {
                final byte[] frame = new byte[length];
                message.getBytes(offset, frame);
                frames.add(frame);
            }, 10);
            Thread.sleep(1);
        }
        final byte[] challenge = frames.get(0);
        assertEquals(ChallengeDecoder.TEMPLATE_ID, new UnsafeBuffer(challenge).getShort(2, ByteOrder.LITTLE_ENDIAN));
        return challenge;
    }

    /**
     * The best a relay can answer with: the verifier's own proof from its challenge.
     */
    private static byte[] proof(final byte[] challenge)
    {
        final ChallengeDecoder decoder = new ChallengeDecoder().wrapAndApplyHeader(
            new UnsafeBuffer(challenge), 0, new MessageHeaderDecoder());
        final byte[] verifierProof = new byte[32];
        decoder.getProof(verifierProof, 0, 32);
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64]);
        final ProofEncoder proof = new ProofEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .correlationId(decoder.correlationId()).putProof(verifierProof, 0, 32);
        final byte[] frame = new byte[MessageHeaderEncoder.ENCODED_LENGTH + proof.encodedLength()];
        buffer.getBytes(0, frame);
        return frame;
    }

    private static List<Integer> templatesOtherThanChallenges(final Subscription replies)
    {
        final List<Integer> templates = new ArrayList<>();
        replies.poll((message, offset, length, header) ->
        {
            final int templateId = message.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            if (templateId != ChallengeDecoder.TEMPLATE_ID)
            {
                templates.add(templateId);
            }
        }, 100);
        return templates;
    }

    private static List<byte[]> forgedControl()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final List<byte[]> frames = new ArrayList<>();
        frames.add(frame(buffer, MessageHeaderEncoder.ENCODED_LENGTH + new JobCompleteEncoder()
            .wrapAndApplyHeader(buffer, 0, header).jobId(1).outcome(JobOutcome.COMPLETE).epochsCompleted(1)
            .encodedLength()));
        for (int memberId = 1; memberId <= 4; memberId++)
        {
            frames.add(frame(buffer, MessageHeaderEncoder.ENCODED_LENGTH + new LeaseExpiredEncoder()
                .wrapAndApplyHeader(buffer, 0, header).memberId(memberId).reason(LeaseEnd.SUPERSEDED)
                .encodedLength()));
        }
        final AssignmentEncoder assignment = new AssignmentEncoder().wrapAndApplyHeader(buffer, 0, header)
            .jobId(1).epoch(0).segment(0).stream(0).rank(0);
        assignment.stepsCount(1).next().firstStep(0).stepCount(2);
        frames.add(frame(buffer, MessageHeaderEncoder.ENCODED_LENGTH + assignment.encodedLength()));
        final EpochCompleteEncoder epochComplete = new EpochCompleteEncoder().wrapAndApplyHeader(buffer, 0, header)
            .jobId(1).epoch(0).deliveredSamples(0).droppedSamples(0).steps(1);
        epochComplete.missingCount(0);
        frames.add(frame(buffer, MessageHeaderEncoder.ENCODED_LENGTH + epochComplete.encodedLength()));
        final List<byte[]> withForgedSeals = new ArrayList<>();
        for (final byte[] frame : frames)
        {
            final byte[] sealed = java.util.Arrays.copyOf(frame, frame.length + 24);
            sealed[frame.length] = 1;
            withForgedSeals.add(sealed);
        }
        frames.addAll(withForgedSeals);
        return frames;
    }

    private static byte[] frame(final UnsafeBuffer buffer, final int length)
    {
        final byte[] frame = new byte[length];
        buffer.getBytes(0, frame);
        return frame;
    }

    private static void await(final BooleanSupplier condition) throws InterruptedException
    {
        final long deadline = System.nanoTime() + ClusterRun.START.toNanos();
        while (!condition.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "condition not met in " + ClusterRun.START);
            Thread.sleep(20);
        }
    }
}
