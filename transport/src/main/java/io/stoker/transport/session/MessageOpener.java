package io.stoker.transport.session;

import org.agrona.DirectBuffer;

import java.nio.ByteOrder;

/**
 * Checks the seals of the messages one side of a session receives ({@link MessageSealer}): the MAC
 * must verify and the sequence number must be higher than any accepted before, so a message cannot
 * be forged, altered, replayed or reordered. {@link #OPEN} stands for a session admitted without a
 * job token, whose messages carry no seal.
 */
public final class MessageOpener
{
    /**
     * A session admitted without a token: its messages carry no seal.
     */
    public static final MessageOpener OPEN = new MessageOpener();

    private final SealMac mac;
    private final byte[] received = new byte[MessageSealer.TAG_LENGTH];
    private long lastSequence;

    MessageOpener(final byte[] key)
    {
        mac = new SealMac(key);
    }

    private MessageOpener()
    {
        mac = null;
    }

    /**
     * @return true when messages on this session must carry a seal.
     */
    public boolean isSealed()
    {
        return null != mac;
    }

    /**
     * Check the seal at the end of a frame.
     *
     * @param length the frame's length: the message and its seal.
     * @return true when the seal verifies and is newer than the last one accepted.
     */
    public boolean open(final DirectBuffer frame, final int offset, final int length)
    {
        if (length < MessageSealer.SEAL_LENGTH || null == mac)
        {
            return false;
        }
        final int messageLength = length - MessageSealer.SEAL_LENGTH;
        final long sequence = frame.getLong(offset + messageLength, ByteOrder.LITTLE_ENDIAN);
        if (sequence <= lastSequence)
        {
            return false;
        }
        final byte[] expected = mac.compute(sequence, frame, offset, messageLength);
        frame.getBytes(offset + messageLength + Long.BYTES, received);
        if (!Hmac.equal(expected, 0, received, 0, MessageSealer.TAG_LENGTH))
        {
            return false;
        }
        lastSequence = sequence;
        return true;
    }
}
