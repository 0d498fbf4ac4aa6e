package io.stoker.transport.wire;

import io.stoker.codecs.ErrorCode;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.concurrent.TimeUnit;

/**
 * The one place a receiver refuses a message: it counts it (the invalid-messages counter moves by
 * exactly one per refused message), answers the sender where the receiver knows it, and logs it
 * through the error handler, at most {@link #LOG_LINES_PER_SECOND} lines a second (with {@link #report}
 * lines) so that a flood cannot flood the log; the lines held back are counted in the next line that
 * gets through.
 */
public final class Refusals
{
    /**
     * Refusals logged per second at most.
     */
    public static final int LOG_LINES_PER_SECOND = 20;

    private static final long WINDOW_NS = TimeUnit.SECONDS.toNanos(1);

    private final String owner;
    private final AtomicCounter invalidMessages;
    private final ErrorHandler errorHandler;
    private final NanoClock clock;
    private Answer answer = (sessionId, code, templateId, reason) -> {};
    private long windowStartNs;
    private int loggedInWindow;
    private long heldBack;

    /**
     * Answers a refused message's sender, when the receiver knows where to.
     */
    @FunctionalInterface
    public interface Answer
    {
        /**
         * @param sessionId  the sender's session.
         * @param code       why.
         * @param templateId the refused template, or -1 when unreadable.
         * @param reason     one line, printable ASCII.
         */
        void answer(int sessionId, ErrorCode code, int templateId, String reason);
    }

    /**
     * @param owner           names the receiver in log lines, e.g. {@code "coordinator"}.
     * @param invalidMessages counts every refused message.
     * @param errorHandler    where log lines go.
     * @param clock           paces the log.
     */
    public Refusals(
        final String owner, final AtomicCounter invalidMessages, final ErrorHandler errorHandler, final NanoClock clock)
    {
        this.owner = owner;
        this.invalidMessages = invalidMessages;
        this.errorHandler = errorHandler;
        this.clock = clock;
        this.windowStartNs = clock.nanoTime();
    }

    /**
     * @param answer how to answer senders from now on.
     * @return this.
     */
    public Refusals answerWith(final Answer answer)
    {
        this.answer = answer;
        return this;
    }

    /**
     * Refuse one message: count, answer, log.
     *
     * @param sessionId  the sender's session.
     * @param code       why, as the error response names it.
     * @param templateId the refused template, or -1 when even the header was unreadable.
     * @param reason     one line; text a peer chose must already be {@link Quote quoted}.
     */
    public void refuse(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        invalidMessages.increment();
        answer.answer(sessionId, code, templateId, Quote.printable(reason, MessageLimits.MAX_TEXT_LENGTH));
        report("refused " + (templateId >= 0 ? MessageValidator.templateName(templateId) : "a message") +
            " from session " + sessionId + ": " + code + ": " + reason);
    }

    /**
     * Log a line about what strangers did, paced like refusals, without counting a message.
     *
     * @param line one line; text a peer chose must already be {@link Quote quoted}.
     */
    public void report(final String line)
    {
        final long nowNs = clock.nanoTime();
        if (nowNs - windowStartNs >= WINDOW_NS)
        {
            windowStartNs = nowNs;
            loggedInWindow = 0;
        }
        if (loggedInWindow >= LOG_LINES_PER_SECOND)
        {
            heldBack++;
            return;
        }
        loggedInWindow++;
        final String more = heldBack > 0 ? " (and " + heldBack + " more refusals not logged)" : "";
        heldBack = 0;
        errorHandler.onError(new RefusedMessageException(owner + ": " + line + more));
    }
}
