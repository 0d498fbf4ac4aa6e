package io.stoker.transport.rdma;

import java.net.InetSocketAddress;

/**
 * The text form of an RDMA endpoint in region advertisements: {@code IP:PORT}.
 */
final class RdmaEndpoints
{
    private RdmaEndpoints()
    {
    }

    static String format(final InetSocketAddress address)
    {
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /**
     * @throws IllegalArgumentException when the text is not IP:PORT.
     */
    static InetSocketAddress parse(final String endpoint)
    {
        final int colon = endpoint.lastIndexOf(':');
        try
        {
            if (colon > 0)
            {
                return new InetSocketAddress(
                    endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
            }
        }
        catch (final IllegalArgumentException ignore)
        {
            // reported below
        }
        throw new IllegalArgumentException("rdma endpoint must be IP:PORT, was '" + endpoint + "'");
    }
}
