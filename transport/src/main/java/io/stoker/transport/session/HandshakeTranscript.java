package io.stoker.transport.session;

import org.agrona.ExpandableArrayBuffer;

import java.nio.ByteOrder;

/**
 * The bytes both ends of a handshake bind their proofs and keys to: the service, what the initiator
 * claimed (its job's name among it), the attempt's correlation id, both sides' Aeron session ids and both
 * nonces. A proof made for another service, another claim, another session or another nonce does not verify
 * here, so a proof can be neither replayed nor relayed.
 */
final class HandshakeTranscript
{
    private static final String LABEL = "stoker/2 session";

    private HandshakeTranscript()
    {
    }

    /**
     * @param initiatorSessionId session id of the initiator's publication to the verifier.
     * @param verifierSessionId  session id of the verifier's publication to the initiator.
     * @return the transcript's bytes.
     */
    static byte[] of(
        final Service service,
        final HandshakeIdentity identity,
        final long correlationId,
        final int initiatorSessionId,
        final int verifierSessionId,
        final byte[] initiatorNonce,
        final byte[] verifierNonce)
    {
        final ExpandableArrayBuffer buffer = new ExpandableArrayBuffer(256);
        int at = 0;
        at += buffer.putStringAscii(at, LABEL, ByteOrder.LITTLE_ENDIAN);
        buffer.putByte(at++, (byte)service.ordinal());
        buffer.putByte(at++, (byte)identity.role().value());
        buffer.putInt(at, identity.rank(), ByteOrder.LITTLE_ENDIAN);
        at += Integer.BYTES;
        buffer.putByte(at++, identity.transports());
        buffer.putInt(at, identity.responseStreamId(), ByteOrder.LITTLE_ENDIAN);
        at += Integer.BYTES;
        at += buffer.putStringAscii(at, identity.hostId(), ByteOrder.LITTLE_ENDIAN);
        at += buffer.putStringAscii(at, identity.responseChannel(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(at, identity.incarnation(), ByteOrder.LITTLE_ENDIAN);
        at += Long.BYTES;
        at += buffer.putStringAscii(at, identity.jobName(), ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(at, correlationId, ByteOrder.LITTLE_ENDIAN);
        at += Long.BYTES;
        buffer.putInt(at, initiatorSessionId, ByteOrder.LITTLE_ENDIAN);
        at += Integer.BYTES;
        buffer.putInt(at, verifierSessionId, ByteOrder.LITTLE_ENDIAN);
        at += Integer.BYTES;
        buffer.putBytes(at, initiatorNonce);
        at += initiatorNonce.length;
        buffer.putBytes(at, verifierNonce);
        at += verifierNonce.length;
        final byte[] bytes = new byte[at];
        buffer.getBytes(0, bytes);
        return bytes;
    }
}
