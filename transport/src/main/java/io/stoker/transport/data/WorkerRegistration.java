package io.stoker.transport.data;

import io.stoker.transport.session.JobToken;

/**
 * A worker's current registration with the coordinator, as transports that must prove it to a data server read it
 * (the {@code rdma} transport, on each new connection): its rank, the job token, and the correlation id of the
 * handshake that registered it, which names its lease. The worker updates it each time it is registered, on the
 * thread that also runs its transports.
 */
public final class WorkerRegistration
{
    private final int rank;
    private final JobToken token;
    private long registrationId;

    /**
     * @param rank  the worker's rank.
     * @param token the job token, or null when the job has none.
     */
    public WorkerRegistration(final int rank, final JobToken token)
    {
        this.rank = rank;
        this.token = token;
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
     * @return the correlation id of the worker's latest registration, 0 before the first.
     */
    public long registrationId()
    {
        return registrationId;
    }
}
