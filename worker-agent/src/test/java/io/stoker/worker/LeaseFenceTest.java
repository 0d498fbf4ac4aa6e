package io.stoker.worker;

import io.stoker.transport.control.ControlProtocol;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The worker's own view of its lease, driven by a hand-set clock: held from registration until the latest echoed
 * heartbeat plus the lease less the margin, to the nanosecond, and never by an echo that could not be its own.
 */
class LeaseFenceTest
{
    private static final long LEASE_NS = TimeUnit.SECONDS.toNanos(5);
    private static final long MARGIN_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private long nowNs = TimeUnit.SECONDS.toNanos(1000);
    private final LeaseFence fence = new LeaseFence(() -> nowNs, MARGIN_NS);

    @Test
    void closedUntilRegisteredThenHeldFromTheHandshakesStartForTheLeaseLessTheMargin()
    {
        assertFalse(fence.isOpen(), "no lease before registering");
        assertEquals(LeaseFence.NOT_HELD, fence.deadlineNs());

        final long helloNs = nowNs;
        nowNs += TimeUnit.MILLISECONDS.toNanos(30);
        assertTrue(fence.onRegistered(helloNs, LEASE_NS, false));
        assertTrue(fence.isOpen());
        assertEquals(helloNs + LEASE_NS - MARGIN_NS, fence.deadlineNs());
        assertTrue(fence.isHeld(fence.deadlineNs() - 1));
        assertFalse(fence.isHeld(fence.deadlineNs()), "closed at the deadline, to the nanosecond");
        assertEquals(0, fence.generation());
    }

    @Test
    void anEchoMovesTheDeadlineToItsTimestampPlusTheLeaseLessTheMarginAndNeverBack()
    {
        fence.onRegistered(nowNs, LEASE_NS, false);
        final long firstBeatNs = nowNs + TimeUnit.MILLISECONDS.toNanos(500);
        final long secondBeatNs = firstBeatNs + TimeUnit.MILLISECONDS.toNanos(500);
        nowNs = secondBeatNs + TimeUnit.MILLISECONDS.toNanos(200);

        assertTrue(fence.onEcho(secondBeatNs, nowNs));
        assertEquals(secondBeatNs + LEASE_NS - MARGIN_NS, fence.deadlineNs());
        assertFalse(fence.onEcho(firstBeatNs, nowNs), "an older echo, arriving late, does not move it back");
        assertEquals(secondBeatNs + LEASE_NS - MARGIN_NS, fence.deadlineNs());

        assertFalse(fence.onEcho(ControlProtocol.NO_ECHO, nowNs), "the coordinator heard no heartbeat yet");
        assertFalse(fence.onEcho(nowNs + 1, nowNs), "a timestamp this worker has not sent yet is not its own");
        assertEquals(secondBeatNs + LEASE_NS - MARGIN_NS, fence.deadlineNs());

        nowNs = fence.deadlineNs();
        assertFalse(fence.isOpen(), "a paused worker finds its lease may have ended, whatever it held before");
    }

    @Test
    void aRevokedLeaseStaysClosedUntilTheNextRegistrationWhichBeginsANewGeneration()
    {
        fence.onRegistered(nowNs, LEASE_NS, false);
        fence.revoke();
        assertFalse(fence.isOpen());
        assertFalse(fence.onEcho(nowNs, nowNs), "an echo from the lost registration opens nothing");
        assertFalse(fence.isOpen());

        nowNs += TimeUnit.SECONDS.toNanos(1);
        assertTrue(fence.onRegistered(nowNs, LEASE_NS, true));
        assertTrue(fence.isOpen());
        assertEquals(1, fence.generation());
    }

    @Test
    void aBatchOfAnEarlierRegistrationIsDroppedOneOfThisOneGoesThrough()
    {
        final ManyToOneConcurrentArrayQueue<Batch<HostChunk>> returned = new ManyToOneConcurrentArrayQueue<>(4);
        fence.onRegistered(nowNs, LEASE_NS, false);
        final Batch<HostChunk> before = new Batch<>(returned);
        before.reset(null, 0, fence.generation(), 1);
        before.deliver();

        assertFalse(fence.dropIfRevoked(before));
        assertTrue(returned.isEmpty());

        fence.onRegistered(nowNs, LEASE_NS, true);
        final Batch<HostChunk> after = new Batch<>(returned);
        after.reset(null, 0, fence.generation(), 1);
        after.deliver();
        assertFalse(fence.dropIfRevoked(after));
        assertTrue(fence.dropIfRevoked(before));
        assertSame(before, returned.poll(), "given back to the worker");
        assertTrue(before.isDropped(), "dropped, not released: its step is not acknowledged");
    }

    @Test
    void aMarginAsLongAsTheLeaseNeverOpens()
    {
        final LeaseFence tooCautious = new LeaseFence(() -> nowNs, LEASE_NS);
        assertFalse(tooCautious.onRegistered(nowNs, LEASE_NS, false));
        assertFalse(tooCautious.isOpen());
        assertFalse(tooCautious.onEcho(nowNs, nowNs));
    }
}
