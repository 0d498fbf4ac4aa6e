package io.stoker.worker;

import io.stoker.dataset.DatasetLayout;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.plan.RankStream;
import io.stoker.plan.SampleSpace;

import java.util.Arrays;

/**
 * The job a worker serves, as one immutable view: published with one volatile write when the job starts, so a
 * consumer thread never sees the new layout with the old seed.
 *
 * @param jobId    the coordinator's id for the job.
 * @param spec     what every member plans the job from.
 * @param layout   what the worker knows of the dataset: format, shards, every chunk's record count — where a chunk
 *                 is comes in its descriptor, with the steps that use it.
 * @param space    the dataset's samples as plans see them.
 * @param rank     this worker's rank.
 */
public record WorkerJob(long jobId, JobSpec spec, DatasetLayout layout, SampleSpace space, int rank)
{
    /**
     * The buffers a worker's pool needs: the read-ahead asked for, plus the pieces one step of the rank's stream
     * needs at once beyond the first (a step's samples come from every piece of the shuffle windows it draws on).
     * Measured over the job's first epoch; other epochs' plans differ by a few pieces at most, which the
     * read-ahead absorbs.
     *
     * @param readAhead buffers to read ahead in, at least 2.
     * @return buffers for the rank's pool.
     */
    public int poolBuffers(final int readAhead)
    {
        final RankStream own = spec.segment(space, spec.firstEpoch()).stream(rank);
        int most = 1;
        for (int step = 0, steps = own.steps(); step < steps; step++)
        {
            most = Math.max(most, own.lastPiece(step) - own.firstPiece(step) + 1);
        }
        return readAhead + most - 1;
    }

    /**
     * @return the most buffers any rank's pool of the job needs: see {@link #poolBuffers(int)}.
     */
    public static int poolBuffers(final int readAhead, final JobSpec spec, final DatasetLayout layout)
    {
        final SampleSpace space = spaceOf(layout);
        int most = 0;
        for (int rank = 0; rank < spec.worldSize(); rank++)
        {
            most = Math.max(most, new WorkerJob(0, spec, layout, space, rank).poolBuffers(readAhead));
        }
        return most;
    }

    /**
     * @return the dataset's samples as plans see them: records of each chunk.
     */
    public static SampleSpace spaceOf(final DatasetLayout layout)
    {
        return new SampleSpace(layout.recordCounts());
    }

    /**
     * @return how an epoch came to its current segment, without what its current segment consumed: the
     * segments' world sizes and what the ranks of each earlier one consumed.
     */
    public EpochHistory historyBefore(final int epoch)
    {
        final EpochHistory history = spec.histories().get(epoch);
        if (null == history)
        {
            return new EpochHistory(new int[]{ spec.worldSize() }, new int[0][]);
        }
        final int[] sizes = history.worldSizes();
        return new EpochHistory(sizes.clone(), Arrays.copyOf(history.consumed(), sizes.length - 1));
    }
}
