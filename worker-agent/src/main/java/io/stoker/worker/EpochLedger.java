package io.stoker.worker;

import org.agrona.collections.Int2ObjectHashMap;

import java.util.BitSet;

/**
 * Per open epoch, which chunks this worker has taken on (read, verified, or with the consumer) and
 * which the consumer has released. A chunk assigned again while taken on or released is a duplicate:
 * the worker drops it, and re-acknowledges it when it was released, since the coordinator asking
 * again means it may have lost the acknowledgement.
 */
final class EpochLedger
{
    private final Int2ObjectHashMap<BitSet> taken = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<BitSet> released = new Int2ObjectHashMap<>();
    private final BitSet closed = new BitSet();
    private int chunkCount;

    /**
     * Forget everything, for a new job with {@code chunkCount} chunks.
     */
    void reset(final int chunkCount)
    {
        this.chunkCount = chunkCount;
        taken.clear();
        released.clear();
        closed.clear();
    }

    /**
     * @return true when the coordinator completed the epoch: anything of it assigned late is stale.
     */
    boolean isClosed(final int epoch)
    {
        return closed.get(epoch);
    }

    boolean isTaken(final int epoch, final int chunkId)
    {
        final BitSet set = taken.get(epoch);
        return null != set && set.get(chunkId);
    }

    boolean isReleased(final int epoch, final int chunkId)
    {
        final BitSet set = released.get(epoch);
        return null != set && set.get(chunkId);
    }

    void take(final int epoch, final int chunkId)
    {
        set(taken, epoch).set(chunkId);
    }

    /**
     * The chunk will not be delivered by this worker after all (unavailable, or work abandoned).
     */
    void drop(final int epoch, final int chunkId)
    {
        final BitSet set = taken.get(epoch);
        if (null != set)
        {
            set.clear(chunkId);
        }
    }

    void release(final int epoch, final int chunkId)
    {
        set(released, epoch).set(chunkId);
        drop(epoch, chunkId);
    }

    /**
     * The epoch is complete: nothing of it can come again.
     */
    void close(final int epoch)
    {
        closed.set(epoch);
        taken.remove(epoch);
        released.remove(epoch);
    }

    /**
     * @return the released chunks of each open epoch, to acknowledge again after re-registering.
     */
    Int2ObjectHashMap<BitSet> releasedByEpoch()
    {
        return released;
    }

    private BitSet set(final Int2ObjectHashMap<BitSet> sets, final int epoch)
    {
        BitSet set = sets.get(epoch);
        if (null == set)
        {
            set = new BitSet(chunkCount);
            sets.put(epoch, set);
        }
        return set;
    }
}
