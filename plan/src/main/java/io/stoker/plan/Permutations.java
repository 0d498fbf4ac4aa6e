package io.stoker.plan;

import io.stoker.dataset.SplitMix64;

/**
 * The seeded permutations plans are made of: Fisher-Yates shuffles driven by SplitMix64, whose index draw is a
 * multiply-shift of the top 32 bits. They are functions of their arguments alone, the same on any machine, JVM
 * and version: tests pin them.
 */
public final class Permutations
{
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private Permutations()
    {
    }

    /**
     * @return the epoch's order of {@code 0..count-1} chunks, drawn from {@code (seed, epoch)}.
     */
    public static int[] chunkOrder(final int count, final long seed, final int epoch)
    {
        return shuffle(count, new SplitMix64(SplitMix64.mix(seed ^ SplitMix64.mix(GOLDEN_GAMMA * (epoch + 1L)))));
    }

    /**
     * @return the order of a shuffle window's {@code count} samples, drawn from its coordinates alone.
     */
    public static int[] window(
        final int count, final long seed, final int epoch, final int segment, final int rank, final int window)
    {
        long key = SplitMix64.mix(seed ^ SplitMix64.mix(GOLDEN_GAMMA * (epoch + 1L)));
        key = SplitMix64.mix(key ^ SplitMix64.mix(GOLDEN_GAMMA * (segment + 1L)));
        key = SplitMix64.mix(key ^ SplitMix64.mix(GOLDEN_GAMMA * (rank + 1L)));
        key = SplitMix64.mix(key ^ SplitMix64.mix(GOLDEN_GAMMA * (window + 1L)));
        return shuffle(count, new SplitMix64(key));
    }

    private static int[] shuffle(final int count, final SplitMix64 random)
    {
        final int[] order = new int[count];
        for (int i = 0; i < count; i++)
        {
            order[i] = i;
        }
        for (int i = count - 1; i > 0; i--)
        {
            final int j = (int)(((random.nextLong() >>> 32) * (i + 1L)) >>> 32);
            final int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }
}
