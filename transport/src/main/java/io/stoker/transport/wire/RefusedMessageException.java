package io.stoker.transport.wire;

/**
 * Reports a message a receiver refused, to its {@link org.agrona.ErrorHandler}. Carries no stack
 * trace: the message says what and why, and refusals can come in floods.
 */
public final class RefusedMessageException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message one line: who refused what from whom, and why.
     */
    public RefusedMessageException(final String message)
    {
        super(message, null, false, false);
    }
}
