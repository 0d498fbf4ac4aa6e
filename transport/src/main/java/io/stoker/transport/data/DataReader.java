package io.stoker.transport.data;

import org.agrona.concurrent.AtomicBuffer;

/**
 * Reads byte ranges of one data server's regions into local memory, many reads in flight.
 * <p>
 * One reader serves one (worker, data server) pair and is used from the worker's agent thread only.
 * {@link #read} only queues; the bytes move while {@link #poll} is called from the duty cycle, which
 * also delivers each read's outcome, exactly once, to the {@link ReadCompletionHandler}.
 */
public interface DataReader extends AutoCloseable
{
    /**
     * @return the transport this reader uses.
     */
    TransportKind kind();

    /**
     * Start reading {@code length} bytes at {@code offset} of region {@code regionId} into
     * {@code destination} at {@code destinationOffset}.
     *
     * @param readId identifies the read in its completion; chosen by the caller, unique among reads in flight.
     * @return true if the read was accepted, false if the reader has no capacity now (back pressure: try later).
     */
    boolean read(long readId, int regionId, long offset, int length, AtomicBuffer destination, int destinationOffset);

    /**
     * Make progress and deliver finished reads.
     *
     * @param handler told of each read that completed or failed.
     * @return the amount of work done, 0 when idle.
     */
    int poll(ReadCompletionHandler handler);

    /**
     * @return reads accepted and not yet delivered to a handler.
     */
    int inFlight();

    /**
     * Whether reads should be sent here now. A reader whose connection is gone (or is not up yet), or whose
     * server made no progress for its stall bound, says false: it has already failed the reads it held, so they
     * can be tried on a replica at once, and it tries its server again on its own (a new connection, a later
     * probe, or any sign of life from the server), after which it says true again.
     *
     * @return true when the reader's server is reachable as far as it knows.
     */
    boolean isAvailable();

    /**
     * Release the reader's resources. Reads in flight are abandoned without completion.
     */
    @Override
    void close();
}
