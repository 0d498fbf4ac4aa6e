package io.stoker.coordinator;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What is done of one epoch: which chunks were acknowledged (counted once, only with the checksum
 * the manifest holds), which were reported unavailable, and which rank holds each chunk now.
 */
public final class EpochProgress
{
    private final EpochPlan plan;
    private final int[] holder;
    private final BitSet acknowledged;
    private final BitSet unavailable;
    private final BitSet moved;
    private int acknowledgedCount;
    private int unavailableCount;

    /**
     * @param plan the epoch's plan; each chunk starts with the rank whose slice holds it.
     */
    public EpochProgress(final EpochPlan plan)
    {
        this.plan = plan;
        final int chunkCount = plan.chunkCount();
        holder = new int[chunkCount];
        for (int rank = 0; rank < plan.worldSize(); rank++)
        {
            for (int position = 0, length = plan.sliceLength(rank); position < length; position++)
            {
                holder[plan.chunkAt(rank, position)] = rank;
            }
        }
        acknowledged = new BitSet(chunkCount);
        unavailable = new BitSet(chunkCount);
        moved = new BitSet(chunkCount);
    }

    public EpochPlan plan()
    {
        return plan;
    }

    public int epoch()
    {
        return plan.epoch();
    }

    /**
     * Count an acknowledgement.
     *
     * @return true when the chunk was not done before: the first acknowledgement counts, repeats do not.
     */
    public boolean acknowledge(final int chunkId)
    {
        if (acknowledged.get(chunkId))
        {
            return false;
        }
        if (unavailable.get(chunkId))
        {
            unavailable.clear(chunkId);
            unavailableCount--;
        }
        acknowledged.set(chunkId);
        acknowledgedCount++;
        return true;
    }

    /**
     * Record that no server could deliver the chunk. An acknowledgement that arrives later still counts.
     *
     * @return true when this changed the chunk's state.
     */
    public boolean markUnavailable(final int chunkId)
    {
        if (acknowledged.get(chunkId) || unavailable.get(chunkId))
        {
            return false;
        }
        unavailable.set(chunkId);
        unavailableCount++;
        return true;
    }

    public boolean isAcknowledged(final int chunkId)
    {
        return acknowledged.get(chunkId);
    }

    /**
     * @return true when every chunk is acknowledged or reported unavailable.
     */
    public boolean isComplete()
    {
        return acknowledgedCount + unavailableCount == plan.chunkCount();
    }

    public int acknowledgedCount()
    {
        return acknowledgedCount;
    }

    public int unavailableCount()
    {
        return unavailableCount;
    }

    /**
     * @return ids of the chunks reported unavailable, ascending.
     */
    public int[] unavailableChunks()
    {
        return unavailable.stream().toArray();
    }

    /**
     * @param chunkId a chunk.
     * @return the rank that holds it now.
     */
    public int holder(final int chunkId)
    {
        return holder[chunkId];
    }

    /**
     * Hand a chunk to another rank, as when its holder's lease ended.
     */
    public void reassign(final int chunkId, final int rank)
    {
        holder[chunkId] = rank;
        moved.set(chunkId);
    }

    /**
     * @return the chunks handed to another rank than the plan's, ascending: with {@link #holder} what a
     * checkpoint must keep so that a restarted coordinator knows who may acknowledge them.
     */
    public int[] movedChunks()
    {
        return moved.stream().toArray();
    }

    /**
     * @param rank a rank.
     * @return the chunks the rank holds that are not done, in plan order.
     */
    public int[] outstanding(final int rank)
    {
        final int[] order = plan.order();
        int count = 0;
        final int[] result = new int[order.length];
        for (final int chunkId : order)
        {
            if (holder[chunkId] == rank && !acknowledged.get(chunkId) && !unavailable.get(chunkId))
            {
                result[count++] = chunkId;
            }
        }
        return Arrays.copyOf(result, count);
    }

    /**
     * @return a copy of the unavailable set, for checkpoints.
     */
    public BitSet unavailableSet()
    {
        return (BitSet)unavailable.clone();
    }

    /**
     * Take over a checkpoint's state of this epoch.
     *
     * @param movedChunks chunks handed to other ranks than the plan's, with their {@code holders}.
     */
    void restore(
        final BitSet acknowledgedChunks, final BitSet unavailableChunks, final int[] movedChunks, final int[] holders)
    {
        acknowledgedChunks.stream().forEach(this::acknowledge);
        unavailableChunks.stream().forEach(this::markUnavailable);
        for (int i = 0; i < movedChunks.length; i++)
        {
            reassign(movedChunks[i], holders[i]);
        }
    }

    /**
     * @return a copy of the acknowledged set, for checkpoints.
     */
    public BitSet acknowledgedSet()
    {
        return (BitSet)acknowledged.clone();
    }
}
