package io.stoker.transport.session;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Seals the messages one side of an authenticated session sends: after each message come 8 bytes of
 * sequence number (counting from 1) and the first 16 bytes of HMAC-SHA256 under the direction's key
 * over the sequence and the message. The receiver's {@link MessageOpener} refuses a forged, altered,
 * replayed or reordered message.
 */
public final class MessageSealer
{
    /**
     * Bytes a seal adds after a message.
     */
    public static final int SEAL_LENGTH = Long.BYTES + 16;

    static final int TAG_LENGTH = SEAL_LENGTH - Long.BYTES;

    private final SealMac mac;
    private long sequence;

    MessageSealer(final byte[] key)
    {
        mac = new SealMac(key);
    }

    /**
     * Write the seal of a message.
     *
     * @param seal       where the {@link #SEAL_LENGTH} bytes go.
     * @param sealOffset at which offset.
     */
    public void seal(
        final DirectBuffer message,
        final int offset,
        final int length,
        final MutableDirectBuffer seal,
        final int sealOffset)
    {
        final long next = ++sequence;
        final byte[] tag = mac.compute(next, message, offset, length);
        seal.putLong(sealOffset, next, ByteOrder.LITTLE_ENDIAN);
        seal.putBytes(sealOffset + Long.BYTES, tag, 0, TAG_LENGTH);
    }
}
