package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import org.agrona.DirectBuffer;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The jobs a coordinator runs at once, by name ("" the default job): one {@link JobScheduler} each, made when the
 * first member of the job is admitted (a worker or a client; data servers belong to every job and to none of
 * these). A member's messages reach only its job's scheduler. Job ids are unique across the jobs ({@link JobIds}).
 * The journal and its checkpoints are shared: every durable record is handed to every scheduler (each takes only
 * its own job's, by job id), and a checkpoint holds every job that has its manifest. It keeps at most
 * {@link CoordinatorContext#maxJobs()} jobs: a new job's first member makes room by forgetting the oldest finished
 * job that no member holds any more (its figures, its scheduler, its place in the next checkpoint), and is refused
 * while every job kept is unfinished or held.
 */
final class Jobs implements JournalRecord.Handler
{
    private final int maxJobs;
    private final Function<String, JobScheduler> factory;
    private final Consumer<JobScheduler> forgotten;
    private final TreeMap<String, JobScheduler> byName = new TreeMap<>();
    private JobScheduler[] schedulers = new JobScheduler[0];

    /**
     * @param maxJobs   the most jobs kept at once.
     * @param factory   makes the scheduler of a job, given its name.
     * @param forgotten told of a finished job's scheduler when it is forgotten to make room.
     */
    Jobs(final int maxJobs, final Function<String, JobScheduler> factory, final Consumer<JobScheduler> forgotten)
    {
        this.maxJobs = maxJobs;
        this.factory = factory;
        this.forgotten = forgotten;
    }

    /**
     * Make room for a member of a job about to be admitted: a job not kept yet takes the place of the oldest
     * finished job no member holds, when all {@link CoordinatorContext#maxJobs()} places are taken.
     *
     * @param isHeld whether a member of the named job is still admitted.
     * @return null when the member may be admitted, else why not: every job kept is unfinished or held.
     */
    String admit(final String jobName, final Predicate<String> isHeld)
    {
        if (byName.containsKey(jobName) || byName.size() < maxJobs)
        {
            return null;
        }
        String oldest = null;
        long oldestJobId = Long.MAX_VALUE;
        for (final Map.Entry<String, JobScheduler> entry : byName.entrySet())
        {
            final Job job = entry.getValue().job();
            if (null != job && job.isFinished() && job.jobId < oldestJobId && !isHeld.test(entry.getKey()))
            {
                oldest = entry.getKey();
                oldestJobId = job.jobId;
            }
        }
        if (null == oldest)
        {
            return "the coordinator keeps " + maxJobs + " jobs, each unfinished or with members, none of them " +
                jobName;
        }
        final JobScheduler scheduler = byName.remove(oldest);
        schedulers = byName.values().toArray(new JobScheduler[0]);
        forgotten.accept(scheduler);
        return null;
    }

    /**
     * @return the scheduler of a job, made now when the job has none yet.
     */
    JobScheduler get(final String jobName)
    {
        JobScheduler scheduler = byName.get(jobName);
        if (null == scheduler)
        {
            scheduler = factory.apply(jobName);
            byName.put(jobName, scheduler);
            schedulers = byName.values().toArray(new JobScheduler[0]);
        }
        return scheduler;
    }

    /**
     * @return the scheduler of a job, or null when the job has none.
     */
    JobScheduler find(final String jobName)
    {
        return byName.get(jobName);
    }

    /**
     * @return the jobs' names, ascending.
     */
    String[] names()
    {
        return byName.keySet().toArray(new String[0]);
    }

    /**
     * Go on moving dead ranks' steps, in every job.
     *
     * @return steps moved.
     */
    int continueMoves()
    {
        int moved = 0;
        for (final JobScheduler scheduler : schedulers)
        {
            moved += scheduler.continueMoves();
        }
        return moved;
    }

    /**
     * Start every job that can start now.
     *
     * @return jobs started (or bound to their manifest).
     */
    int tryStart(final long checkpointsWritten)
    {
        int started = 0;
        for (final JobScheduler scheduler : schedulers)
        {
            started += scheduler.tryStart(checkpointsWritten);
        }
        return started;
    }

    /**
     * @return true when any job needs a checkpoint.
     */
    boolean isCheckpointDue()
    {
        for (final JobScheduler scheduler : schedulers)
        {
            if (scheduler.isCheckpointDue())
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @return the jobs a checkpoint holds, by name: every job bound to its manifest.
     */
    SortedMap<String, Job> checkpointed()
    {
        final SortedMap<String, Job> jobs = new TreeMap<>();
        for (final Map.Entry<String, JobScheduler> entry : byName.entrySet())
        {
            final Job job = entry.getValue().job();
            if (null != job && null != job.manifest())
            {
                jobs.put(entry.getKey(), job);
            }
        }
        return jobs;
    }

    /**
     * A checkpoint of {@link #checkpointed()} was handed to the journal.
     */
    void checkpointAsked(final long sequence)
    {
        for (final JobScheduler scheduler : schedulers)
        {
            final Job job = scheduler.job();
            if (null != job && null != job.manifest())
            {
                scheduler.checkpointAsked(sequence);
            }
        }
    }

    /**
     * Take a checkpoint's jobs, each into its job's scheduler; the journal after it is replayed next, through
     * {@link #onRecord}, then {@link #replayed()}.
     *
     * @param manifests the manifest of a dataset.
     */
    void restore(final CheckpointStore.Checkpoint checkpoint, final Function<String, Manifest> manifests)
    {
        for (final CheckpointStore.JobCheckpoint job : checkpoint.jobs())
        {
            get(job.jobName()).restore(job, manifests.apply(job.spec().datasetId()));
        }
    }

    /**
     * The journal after the checkpoint was replayed.
     */
    void replayed()
    {
        for (final JobScheduler scheduler : schedulers)
        {
            if (null != scheduler.job())
            {
                scheduler.replayed();
            }
        }
    }

    /**
     * A durable record: every scheduler is handed it, and the one whose job it names takes it.
     */
    @Override
    public void onRecord(final DirectBuffer buffer, final int offset, final boolean replayed)
    {
        for (final JobScheduler scheduler : schedulers)
        {
            scheduler.onRecord(buffer, offset, replayed);
        }
    }
}
