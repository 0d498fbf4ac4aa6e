package io.stoker.transport.session;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;

/**
 * HMAC-SHA256, the one primitive of Stoker's sessions.
 */
final class Hmac
{
    static final String ALGORITHM = "HmacSHA256";
    static final int LENGTH = 32;

    private Hmac()
    {
    }

    /**
     * @param key   the key.
     * @param label what the output is for; distinct labels give independent outputs.
     * @return HMAC-SHA256(key, label).
     */
    static byte[] derive(final byte[] key, final String label)
    {
        try
        {
            final Mac mac = newMac(key);
            return mac.doFinal(label.getBytes(StandardCharsets.US_ASCII));
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException(ALGORITHM + " unavailable", ex);
        }
    }

    static Mac newMac(final byte[] key) throws GeneralSecurityException
    {
        final Mac mac = Mac.getInstance(ALGORITHM);
        mac.init(new SecretKeySpec(key, ALGORITHM));
        return mac;
    }

    /**
     * Compare in time independent of where the arrays differ.
     */
    static boolean equal(final byte[] a, final int aOffset, final byte[] b, final int bOffset, final int length)
    {
        int difference = 0;
        for (int i = 0; i < length; i++)
        {
            difference |= a[aOffset + i] ^ b[bOffset + i];
        }
        return 0 == difference;
    }
}
