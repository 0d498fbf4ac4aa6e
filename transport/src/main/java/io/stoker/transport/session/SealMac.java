package io.stoker.transport.session;

import org.agrona.DirectBuffer;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import java.security.GeneralSecurityException;

/**
 * The MAC of one direction of a session: HMAC-SHA256 under the direction's key over the sequence
 * number (8 bytes, little endian) and the message. Reuses one {@link Mac} and its buffers.
 */
final class SealMac
{
    private final Mac mac;
    private final byte[] sequenceBytes = new byte[Long.BYTES];
    private final byte[] output = new byte[Hmac.LENGTH];
    private byte[] scratch = new byte[1024];

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
        if (scratch.length < length)
        {
            scratch = new byte[Math.max(length, scratch.length * 2)];
        }
        buffer.getBytes(offset, scratch, 0, length);
        mac.update(sequenceBytes);
        mac.update(scratch, 0, length);
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
