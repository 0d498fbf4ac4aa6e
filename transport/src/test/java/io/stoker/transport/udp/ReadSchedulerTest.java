package io.stoker.transport.udp;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deficit round robin of {@link ReadScheduler}, driven cycle by cycle: each cycle the "link" takes a budget of
 * bytes, as the data server's duty cycle gives it what the media driver has room for.
 */
class ReadSchedulerTest
{
    private static final int FRAME = 60_000;
    private static final long BUDGET = 1024 * 1024;

    private final List<String> events = new ArrayList<>();
    private final ReadScheduler scheduler = new ReadScheduler(new ReadScheduler.Listener()
    {
        @Override
        public void onJobAdded(final ReadScheduler.Job job)
        {
            events.add("added " + job.name());
        }

        @Override
        public void onJobRemoved(final ReadScheduler.Job job)
        {
            events.add("removed " + job.name());
        }
    });

    @Test
    void twoBackloggedJobsGetBytesInTheRatioOfTheirWeightsWhateverTheirConnections()
    {
        final FakeFlow a = new FakeFlow();
        final FakeFlow b1 = new FakeFlow();
        final FakeFlow b2 = new FakeFlow();
        final FakeFlow b3 = new FakeFlow();
        scheduler.join("a", a);
        scheduler.join("b", b1);
        scheduler.join("b", b2);
        scheduler.join("b", b3);

        cycles(1000);
        assertRatio(1.0, scheduler.job("a").served(), scheduler.job("b").served(),
            "equal weights: equal bytes, though b has three connections");

        assertTrue(scheduler.weight("b", 3));
        final long a0 = scheduler.job("a").served();
        final long b0 = scheduler.job("b").served();
        cycles(1000);
        assertRatio(1.0 / 3, scheduler.job("a").served() - a0, scheduler.job("b").served() - b0, "weights 1:3");
        assertEquals(b1.sent, b2.sent, FRAME, "a job's connections take turns");
        assertEquals(b2.sent, b3.sent, FRAME, "a job's connections take turns");
    }

    @Test
    void anIdleJobsShareGoesToTheBusyOneAndItBanksNoCreditForLater()
    {
        final FakeFlow a = new FakeFlow();
        final FakeFlow b = new FakeFlow();
        scheduler.join("a", a);
        scheduler.join("b", b);
        a.idle = true;

        cycles(100);
        assertEquals(0, scheduler.job("a").served());
        assertTrue(scheduler.job("b").served() >= 100 * BUDGET, "the busy job takes the whole budget");

        a.idle = false;
        final long b0 = scheduler.job("b").served();
        cycles(100);
        final long aBytes = scheduler.job("a").served();
        final long bBytes = scheduler.job("b").served() - b0;
        assertRatio(1.0, aBytes, bBytes, "once both are busy they share equally: a is owed nothing for its idle time");
    }

    @Test
    void aJobWhoseConnectionsPushBackIsSkippedWithoutStoppingTheCycle()
    {
        final FakeFlow a = new FakeFlow();
        final FakeFlow b = new FakeFlow();
        scheduler.join("a", a);
        scheduler.join("b", b);
        a.room = 3 * FRAME;

        cycles(10);
        assertEquals(3 * FRAME, scheduler.job("a").served(), "a sends what its publication took");
        assertTrue(scheduler.job("b").served() >= 10 * BUDGET - 3 * FRAME);
    }

    @Test
    void aConnectionThatFloodsItsJobGetsNoMoreThanTheJobsOtherConnection()
    {
        final FakeFlow flooding = new FakeFlow();
        final FakeFlow modest = new FakeFlow();
        scheduler.join("a", flooding);
        scheduler.join("a", modest);
        cycles(50);
        assertEquals(flooding.sent, modest.sent, FRAME);
    }

    @Test
    void nothingIsSentBeyondTheFramesOrTheBudgetAndACutTurnGoesOnNextCycle()
    {
        final FakeFlow a = new FakeFlow();
        final FakeFlow b = new FakeFlow();
        scheduler.join("a", a);
        scheduler.join("b", b);
        assertTrue(scheduler.weight("a", 10));

        assertEquals(2, scheduler.serve(BUDGET, 2));
        assertEquals(2 * FRAME, a.sent);
        assertEquals(1, scheduler.serve(1, 100), "the last frame may pass the budget");
        assertEquals(3 * FRAME, a.sent, "a's turn goes on");
        assertEquals(0, b.sent);
        assertEquals(0, scheduler.serve(0, 100));
        scheduler.serve(10L * ReadScheduler.QUANTUM, 1000);
        assertEquals(2 * FRAME, b.sent, "b's turn comes once a's ten quanta are sent: a quantum, the last frame past");
        assertEquals(12 * FRAME, a.sent, "a's turn ended after 11 frames; its next one took the budget's last frame");
    }

    @Test
    void weightsAreBoundedAndAZeroWeightForgetsTheJobOnceItsConnectionsAreGone()
    {
        assertFalse(scheduler.weight("a", ReadScheduler.MAX_WEIGHT + 1));
        assertFalse(scheduler.weight("a", -1));
        assertNull(scheduler.job("a"));

        assertTrue(scheduler.weight("a", 5));
        final FakeFlow flow = new FakeFlow();
        final ReadScheduler.Job job = scheduler.join("a", flow);
        assertEquals(5, job.weight());
        assertTrue(scheduler.weight("a", 0));
        assertEquals(ReadScheduler.DEFAULT_WEIGHT, job.weight(), "its connection is served with the default weight");
        assertNotNull(scheduler.job("a"));
        scheduler.leave(job, flow);
        assertNull(scheduler.job("a"));
        assertEquals(List.of("added a", "removed a"), events);

        final ReadScheduler.Job b = scheduler.join("b", flow);
        scheduler.leave(b, flow);
        assertNull(scheduler.job("b"), "a job told no weight is forgotten with its last connection");
        assertEquals(0, scheduler.serve(BUDGET, 100));
    }

    @Test
    void theNumberOfJobsIsBounded()
    {
        for (int i = 0; i < ReadScheduler.MAX_JOBS; i++)
        {
            assertNotNull(scheduler.join("job-" + i, new FakeFlow()));
        }
        assertNull(scheduler.join("one-too-many", new FakeFlow()));
        assertFalse(scheduler.weight("one-too-many", 2));
        assertNotNull(scheduler.join("job-0", new FakeFlow()), "a job it keeps takes more connections");
    }

    @Test
    void aJobLeavingMidRoundLeavesTheOthersInTurn()
    {
        final FakeFlow a = new FakeFlow();
        final FakeFlow b = new FakeFlow();
        final FakeFlow c = new FakeFlow();
        final ReadScheduler.Job jobA = scheduler.join("a", a);
        scheduler.join("b", b);
        scheduler.join("c", c);
        cycles(3);
        scheduler.leave(jobA, a);
        final long a0 = a.sent;
        cycles(100);
        assertEquals(a0, a.sent);
        assertRatio(1.0, b.sent, c.sent, "b and c share");
    }

    private void cycles(final int count)
    {
        for (int i = 0; i < count; i++)
        {
            scheduler.serve(BUDGET, Integer.MAX_VALUE);
        }
    }

    private static void assertRatio(final double expected, final long x, final long y, final String what)
    {
        final double ratio = (double)x / y;
        assertTrue(Math.abs(ratio - expected) <= 0.01 * expected, what + ": " + x + " / " + y + " = " + ratio);
    }

    private static final class FakeFlow implements ReadScheduler.Flow
    {
        boolean idle;
        long room = Long.MAX_VALUE;
        long sent;

        @Override
        public int sendFrame()
        {
            if (idle || room < FRAME)
            {
                return 0;
            }
            room -= FRAME;
            sent += FRAME;
            return FRAME;
        }
    }
}
