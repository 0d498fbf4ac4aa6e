package io.stoker.worker;

/**
 * A problem a worker reports to its error handler and keeps running: the message says it all, so no
 * stack trace is captured.
 */
public final class WorkerException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public WorkerException(final String message)
    {
        super(message, null, false, false);
    }
}
