package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvContext;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvPd;
import com.ibm.disni.verbs.IbvQP;
import com.ibm.disni.verbs.IbvQPInitAttr;
import com.ibm.disni.verbs.RdmaCm;
import com.ibm.disni.verbs.RdmaCmId;
import com.ibm.disni.verbs.RdmaConnParam;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.SVCRegMr;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The RDMA device behind one IP address: an rdma_cm id bound to that address (kept for the device's
 * life, it keeps librdmacm's verbs context open), the context and one protection domain. Also the
 * settings every Stoker connection uses, so both ends agree.
 * <p>
 * The id and its event channel belong to the thread that opened the device.
 */
final class RdmaDevice implements AutoCloseable
{
    private static final byte RETRY_COUNT = 7;
    private static final byte RNR_RETRY_COUNT = 7;

    private final InetAddress address;
    private final RdmaEventChannel channel;
    private final RdmaCmId id;
    private final IbvContext context;
    private final IbvPd protectionDomain;

    private RdmaDevice(
        final InetAddress address,
        final RdmaEventChannel channel,
        final RdmaCmId id,
        final IbvContext context,
        final IbvPd protectionDomain)
    {
        this.address = address;
        this.channel = channel;
        this.id = id;
        this.context = context;
        this.protectionDomain = protectionDomain;
    }

    /**
     * Bind to {@code address}, which must be an address of an RDMA device's network interface (not a
     * wildcard: a wildcard-bound id has no device).
     *
     * @throws IOException naming the address when it has no RDMA device or a verbs call fails.
     */
    static RdmaDevice open(final InetSocketAddress address) throws IOException
    {
        final RdmaEventChannel channel = eventChannel();
        RdmaCmId id = null;
        try
        {
            id = channel.createId(RdmaCm.RDMA_PS_TCP);
            id.bindAddr(address);
            final IbvContext context = id.getVerbs();
            if (null == context)
            {
                throw new IOException("no RDMA device has this address");
            }
            return new RdmaDevice(address.getAddress(), channel, id, context, context.allocPd());
        }
        catch (final IOException | RuntimeException ex)
        {
            if (null != id)
            {
                id.destroyId();
            }
            channel.destroyEventChannel();
            throw new IOException(address.getAddress().getHostAddress() + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * @return a new rdma_cm event channel, for the calling thread's ids.
     * @throws IOException when rdma_cm is unavailable.
     */
    static RdmaEventChannel eventChannel() throws IOException
    {
        final RdmaEventChannel channel = RdmaEventChannel.createEventChannel();
        if (null == channel)
        {
            throw new IOException("rdma_create_event_channel failed (is the rdma_ucm module loaded?)");
        }
        return channel;
    }

    /**
     * @return the device's address.
     */
    InetAddress address()
    {
        return address;
    }

    /**
     * @return the event channel of the bound id (the listening id of a data server).
     */
    RdmaEventChannel channel()
    {
        return channel;
    }

    /**
     * @return the id bound to the device's address.
     */
    RdmaCmId id()
    {
        return id;
    }

    IbvContext context()
    {
        return context;
    }

    IbvPd protectionDomain()
    {
        return protectionDomain;
    }

    /**
     * Register memory with this device.
     *
     * @param access {@code IbvMr.IBV_ACCESS_*} flags, exactly: nothing is added.
     */
    IbvMr register(final ByteBuffer memory, final int access) throws IOException
    {
        final SVCRegMr call = protectionDomain.regMr(memory, access);
        try
        {
            return call.execute().getMr();
        }
        finally
        {
            call.free();
        }
    }

    /**
     * @param completionQueue   where both directions complete.
     * @param sendWorkRequests  work requests the queue pair can hold.
     * @return the attributes of a reliable-connected queue pair with two receive work requests (a worker's
     *     connection receives the server's challenge, then its key table).
     */
    static IbvQPInitAttr queuePairAttributes(final IbvCQ completionQueue, final int sendWorkRequests)
    {
        final IbvQPInitAttr attributes = new IbvQPInitAttr();
        attributes.cap().setMax_send_wr(sendWorkRequests);
        attributes.cap().setMax_recv_wr(2);
        attributes.cap().setMax_send_sge(1);
        attributes.cap().setMax_recv_sge(1);
        attributes.setQp_type(IbvQP.IBV_QPT_RC);
        attributes.setSend_cq(completionQueue);
        attributes.setRecv_cq(completionQueue);
        return attributes;
    }

    /**
     * @return connection parameters with transport and receiver-not-ready retries (DiSNI's default is none).
     */
    static RdmaConnParam connectionParameters() throws IOException
    {
        final RdmaConnParam parameters = new RdmaConnParam();
        parameters.setRetry_count(RETRY_COUNT);
        parameters.setRnr_retry_count(RNR_RETRY_COUNT);
        return parameters;
    }

    /**
     * Release the protection domain, the id and its channel. Memory registrations and queue pairs on the
     * device must be released first.
     */
    @Override
    public void close()
    {
        try
        {
            protectionDomain.deallocPd();
        }
        catch (final Exception ignore)
        {
            // the id and channel below are still released
        }
        try
        {
            id.destroyId();
            channel.destroyEventChannel();
        }
        catch (final IOException ignore)
        {
            // closing: nothing more to release
        }
    }
}
