package io.stoker.transport.session;

import io.aeron.BufferBuilder;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.FrameDescriptor;
import io.aeron.logbuffer.Header;
import io.stoker.codecs.ErrorCode;
import io.stoker.codecs.MessageHeaderDecoder;
import io.stoker.transport.wire.MessageLimits;
import io.stoker.transport.wire.MessageValidator;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.collections.IntHashSet;

import java.nio.ByteOrder;

/**
 * Polls a subscription, puts fragmented messages back together, passes every whole message through a
 * {@link MessageGate} and hands what passes to a {@link Dispatcher}; an exception a handler throws is
 * refused as an internal error, so nothing a peer sends can stop the duty cycle.
 * <p>
 * Only an authenticated session may send a message in fragments, and no message may grow beyond
 * {@link MessageLimits#MAX_MESSAGE_LENGTH}: a stranger cannot make this side buffer anything. A
 * refused fragmented message counts once, however many fragments it had. A session's reassembly buffer that grew
 * beyond 16 KiB for a large message (a layout's part, chunk descriptors) shrinks back to 4 KiB once that message is
 * handled (in place: decoders that wrapped it keep no copy), so that a coordinator does not keep each member's
 * largest message.
 */
public final class MessageReceiver implements FragmentHandler, AutoCloseable
{
    private static final int SWEEP_THRESHOLD = 64;
    private static final int MAX_DISCARDING = 1024;
    private static final int RETAINED_BUILDER_CAPACITY = 16 * 1024;

    private final Subscription subscription;
    private final MessageGate gate;
    private final SessionDirectory sessions;
    private final Dispatcher dispatcher;
    private final Int2ObjectHashMap<BufferBuilder> builders = new Int2ObjectHashMap<>();
    private final IntHashSet discarding = new IntHashSet();

    /**
     * Dispatches a message that passed the gate.
     */
    @FunctionalInterface
    public interface Dispatcher
    {
        /**
         * @param templateId the message's template.
         * @param length     the message's length, any seal excluded.
         * @param sessionId  the sender's session.
         */
        void dispatch(int templateId, DirectBuffer buffer, int offset, int length, int sessionId);
    }

    /**
     * @param subscription to poll; closed with this receiver; null when messages are fed by {@link #onMessage}.
     * @param gate         what messages pass.
     * @param sessions     who may send fragmented messages.
     * @param dispatcher   what gets them.
     */
    public MessageReceiver(
        final Subscription subscription, final MessageGate gate, final SessionDirectory sessions,
        final Dispatcher dispatcher)
    {
        this.subscription = subscription;
        this.gate = gate;
        this.sessions = sessions;
        this.dispatcher = dispatcher;
    }

    /**
     * Poll for messages, from the owning agent's duty cycle.
     *
     * @param fragmentLimit most fragments to read.
     * @return fragments read.
     */
    public int poll(final int fragmentLimit)
    {
        return subscription.poll(this, fragmentLimit);
    }

    /**
     * @return the subscription polled.
     */
    public Subscription subscription()
    {
        return subscription;
    }

    @Override
    public void onFragment(final DirectBuffer buffer, final int offset, final int length, final Header header)
    {
        final int sessionId = header.sessionId();
        final byte flags = header.flags();
        if ((flags & FrameDescriptor.UNFRAGMENTED) == FrameDescriptor.UNFRAGMENTED)
        {
            onMessage(buffer, offset, length, sessionId);
        }
        else if ((flags & FrameDescriptor.BEGIN_FRAG_FLAG) == FrameDescriptor.BEGIN_FRAG_FLAG)
        {
            beginMessage(buffer, offset, length, sessionId);
        }
        else
        {
            continueMessage(buffer, offset, length, sessionId, (flags & FrameDescriptor.END_FRAG_FLAG) != 0);
        }
    }

    /**
     * Check and dispatch one whole message.
     *
     * @param sessionId the sender's session.
     */
    public void onMessage(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        final int messageLength = gate.admit(buffer, offset, length, sessionId);
        if (messageLength < 0)
        {
            return;
        }
        final int templateId = buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        try
        {
            dispatcher.dispatch(templateId, buffer, offset, messageLength, sessionId);
        }
        catch (final RuntimeException ex)
        {
            gate.refusals().refuse(sessionId, ErrorCode.INTERNAL_ERROR, templateId,
                "handling it failed: " + ex);
        }
    }

    @Override
    public void close()
    {
        CloseHelper.close(subscription);
    }

    private void beginMessage(final DirectBuffer buffer, final int offset, final int length, final int sessionId)
    {
        if (null == sessions.opener(sessionId))
        {
            builders.remove(sessionId);
            discard(sessionId, ErrorCode.NOT_REGISTERED, templateIdOf(buffer, offset, length),
                "a fragmented message from a session that is not authenticated");
            return;
        }
        discarding.remove(sessionId);
        BufferBuilder builder = builders.get(sessionId);
        if (null == builder)
        {
            if (builders.size() >= SWEEP_THRESHOLD)
            {
                builders.keySet().removeIf(id -> null == sessions.opener(id));
            }
            builder = new BufferBuilder();
            builders.put(sessionId, builder);
        }
        builder.reset().append(buffer, offset, length);
    }

    private void continueMessage(
        final DirectBuffer buffer, final int offset, final int length, final int sessionId, final boolean isEnd)
    {
        final BufferBuilder builder = builders.get(sessionId);
        if (null == builder || 0 == builder.limit())
        {
            if (!discarding.contains(sessionId))
            {
                discard(sessionId, ErrorCode.MALFORMED_MESSAGE, -1, "fragments without a first fragment");
            }
        }
        else if ((long)builder.limit() + length > MessageLimits.MAX_MESSAGE_LENGTH)
        {
            final int templateId = templateIdOf(builder.buffer(), 0, builder.limit());
            builder.reset();
            discard(sessionId, ErrorCode.MALFORMED_MESSAGE, templateId,
                "message longer than " + MessageLimits.MAX_MESSAGE_LENGTH + " bytes");
        }
        else
        {
            builder.append(buffer, offset, length);
            if (isEnd)
            {
                final int messageLength = builder.limit();
                builder.limit(0);
                onMessage(builder.buffer(), 0, messageLength, sessionId);
                if (builder.capacity() > RETAINED_BUILDER_CAPACITY)
                {
                    builder.compact();
                }
            }
            return;
        }
        if (isEnd)
        {
            discarding.remove(sessionId);
        }
    }

    /**
     * Refuse a fragmented message once, and drop its remaining fragments until its last.
     */
    private void discard(final int sessionId, final ErrorCode code, final int templateId, final String reason)
    {
        if (discarding.size() >= MAX_DISCARDING)
        {
            discarding.clear();
        }
        discarding.add(sessionId);
        gate.refusals().refuse(sessionId, code, templateId, reason);
    }

    private static int templateIdOf(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            return -1;
        }
        final int templateId = buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        return MessageValidator.isKnown(templateId) ? templateId : -1;
    }
}
