package io.stoker.transport.session;

import io.aeron.Aeron;
import io.stoker.codecs.ChallengeDecoder;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.ErrorResponseDecoder;
import io.stoker.codecs.HeartbeatDecoder;
import io.stoker.codecs.HelloDecoder;
import io.stoker.codecs.ProofDecoder;
import io.stoker.codecs.RegisteredDecoder;
import io.stoker.codecs.Role;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlAdapter;
import io.stoker.transport.control.ControlListener;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.wire.Refusals;
import org.agrona.CloseHelper;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The acceptor and the initiator against each other over a real media driver (IPC), their duty
 * cycles driven by hand with a hand-set clock.
 */
class HandshakeTest
{
    private static final JobToken TOKEN = token("the-job-token-of-the-handshake-test");
    private static final int VERIFIER_STREAM = 5001;
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    private final CountersManager countersManager = new CountersManager(
        new UnsafeBuffer(new byte[64 * 1024]), new UnsafeBuffer(new byte[8 * 1024]));
    private final AtomicCounter invalid = countersManager.newCounter("invalid");
    private final AtomicCounter refused = countersManager.newCounter("sessions refused");
    private final AtomicCounter pending = countersManager.newCounter("sessions pending");
    private final List<String> log = new ArrayList<>();
    private AeronConnector connector;
    private Verifier verifier;
    private final List<Initiator> initiators = new ArrayList<>();
    private long nowNs = 1_000_000_000L;

    @BeforeEach
    void start()
    {
        connector = AeronConnector.connect(new AeronConnector.Context());
    }

    @AfterEach
    void stop()
    {
        initiators.forEach(Initiator::close);
        CloseHelper.closeAll(verifier, connector);
    }

    @Test
    void theRightTokenOpensASessionSealedBothWays()
    {
        verifier = new Verifier(TOKEN, 8);
        final Initiator initiator = initiator(TOKEN, 3);

        pump(() -> initiator.session.isEstablished());

        assertEquals(1, verifier.accepted.size());
        assertTrue(initiator.outbox.isSealed() && verifier.accepted.get(0).outbox().isSealed());
        initiator.publisher.heartbeat(initiator.outbox, 3, 77);
        verifier.publisher.heartbeat(verifier.accepted.get(0).outbox(), 3, 88);
        pump(() -> verifier.heartbeats.size() == 1 && initiator.heartbeats.size() == 1);
        assertEquals(List.of(77L), verifier.heartbeats);
        assertEquals(List.of(88L), initiator.heartbeats);
        assertEquals(0, invalid.get(), log.toString());
    }

    @Test
    void aWrongTokenNeverProvesItselfAndItsHandshakeIsReleased()
    {
        verifier = new Verifier(TOKEN, 8);
        final Initiator intruder = initiator(token("not-the-job-token-at-all!!"), 1);

        pump(() -> intruder.answers.contains(SessionInitiator.ChallengeAnswer.VERIFIER_NOT_PROVEN));
        assertEquals(1, verifier.acceptor.pendingCount());

        nowNs += TIMEOUT_NS + 1;
        pump(() -> 0 == verifier.acceptor.pendingCount());
        assertEquals(1, refused.get());
        assertEquals(0, verifier.accepted.size());
        assertTrue(log.stream().anyMatch(line -> line.contains("did not complete in time")), log.toString());

        final Initiator member = initiator(TOKEN, 2);
        pump(() -> member.session.isEstablished());
        assertEquals(1, verifier.accepted.size(), "the right token, same run: accepted");
    }

    @Test
    void anInitiatorWithoutATokenIsToldTheVerifierAsksForOne()
    {
        verifier = new Verifier(TOKEN, 8);
        final Initiator tokenless = initiator(null, 1);

        pump(() -> tokenless.answers.contains(SessionInitiator.ChallengeAnswer.NO_TOKEN));
        assertEquals(0, verifier.accepted.size());
    }

    @Test
    void aProofReplayedOnAnotherSessionIsRefused()
    {
        verifier = new Verifier(TOKEN, 8);
        final Initiator member = initiator(TOKEN, 1);
        pump(() -> member.session.isEstablished());
        final byte[] stolenProof = verifier.proofs.get(0);

        final Initiator thief = initiator(null, 2);
        pump(() -> thief.answers.contains(SessionInitiator.ChallengeAnswer.NO_TOKEN));
        thief.sessionPublisher.proof(thief.outbox, thief.session.correlationId(), stolenProof);
        pump(() -> thief.refusals.contains(ErrorCode.AUTHENTICATION_FAILED));
        assertEquals(1, refused.get());

        assertEquals(1, verifier.accepted.size(), "only the member");
        assertEquals(1, invalid.get());
        assertTrue(log.stream().anyMatch(line -> line.contains("does not verify")), log.toString());
    }

    /**
     * A Hello beyond the bound is refused and counted before anything is created for it (it cannot be
     * answered: answering would need the publication the bound is there to deny); once the handshakes
     * in progress ran out of time, the one that waited gets its turn.
     */
    @Test
    void handshakesInProgressAreBoundedAndTheOneTooManyWaitsItsTurn()
    {
        verifier = new Verifier(TOKEN, 2);
        final Initiator first = initiator(null, 1);
        final Initiator second = initiator(null, 2);
        pump(() -> first.answers.size() == 1 && second.answers.size() == 1);

        final Initiator third = initiator(null, 3);
        pump(() -> invalid.get() >= 1);
        assertEquals(2, verifier.acceptor.pendingCount());
        assertEquals(2, pending.get());
        assertTrue(third.answers.isEmpty());
        assertTrue(log.stream().anyMatch(line -> line.contains("BUSY")), log.toString());

        first.close();
        second.close();
        initiators.removeAll(List.of(first, second));
        nowNs += TIMEOUT_NS + 1;
        pump(() -> third.answers.contains(SessionInitiator.ChallengeAnswer.NO_TOKEN));
        assertEquals(2, refused.get());
    }

    /**
     * The verifier holds the cluster token; a job's members hold only their job's token, derived from it. A worker
     * naming job A with A's token is admitted; naming A with B's token, or the default job with A's, or A with the
     * cluster token, it cannot even verify the verifier's proof and is never admitted.
     */
    @Test
    void aWorkerOfAJobIsAdmittedWithItsJobsTokenOnlyAndAnotherJobsTokenIsRefused()
    {
        verifier = new Verifier(TOKEN, 8);
        final Initiator withB = initiator(TOKEN.forJob("job-b"), 1, "job-a");
        final Initiator withAButNamingDefault = initiator(TOKEN.forJob("job-a"), 2, "");
        final Initiator clusterNamingA = initiator(TOKEN, 3, "job-a");
        final Initiator member = initiator(TOKEN.forJob("job-a"), 0, "job-a");

        pump(() -> member.session.isEstablished() &&
            withB.answers.contains(SessionInitiator.ChallengeAnswer.VERIFIER_NOT_PROVEN) &&
            withAButNamingDefault.answers.contains(SessionInitiator.ChallengeAnswer.VERIFIER_NOT_PROVEN) &&
            clusterNamingA.answers.contains(SessionInitiator.ChallengeAnswer.VERIFIER_NOT_PROVEN));

        assertEquals(1, verifier.accepted.size(), "only job A's worker with A's token");
        assertEquals("job-a", verifier.accepted.get(0).identity().jobName());
        assertEquals(0, verifier.accepted.get(0).identity().rank());
        nowNs += TIMEOUT_NS + 1;
        pump(() -> 0 == verifier.acceptor.pendingCount());
        assertEquals(1, verifier.accepted.size());
    }

    @Test
    void aJobsTokenIsTheHexOfItsDerivationAndReadsBackFromAFile(@TempDir final Path dir)
    {
        final JobToken derived = TOKEN.forJob("job-a");
        final Path file = dir.resolve("job-a.token");
        derived.write(file);
        final JobToken read = JobToken.read(file);

        final byte[] message = "any message".getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(derived.hmac(message), read.hmac(message));
        assertFalse(Arrays.equals(derived.hmac(message), TOKEN.forJob("job-b").hmac(message)));
        assertSame(TOKEN, TOKEN.forJob(""));
        assertThrows(IllegalArgumentException.class, () -> TOKEN.forJob("no spaces"));
    }

    private Initiator initiator(final JobToken token, final int rank)
    {
        return initiator(token, rank, "");
    }

    private Initiator initiator(final JobToken token, final int rank, final String jobName)
    {
        final Initiator initiator = new Initiator(token, rank, jobName);
        initiators.add(initiator);
        return initiator;
    }

    private void pump(final BooleanSupplier done)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean())
        {
            assertTrue(System.nanoTime() < deadline, "no progress; log: " + log);
            int work = verifier.doWork();
            for (final Initiator initiator : initiators)
            {
                work += initiator.doWork();
            }
            if (0 == work)
            {
                Thread.onSpinWait();
            }
        }
    }

    private static JobToken token(final String text)
    {
        return new JobToken(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The verifier's side: an acceptor behind a control adapter, as the coordinator has it.
     */
    private final class Verifier implements ControlListener, SessionAcceptor.Listener, AutoCloseable
    {
        final Refusals refusals = new Refusals("verifier", invalid, ex -> log.add(ex.getMessage()),
            SystemNanoClock.INSTANCE);
        final SessionAcceptor acceptor;
        final ControlAdapter adapter;
        final ControlPublisher publisher = new ControlPublisher();
        final Int2ObjectHashMap<MessageOpener> openers = new Int2ObjectHashMap<>();
        final List<PendingSession> accepted = new ArrayList<>();
        final List<byte[]> proofs = new ArrayList<>();
        final List<Long> heartbeats = new ArrayList<>();

        Verifier(final JobToken token, final int maxPending)
        {
            final Aeron aeron = connector.aeron();
            acceptor = new SessionAcceptor(aeron, ControlProtocol.IPC_CHANNEL,
                Authenticator.of(token, Service.COORDINATOR), refusals, refused, pending, maxPending, TIMEOUT_NS, this);
            adapter = new ControlAdapter(aeron.addSubscription(ControlProtocol.IPC_CHANNEL, VERIFIER_STREAM),
                openers::get, refusals, -1, this);
        }

        int doWork()
        {
            int work = adapter.poll(10) + acceptor.doWork(nowNs);
            for (final PendingSession session : accepted)
            {
                work += session.outbox().drain();
            }
            return work;
        }

        @Override
        public void onHello(final int sessionId, final HelloDecoder decoder)
        {
            acceptor.onHello(sessionId, decoder, nowNs);
        }

        @Override
        public void onProof(final int sessionId, final ProofDecoder decoder)
        {
            final byte[] proof = new byte[SessionKeys.PROOF_LENGTH];
            decoder.getProof(proof, 0, proof.length);
            proofs.add(proof);
            acceptor.onProof(sessionId, decoder, nowNs);
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            heartbeats.add(decoder.timestampNs());
        }

        @Override
        public String screen(final HelloDecoder hello)
        {
            return null;
        }

        @Override
        public boolean isOpen(final int sessionId, final long correlationId)
        {
            return accepted.stream().anyMatch(
                session -> session.sessionId() == sessionId && session.correlationId() == correlationId);
        }

        @Override
        public boolean onAuthenticated(final PendingSession session, final long nowNs)
        {
            accepted.add(session);
            openers.put(session.sessionId(), session.opener());
            publisher.registered(session.outbox(), session.correlationId(), accepted.size(), 1, 1);
            return true;
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
            refusals.refuse(sessionId, ErrorCode.UNKNOWN_TEMPLATE, templateId, "unexpected");
        }

        @Override
        public void close()
        {
            accepted.forEach(session -> session.outbox().close());
            CloseHelper.closeAll(acceptor, adapter);
        }
    }

    /**
     * The initiator's side, as a member has it.
     */
    private final class Initiator implements ControlListener, AutoCloseable
    {
        final Outbox outbox;
        final SessionInitiator session;
        final ControlAdapter adapter;
        final ControlPublisher publisher = new ControlPublisher();
        final SessionPublisher sessionPublisher = new SessionPublisher();
        final List<SessionInitiator.ChallengeAnswer> answers = new ArrayList<>();
        final List<ErrorCode> refusals = new ArrayList<>();
        final List<Long> heartbeats = new ArrayList<>();

        Initiator(final JobToken token, final int rank, final String jobName)
        {
            final Aeron aeron = connector.aeron();
            final int responseStream = VERIFIER_STREAM + 1 + rank;
            outbox = new Outbox(aeron.addExclusivePublication(ControlProtocol.IPC_CHANNEL, VERIFIER_STREAM));
            session = new SessionInitiator(Service.COORDINATOR, token,
                new HandshakeIdentity(Role.WORKER, rank, (byte)0, responseStream, "host", ControlProtocol.IPC_CHANNEL)
                    .forJob(jobName),
                outbox, TIMEOUT_NS);
            adapter = new ControlAdapter(aeron.addSubscription(ControlProtocol.IPC_CHANNEL, responseStream),
                session::opener, new Refusals("initiator " + rank, invalid, ex -> log.add(ex.getMessage()),
                SystemNanoClock.INSTANCE), ErrorResponseDecoder.TEMPLATE_ID, this);
        }

        int doWork()
        {
            return outbox.drain() + session.doWork(nowNs) + adapter.poll(10);
        }

        @Override
        public void onChallenge(final int sessionId, final ChallengeDecoder decoder)
        {
            answers.add(session.onChallenge(sessionId, decoder, nowNs));
        }

        @Override
        public void onRegistered(final int sessionId, final RegisteredDecoder decoder)
        {
            assertTrue(session.onAccepted(sessionId, decoder.correlationId()));
        }

        @Override
        public void onHeartbeat(final int sessionId, final HeartbeatDecoder decoder)
        {
            heartbeats.add(decoder.timestampNs());
        }

        @Override
        public void onErrorResponse(final int sessionId, final ErrorResponseDecoder decoder)
        {
            assertTrue(session.isAnswering(decoder.correlationId()));
            refusals.add(decoder.code());
        }

        @Override
        public void onUnexpected(final int sessionId, final int templateId)
        {
            assertNull("unexpected template " + templateId);
        }

        @Override
        public void close()
        {
            CloseHelper.closeAll(adapter, outbox);
        }
    }
}
