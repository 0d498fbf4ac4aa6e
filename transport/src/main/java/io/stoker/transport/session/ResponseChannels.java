package io.stoker.transport.session;

import io.stoker.transport.control.ControlProtocol;

import java.util.regex.Pattern;

/**
 * Checks a channel a peer names for us to publish to. Creating a publication makes the media driver
 * resolve and send to it, so only the one form Stoker uses is allowed: {@code aeron:udp?endpoint=HOST:PORT}
 * (an IPv4 address, a bracketed IPv6 address or a host name; no other parameter) for a receiver
 * listening over UDP, and exactly {@code aeron:ipc} for one listening over IPC.
 */
public final class ResponseChannels
{
    private static final String UDP_PREFIX = "aeron:udp?endpoint=";
    private static final Pattern ENDPOINT = Pattern.compile(
        "(\\d{1,3}(\\.\\d{1,3}){3}|\\[[0-9A-Fa-f:.]{2,45}]|[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?):(\\d{1,5})");

    private ResponseChannels()
    {
    }

    /**
     * @param channel        what the peer named.
     * @param listenChannel  the channel the receiver listens on: its media is the only one allowed.
     * @return null when the channel may be used, else one line saying why not.
     */
    public static String check(final String channel, final String listenChannel)
    {
        if (ControlProtocol.IPC_CHANNEL.equals(listenChannel))
        {
            return ControlProtocol.IPC_CHANNEL.equals(channel) ? null :
                "a member of an IPC channel must answer on " + ControlProtocol.IPC_CHANNEL;
        }
        if (!channel.startsWith(UDP_PREFIX))
        {
            return "channel must be " + UDP_PREFIX + "HOST:PORT";
        }
        final String endpoint = channel.substring(UDP_PREFIX.length());
        final java.util.regex.Matcher matcher = ENDPOINT.matcher(endpoint);
        if (!matcher.matches())
        {
            return "endpoint must be HOST:PORT with nothing after it";
        }
        final int port = Integer.parseInt(matcher.group(4));
        if (port < 1 || port > 65_535)
        {
            return "port " + port + " is out of range";
        }
        return null;
    }
}
