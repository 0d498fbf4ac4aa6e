package io.stoker.worker;

/**
 * Where a rank's consumer is in a job: the first epoch it has not finished and how many chunks of its
 * planned slice of that epoch it has released. A worker started with a token skips (and acknowledges)
 * what the token says was consumed, so a restarted training job neither repeats nor skips a chunk.
 * The plan is a function of (dataset, seed, world size), which the token names and a resuming worker checks.
 *
 * @param datasetId the manifest's dataset id.
 * @param seed      the job's seed.
 * @param worldSize the job's ranks.
 * @param rank      the rank the token belongs to.
 * @param epoch     the first epoch not fully consumed.
 * @param position  planned chunks of that epoch already consumed.
 */
public record ResumeToken(String datasetId, long seed, int worldSize, int rank, int epoch, int position)
{
    private static final String PREFIX = "stoker-resume-v1";

    /**
     * @return the token as one line, to store and pass back with {@link #parse(String)}.
     */
    @Override
    public String toString()
    {
        return PREFIX + ":" + datasetId + ":" + seed + ":" + worldSize + ":" + rank + ":" + epoch + ":" + position;
    }

    /**
     * @param text a token as {@link #toString()} wrote it.
     * @return the token.
     * @throws IllegalArgumentException when the text is not a token.
     */
    public static ResumeToken parse(final String text)
    {
        final String[] parts = text.strip().split(":");
        if (parts.length != 7 || !PREFIX.equals(parts[0]))
        {
            throw new IllegalArgumentException("not a Stoker resume token: " + text);
        }
        try
        {
            return new ResumeToken(parts[1], Long.parseLong(parts[2]), Integer.parseInt(parts[3]),
                Integer.parseInt(parts[4]), Integer.parseInt(parts[5]), Integer.parseInt(parts[6]));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("not a Stoker resume token: " + text, ex);
        }
    }
}
