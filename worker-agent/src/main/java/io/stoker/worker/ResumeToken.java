package io.stoker.worker;

import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;

import java.util.Arrays;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Where a rank's consumer is in a job: the first epoch it has not finished and how many steps of its stream in
 * that epoch it has released, with what the plan of that epoch depends on (dataset, seed, batches, and the world
 * sizes the epoch was planned over so far). Two uses:
 * <ul>
 *     <li>a worker started with its rank's token skips (and acknowledges) what the token says was consumed, so a
 *     restarted job on the same ranks neither repeats nor skips a sample;</li>
 *     <li>with batches, every rank of a training job is at the same step, so one rank's token is the job's
 *     position: {@link #resume} makes the spec of the job resumed after it, on any number of ranks.</li>
 * </ul>
 *
 * @param datasetId the manifest's dataset id.
 * @param seed      the job's seed.
 * @param batchSpec how the job hands samples out.
 * @param rank      the rank the token belongs to.
 * @param epoch     the first epoch not fully consumed.
 * @param history   how that epoch was planned before its current segment: world size of each segment, the last
 *                  being the current one's, and the steps each earlier segment's ranks consumed.
 * @param step      steps of the rank's stream in the epoch's current segment already consumed.
 */
public record ResumeToken(
    String datasetId, long seed, BatchSpec batchSpec, int rank, int epoch, EpochHistory history, int step)
{
    private static final String PREFIX = "stoker-resume-v2";

    /**
     * @throws IllegalArgumentException when the fields do not describe a position.
     */
    public ResumeToken
    {
        if (history.consumed().length != history.worldSizes().length - 1)
        {
            throw new IllegalArgumentException("a token's history records what every segment but the last consumed");
        }
        final int worldSize = history.worldSizes()[history.worldSizes().length - 1];
        if (rank < 0 || rank >= worldSize || epoch < 0 || step < 0)
        {
            throw new IllegalArgumentException(
                "rank " + rank + " of " + worldSize + ", epoch " + epoch + ", step " + step + " is not a position");
        }
    }

    /**
     * @return the world size of the epoch's current segment: the job's when the token was taken.
     */
    public int worldSize()
    {
        final int[] sizes = history.worldSizes();
        return sizes[sizes.length - 1];
    }

    /**
     * @return true when the token was taken in this job on this rank: same dataset, seed, batches, and the
     * epoch planned the same way; or after its last epoch, when nothing of it is left.
     */
    public boolean isOf(final WorkerJob job)
    {
        final JobSpec spec = job.spec();
        return datasetId.equals(spec.datasetId()) && seed == spec.seed() && batchSpec.equals(spec.batchSpec()) &&
            rank == job.rank() && epoch <= spec.epochs() && history.equals(job.historyBefore(epoch));
    }

    /**
     * The job resumed after this position: every rank of the epoch's current segment consumed {@link #step()}
     * steps, and what is left of the epoch is planned over {@code worldSize} ranks, still in equal steps.
     *
     * @param epochs    the job's epochs in all.
     * @param worldSize ranks of the resumed job.
     * @return the resumed job's spec.
     * @throws IllegalArgumentException for the chunk feed, whose ranks stop at different steps, or when the
     *                                  token is past the last epoch.
     */
    public JobSpec resume(final int epochs, final int worldSize)
    {
        if (batchSpec.isChunks())
        {
            throw new IllegalArgumentException("a job with the chunk feed resumes only on its own ranks, each " +
                "worker from its own token: its ranks stop at different steps");
        }
        if (epoch >= epochs)
        {
            throw new IllegalArgumentException("the token is at epoch " + epoch + ", past the job's " + epochs);
        }
        final int[] steps = new int[worldSize()];
        Arrays.fill(steps, step);
        return new JobSpec(datasetId, worldSize, epochs, seed, batchSpec, epoch,
            Map.of(epoch, history.resumedAfter(steps, worldSize)));
    }

    /**
     * @return the token as one line, to store and pass back with {@link #parse(String)}.
     */
    @Override
    public String toString()
    {
        final StringJoiner segments = new StringJoiner("/");
        final int[] sizes = history.worldSizes();
        for (int k = 0; k < sizes.length; k++)
        {
            final StringBuilder segment = new StringBuilder().append(sizes[k]);
            if (k < history.consumed().length)
            {
                final int[] consumed = history.consumed()[k];
                segment.append('@');
                if (Arrays.stream(consumed).allMatch(steps -> steps == consumed[0]))
                {
                    segment.append(consumed[0]);
                }
                else
                {
                    final StringJoiner ranks = new StringJoiner(",");
                    Arrays.stream(consumed).forEach(steps -> ranks.add(Integer.toString(steps)));
                    segment.append(ranks);
                }
            }
            segments.add(segment);
        }
        return PREFIX + ":" + datasetId + ":" + seed + ":" + batchSpec.batchSize() + ":" +
            batchSpec.shuffleWindow() + ":" + batchSpec.dropPolicy().label() + ":" + rank + ":" + epoch + ":" +
            step + ":" + segments;
    }

    /**
     * @param text a token as {@link #toString()} wrote it.
     * @return the token.
     * @throws IllegalArgumentException when the text is not a token.
     */
    public static ResumeToken parse(final String text)
    {
        final String[] parts = text.strip().split(":");
        if (parts.length != 10 || !PREFIX.equals(parts[0]))
        {
            throw new IllegalArgumentException("not a Stoker resume token (" + PREFIX + "): " + text);
        }
        try
        {
            final BatchSpec batchSpec = new BatchSpec(
                Integer.parseInt(parts[3]), Integer.parseInt(parts[4]), DropPolicy.fromLabel(parts[5]));
            final String[] segments = parts[9].split("/");
            final int[] sizes = new int[segments.length];
            final int[][] consumed = new int[segments.length - 1][];
            for (int k = 0; k < segments.length; k++)
            {
                final String[] sizeAndSteps = segments[k].split("@", -1);
                sizes[k] = Integer.parseInt(sizeAndSteps[0]);
                final boolean withSteps = 2 == sizeAndSteps.length;
                if (sizes[k] < 1 || sizes[k] > JobSpec.MAX_WORLD_SIZE || (k < consumed.length) != withSteps)
                {
                    throw new IllegalArgumentException("segment " + segments[k]);
                }
                if (k < consumed.length)
                {
                    consumed[k] = steps(sizeAndSteps[1], sizes[k]);
                }
            }
            return new ResumeToken(parts[1], Long.parseLong(parts[2]), batchSpec, Integer.parseInt(parts[6]),
                Integer.parseInt(parts[7]), new EpochHistory(sizes, consumed), Integer.parseInt(parts[8]));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not a Stoker resume token: " + text + ": " + ex.getMessage(), ex);
        }
    }

    private static int[] steps(final String text, final int ranks)
    {
        final String[] values = text.split(",");
        final int[] steps = new int[ranks];
        if (1 == values.length)
        {
            Arrays.fill(steps, Integer.parseInt(values[0]));
            return steps;
        }
        if (values.length != ranks)
        {
            throw new IllegalArgumentException(values.length + " ranks' steps for a segment of " + ranks);
        }
        for (int rank = 0; rank < ranks; rank++)
        {
            steps[rank] = Integer.parseInt(values[rank]);
        }
        return steps;
    }
}
