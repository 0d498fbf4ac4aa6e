package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.transport.control.StreamId;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.wire.Quote;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2IntHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A job's brain (one per job the coordinator runs, see {@link Jobs}): the job submitted, its epoch plans, which
 * live rank holds which step, acknowledgements counted once the journal made them durable, epochs completed in
 * order, a dead rank's steps handed to the live ones, a resume over another world size, and a restore from a
 * checkpoint and the journal after it.
 * <p>
 * A deterministic state machine: it reads no clock and draws no randomness (a plan is a function of the job's
 * spec and seed), does no I/O and sends nothing itself; everything it decides leaves through its
 * {@link SchedulerOutput}, in order. The same inputs give the same outputs, so it can be tested alone and could
 * run replicated.
 */
final class JobScheduler implements JournalRecord.Handler
{
    private static final int NO_WORKER = -1;

    /**
     * What the scheduler asks of the datasets the data servers offer.
     */
    interface Datasets
    {
        /**
         * @return a dataset's manifest once a data server delivered it whole, else null.
         */
        Manifest manifest(String datasetId);

        /**
         * @return true when the live data servers of a dataset advertise every one of its shards.
         */
        boolean allRegionsAdvertised(String datasetId, int shardCount);
    }

    private final int maxWorldSize;
    private final int epochLookahead;
    private final int checkpointInterval;
    private final Datasets datasets;
    private final SchedulerOutput output;
    private final JobIds jobIds;
    private final Int2IntHashMap workers = new Int2IntHashMap(NO_WORKER);
    private final BitSet movesWaiting = new BitSet();
    private int[] liveRanks = new int[0];
    private int acknowledgementsSinceCheckpoint;
    private boolean checkpointDue;
    private Job job;

    /**
     * @param maxWorldSize       the most ranks a job may have.
     * @param epochLookahead     epochs planned beyond the oldest open one.
     * @param checkpointInterval acknowledgements after which a checkpoint is due.
     * @param jobIds             the coordinator's job ids, shared by the schedulers of all its jobs.
     */
    JobScheduler(
        final int maxWorldSize,
        final int epochLookahead,
        final int checkpointInterval,
        final JobIds jobIds,
        final Datasets datasets,
        final SchedulerOutput output)
    {
        this.jobIds = jobIds;
        this.maxWorldSize = maxWorldSize;
        this.epochLookahead = epochLookahead;
        this.checkpointInterval = checkpointInterval;
        this.datasets = datasets;
        this.output = output;
    }

    /**
     * @return the job, running or finished, or null before any.
     */
    Job job()
    {
        return job;
    }

    /**
     * A worker holds a rank now: it gets its share of the running job, or the outcome of the finished one.
     */
    void onWorkerJoined(final int rank, final int memberId)
    {
        workers.put(rank, memberId);
        movesWaiting.clear(rank);
        liveRanksChanged();
        if (null != job && job.isStarted() && !job.isFinished())
        {
            output.jobStarted(memberId, job);
            for (final EpochProgress progress : job.openEpochsInOrder())
            {
                assignHeldSteps(progress, rank, memberId);
            }
        }
        else if (null != job && job.isFinished())
        {
            output.jobComplete(memberId, job.jobId, job.outcome(), job.epochsCompleted());
        }
    }

    /**
     * A worker left its rank (superseded, or registering again): its steps stay with the rank.
     */
    void onWorkerLeft(final int rank, final int memberId)
    {
        if (workers.get(rank) == memberId)
        {
            workers.remove(rank);
            liveRanksChanged();
        }
    }

    /**
     * A worker's lease ended: the steps its rank holds that no worker claimed go to the live ranks (a claimed step
     * is with a consumer, or will be once confirmed). Called only when the lease has certainly ended, never before.
     */
    void onWorkerLost(final int rank, final int memberId)
    {
        onWorkerLeft(rank, memberId);
        if (null != job && job.isStarted())
        {
            movesWaiting.set(rank);
            continueMoves();
        }
    }

    /**
     * Go on moving the steps of ranks whose lease ended to the live ranks, as far as the journal takes the moves:
     * a dead rank holding more steps than the journal's buffer has room for is moved over several duty cycles,
     * never with a move the journal did not take.
     *
     * @return steps moved.
     */
    int continueMoves()
    {
        int moved = 0;
        for (int rank = movesWaiting.nextSetBit(0); rank >= 0; rank = movesWaiting.nextSetBit(rank + 1))
        {
            if (null == job || !job.isStarted() || job.isFinished() || workers.containsKey(rank))
            {
                movesWaiting.clear(rank);
                continue;
            }
            for (final EpochProgress progress : job.openEpochsInOrder())
            {
                final int result = reassign(progress, rank);
                if (result < 0)
                {
                    return moved - result - 1;
                }
                moved += result;
            }
            movesWaiting.clear(rank);
        }
        return moved;
    }

    /**
     * A job submitted: started when none runs; attached to when it is the running one, also when that one was
     * resumed and the submission is its request as first made (as a client sends it again each time it
     * registers); the running one resumed over a new world size when it is that job with other ranks (its open
     * epochs continue from each stream's released steps); a finished one answered with its outcome; refused
     * otherwise.
     *
     * @param weight the job's share of the data servers' bandwidth, kept (and checkpointed) with a job this
     *               submission starts; a submission attaching to or resuming a job keeps that job's.
     * @return null when taken, else why it is refused.
     */
    String submit(final int clientMemberId, final long correlationId, final JobSpec spec, final int weight)
    {
        if (spec.worldSize() > maxWorldSize)
        {
            return "world size must be at most " + maxWorldSize + ", was " + spec.worldSize();
        }
        final boolean fresh = 0 == spec.firstEpoch() && spec.histories().isEmpty();
        final boolean sameJob = null != job && (job.spec.equals(spec) ||
            (fresh && job.spec.isSameJob(spec) && job.spec.worldSize() == spec.worldSize()));
        if (sameJob && job.isFinished())
        {
            attach(clientMemberId, correlationId);
            output.jobComplete(clientMemberId, job.jobId, job.outcome(), job.epochsCompleted());
            return null;
        }
        if (null != job && !job.isFinished())
        {
            if (sameJob)
            {
                attach(clientMemberId, correlationId);
                return null;
            }
            if (fresh && job.spec.isSameJob(spec) && null != job.space())
            {
                resize(spec.worldSize());
                job.follow(clientMemberId, correlationId);
                output.jobStarted(clientMemberId, job);
                return null;
            }
            return "job " + job.jobId + " is still running";
        }

        job = new Job(jobIds.next(), spec, weight);
        job.follow(clientMemberId, correlationId);
        if (null == datasets.manifest(spec.datasetId()))
        {
            output.log("coordinator: job " + job.jobId + " waits for a data server of dataset " +
                Quote.of(spec.datasetId()));
        }
        return null;
    }

    /**
     * Start the job once its manifest is known, every rank is held, every shard advertised and its first
     * checkpoint written.
     *
     * @param checkpointsWritten sequence of the last checkpoint the journal wrote.
     * @return 1 when it started (or bound its manifest), else 0.
     */
    int tryStart(final long checkpointsWritten)
    {
        if (null == job || job.isStarted())
        {
            return 0;
        }
        if (null == job.manifest())
        {
            final Manifest manifest = datasets.manifest(job.datasetId());
            if (null == manifest)
            {
                return 0;
            }
            job.bind(manifest);
            if (-1 != job.clientMemberId())
            {
                output.jobStarted(job.clientMemberId(), job);
            }
        }
        for (int rank = 0; rank < job.worldSize(); rank++)
        {
            if (!workers.containsKey(rank))
            {
                return 0;
            }
        }
        if (!datasets.allRegionsAdvertised(job.datasetId(), job.manifest().shardCount()) ||
            !job.isCheckpointed(checkpointsWritten))
        {
            return 0;
        }

        job.start();
        for (final int rank : liveRanks)
        {
            output.jobStarted(workers.get(rank), job);
            for (final EpochProgress progress : job.openEpochsInOrder())
            {
                assignHeldSteps(progress, rank, workers.get(rank));
            }
        }
        planAhead();
        completeEpochs();
        checkpointDue = true;
        return 1;
    }

    /**
     * A worker claims steps of a stream for its consumer, which is about to take their batches: each step it holds
     * and no worker claimed goes to the journal, once, and is counted and confirmed when durable; one it claimed
     * before is confirmed again when durable (at once when it is already), not counted again; one it does not hold
     * (its lease ended and the step went to another rank) is refused, so the worker drops that batch. A claim of a
     * step of an epoch (or a job) already complete is answered by who held the step, which completed epochs keep
     * (a worker whose confirmation a coordinator restart lost claims again). A message naming a step, segment,
     * stream or epoch not planned is refused whole, unanswered;
     * one naming steps the worker does not hold is answered for every step and reported, and the steps it does hold
     * are taken.
     *
     * @param steps the steps, {@code count} of them.
     * @return null when all were taken, else why some or all were refused.
     */
    String acknowledge(
        final int memberId, final int rank, final long jobId, final StreamId stream, final int[] steps, final int count)
    {
        final String refusal = checkStream(jobId, stream);
        if (null != refusal)
        {
            return refusal;
        }
        final EpochProgress progress = job.openEpoch(stream.epoch());
        if (null == progress)
        {
            answerCompleted(memberId, rank, jobId, stream, steps, count);
            return null;
        }
        for (int i = 0; i < count; i++)
        {
            final String stepRefusal = checkStep(progress, stream.rank(), steps[i]);
            if (null != stepRefusal)
            {
                return stepRefusal;
            }
        }
        String notHeld = null;
        for (int i = 0; i < count; i++)
        {
            final String holderRefusal = checkHolder(memberId, rank, progress, stream.rank(), steps[i]);
            if (null != holderRefusal)
            {
                notHeld = null == notHeld ? holderRefusal : notHeld;
                output.answer(memberId, jobId, stream.epoch(), stream.segment(), stream.rank(), steps[i], false);
            }
            else if (progress.isReleased(stream.rank(), steps[i]))
            {
                output.answer(memberId, jobId, stream.epoch(), stream.segment(), stream.rank(), steps[i], true);
            }
            else if (progress.journal(stream.rank(), steps[i]) &&
                !output.journal(JournalRecord.ACK, jobId, stream, steps[i], rank))
            {
                progress.unjournal(stream.rank(), steps[i]);
                output.error("the journal's buffer is full: the claim of step " + steps[i] + " of " +
                    describe(stream) + " not taken; the worker sends it again when it registers again");
            }
        }
        return notHeld;
    }

    /**
     * Claims of steps of a completed epoch (a worker whose confirmation a coordinator restart lost claims again
     * after the epoch, or the job, completed): each is confirmed when the claimer's rank held it — a claimed step
     * never moves, and every step of a completed epoch was claimed — and refused otherwise.
     */
    private void answerCompleted(
        final int memberId, final int rank, final long jobId, final StreamId stream, final int[] steps, final int count)
    {
        Job.EpochResult completed = null;
        for (final Job.EpochResult result : job.results())
        {
            completed = result.epoch() == stream.epoch() ? result : completed;
        }
        final boolean live = workers.get(rank) == memberId;
        for (int i = 0; i < count; i++)
        {
            output.answer(memberId, jobId, stream.epoch(), stream.segment(), stream.rank(), steps[i],
                live && null != completed && completed.holder(stream.rank(), steps[i]) == rank);
        }
    }

    /**
     * A worker could not read a chunk of a step it holds: journaled, and counted missing when durable.
     *
     * @param sender how the worker is named in the log.
     * @return null when taken, else why refused.
     */
    String chunkUnavailable(
        final int memberId,
        final int rank,
        final String sender,
        final long jobId,
        final StreamId stream,
        final int step,
        final int chunkId,
        final String reason)
    {
        String refusal = checkStream(jobId, stream);
        final EpochProgress progress = null == refusal ? job.openEpoch(stream.epoch()) : null;
        if (null != progress)
        {
            refusal = checkHolder(memberId, rank, progress, stream.rank(), step);
        }
        if (null == refusal && (chunkId < 0 || chunkId >= job.space().chunkCount()))
        {
            refusal = "chunk " + chunkId + " is not in the dataset of job " + jobId;
        }
        if (null != refusal)
        {
            return refusal;
        }
        if (null != progress)
        {
            if (!output.journal(JournalRecord.UNAVAILABLE, jobId, stream, step, chunkId))
            {
                output.error("the journal's buffer is full: chunk " + chunkId + " unavailable not taken");
            }
            output.error(sender + ": chunk " + chunkId + " of step " + step + " of " + describe(stream) +
                " unavailable: " + Quote.of(reason));
        }
        return null;
    }

    /**
     * A record the journal made durable (or, at start-up, read back after the checkpoint): only now is an
     * acknowledgement counted and confirmed to the worker of its rank (before any epoch it completes is
     * announced), a chunk counted missing; a move read back is applied (a live one was when made).
     */
    @Override
    public void onRecord(final DirectBuffer buffer, final int offset, final boolean replayed)
    {
        final EpochProgress progress = null != job && job.jobId == JournalRecord.jobId(buffer, offset) ?
            job.openEpoch(JournalRecord.epoch(buffer, offset)) : null;
        if (null == progress || progress.segment().index() != JournalRecord.segment(buffer, offset))
        {
            return;
        }
        final int stream = JournalRecord.stream(buffer, offset);
        final int step = JournalRecord.step(buffer, offset);
        switch (JournalRecord.type(buffer, offset))
        {
            case JournalRecord.ACK ->
            {
                if (progress.release(stream, step) && !replayed)
                {
                    output.count(CounterType.STEPS_ACKNOWLEDGED, 1);
                    acknowledgementsSinceCheckpoint++;
                }
                final int claimer = workers.get(JournalRecord.value(buffer, offset));
                if (!replayed && NO_WORKER != claimer)
                {
                    output.answer(claimer, job.jobId, progress.epoch(), progress.segment().index(), stream, step, true);
                }
                completeEpochs();
            }
            case JournalRecord.UNAVAILABLE ->
            {
                progress.markMissing(JournalRecord.value(buffer, offset));
                if (!replayed)
                {
                    output.count(CounterType.CHUNKS_UNAVAILABLE, 1);
                }
            }
            case JournalRecord.MOVE ->
            {
                final int rank = JournalRecord.value(buffer, offset);
                if (replayed)
                {
                    progress.reassign(stream, step, rank);
                }
                else if (progress.moveDurable(stream, step, rank) && workers.containsKey(rank))
                {
                    assignHeldSteps(progress, rank, workers.get(rank));
                }
            }
            default -> output.error("journal: a record of unknown type " + JournalRecord.type(buffer, offset));
        }
    }

    /**
     * @return true when a checkpoint of the job is due: at an epoch's end, a job's start, every
     * {@code checkpointInterval} acknowledgements, and before a new job starts. It is taken when the journal is
     * quiet, so that it holds exactly the journal up to its position.
     */
    boolean isCheckpointDue()
    {
        return null != job && null != job.manifest() &&
            (checkpointDue || job.needsFirstCheckpoint() || acknowledgementsSinceCheckpoint >= checkpointInterval);
    }

    /**
     * A checkpoint of the job was handed to the journal.
     *
     * @param sequence its sequence.
     */
    void checkpointAsked(final long sequence)
    {
        job.checkpointAsked(sequence);
        checkpointDue = false;
        acknowledgementsSinceCheckpoint = 0;
    }

    /**
     * Take a checkpoint's job, also a finished one (a client that attaches late is answered with its outcome); the
     * journal's records after it are replayed next, through {@link #onRecord}, then {@link #replayed()}.
     */
    void restore(final CheckpointStore.JobCheckpoint checkpoint, final Manifest manifest)
    {
        job = Job.restored(checkpoint, manifest);
        jobIds.restored(job.jobId);
    }

    /**
     * The journal after the checkpoint was replayed: a job that finished meanwhile counts as started.
     */
    void replayed()
    {
        if (job.isFinished() && !job.isStarted())
        {
            job.start();
        }
    }

    private String checkStream(final long jobId, final StreamId stream)
    {
        if (null == job || job.jobId != jobId || !job.takesAcknowledgements())
        {
            return "job " + jobId + " is not the running job";
        }
        if (!job.wasPlanned(stream.epoch()))
        {
            return "epoch " + stream.epoch() + " of job " + jobId + " was never planned";
        }
        final EpochProgress progress = job.openEpoch(stream.epoch());
        if (null != progress && (stream.segment() != progress.segment().index() || stream.rank() < 0 ||
            stream.rank() >= progress.worldSize()))
        {
            return describe(stream) + " is not a stream of the epoch's segment " + progress.segment().index() +
                " of " + progress.worldSize() + " ranks";
        }
        return null;
    }

    private static String checkStep(final EpochProgress progress, final int stream, final int step)
    {
        if (step < 0 || step >= progress.steps(stream))
        {
            return "step " + step + " is not in stream " + stream + " of epoch " + progress.epoch() + ", which has " +
                progress.steps(stream);
        }
        return null;
    }

    /**
     * @return null when the member is the live worker holding the step, else why not.
     */
    private String checkHolder(
        final int memberId, final int rank, final EpochProgress progress, final int stream, final int step)
    {
        final String stepRefusal = checkStep(progress, stream, step);
        if (null != stepRefusal)
        {
            return stepRefusal;
        }
        if (progress.holder(stream, step) != rank || workers.get(rank) != memberId)
        {
            return "step " + step + " of stream " + stream + " of epoch " + progress.epoch() + " is held by rank " +
                progress.holder(stream, step) + ", not by worker rank " + rank + " (member " + memberId + ")";
        }
        return null;
    }

    private static String describe(final StreamId stream)
    {
        return "stream " + stream.rank() + " of segment " + stream.segment() + " of epoch " + stream.epoch();
    }

    /**
     * A client submitted the running job again: it follows it from here, with what is done so far.
     */
    private void attach(final int clientMemberId, final long correlationId)
    {
        job.follow(clientMemberId, correlationId);
        if (null != job.manifest())
        {
            output.jobStarted(clientMemberId, job);
            for (final Job.EpochResult result : job.results())
            {
                output.epochComplete(clientMemberId, job.jobId, result);
            }
        }
    }

    /**
     * Resume the running job over another world size, as a new job: each open epoch continues from what every
     * stream released, planned anew over the new ranks; the job starts when they have all registered.
     */
    private void resize(final int worldSize)
    {
        final Map<Integer, EpochHistory> histories = new TreeMap<>(job.spec.histories());
        for (final EpochProgress progress : job.openEpochsInOrder())
        {
            final EpochHistory history = histories.getOrDefault(progress.epoch(),
                new EpochHistory(new int[]{ progress.worldSize() }, new int[0][]));
            histories.put(progress.epoch(), history.resumedAfter(progress.releasedPrefixes(), worldSize));
        }
        final JobSpec spec = job.spec;
        final JobSpec resumed = new JobSpec(spec.datasetId(), worldSize, spec.epochs(), spec.seed(), spec.batchSpec(),
            job.epochsCompleted(), histories);
        output.log("coordinator: job " + job.jobId + " resumes over " + worldSize + " ranks as job " + jobIds.peek() +
            " at epoch " + job.epochsCompleted());
        final Manifest manifest = job.manifest();
        job = new Job(jobIds.next(), resumed, job.weight);
        job.bind(manifest);
    }

    /**
     * Plan epochs until {@code epochLookahead} epochs beyond the oldest open one are open.
     */
    private void planAhead()
    {
        while (job.mayPlanAhead(epochLookahead))
        {
            final EpochProgress progress = job.planNextEpoch();
            output.log("coordinator: job " + job.jobId + " planned epoch " + progress.epoch());
            for (int rank = 0; rank < progress.worldSize(); rank++)
            {
                final int worker = workers.get(rank);
                if (NO_WORKER != worker)
                {
                    assignHeldSteps(progress, rank, worker);
                }
                else
                {
                    movesWaiting.set(rank);
                }
            }
        }
        continueMoves();
    }

    /**
     * Complete the oldest open epoch while every step of it is released, planning ahead after each: epochs
     * complete in order, and members hear of them in order. An epoch whose steps were all released while an
     * older one is open waits for it.
     */
    private void completeEpochs()
    {
        EpochProgress oldest = job.oldestOpenEpoch();
        if (null == oldest || !oldest.isComplete())
        {
            return;
        }
        do
        {
            final Job.EpochResult result = job.completeOldestEpoch();
            output.count(CounterType.EPOCHS_COMPLETED, 1);
            output.count(CounterType.SAMPLES_DELIVERED, result.deliveredSamples());
            for (final int memberId : audience())
            {
                output.epochComplete(memberId, job.jobId, result);
            }
            planAhead();
            oldest = job.oldestOpenEpoch();
        }
        while (null != oldest && oldest.isComplete());
        if (job.isFinished())
        {
            for (final int memberId : audience())
            {
                output.jobComplete(memberId, job.jobId, job.outcome(), job.epochsCompleted());
            }
        }
        checkpointDue = true;
    }

    /**
     * @return the members told of the job's progress: every live worker, ascending by rank, and the client.
     */
    private int[] audience()
    {
        final int[] audience = new int[liveRanks.length + (-1 != job.clientMemberId() ? 1 : 0)];
        for (int i = 0; i < liveRanks.length; i++)
        {
            audience[i] = workers.get(liveRanks[i]);
        }
        if (-1 != job.clientMemberId())
        {
            audience[liveRanks.length] = job.clientMemberId();
        }
        return audience;
    }

    /**
     * Hand the steps a rank holds and has not released, of every stream, to the live ranks, in contiguous runs
     * so that each survivor's share stays about equal: each move goes to the journal first, and a survivor is told
     * of its new steps when their moves are durable, as acknowledgements count only then. With no live rank they
     * stay with the dead one, which gets them when a worker of that rank registers again. When the journal's buffer
     * is full the moving stops there, and {@link #continueMoves()} goes on with the steps still held.
     *
     * @return steps moved, or {@code -(moved + 1)} when the journal's buffer filled before every step was moved.
     */
    private int reassign(final EpochProgress progress, final int deadRank)
    {
        final List<int[]> held = new ArrayList<>();
        for (int stream = 0; stream < progress.worldSize(); stream++)
        {
            for (final int step : progress.outstanding(stream, deadRank))
            {
                held.add(new int[]{ stream, step });
            }
        }
        if (held.isEmpty() || workers.isEmpty())
        {
            return 0;
        }

        int from = 0;
        for (int i = 0; i < liveRanks.length; i++)
        {
            final int to = (int)((long)held.size() * (i + 1) / liveRanks.length);
            final int rank = liveRanks[i];
            for (int j = from; j < to; j++)
            {
                final StreamId stream = new StreamId(progress.epoch(), progress.segment().index(), held.get(j)[0]);
                if (!output.journal(JournalRecord.MOVE, job.jobId, stream, held.get(j)[1], rank))
                {
                    output.count(CounterType.STEPS_REASSIGNED, j - from);
                    output.log("coordinator: the journal's buffer is full: " + (held.size() - j) + " steps of " +
                        "rank " + deadRank + " in epoch " + progress.epoch() + " wait for room to be moved");
                    return -(j + 1);
                }
                progress.move(held.get(j)[0], held.get(j)[1], rank);
            }
            output.count(CounterType.STEPS_REASSIGNED, to - from);
            from = to;
        }
        return held.size();
    }

    /**
     * Keep the live ranks ascending: everything handed to every live worker goes in that order.
     */
    private void liveRanksChanged()
    {
        liveRanks = new int[workers.size()];
        int i = 0;
        for (final Int2IntHashMap.KeyIterator ranks = workers.keySet().iterator(); ranks.hasNext(); )
        {
            liveRanks[i++] = ranks.nextValue();
        }
        Arrays.sort(liveRanks);
    }

    /**
     * Send a worker every step of the epoch it holds and has not released, stream by stream, but for those whose
     * move to it is not durable yet: it hears of them when it is.
     */
    private void assignHeldSteps(final EpochProgress progress, final int rank, final int memberId)
    {
        for (int stream = 0; stream < progress.worldSize(); stream++)
        {
            final int[] steps = progress.assignable(stream, rank);
            if (steps.length > 0)
            {
                output.assign(memberId, rank, job.jobId,
                    new StreamId(progress.epoch(), progress.segment().index(), stream), steps);
            }
        }
    }
}
