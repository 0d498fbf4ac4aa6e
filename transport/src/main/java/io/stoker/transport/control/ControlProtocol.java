package io.stoker.transport.control;

import io.stoker.codecs.MessageHeaderDecoder;

/**
 * Channels, stream ids and limits of the control protocol.
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
     * Header length of every message.
     */
    public static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;

    /**
     * Most chunk ids in one assignment or acknowledgement message; keeps messages well under an MTU-sized burst.
     */
    public static final int MAX_CHUNKS_PER_MESSAGE = 4096;

    /**
     * Most regions in one advertisement message.
     */
    public static final int MAX_REGIONS_PER_MESSAGE = 256;

    private ControlProtocol()
    {
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
