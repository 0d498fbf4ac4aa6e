package io.stoker.transport.session;

/**
 * Which Aeron sessions may send to a receiver, and how their messages are sealed.
 */
@FunctionalInterface
public interface SessionDirectory
{
    /**
     * @param sessionId the sending publication's session id.
     * @return the opener of the session's messages ({@link MessageOpener#OPEN} for a session admitted
     * without a token), or null when the session is not an authenticated one.
     */
    MessageOpener opener(int sessionId);
}
