package io.stoker.transport.rdma;

import io.stoker.transport.data.ReadCompletionHandler;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader's bookkeeping without a device: splitting, work request ids, completion routing, failures.
 */
class RdmaReadsTest
{
    private static final int READ_SIZE = 4096;
    private static final long TIMEOUT_NS = 1_000_000;
    private static final int REM_ACCESS_ERR = 10;
    private static final String PREFIX = "rdma read from server 1 failed: ";

    private final List<String> outcomes = new ArrayList<>();
    private final ReadCompletionHandler handler = new ReadCompletionHandler()
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

    private static RdmaReads reads(final int maxReads, final int queuePairs, final int depth)
    {
        return new RdmaReads(maxReads, new RdmaSettings(READ_SIZE, queuePairs, depth, TIMEOUT_NS), PREFIX);
    }

    @Test
    void splitsAReadIntoPiecesOfTheReadSizeWithAShorterLastOne()
    {
        final RdmaReads reads = reads(4, 1, 8);
        assertTrue(reads.accept(7, 1_000_000, 5_000_000, 0x42, READ_SIZE * 2 + 100, 0));

        final List<String> pieces = new ArrayList<>();
        for (long id; RdmaReads.NONE != (id = reads.claim(0));)
        {
            pieces.add(reads.claimedLocalAddress() + "<-" + reads.claimedRemoteAddress() + " " + reads.claimedLength() +
                " region " + reads.claimedRegionId());
        }
        assertEquals(List.of(
            "1000000<-5000000 4096 region 66",
            "1004096<-5004096 4096 region 66",
            "1008192<-5008192 100 region 66"), pieces);
        assertEquals(3, reads.outstanding(0));
    }

    @Test
    void readsOfExactlyTheReadSizeOrLessAreOnePieceAndEmptyReadsCompleteAtOnce()
    {
        final RdmaReads reads = reads(4, 1, 8);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        assertTrue(reads.accept(2, 0, 0, 1, 10, 0));
        assertTrue(reads.accept(3, 0, 0, 1, 0, 0));

        reads.claim(0);
        assertEquals(READ_SIZE, reads.claimedLength());
        reads.claim(0);
        assertEquals(10, reads.claimedLength());
        assertEquals(RdmaReads.NONE, reads.claim(0));

        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("3 ok"), outcomes);
    }

    @Test
    void aReadCompletesOnceAllItsPiecesSucceededInAnyOrderAndOnlyOnce()
    {
        final RdmaReads reads = reads(4, 2, 4);
        assertTrue(reads.accept(10, 0, 0, 1, READ_SIZE * 2, 0));
        assertTrue(reads.accept(20, 0, 0, 1, READ_SIZE, 0));
        final long a = reads.claim(0);
        final long b = reads.claim(1);
        final long c = reads.claim(0);

        assertEquals(1, reads.complete(b, RdmaReads.SUCCESS, 1));
        assertEquals(0, reads.deliver(handler));
        assertEquals(0, reads.complete(c, RdmaReads.SUCCESS, 1));
        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("20 ok"), outcomes);
        assertEquals(0, reads.complete(a, RdmaReads.SUCCESS, 1));
        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("20 ok", "10 ok"), outcomes);

        assertEquals(-1, reads.complete(a, RdmaReads.SUCCESS, 1), "a repeated completion is not routed again");
        assertEquals(0, reads.deliver(handler));
        assertEquals(0, reads.inFlight());
    }

    /**
     * The connection is gone: reads with nothing in flight fail at once, whatever their age; a read whose work
     * request was still in flight fails once it is flushed, not later.
     */
    @Test
    void failWaitingFailsAtOnceEveryReadWithNothingInFlightAndTheOthersOnceFlushed()
    {
        final RdmaReads reads = reads(4, 1, 1);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        assertTrue(reads.accept(2, 0, 0, 1, READ_SIZE, 0));
        final long posted = reads.claim(0);

        assertEquals(1, reads.failWaiting(0, () -> "connection lost"));
        reads.deliver(handler);
        assertEquals(List.of("2 failed: " + PREFIX + "connection lost"), outcomes);

        reads.abandon(0, 0);
        assertEquals(-1, reads.complete(posted, RdmaReads.FLUSHED, 0), "flushed already");
        assertEquals(1, reads.failWaiting(0, () -> "connection lost"));
        reads.deliver(handler);
        assertEquals("1 failed: " + PREFIX + "connection lost", outcomes.get(1));
        assertEquals(0, reads.inFlight());
    }

    /**
     * A read given to the reader after its connection was lost waits for the next connection (the reader connects
     * again on its own): only the reads it held when the connection broke fail at once.
     */
    @Test
    void failWaitingSparesTheReadsAcceptedAfterTheConnectionWasLost()
    {
        final RdmaReads reads = reads(4, 1, 1);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 10));
        assertTrue(reads.accept(2, 0, 0, 1, READ_SIZE, 20));

        assertEquals(1, reads.failWaiting(15, () -> "connection lost"));
        reads.deliver(handler);
        assertEquals(List.of("1 failed: " + PREFIX + "connection lost"), outcomes);
        assertEquals(0, reads.failWaiting(15, () -> "never"), "the later read waits for the next connection");
        assertEquals(1, reads.inFlight());
    }

    @Test
    void routesByWorkRequestIdAndIgnoresIdsOfOtherGenerationsOrSlots()
    {
        final RdmaReads reads = reads(4, 2, 1);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        final long first = reads.claim(1);
        assertEquals(1, reads.complete(first, RdmaReads.SUCCESS, 1));
        reads.deliver(handler);

        assertTrue(reads.accept(2, 0, 0, 1, READ_SIZE, 0));
        final long second = reads.claim(1);
        assertEquals((int)first, (int)second, "the freed slot is used again");
        assertEquals(-1, reads.complete(first, RdmaReads.SUCCESS, 1), "the slot's earlier generation");
        assertEquals(-1, reads.complete(99, RdmaReads.SUCCESS, 1), "no such slot");
        assertEquals(-1, reads.complete((second & 0xFFFF_FFFF_0000_0000L) | 0x7FFF_FFFFL, RdmaReads.SUCCESS, 1));
        assertEquals(-1, reads.complete(-1, RdmaReads.SUCCESS, 1));
        assertEquals(1, reads.outstanding(1));

        assertEquals(1, reads.complete(second, RdmaReads.SUCCESS, 1));
        reads.deliver(handler);
        assertEquals(List.of("1 ok", "2 ok"), outcomes);
    }

    @Test
    void anErrorFailsTheReadNamingTheStatusOnceNoneOfItsPiecesIsInFlight()
    {
        final RdmaReads reads = reads(4, 1, 8);
        assertTrue(reads.accept(5, 0, 0, 1, READ_SIZE * 3, 0));
        final long a = reads.claim(0);
        final long b = reads.claim(0);

        reads.complete(a, REM_ACCESS_ERR, 1);
        assertEquals(0, reads.deliver(handler), "its other piece may still land in the destination");
        assertEquals(RdmaReads.NONE, reads.claim(0), "the failed read's third piece is never posted");
        reads.complete(b, RdmaReads.FLUSHED, 1);
        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("5 failed: " + PREFIX + "IBV_WC_REM_ACCESS_ERR (10)"), outcomes);
        assertEquals(0, reads.outstanding(0));
    }

    @Test
    void piecesFlushedByAnotherReadsErrorArePostedAgainFirst()
    {
        final RdmaReads reads = reads(4, 1, 2);
        assertTrue(reads.accept(1, 0, 100, 1, READ_SIZE, 0));
        assertTrue(reads.accept(2, 0, 200, 1, READ_SIZE * 2, 0));
        final long bad = reads.claim(0);
        final long innocent = reads.claim(0);
        assertFalse(reads.hasFreeSlot(0));

        reads.complete(bad, REM_ACCESS_ERR, 1);
        reads.complete(innocent, RdmaReads.FLUSHED, 1);
        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("1 failed: " + PREFIX + "IBV_WC_REM_ACCESS_ERR (10)"), outcomes);

        final long again = reads.claim(0);
        assertEquals(200, reads.claimedRemoteAddress(), "the flushed piece goes first");
        final long last = reads.claim(0);
        assertEquals(200 + READ_SIZE, reads.claimedRemoteAddress());
        reads.complete(again, RdmaReads.SUCCESS, 2);
        reads.complete(last, RdmaReads.SUCCESS, 2);
        reads.deliver(handler);
        assertEquals("2 ok", outcomes.get(1));
    }

    @Test
    void abandoningADestroyedQueuePairTreatsItsWorkRequestsAsFlushed()
    {
        final RdmaReads reads = reads(4, 2, 2);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        final long lost = reads.claim(0);
        reads.abandon(0, 1);
        assertEquals(0, reads.outstanding(0));
        assertEquals(-1, reads.complete(lost, RdmaReads.SUCCESS, 1), "a late completion of the destroyed queue pair");

        final long again = reads.claim(1);
        reads.complete(again, RdmaReads.SUCCESS, 1);
        reads.deliver(handler);
        assertEquals(List.of("1 ok"), outcomes);
    }

    @Test
    void pushesBackWhenFullAndRejectedReadsAreDeliveredFailed()
    {
        final RdmaReads reads = reads(2, 1, 2);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        assertTrue(reads.reject(2, "region 9 is not exported", 0));
        assertFalse(reads.accept(3, 0, 0, 1, READ_SIZE, 0));
        assertFalse(reads.reject(4, "no room", 0));
        assertEquals(2, reads.inFlight());

        assertEquals(1, reads.deliver(handler));
        assertEquals(List.of("2 failed: region 9 is not exported"), outcomes);
        assertTrue(reads.accept(3, 0, 0, 1, READ_SIZE, 0));
    }

    @Test
    void readsWaitingWithoutProgressExpireWithTheReason()
    {
        final RdmaReads reads = reads(4, 1, 1);
        assertTrue(reads.accept(1, 0, 0, 1, READ_SIZE, 0));
        assertTrue(reads.accept(2, 0, 0, 1, READ_SIZE, 0));
        final long posted = reads.claim(0);

        assertEquals(0, reads.expire(TIMEOUT_NS, () -> "never"));
        assertEquals(1, reads.expire(TIMEOUT_NS + 1, () -> "no connection"), "only the read with nothing in flight");
        reads.deliver(handler);
        assertEquals(List.of("2 failed: " + PREFIX + "no connection"), outcomes);

        assertTrue(reads.accept(3, 0, 0, 1, READ_SIZE, TIMEOUT_NS + 1));
        reads.complete(posted, RdmaReads.SUCCESS, 3 * TIMEOUT_NS);
        assertEquals(0, reads.expire(3 * TIMEOUT_NS + 2, () -> "never"), "another read progressed just now");
    }

    @Test
    void describesVerbsStatuses()
    {
        assertEquals("IBV_WC_SUCCESS (0)", RdmaReads.describe(0));
        assertEquals("IBV_WC_WR_FLUSH_ERR (5)", RdmaReads.describe(5));
        assertEquals("IBV_WC_RETRY_EXC_ERR (12)", RdmaReads.describe(12));
        assertEquals("unknown status (99)", RdmaReads.describe(99));
    }
}
