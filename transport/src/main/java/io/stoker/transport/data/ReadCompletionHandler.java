package io.stoker.transport.data;

/**
 * Told of the outcome of each read a {@link DataReader} accepted.
 */
public interface ReadCompletionHandler
{
    /**
     * Every byte of the read is in its destination.
     *
     * @param readId as given to {@link DataReader#read}.
     */
    void onReadComplete(long readId);

    /**
     * The read failed; its destination holds no meaningful bytes.
     *
     * @param readId as given to {@link DataReader#read}.
     * @param reason one line saying what failed, for counters, logs and the chunk's error report.
     */
    void onReadFailed(long readId, String reason);
}
