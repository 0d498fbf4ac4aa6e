package io.stoker.plan;

import java.util.Arrays;

/**
 * How a resumed epoch came to be planned: the world size of each of its segments, oldest first, and the steps
 * each rank of a segment consumed. A segment's consumption either ended it (the next segment plans the rest
 * over the next world size) or, for the last segment, says where its ranks resume.
 *
 * @param worldSizes world size of each segment; the last is the job's.
 * @param consumed   steps each rank consumed, one array per segment; one fewer than the segments when the last
 *                   segment starts at its beginning.
 */
public record EpochHistory(int[] worldSizes, int[][] consumed)
{
    /**
     * @throws IllegalArgumentException when the arrays do not describe segments.
     */
    public EpochHistory
    {
        if (worldSizes.length < 1 || consumed.length < worldSizes.length - 1 || consumed.length > worldSizes.length)
        {
            throw new IllegalArgumentException(
                worldSizes.length + " segments with " + consumed.length + " consumption records");
        }
        for (int k = 0; k < consumed.length; k++)
        {
            if (consumed[k].length != worldSizes[k])
            {
                throw new IllegalArgumentException("segment " + k + " has " + worldSizes[k] + " ranks, not " +
                    consumed[k].length);
            }
        }
    }

    /**
     * @return the current segment of the epoch.
     */
    public Segment segment(final SampleSpace space, final long seed, final int epoch, final BatchSpec spec)
    {
        return Segment.replay(space, seed, epoch, spec, worldSizes,
            Arrays.copyOf(consumed, worldSizes.length - 1));
    }

    /**
     * @return steps the rank consumed in the current segment before the job resumed: where it starts.
     */
    public int startStep(final int rank)
    {
        return consumed.length == worldSizes.length ? consumed[worldSizes.length - 1][rank] : 0;
    }

    /**
     * @return the history after the current segment's ranks consumed {@code steps}, resumed over
     * {@code worldSize} ranks: the same segment when the world size is unchanged, else a next one.
     */
    public EpochHistory resumedAfter(final int[] steps, final int worldSize)
    {
        final int current = worldSizes.length - 1;
        final int[][] done = Arrays.copyOf(consumed, worldSizes.length);
        done[current] = steps.clone();
        if (worldSize == worldSizes[current])
        {
            return new EpochHistory(worldSizes.clone(), done);
        }
        final int[] sizes = Arrays.copyOf(worldSizes, worldSizes.length + 1);
        sizes[current + 1] = worldSize;
        return new EpochHistory(sizes, done);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof EpochHistory that && Arrays.equals(worldSizes, that.worldSizes) &&
            Arrays.deepEquals(consumed, that.consumed);
    }

    @Override
    public int hashCode()
    {
        return 31 * Arrays.hashCode(worldSizes) + Arrays.deepHashCode(consumed);
    }

    @Override
    public String toString()
    {
        return "segments " + Arrays.toString(worldSizes) + ", consumed " + Arrays.deepToString(consumed);
    }
}
