package io.stoker.plan;

/**
 * How a job hands its samples to each rank's consumer: in batches of {@code batchSize} samples drawn in a
 * seeded order over windows of {@code shuffleWindow} chunks, or (batch size 0) as whole pieces of
 * chunks in plan order, the chunk feed.
 *
 * @param batchSize     samples per batch, 0 for the chunk feed.
 * @param shuffleWindow chunks whose samples are shuffled together; at least 1.
 * @param dropPolicy    what becomes of the samples that do not fill a last global step.
 */
public record BatchSpec(int batchSize, int shuffleWindow, DropPolicy dropPolicy)
{
    /**
     * Largest batch.
     */
    public static final int MAX_BATCH_SIZE = 1 << 20;

    /**
     * Largest shuffle window, in chunks.
     */
    public static final int MAX_SHUFFLE_WINDOW = 4096;

    /**
     * The chunk feed: whole pieces, in plan order.
     */
    public static final BatchSpec CHUNKS = new BatchSpec(0, 1, DropPolicy.PARTIAL);

    /**
     * @throws IllegalArgumentException naming what is out of range.
     */
    public BatchSpec
    {
        if (batchSize < 0 || batchSize > MAX_BATCH_SIZE)
        {
            throw new IllegalArgumentException(
                "batch size must be 0 (chunks) to " + MAX_BATCH_SIZE + ", was " + batchSize);
        }
        if (shuffleWindow < 1 || shuffleWindow > MAX_SHUFFLE_WINDOW)
        {
            throw new IllegalArgumentException(
                "shuffle window must be 1 to " + MAX_SHUFFLE_WINDOW + " chunks, was " + shuffleWindow);
        }
        if (null == dropPolicy)
        {
            throw new IllegalArgumentException("a drop policy is needed");
        }
    }

    /**
     * @return true for the chunk feed.
     */
    public boolean isChunks()
    {
        return 0 == batchSize;
    }

    @Override
    public String toString()
    {
        return isChunks() ? "chunks" :
            "batches of " + batchSize + ", shuffled over " + shuffleWindow + " chunks, " + dropPolicy.label();
    }
}
