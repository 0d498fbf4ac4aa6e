package io.stoker.transport.session;

import org.agrona.DirectBuffer;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import java.security.GeneralSecurityException;

/**
 * The MAC of one direction of a session: HMAC-SHA256 under the direction's key over the sequence
 * number (8 bytes, little endian) and the message. Reuses one {@link Mac} and its buffers; a message is hashed in
 * pieces through a fixed scratch, so a session's MAC does not keep a copy of the largest message it ever saw (a
 * coordinator holds two per member).
 */
final class SealMac
{
    private static final int SCRATCH_LENGTH = 1024;

    private final Mac mac;
    private final byte[] sequenceBytes = new byte[Long.BYTES];
    private final byte[] output = new byte[Hmac.LENGTH];
    private final byte[] scratch = new byte[SCRATCH_LENGTH];

    SealMac(final byte[] key)
    {
        try
        {
            mac = Hmac.newMac(key);
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(Hmac.ALGORITHM + " unavailable", ex);
        }
    }

    /**
     * @return the full 32-byte MAC, valid until the next call.
     */
    byte[] compute(final long sequence, final DirectBuffer buffer, final int offset, final int length)
    {
        for (int i = 0; i < Long.BYTES; i++)
        {
            sequenceBytes[i] = (byte)(sequence >>> (8 * i));
        }
        mac.update(sequenceBytes);
        for (int at = 0; at < length; at += SCRATCH_LENGTH)
        {
            final int piece = Math.min(SCRATCH_LENGTH, length - at);
            buffer.getBytes(offset + at, scratch, 0, piece);
            mac.update(scratch, 0, piece);
        }
        try
        {
            mac.doFinal(output, 0);
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        return output;
    }
}
