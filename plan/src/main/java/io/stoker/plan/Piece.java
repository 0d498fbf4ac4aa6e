package io.stoker.plan;

import java.util.Arrays;

/**
 * Samples of one chunk that a plan keeps together: a range of its records, or (in a plan made when a job
 * resumed) the records of it not yet consumed, ascending. Immutable.
 */
public final class Piece
{
    private final int chunkId;
    private final int firstRecord;
    private final int count;
    private final int[] records;

    private Piece(final int chunkId, final int firstRecord, final int count, final int[] records)
    {
        this.chunkId = chunkId;
        this.firstRecord = firstRecord;
        this.count = count;
        this.records = records;
    }

    /**
     * @return records {@code [firstRecord, firstRecord + count)} of a chunk.
     */
    public static Piece range(final int chunkId, final int firstRecord, final int count)
    {
        return new Piece(chunkId, firstRecord, count, null);
    }

    /**
     * @param records ascending record indices; the piece keeps the array.
     * @return those records of a chunk.
     */
    public static Piece of(final int chunkId, final int[] records)
    {
        return new Piece(chunkId, records.length > 0 ? records[0] : 0, records.length, records);
    }

    public int chunkId()
    {
        return chunkId;
    }

    /**
     * @return how many samples.
     */
    public int count()
    {
        return count;
    }

    /**
     * @param i index within the piece.
     * @return the record index within the chunk.
     */
    public int record(final int i)
    {
        return null == records ? firstRecord + i : records[i];
    }

    /**
     * @return true when the piece is a range of records.
     */
    public boolean isRange()
    {
        return null == records;
    }

    /**
     * @return samples {@code [from, to)} of this piece, as a piece.
     */
    public Piece slice(final int from, final int to)
    {
        if (0 == from && count == to)
        {
            return this;
        }
        return null == records ? range(chunkId, firstRecord + from, to - from) :
            of(chunkId, Arrays.copyOfRange(records, from, to));
    }

    @Override
    public boolean equals(final Object other)
    {
        if (!(other instanceof Piece that) || chunkId != that.chunkId || count != that.count)
        {
            return false;
        }
        for (int i = 0; i < count; i++)
        {
            if (record(i) != that.record(i))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode()
    {
        return 31 * chunkId + count;
    }

    @Override
    public String toString()
    {
        return "chunk " + chunkId + (null == records ? " records " + firstRecord + ".." + (firstRecord + count - 1) :
            " records " + Arrays.toString(records));
    }
}
