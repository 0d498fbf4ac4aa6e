package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import org.agrona.DirectBuffer;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The jobs a coordinator runs at once, by name ("" the default job): one {@link JobScheduler} each, made when the
 * first member of the job is admitted (a worker or a client; data servers belong to every job and to none of
 * these). A member's messages reach only its job's scheduler. Job ids are unique across the jobs ({@link JobIds}).
 * The journal and its checkpoints are shared: every durable record is handed to every scheduler (each takes only
 * its own job's, by job id), and a checkpoint holds every job that has its manifest.
 */
final class Jobs implements JournalRecord.Handler
{
    /**
     * Most jobs one coordinator keeps.
     */
    static final int MAX_JOBS = 64;

    private final Function<String, JobScheduler> factory;
    private final TreeMap<String, JobScheduler> byName = new TreeMap<>();
    private JobScheduler[] schedulers = new JobScheduler[0];

    /**
     * @param factory makes the scheduler of a job, given its name.
     */
    Jobs(final Function<String, JobScheduler> factory)
    {
        this.factory = factory;
    }

    /**
     * @return null when a member of the job may be admitted, else why not: a new job beyond {@link #MAX_JOBS}.
     */
    String refusal(final String jobName)
    {
        return byName.containsKey(jobName) || byName.size() < MAX_JOBS ? null :
            "the coordinator runs " + MAX_JOBS + " jobs already, none of them " + jobName;
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
