package io.stoker.worker;

import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hand-off's gate alone: a batch is claimed only once the consumer wants it, goes only once confirmed, and is
 * given back when refused or given up.
 */
class ClaimsTest
{
    private final ManyToOneConcurrentArrayQueue<Batch<HostChunk>> returned = new ManyToOneConcurrentArrayQueue<>(8);
    private final Claims claims = new Claims();
    private final List<Batch<?>> claimed = new ArrayList<>();

    @Test
    void aBatchIsClaimedOnlyWhenTheConsumerWantsItAndGoesOnlyOnceConfirmed()
    {
        final Batch<HostChunk> first = batch();
        final Batch<HostChunk> second = batch();
        claims.offered(first);
        claims.offered(second);
        assertEquals(0, claims.claimWanted(claimed::add), "nothing wanted, nothing claimed");

        assertEquals(Feed.Gate.Admission.WAIT, claims.admit(first), "the consumer asks: it waits for the claim");
        assertEquals(1, claims.claimWanted(claimed::add));
        assertEquals(0, claims.claimWanted(claimed::add), "claimed once");
        assertEquals(List.of(first), claimed);
        assertEquals(Feed.Gate.Admission.WAIT, claims.admit(first), "not before the answer");
        assertEquals(Batch.UNCLAIMED, second.claim(), "the batch behind it is not claimed ahead of the consumer");

        first.claim(Batch.CONFIRMED);
        assertEquals(Feed.Gate.Admission.TAKE, claims.admit(first));
    }

    @Test
    void aRefusedOrGivenUpBatchIsDroppedAndGivenBack()
    {
        final Batch<HostChunk> batch = batch();
        claims.offered(batch);
        claims.admit(batch);
        claims.claimWanted(claimed::add);
        claims.onRegisteredAgain();
        assertEquals(Batch.WANTED, batch.claim(), "a claim of the previous registration is sent again");

        claims.refuseAll();
        assertEquals(Feed.Gate.Admission.DROP, claims.admit(batch));
        assertSame(batch, returned.poll(), "given back to the worker");
        assertTrue(batch.isDropped(), "dropped, not released");
    }

    private Batch<HostChunk> batch()
    {
        final Batch<HostChunk> batch = new Batch<>(returned);
        batch.reset(null, 0, 1);
        return batch.deliver();
    }
}
