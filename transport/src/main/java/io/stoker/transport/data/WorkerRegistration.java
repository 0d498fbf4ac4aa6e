package io.stoker.transport.data;

import io.stoker.transport.session.JobToken;
import io.stoker.transport.wire.JobNames;

/**
 * A worker's current registration with the coordinator, as transports that must prove it to a data server read it
 * (the {@code rdma} transport, on each new connection): its rank, its job and the job's token, and the correlation id
 * of the handshake that registered it, which names its lease. The worker updates it each time it is registered, on the
 * thread that also runs its transports.
 */
public final class WorkerRegistration
{
    private final int rank;
    private final JobToken token;
    private final String jobName;
    private long registrationId;

    /**
     * A worker of the default job.
     *
     * @param rank  the worker's rank.
     * @param token the job token, or null when the job has none.
     */
    public WorkerRegistration(final int rank, final JobToken token)
    {
        this(rank, token, JobNames.DEFAULT);
    }

    /**
     * @param rank    the worker's rank.
     * @param token   the job token, or null when the job has none.
     * @param jobName the job's name ({@link JobNames}), which its data connections' Hellos name.
     */
    public WorkerRegistration(final int rank, final JobToken token, final String jobName)
    {
        this.rank = rank;
        this.token = token;
        this.jobName = JobNames.check(jobName);
    }

    /**
     * The coordinator accepted the worker.
     *
     * @param registrationId the correlation id of the handshake it accepted.
     */
    public void registered(final long registrationId)
    {
        this.registrationId = registrationId;
    }

    /**
     * @return the worker's rank.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return the job token, or null when the job has none.
     */
    public JobToken token()
    {
        return token;
    }

    /**
     * @return the worker's job, "" for the default job.
     */
    public String jobName()
    {
        return jobName;
    }

    /**
     * @return the correlation id of the worker's latest registration, 0 before the first.
     */
    public long registrationId()
    {
        return registrationId;
    }
}
