package io.stoker.transport.session;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * What a worker sends on a new RDMA connection to a data server, to be given that connection's keys: its rank, the
 * correlation id of its registration with the coordinator (which names its lease), and an HMAC-SHA256 under the job
 * token over a label, the server's RDMA endpoint, the server's challenge for this connection (a fresh random
 * {@link #NONCE_LENGTH}-byte nonce it sends first on each connection), the rank and the registration. Only a holder
 * of the token can make it, and only for that connection: a proof captured on one connection and replayed on
 * another is over another nonce, and refused. A data server that was told the registration's lease ended refuses
 * it too. Without a token (a one-host run that asks for none) the MAC is all zeros and only the claims are read.
 * <p>
 * Layout, little-endian, {@link #LENGTH} bytes: magic (int32), rank (int32), registration (int64), MAC (32 bytes).
 */
public final class RdmaConnectProof
{
    /**
     * Bytes of a proof.
     */
    public static final int LENGTH = 48;

    /**
     * Bytes of the server's challenge on a connection.
     */
    public static final int NONCE_LENGTH = 16;

    private static final int MAGIC = 0x314b5253;
    private static final int RANK_OFFSET = 4;
    private static final int REGISTRATION_OFFSET = 8;
    private static final int MAC_OFFSET = 16;
    private static final byte[] LABEL = "stoker/3 rdma connect".getBytes(StandardCharsets.US_ASCII);

    private RdmaConnectProof()
    {
    }

    /**
     * Write a proof.
     *
     * @param token          the job token, or null when the job has none.
     * @param serverEndpoint the data server's RDMA endpoint as advertised ({@code IP:PORT}).
     * @param nonce          holds the server's challenge on this connection.
     * @param nonceOffset    where it starts: {@link #NONCE_LENGTH} bytes.
     * @param rank           the worker's rank.
     * @param registrationId the correlation id of the worker's current registration with the coordinator.
     * @param buffer         where to write {@link #LENGTH} bytes.
     * @param offset         at which offset.
     */
    public static void write(
        final JobToken token,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final int rank,
        final long registrationId,
        final MutableDirectBuffer buffer,
        final int offset)
    {
        buffer.putInt(offset, MAGIC, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(offset + RANK_OFFSET, rank, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + REGISTRATION_OFFSET, registrationId, ByteOrder.LITTLE_ENDIAN);
        final byte[] mac = mac(token, serverEndpoint, nonce, nonceOffset, rank, registrationId);
        buffer.putBytes(offset + MAC_OFFSET, mac, 0, Hmac.LENGTH);
    }

    /**
     * Check a proof as it arrived, before anything of it is believed.
     *
     * @param token          the job token, or null when the job has none.
     * @param serverEndpoint this server's RDMA endpoint as it advertises it.
     * @param nonce          holds the challenge this server sent on the connection.
     * @param nonceOffset    where it starts: {@link #NONCE_LENGTH} bytes.
     * @param buffer         what arrived.
     * @param offset         where it starts.
     * @param length         how many bytes arrived.
     * @return null when it proves its claims, otherwise why not (for the refusal's log line).
     */
    public static String verify(
        final JobToken token,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        if (LENGTH != length)
        {
            return "a proof of " + length + " bytes, not " + LENGTH;
        }
        if (MAGIC != buffer.getInt(offset, ByteOrder.LITTLE_ENDIAN))
        {
            return "not a Stoker rdma proof";
        }
        final byte[] expected =
            mac(token, serverEndpoint, nonce, nonceOffset, rank(buffer, offset), registrationId(buffer, offset));
        final byte[] actual = new byte[Hmac.LENGTH];
        buffer.getBytes(offset + MAC_OFFSET, actual);
        if (!Hmac.equal(expected, 0, actual, 0, Hmac.LENGTH))
        {
            return "its MAC does not verify under the job token and this connection's challenge";
        }
        return null;
    }

    /**
     * @return the rank a proof claims (believe it only once {@link #verify} returned null).
     */
    public static int rank(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + RANK_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * @return the registration a proof claims (believe it only once {@link #verify} returned null).
     */
    public static long registrationId(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + REGISTRATION_OFFSET, ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] mac(
        final JobToken token,
        final String serverEndpoint,
        final DirectBuffer nonce,
        final int nonceOffset,
        final int rank,
        final long registrationId)
    {
        if (null == token)
        {
            return new byte[Hmac.LENGTH];
        }
        final byte[] endpoint = serverEndpoint.getBytes(StandardCharsets.US_ASCII);
        final byte[] challenge = new byte[NONCE_LENGTH];
        nonce.getBytes(nonceOffset, challenge);
        final byte[] message = ByteBuffer.allocate(LABEL.length + Integer.BYTES + endpoint.length + NONCE_LENGTH +
            Integer.BYTES + Long.BYTES).put(LABEL).putInt(endpoint.length).put(endpoint).put(challenge).putInt(rank)
            .putLong(registrationId).array();
        return token.hmac(message);
    }
}
