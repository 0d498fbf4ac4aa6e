package io.stoker.plan;

import java.util.Map;
import java.util.TreeMap;

/**
 * A job as every member plans it: the dataset, world size, epochs, seed and batch spec, and, for a resumed job,
 * the first epoch to deliver and the history of the epochs resumed mid-way. Every plan of the job is a function
 * of this and the dataset's manifest alone.
 *
 * @param datasetId  the dataset.
 * @param worldSize  ranks.
 * @param epochs     epochs in all, resumed or not.
 * @param seed       the seed of every order.
 * @param batchSpec  how samples are handed to consumers.
 * @param firstEpoch the first epoch still to deliver: 0, or where the job resumed.
 * @param histories  the epochs resumed mid-way, by epoch; the map is the spec's own.
 */
public record JobSpec(
    String datasetId,
    int worldSize,
    int epochs,
    long seed,
    BatchSpec batchSpec,
    int firstEpoch,
    Map<Integer, EpochHistory> histories)
{
    /**
     * Most ranks of a job.
     */
    public static final int MAX_WORLD_SIZE = 65_536;

    /**
     * @throws IllegalArgumentException naming what is inconsistent.
     */
    public JobSpec
    {
        if (worldSize < 1 || worldSize > MAX_WORLD_SIZE)
        {
            throw new IllegalArgumentException("world size must be 1 to " + MAX_WORLD_SIZE + ", was " + worldSize);
        }
        if (epochs < 1 || firstEpoch < 0 || firstEpoch >= epochs)
        {
            throw new IllegalArgumentException("epochs must be at least 1 and the first epoch among them, were " +
                epochs + " and " + firstEpoch);
        }
        for (final Map.Entry<Integer, EpochHistory> history : histories.entrySet())
        {
            final int[] sizes = history.getValue().worldSizes();
            if (history.getKey() < firstEpoch || history.getKey() >= epochs || sizes[sizes.length - 1] != worldSize)
            {
                throw new IllegalArgumentException("epoch " + history.getKey() + " was resumed to " +
                    sizes[sizes.length - 1] + " ranks, not within the job's epochs " + firstEpoch + ".." +
                    (epochs - 1) + " on its " + worldSize + " ranks");
            }
        }
        histories = new TreeMap<>(histories);
    }

    /**
     * @return a fresh job: no resume.
     */
    public static JobSpec of(
        final String datasetId, final int worldSize, final int epochs, final long seed, final BatchSpec batchSpec)
    {
        return new JobSpec(datasetId, worldSize, epochs, seed, batchSpec, 0, Map.of());
    }

    /**
     * @return the epoch's current segment: its first one, or the last of its history.
     */
    public Segment segment(final SampleSpace space, final int epoch)
    {
        final EpochHistory history = histories.get(epoch);
        return null != history ? history.segment(space, seed, epoch, batchSpec) :
            Segment.first(space, seed, epoch, worldSize, batchSpec);
    }

    /**
     * @return steps the rank consumed in the epoch's current segment before the job resumed.
     */
    public int startStep(final int epoch, final int rank)
    {
        final EpochHistory history = histories.get(epoch);
        return null != history ? history.startStep(rank) : 0;
    }

    /**
     * @return true when the other spec is this job resumed: the same dataset, epochs, seed and batches.
     */
    public boolean isSameJob(final JobSpec other)
    {
        return datasetId.equals(other.datasetId) && epochs == other.epochs && seed == other.seed &&
            batchSpec.equals(other.batchSpec);
    }
}
