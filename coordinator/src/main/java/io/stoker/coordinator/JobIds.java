package io.stoker.coordinator;

/**
 * Job ids, unique across every job a coordinator runs (a job's acknowledgements, journal records and ack-log lines
 * name it): one counter shared by the {@link JobScheduler}s, raised past every id a checkpoint restores.
 */
final class JobIds
{
    private long next = 1;

    /**
     * @return a new job id.
     */
    long next()
    {
        return next++;
    }

    /**
     * @return the id {@link #next()} gives next, for saying which one a job will get.
     */
    long peek()
    {
        return next;
    }

    /**
     * A job of this id was restored: later ones come after it.
     */
    void restored(final long jobId)
    {
        next = Math.max(next, jobId + 1);
    }
}
