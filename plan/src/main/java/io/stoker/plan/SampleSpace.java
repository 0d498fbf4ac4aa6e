package io.stoker.plan;

/**
 * The samples of a dataset as plans see them: how many records each chunk holds.
 */
public final class SampleSpace
{
    private final int[] recordCounts;
    private final long sampleCount;

    /**
     * @param recordCounts records of each chunk, indexed by chunk id; the space keeps the array.
     */
    public SampleSpace(final int[] recordCounts)
    {
        this.recordCounts = recordCounts;
        long total = 0;
        for (final int count : recordCounts)
        {
            if (count < 1)
            {
                throw new IllegalArgumentException("every chunk holds at least one record");
            }
            total += count;
        }
        this.sampleCount = total;
    }

    public int chunkCount()
    {
        return recordCounts.length;
    }

    /**
     * @return records of a chunk.
     */
    public int recordCount(final int chunkId)
    {
        return recordCounts[chunkId];
    }

    /**
     * @return samples in the dataset.
     */
    public long sampleCount()
    {
        return sampleCount;
    }
}
