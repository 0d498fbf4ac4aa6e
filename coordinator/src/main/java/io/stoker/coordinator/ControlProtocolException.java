package io.stoker.coordinator;

/**
 * A control message the coordinator refused, reported to its error handler. Carries no stack trace:
 * the reason is the whole story, and bad input must stay cheap to refuse.
 */
final class ControlProtocolException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    ControlProtocolException(final String message)
    {
        super(message, null, false, false);
    }
}
