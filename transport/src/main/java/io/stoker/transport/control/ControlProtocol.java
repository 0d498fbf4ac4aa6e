package io.stoker.transport.control;

import io.aeron.Aeron;

/**
 * Channels and stream ids of the control protocol and the UDP data plane.
 */
public final class ControlProtocol
{
    /**
     * Channel of the control plane when every member runs on one host.
     */
    public static final String IPC_CHANNEL = "aeron:ipc";

    /**
     * Stream on which the coordinator receives.
     */
    public static final int COORDINATOR_STREAM_ID = 1001;

    /**
     * Stream on which members receive from the coordinator over UDP, each on its own endpoint.
     */
    public static final int MEMBER_STREAM_ID = 1002;

    /**
     * Stream on which a data server receives read requests at its UDP endpoint.
     */
    public static final int DATA_REQUEST_STREAM_ID = 2001;

    /**
     * Base of the streams on which a worker receives read data, one per data server: base + server id.
     */
    public static final int DATA_RESPONSE_STREAM_BASE = 3000;

    /**
     * A heartbeat's echo when it echoes nothing: a member's own heartbeats, and the coordinator's before the
     * member's first.
     */
    public static final long NO_ECHO = Long.MIN_VALUE;

    private ControlProtocol()
    {
    }

    /**
     * Pick the stream on which a member receives: on a shared IPC channel each member needs its own;
     * on its own UDP endpoint the fixed {@link #MEMBER_STREAM_ID} will do.
     *
     * @param aeron           the member's client, whose driver hands out ids unique on the host.
     * @param responseChannel where the member listens.
     * @return the stream id.
     */
    public static int responseStreamId(final Aeron aeron, final String responseChannel)
    {
        return IPC_CHANNEL.equals(responseChannel) ?
            MEMBER_STREAM_ID + 1 + (int)(aeron.nextCorrelationId() & 0xFFFFFF) : MEMBER_STREAM_ID;
    }

    /**
     * @param endpoint host:port to listen on or send to.
     * @return the UDP channel for it.
     */
    public static String udpChannel(final String endpoint)
    {
        return "aeron:udp?endpoint=" + endpoint;
    }
}
