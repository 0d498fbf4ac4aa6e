package io.stoker.worker;

import io.stoker.transport.control.ControlProtocol;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    private final LeaseFence fence = new LeaseFence(MARGIN_NS);

    @Test
    void closedUntilRegisteredThenHeldFromTheHandshakesStartForTheLeaseLessTheMargin()
    {
        assertFalse(fence.isHeld(nowNs), "no lease before registering");
        assertEquals(LeaseFence.NOT_HELD, fence.deadlineNs());

        final long helloNs = nowNs;
        nowNs += TimeUnit.MILLISECONDS.toNanos(30);
        assertTrue(fence.onRegistered(helloNs, LEASE_NS));
        assertTrue(fence.isHeld(nowNs));
        assertEquals(helloNs + LEASE_NS - MARGIN_NS, fence.deadlineNs());
        assertTrue(fence.isHeld(fence.deadlineNs() - 1));
        assertFalse(fence.isHeld(fence.deadlineNs()), "closed at the deadline, to the nanosecond");
    }

    @Test
    void anEchoMovesTheDeadlineToItsTimestampPlusTheLeaseLessTheMarginAndNeverBack()
    {
        fence.onRegistered(nowNs, LEASE_NS);
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
        assertFalse(fence.isHeld(nowNs), "a paused worker finds its lease may have ended, whatever it held before");
    }

    @Test
    void aRevokedLeaseStaysClosedUntilTheNextRegistration()
    {
        fence.onRegistered(nowNs, LEASE_NS);
        fence.revoke();
        assertFalse(fence.isHeld(nowNs));
        assertFalse(fence.onEcho(nowNs, nowNs), "an echo from the lost registration opens nothing");
        assertFalse(fence.isHeld(nowNs));

        nowNs += TimeUnit.SECONDS.toNanos(1);
        assertTrue(fence.onRegistered(nowNs, LEASE_NS));
        assertTrue(fence.isHeld(nowNs));
    }

    @Test
    void aMarginAsLongAsTheLeaseNeverOpens()
    {
        final LeaseFence tooCautious = new LeaseFence(LEASE_NS);
        assertFalse(tooCautious.onRegistered(nowNs, LEASE_NS));
        assertFalse(tooCautious.isHeld(nowNs));
        assertFalse(tooCautious.onEcho(nowNs, nowNs));
    }
}
