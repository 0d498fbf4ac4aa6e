package io.stoker.coordinator;

import io.stoker.dataset.SplitMix64;

/**
 * Plans epochs: a permutation of all chunks drawn from {@code (seed, epoch)} alone, cut into one
 * contiguous slice per rank with about equal bytes. The same inputs give the same plan on any
 * machine and in any run: the shuffle uses its own fixed generator (SplitMix64), not the JDK's.
 */
public final class EpochPlanner
{
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private EpochPlanner()
    {
    }

    /**
     * @param chunkLengths length in bytes of each chunk, indexed by chunk id.
     * @param worldSize    number of ranks.
     * @param seed         the job's seed.
     * @param epoch        the epoch, from 0.
     * @return the epoch's plan.
     */
    public static EpochPlan plan(final int[] chunkLengths, final int worldSize, final long seed, final int epoch)
    {
        if (worldSize < 1)
        {
            throw new IllegalArgumentException("world size must be at least 1, was " + worldSize);
        }
        final int[] order = permutation(chunkLengths.length, seed, epoch);
        return new EpochPlan(epoch, order, balancedSlices(order, chunkLengths, worldSize));
    }

    /**
     * A Fisher-Yates shuffle of {@code 0..count-1} driven by SplitMix64 seeded from {@code (seed, epoch)}; the
     * index draw is a multiply-shift of the top 32 bits.
     */
    static int[] permutation(final int count, final long seed, final int epoch)
    {
        final int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }

        final SplitMix64 random = new SplitMix64(SplitMix64.mix(seed ^ SplitMix64.mix(GOLDEN_GAMMA * (epoch + 1L))));
        for (int i = count - 1; i > 0; i--)
        {
            final int j = (int)(((random.nextLong() >>> 32) * (i + 1L)) >>> 32);
            final int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /**
     * Cut points so that each rank's slice holds about {@code total / worldSize} bytes: rank r's slice
     * ends at the chunk boundary nearest to {@code total * (r + 1) / worldSize}.
     */
    static int[] balancedSlices(final int[] order, final int[] chunkLengths, final int worldSize)
    {
        long total = 0;
        for (final int length : chunkLengths)
        {
            total += length;
        }

        final int[] starts = new int[worldSize + 1];
        starts[worldSize] = order.length;
        long prefix = 0;
        int index = 0;
        for (int rank = 1; rank < worldSize; rank++)
        {
            final long target = (long)((double)total * rank / worldSize);
            while (index < order.length && prefix + chunkLengths[order[index]] <= target)
            {
                prefix += chunkLengths[order[index++]];
            }
            if (index < order.length && target - prefix > prefix + chunkLengths[order[index]] - target)
            {
                prefix += chunkLengths[order[index++]];
            }
            starts[rank] = index;
        }
        return starts;
    }
}
