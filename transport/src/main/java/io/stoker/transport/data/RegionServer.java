package io.stoker.transport.data;

/**
 * A data server's side of one network transport: exports the server's regions over it and does
 * whatever serving the transport needs on the server's duty cycle (nothing per read for RDMA, answering
 * read requests for UDP). Same-host reads need no region server: they map the files directly.
 */
public interface RegionServer extends AutoCloseable
{
    /**
     * @return the transport served.
     */
    TransportKind kind();

    /**
     * Export a region, called once per region at start-up.
     *
     * @param region the region as the server knows it (id, length, absolute path).
     * @return the region as advertised over this transport, e.g. with its RDMA address and key.
     */
    ServerAdvertisement.Region export(ServerAdvertisement.Region region);

    /**
     * @return where workers reach this server over this transport, as the advertisement carries it.
     */
    String endpoint();

    /**
     * A worker's lease ended, as the coordinator told: revoke whatever this transport gave that registration
     * that lets it read without asking (the {@code rdma} transport deregisters its connections' keys), and
     * give it nothing more (the {@code udp} transport, which answers every read itself, refuses its reads).
     *
     * @param registrationId the correlation id of the worker's registration whose lease ended.
     */
    void fence(long registrationId);

    /**
     * The coordinator told how much of this server's bandwidth a job gets, relative to the other jobs reading here,
     * when the job started, and 0 when it ended. A transport whose server sends the bytes (the {@code udp} one)
     * schedules the jobs' reads by it; one whose reads the server's CPU never sees (the {@code rdma} one) cannot.
     *
     * @param jobName the job.
     * @param weight  1 to 1000, or 0: forget the job once its connections are gone.
     */
    default void serveJob(final String jobName, final int weight)
    {
    }

    /**
     * Serve, from the data server's duty cycle.
     *
     * @return work done.
     */
    int doWork();

    @Override
    void close();
}
