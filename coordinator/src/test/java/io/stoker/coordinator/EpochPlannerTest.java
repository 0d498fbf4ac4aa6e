package io.stoker.coordinator;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EpochPlannerTest
{
    @Test
    void everyChunkAppearsOnceInEachEpoch()
    {
        final int[] lengths = lengths(1000, 7);
        for (int epoch = 0; epoch < 5; epoch++)
        {
            final EpochPlan plan = EpochPlanner.plan(lengths, 4, 99, epoch);
            final int[] sorted = plan.order().clone();
            Arrays.sort(sorted);
            for (int i = 0; i < sorted.length; i++)
            {
                assertEquals(i, sorted[i]);
            }
            int total = 0;
            for (int rank = 0; rank < 4; rank++)
            {
                total += plan.sliceLength(rank);
            }
            assertEquals(1000, total);
        }
    }

    @Test
    void sameInputsGiveTheSamePlanAndOthersDiffer()
    {
        final int[] lengths = lengths(500, 3);
        assertArrayEquals(EpochPlanner.plan(lengths, 3, 7, 2).order(), EpochPlanner.plan(lengths, 3, 7, 2).order());
        assertFalse(Arrays.equals(
            EpochPlanner.plan(lengths, 3, 7, 2).order(), EpochPlanner.plan(lengths, 3, 8, 2).order()));
        assertFalse(Arrays.equals(
            EpochPlanner.plan(lengths, 3, 7, 2).order(), EpochPlanner.plan(lengths, 3, 7, 3).order()));
    }

    @Test
    void thePermutationIsPinnedSoPlansAgreeAcrossMachinesAndVersions()
    {
        assertArrayEquals(new int[]{ 5, 1, 4, 8, 6, 3, 9, 2, 0, 7 }, EpochPlanner.permutation(10, 42, 0));
    }

    @Test
    void slicesAreBalancedByBytesNotByCount()
    {
        final int[] lengths = new int[100];
        for (int i = 0; i < lengths.length; i++)
        {
            lengths[i] = i % 10 == 0 ? 1_000_000 : 1000;
        }
        final EpochPlan plan = EpochPlanner.plan(lengths, 4, 5, 0);
        final long total = Arrays.stream(lengths).asLongStream().sum();
        for (int rank = 0; rank < 4; rank++)
        {
            long bytes = 0;
            for (int position = 0; position < plan.sliceLength(rank); position++)
            {
                bytes += lengths[plan.chunkAt(rank, position)];
            }
            assertTrue(Math.abs(bytes - total / 4) <= 1_000_000, "rank " + rank + " holds " + bytes + " of " + total);
        }
    }

    @Test
    void moreRanksThanChunksLeavesSomeRanksEmpty()
    {
        final EpochPlan plan = EpochPlanner.plan(lengths(3, 1), 5, 1, 0);
        int total = 0;
        for (int rank = 0; rank < 5; rank++)
        {
            total += plan.sliceLength(rank);
        }
        assertEquals(3, total);
    }

    private static int[] lengths(final int count, final int seed)
    {
        final int[] lengths = new int[count];
        for (int i = 0; i < count; i++)
        {
            lengths[i] = 1000 + (i * 7919 * seed) % 5000;
        }
        return lengths;
    }
}
