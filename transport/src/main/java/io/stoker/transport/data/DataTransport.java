package io.stoker.transport.data;

import java.nio.ByteBuffer;

/**
 * A way to reach data servers: decides whether it can reach one and opens a {@link DataReader} to it.
 * A worker holds one instance per transport, built over its buffer pool's memory, and asks them in
 * {@link TransportKind} order.
 */
public interface DataTransport extends AutoCloseable
{
    /**
     * @return which transport this is.
     */
    TransportKind kind();

    /**
     * @param server what the data server advertised.
     * @return null if this transport can reach the server, otherwise one line saying why not.
     */
    String unreachableReason(ServerAdvertisement server);

    /**
     * @param server      a server for which {@link #unreachableReason} returned null.
     * @param localMemory the worker's buffer memory that reads will land in; the same for every call.
     *                    Transports that must register it (RDMA) do so once.
     * @return a reader of that server's regions.
     */
    DataReader connect(ServerAdvertisement server, ByteBuffer localMemory);

    /**
     * Release what the transport holds for all its readers.
     */
    @Override
    void close();
}
