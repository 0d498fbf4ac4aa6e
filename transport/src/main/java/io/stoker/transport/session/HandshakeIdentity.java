package io.stoker.transport.session;

import io.stoker.codecs.Role;
import io.stoker.transport.wire.JobNames;

/**
 * What an initiator says of itself in its Hello: who it is and where it listens. Part of the session's
 * transcript, so a proof answers for these exact claims.
 *
 * @param role             worker, data server or client.
 * @param rank             the worker's rank, -1 for other roles.
 * @param transports       data-plane transports it can use or serve, a {@code TransportKind} set.
 * @param responseStreamId the stream it listens on.
 * @param hostId           its host's id, printable ASCII.
 * @param responseChannel  where it listens, printable ASCII.
 * @param incarnation      which start of the process this is, larger for a later one (a worker's, so that a worker
 *                         restarted for its rank can take it over from the dead one); 0 where it does not matter.
 * @param jobName          the job it belongs to ({@link JobNames}): the verifier checks its proof under that job's
 *                         token ({@link JobToken#forJob}); "" for the default job and for data servers.
 */
public record HandshakeIdentity(
    Role role, int rank, byte transports, int responseStreamId, String hostId, String responseChannel,
    long incarnation, String jobName)
{
    /**
     * An identity of the default job ("").
     */
    public HandshakeIdentity(
        final Role role,
        final int rank,
        final byte transports,
        final int responseStreamId,
        final String hostId,
        final String responseChannel,
        final long incarnation)
    {
        this(role, rank, transports, responseStreamId, hostId, responseChannel, incarnation, JobNames.DEFAULT);
    }

    /**
     * An identity of the default job without an incarnation (0): data servers, clients and data connections.
     */
    public HandshakeIdentity(
        final Role role,
        final int rank,
        final byte transports,
        final int responseStreamId,
        final String hostId,
        final String responseChannel)
    {
        this(role, rank, transports, responseStreamId, hostId, responseChannel, 0);
    }

    /**
     * @param name the job's name.
     * @return this identity, claiming that job.
     */
    public HandshakeIdentity forJob(final String name)
    {
        return new HandshakeIdentity(role, rank, transports, responseStreamId, hostId, responseChannel, incarnation,
            JobNames.check(name));
    }
}
