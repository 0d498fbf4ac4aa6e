package io.stoker.coordinator;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The fences the coordinator remembers for data servers that register later: oldest first, each as recorded, and
 * no more than the bound, the oldest forgotten first.
 */
class FenceLogTest
{
    @Test
    void remembersFencesOldestFirstAsRecorded()
    {
        final FenceLog log = new FenceLog();
        assertEquals(0, log.size());
        log.record(3, 1, 0xa1L);
        log.record(4, 0, 0xb1L);

        assertEquals(2, log.size());
        assertEquals(3, log.memberId(0));
        assertEquals(1, log.rank(0));
        assertEquals(0xa1L, log.registrationId(0));
        assertEquals(4, log.memberId(1));
        assertEquals(0, log.rank(1));
        assertEquals(0xb1L, log.registrationId(1));
    }

    @Test
    void forgetsTheOldestBeyondTheBound()
    {
        final FenceLog log = new FenceLog();
        for (int i = 0; i < FenceLog.CAPACITY + 2; i++)
        {
            log.record(i, i % 7, 1000L + i);
        }

        assertEquals(FenceLog.CAPACITY, log.size());
        assertEquals(1002L, log.registrationId(0), "the two oldest are forgotten");
        assertEquals(2, log.memberId(0));
        assertEquals(1000L + FenceLog.CAPACITY + 1, log.registrationId(FenceLog.CAPACITY - 1));
        assertEquals((FenceLog.CAPACITY + 1) % 7, log.rank(FenceLog.CAPACITY - 1));
    }
}
