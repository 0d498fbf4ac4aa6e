package io.stoker.transport.rdma;

import java.util.concurrent.TimeUnit;

/**
 * How a worker's RDMA readers move a chunk: in reads of at most {@code readSize} bytes, over
 * {@code queuePairs} connections per data server, each with up to {@code readsPerQueuePair} RDMA READs
 * in flight.
 *
 * @param readSize          bytes per RDMA READ work request; a chunk is split into reads of this size.
 * @param queuePairs        connections (RC queue pairs) per data server.
 * @param readsPerQueuePair RDMA READs in flight per queue pair, each with its own reusable work request.
 * @param timeoutNs         a read that waits this long without progress (no connection) fails, and the
 *                          worker retries it elsewhere; also the limit for each connection-setup step.
 */
public record RdmaSettings(int readSize, int queuePairs, int readsPerQueuePair, long timeoutNs)
{
    /**
     * Default read size: 1 MiB, as {@code ib_read_bw -s 1048576} measures.
     */
    public static final int DEFAULT_READ_SIZE = 1 << 20;

    /**
     * Default connections per data server.
     */
    public static final int DEFAULT_QUEUE_PAIRS = 1;

    /**
     * Default RDMA READs in flight per connection.
     */
    public static final int DEFAULT_READS_PER_QUEUE_PAIR = 16;

    /**
     * Default timeout.
     */
    public static final long DEFAULT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * The smallest read size accepted: one page.
     */
    public static final int MIN_READ_SIZE = 4096;

    /**
     * Settings with every default.
     */
    public static final RdmaSettings DEFAULTS =
        new RdmaSettings(DEFAULT_READ_SIZE, DEFAULT_QUEUE_PAIRS, DEFAULT_READS_PER_QUEUE_PAIR, DEFAULT_TIMEOUT_NS);

    /**
     * @throws IllegalArgumentException naming the setting out of range.
     */
    public RdmaSettings
    {
        if (readSize < MIN_READ_SIZE)
        {
            throw new IllegalArgumentException(
                "rdma read size must be at least " + MIN_READ_SIZE + ", was " + readSize);
        }
        if (queuePairs < 1 || queuePairs > RdmaReads.MAX_QUEUE_PAIRS)
        {
            throw new IllegalArgumentException(
                "rdma queue pairs per server must be 1 to " + RdmaReads.MAX_QUEUE_PAIRS + ", was " + queuePairs);
        }
        if (readsPerQueuePair < 1 || readsPerQueuePair > RdmaReads.MAX_READS_PER_QUEUE_PAIR)
        {
            throw new IllegalArgumentException("rdma reads per queue pair must be 1 to " +
                RdmaReads.MAX_READS_PER_QUEUE_PAIR + ", was " + readsPerQueuePair);
        }
        if (timeoutNs <= 0)
        {
            throw new IllegalArgumentException("rdma timeout must be positive, was " + timeoutNs + " ns");
        }
    }
}
