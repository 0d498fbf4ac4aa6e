package io.stoker.worker;

import org.agrona.collections.Int2IntHashMap;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.BitSet;

/**
 * Follows which planned positions of each epoch the consumer released, to tell where a restart would
 * resume: the first epoch not fully released and the first position in it not released. Updated on the
 * agent thread; read from the consumer's through one volatile word.
 */
final class ResumePoint
{
    private final Int2ObjectHashMap<Int2IntHashMap> positions = new Int2ObjectHashMap<>();
    private final Int2ObjectHashMap<BitSet> released = new Int2ObjectHashMap<>();
    private final Int2IntHashMap plannedLength = new Int2IntHashMap(0);
    private int epoch;
    private volatile long published;

    /**
     * @param startEpoch the epoch to start from: 0, or a resume token's.
     */
    ResumePoint(final int startEpoch)
    {
        epoch = startEpoch;
        publish(0);
    }

    /**
     * A chunk of the rank's planned slice.
     */
    void plan(final int epoch, final int chunkId, final int position)
    {
        Int2IntHashMap byChunk = positions.get(epoch);
        if (null == byChunk)
        {
            byChunk = new Int2IntHashMap(-1);
            positions.put(epoch, byChunk);
        }
        byChunk.put(chunkId, position);
        plannedLength.put(epoch, Math.max(plannedLength.get(epoch), position + 1));
    }

    /**
     * The consumer released a chunk; chunks outside the planned slice (reassigned ones) do not move the point.
     */
    void release(final int epoch, final int chunkId)
    {
        final Int2IntHashMap byChunk = positions.get(epoch);
        final int position = null != byChunk ? byChunk.get(chunkId) : -1;
        if (position < 0)
        {
            return;
        }
        BitSet set = released.get(epoch);
        if (null == set)
        {
            set = new BitSet();
            released.put(epoch, set);
        }
        set.set(position);
        advance();
    }

    /**
     * The coordinator completed an epoch: nothing of it is left for this rank.
     */
    void complete(final int completedEpoch)
    {
        if (completedEpoch == epoch)
        {
            forget(epoch++);
            advance();
        }
    }

    int epoch()
    {
        return (int)(published >>> 32);
    }

    int position()
    {
        return (int)published;
    }

    private void advance()
    {
        BitSet set = released.get(epoch);
        int position = null != set ? set.nextClearBit(0) : 0;
        while (plannedLength.get(epoch) > 0 && position >= plannedLength.get(epoch))
        {
            forget(epoch++);
            set = released.get(epoch);
            position = null != set ? set.nextClearBit(0) : 0;
        }
        publish(position);
    }

    private void forget(final int epoch)
    {
        positions.remove(epoch);
        released.remove(epoch);
        plannedLength.remove(epoch);
    }

    private void publish(final int position)
    {
        published = ((long)epoch << 32) | (position & 0xFFFF_FFFFL);
    }
}
