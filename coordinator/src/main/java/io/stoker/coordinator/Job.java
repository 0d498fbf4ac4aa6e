package io.stoker.coordinator;

import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.Manifest;
import io.stoker.plan.JobSpec;
import io.stoker.plan.SampleSpace;
import org.agrona.collections.Int2ObjectHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A job: what was submitted, the dataset's samples (once a data server sent the manifest), the epochs still
 * open, and the client following it. It moves on only by its own methods, which refuse what may not happen
 * (binding a second manifest, starting twice, planning past the last epoch, completing an epoch out of order):
 * the fields are read, by the scheduler and the checkpoint, and written only here.
 */
final class Job
{
    final long jobId;
    final JobSpec spec;
    final int weight;
    private final Int2ObjectHashMap<EpochProgress> openEpochs = new Int2ObjectHashMap<>();
    private final List<EpochResult> results = new ArrayList<>();
    private Manifest manifest;
    private SampleSpace space;
    private long correlationId;
    private int clientMemberId = -1;
    private boolean started;
    /**
     * Restored by a restarted coordinator: its workers acknowledge what they delivered meanwhile as soon as they
     * register again, before every rank is back and the job starts again, and those acknowledgements count (a
     * worker sends them once per registration; refused, they would be lost and the epoch would never complete).
     */
    private boolean resumed;
    private int nextEpochToPlan;
    private int epochsCompleted;
    private int chunksUnavailable;
    /**
     * Sequence of the first checkpoint that holds this job, -1 until one is asked for: the job starts only once
     * it is written, so that a restart knows every job whose steps were handed out.
     */
    private long firstCheckpoint = -1;

    /**
     * @param jobId  the job's id on this coordinator.
     * @param spec   what was submitted.
     * @param weight its share of the data servers' bandwidth relative to other jobs, as submitted (1 to
     *               {@link io.stoker.transport.wire.MessageLimits#MAX_JOB_WEIGHT}).
     */
    Job(final long jobId, final JobSpec spec, final int weight)
    {
        this.jobId = jobId;
        this.spec = spec;
        this.weight = weight;
        this.nextEpochToPlan = spec.firstEpoch();
        this.epochsCompleted = spec.firstEpoch();
    }

    /**
     * The job a checkpoint holds, also a finished one, with its open epochs as they were: resumed, so that the
     * acknowledgements its workers send before it starts again count.
     */
    static Job restored(final CheckpointStore.JobCheckpoint checkpoint, final Manifest manifest)
    {
        final Job job = new Job(checkpoint.jobId(), checkpoint.spec(), checkpoint.weight());
        job.bind(manifest);
        job.nextEpochToPlan = checkpoint.nextEpochToPlan();
        job.epochsCompleted = checkpoint.epochsCompleted();
        job.chunksUnavailable = checkpoint.chunksUnavailable();
        for (final Map.Entry<Integer, CheckpointStore.OpenEpoch> open : checkpoint.openEpochs().entrySet())
        {
            final CheckpointStore.OpenEpoch saved = open.getValue();
            final EpochProgress progress = new EpochProgress(job.spec, job.space, open.getKey());
            progress.restore(saved.released(), saved.moves(), saved.missing());
            job.openEpochs.put(open.getKey(), progress);
        }
        job.results.addAll(checkpoint.results());
        job.firstCheckpoint = 0;
        job.resumed = true;
        return job;
    }

    /**
     * Take the dataset's chunk table, once a data server delivered the manifest.
     *
     * @throws IllegalStateException when one is bound already.
     */
    void bind(final Manifest manifest)
    {
        if (null != this.manifest)
        {
            throw new IllegalStateException("job " + jobId + " has its manifest already");
        }
        this.manifest = manifest;
        final int[] records = new int[manifest.chunkCount()];
        for (int i = 0; i < records.length; i++)
        {
            records[i] = manifest.chunkRecordCount(i);
        }
        space = new SampleSpace(records);
    }

    /**
     * A client follows the job from now: the one told of its epochs and outcome, answering its submission.
     */
    void follow(final int clientMemberId, final long correlationId)
    {
        this.clientMemberId = clientMemberId;
        this.correlationId = correlationId;
    }

    /**
     * The job's steps are handed out from now.
     *
     * @throws IllegalStateException when it started already, or has no manifest.
     */
    void start()
    {
        if (started || null == manifest)
        {
            throw new IllegalStateException("job " + jobId + (started ? " started already" : " has no manifest"));
        }
        started = true;
    }

    /**
     * @return true when acknowledgements of its steps may count: it started, or it was restored and its workers
     * are coming back.
     */
    boolean takesAcknowledgements()
    {
        return started || resumed;
    }

    /**
     * @return true when the epoch was planned, open or completed.
     */
    boolean wasPlanned(final int epoch)
    {
        return epoch >= spec.firstEpoch() && epoch < nextEpochToPlan;
    }

    /**
     * @return true while another epoch may be planned: one is left, within {@code lookahead} epochs beyond the
     * oldest open one.
     */
    boolean mayPlanAhead(final int lookahead)
    {
        return nextEpochToPlan < spec.epochs() && nextEpochToPlan <= epochsCompleted + lookahead;
    }

    /**
     * Plan the next epoch and open it.
     *
     * @throws IllegalStateException when every epoch was planned.
     */
    EpochProgress planNextEpoch()
    {
        if (nextEpochToPlan >= spec.epochs())
        {
            throw new IllegalStateException("job " + jobId + " planned all its " + spec.epochs() + " epochs");
        }
        final int epoch = nextEpochToPlan++;
        final EpochProgress progress = new EpochProgress(spec, space, epoch);
        openEpochs.put(epoch, progress);
        return progress;
    }

    /**
     * @return the oldest open epoch, the next to complete, or null.
     */
    EpochProgress oldestOpenEpoch()
    {
        return openEpochs.get(epochsCompleted);
    }

    /**
     * Complete the oldest open epoch, every step of which was released: epochs complete in order, so that those
     * before {@link #epochsCompleted} are exactly the ones done.
     *
     * @return what it delivered, kept for a client that attaches later.
     * @throws IllegalStateException when the oldest open epoch is not complete.
     */
    EpochResult completeOldestEpoch()
    {
        final EpochProgress progress = oldestOpenEpoch();
        if (null == progress || !progress.isComplete())
        {
            throw new IllegalStateException("epoch " + epochsCompleted + " of job " + jobId + " is not complete");
        }
        openEpochs.remove(progress.epoch());
        epochsCompleted++;
        final int[] missing = progress.missingChunks();
        chunksUnavailable += missing.length;
        final EpochResult result = new EpochResult(progress.epoch(), progress.deliveredSamples(),
            progress.droppedSamples(), progress.segment().steps(), missing, progress.moves());
        results.add(result);
        return result;
    }

    /**
     * @return the open epochs, oldest first: work is handed out in the order it is to be done.
     */
    EpochProgress[] openEpochsInOrder()
    {
        final EpochProgress[] open = openEpochs.values().toArray(new EpochProgress[0]);
        Arrays.sort(open, (a, b) -> Integer.compare(a.epoch(), b.epoch()));
        return open;
    }

    /**
     * A checkpoint of the job was asked for: the first one is what the job waits for to start.
     */
    void checkpointAsked(final long sequence)
    {
        if (firstCheckpoint < 0)
        {
            firstCheckpoint = sequence;
        }
    }

    String datasetId()
    {
        return spec.datasetId();
    }

    /**
     * @return the dataset's manifest, null until bound.
     */
    Manifest manifest()
    {
        return manifest;
    }

    /**
     * @return the dataset's samples, null until the manifest is bound.
     */
    SampleSpace space()
    {
        return space;
    }

    /**
     * @return the open epoch of that number, or null.
     */
    EpochProgress openEpoch(final int epoch)
    {
        return openEpochs.get(epoch);
    }

    int openEpochCount()
    {
        return openEpochs.size();
    }

    /**
     * @return the completed epochs' results, oldest first; read-only.
     */
    List<EpochResult> results()
    {
        return Collections.unmodifiableList(results);
    }

    /**
     * @return the member id of the client following the job, -1 for none.
     */
    int clientMemberId()
    {
        return clientMemberId;
    }

    /**
     * @return the correlation id of the client's submission, which its JobStarted answers.
     */
    long correlationId()
    {
        return correlationId;
    }

    boolean isStarted()
    {
        return started;
    }

    int nextEpochToPlan()
    {
        return nextEpochToPlan;
    }

    /**
     * @return epochs completed, those before the first the job was submitted at included.
     */
    int epochsCompleted()
    {
        return epochsCompleted;
    }

    int chunksUnavailable()
    {
        return chunksUnavailable;
    }

    /**
     * @return true once a checkpoint holding the job was asked for and {@code checkpointsWritten} reached it.
     */
    boolean isCheckpointed(final long checkpointsWritten)
    {
        return firstCheckpoint >= 0 && checkpointsWritten >= firstCheckpoint;
    }

    /**
     * @return true before the first checkpoint holding the job was asked for.
     */
    boolean needsFirstCheckpoint()
    {
        return firstCheckpoint < 0;
    }

    int worldSize()
    {
        return spec.worldSize();
    }

    boolean isFinished()
    {
        return epochsCompleted == spec.epochs();
    }

    /**
     * @return how the finished job ended.
     */
    JobOutcome outcome()
    {
        return chunksUnavailable == 0 ? JobOutcome.COMPLETE : JobOutcome.INCOMPLETE;
    }

    /**
     * A completed epoch, kept to tell a client that attaches later, and to answer a claim of one of its steps made
     * again by a worker whose confirmation a coordinator restart lost.
     *
     * @param moves {stream, step, holder} of every step handed to another rank than its stream's.
     */
    record EpochResult(int epoch, long deliveredSamples, long droppedSamples, int steps, int[] missing, int[][] moves)
    {
        /**
         * @return the rank that held the step, and so claimed it: a claimed step never moves.
         */
        int holder(final int stream, final int step)
        {
            for (final int[] move : moves)
            {
                if (move[0] == stream && move[1] == step)
                {
                    return move[2];
                }
            }
            return stream;
        }
    }
}
