package io.stoker.coordinator;

import java.util.Arrays;

/**
 * One epoch's order of chunks and each rank's contiguous slice of it.
 */
public final class EpochPlan
{
    private final int epoch;
    private final int[] order;
    private final int[] sliceStarts;

    EpochPlan(final int epoch, final int[] order, final int[] sliceStarts)
    {
        this.epoch = epoch;
        this.order = order;
        this.sliceStarts = sliceStarts;
    }

    public int epoch()
    {
        return epoch;
    }

    /**
     * @return how many ranks share the epoch.
     */
    public int worldSize()
    {
        return sliceStarts.length - 1;
    }

    /**
     * @return how many chunks the epoch holds: every chunk of the dataset.
     */
    public int chunkCount()
    {
        return order.length;
    }

    /**
     * @param rank a rank.
     * @return index in {@link #order()} of the rank's first chunk.
     */
    public int sliceStart(final int rank)
    {
        return sliceStarts[rank];
    }

    /**
     * @param rank a rank.
     * @return how many chunks the rank reads.
     */
    public int sliceLength(final int rank)
    {
        return sliceStarts[rank + 1] - sliceStarts[rank];
    }

    /**
     * @param rank     a rank.
     * @param position position in the rank's slice.
     * @return the chunk id at that position.
     */
    public int chunkAt(final int rank, final int position)
    {
        return order[sliceStarts[rank] + position];
    }

    /**
     * @param rank a rank.
     * @return a copy of the rank's chunk ids in reading order.
     */
    public int[] slice(final int rank)
    {
        return Arrays.copyOfRange(order, sliceStarts[rank], sliceStarts[rank + 1]);
    }

    /**
     * @return the whole epoch order; the array is the plan's own: do not modify.
     */
    public int[] order()
    {
        return order;
    }
}
