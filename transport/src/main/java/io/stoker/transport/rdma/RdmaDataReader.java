package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvCQ;
import com.ibm.disni.verbs.IbvCompChannel;
import com.ibm.disni.verbs.IbvMr;
import com.ibm.disni.verbs.IbvWC;
import com.ibm.disni.verbs.RdmaCmEvent;
import com.ibm.disni.verbs.RdmaEventChannel;
import com.ibm.disni.verbs.SVCPollCq;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.ServerAdvertisement;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.data.WorkerRegistration;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.NanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Reads one data server's regions with one-sided RDMA READs into the worker's registered memory.
 * <p>
 * Each of its connections proves the worker's registration to the server and reads under the keys the server
 * registered for that connection alone ({@link RdmaQueuePair}); a server told that the worker's lease ended
 * deregisters them, and the next READ fails on the NIC with a remote access error, which breaks the queue pair: it
 * connects again, proving the registration the worker holds by then.
 * <p>
 * Each read is split into pieces of the configured read size, spread over the reader's queue pairs, many
 * in flight on each; a read completes when all its pieces did. Everything happens in {@link #poll}, from
 * the worker's duty cycle: rdma_cm events are taken without waiting (and rarely once connected), the
 * completion queue is polled, never waited on. A queue pair that fails is torn down once its work
 * requests are flushed, and connects again; reads it held that did not fail themselves are posted again.
 * <p>
 * The reader is available ({@link #isAvailable()}) while one of its queue pairs is ready. When the last one that was
 * ready breaks (the server went away: an error completion, a disconnect event), every read it held with nothing in
 * flight fails at once (and those whose work requests are flushed, as soon as they are), so they are tried on a
 * replica instead of waiting out the timeout; the queue pairs connect again on their own, and the reader is
 * available again once one is ready. A read given to it after that, or before its first connection, waits for a
 * connection, up to the timeout.
 */
final class RdmaDataReader implements DataReader
{
    /**
     * {@link #lostAtNs} while a queue pair is ready, or before the first one was.
     */
    private static final long NOT_LOST = Long.MIN_VALUE;

    private static final int POLL_BATCH = 32;
    private static final int CM_EVENTS_PER_POLL = 8;
    private static final long CM_POLL_CONNECTING_NS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long CM_POLL_CONNECTED_NS = TimeUnit.MILLISECONDS.toNanos(100);

    private final ServerAdvertisement server;
    private final String endpoint;
    private final NanoClock clock;
    private final long memoryAddress;
    private final long memoryLength;
    private final long drainTimeoutNs;
    private final RdmaReads reads;
    private final RdmaEventChannel channel;
    private final IbvCompChannel completionChannel;
    private final IbvCQ completionQueue;
    private final IbvWC[] completions = new IbvWC[POLL_BATCH];
    private final SVCPollCq pollCall;
    private final RdmaQueuePair[] queuePairs;
    private final Supplier<String> waitingReason = this::waitingReason;
    private final Supplier<String> lostReason = this::lostReason;
    private long nextCmPollNs;
    private boolean connected;
    private long lostAtNs = NOT_LOST;

    /**
     * Open the reader's event channel and completion queue; its connections start on the first {@link #poll}.
     *
     * @param device   the worker's device.
     * @param memory   the worker's registered memory: destinations must lie in it.
     * @param server   the data server, offering rdma.
     * @param registration the worker's registration, proven on each connection.
     * @param settings read size, queue pairs, reads per queue pair, timeout.
     * @param maxReads reads accepted at once.
     * @param clock    time source.
     * @param opcode   {@code IbvSendWR.IBV_WR_RDMA_READ}; the lab's check passes {@code IBV_WR_RDMA_WRITE} to
     *                 show that a server's regions refuse writes.
     * @throws UncheckedIOException when a verbs call fails.
     */
    RdmaDataReader(
        final RdmaDevice device,
        final IbvMr memory,
        final ServerAdvertisement server,
        final WorkerRegistration registration,
        final RdmaSettings settings,
        final int maxReads,
        final NanoClock clock,
        final int opcode)
    {
        this.server = server;
        this.endpoint = server.rdmaEndpoint();
        this.clock = clock;
        nextCmPollNs = clock.nanoTime();
        memoryAddress = memory.getAddr();
        memoryLength = Integer.toUnsignedLong(memory.getLength());
        drainTimeoutNs = settings.timeoutNs();
        reads = new RdmaReads(maxReads, settings, "rdma read from server " + server.serverId() + " at " + endpoint +
            " failed: ");
        final InetSocketAddress destination = RdmaEndpoints.parse(endpoint);
        for (int i = 0; i < POLL_BATCH; i++)
        {
            completions[i] = new IbvWC();
        }
        final int slots = settings.readsPerQueuePair();
        RdmaEventChannel eventChannel = null;
        IbvCompChannel compChannel = null;
        IbvCQ queue = null;
        try
        {
            eventChannel = RdmaDevice.eventChannel();
            compChannel = device.context().createCompChannel();
            // each queue pair's reads, and its handshake's send and two receives
            queue = device.context().createCQ(compChannel, settings.queuePairs() * (slots + 3), 0);
            pollCall = queue.poll(completions, POLL_BATCH);
        }
        catch (final IOException ex)
        {
            release(null, queue, compChannel, eventChannel);
            throw new UncheckedIOException("rdma reader for server " + server.serverId() + ": " + ex.getMessage(), ex);
        }
        channel = eventChannel;
        completionChannel = compChannel;
        completionQueue = queue;
        queuePairs = new RdmaQueuePair[settings.queuePairs()];
        try
        {
            for (int i = 0; i < queuePairs.length; i++)
            {
                queuePairs[i] = new RdmaQueuePair(device, channel, completionQueue, destination, i, registration,
                    memory.getLkey(), slots, opcode, settings.timeoutNs());
            }
        }
        catch (final IOException ex)
        {
            for (final RdmaQueuePair queuePair : queuePairs)
            {
                if (null != queuePair)
                {
                    queuePair.close();
                }
            }
            release(pollCall, completionQueue, completionChannel, channel);
            throw new UncheckedIOException("rdma reader for server " + server.serverId() + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public TransportKind kind()
    {
        return TransportKind.RDMA;
    }

    @Override
    public boolean read(
        final long readId,
        final int regionId,
        final long offset,
        final int length,
        final AtomicBuffer destination,
        final int destinationOffset)
    {
        final long nowNs = clock.nanoTime();
        final ServerAdvertisement.Region region = server.region(regionId);
        final long localAddress = destination.addressOffset() + destinationOffset;
        if (null == region || 0 == region.rdmaAddress())
        {
            return reads.reject(readId, "server " + server.serverId() + " does not export region " + regionId +
                (null == region ? "" : " over rdma"), nowNs);
        }
        if (offset < 0 || length < 0 || offset + length > region.length())
        {
            return reads.reject(readId, "read [" + offset + ", " + (offset + length) + ") is outside region " +
                regionId + " of " + region.length() + " bytes", nowNs);
        }
        if (null != destination.byteArray() || destinationOffset < 0 || localAddress < memoryAddress ||
            localAddress + length > memoryAddress + memoryLength)
        {
            return reads.reject(readId, "rdma read of " + length + " bytes does not land in the registered memory",
                nowNs);
        }
        return reads.accept(readId, localAddress, region.rdmaAddress() + offset, regionId, length, nowNs);
    }

    @Override
    public int poll(final ReadCompletionHandler handler)
    {
        final long nowNs = clock.nanoTime();
        int work = pollCm(nowNs);
        work += pollCompletions(nowNs);
        for (int i = 0; i < queuePairs.length; i++)
        {
            work += manage(i, nowNs);
        }
        work += post(nowNs);
        if (isAvailable())
        {
            connected = true;
            lostAtNs = NOT_LOST;
        }
        else if (connected)
        {
            connected = false;
            lostAtNs = nowNs;
        }
        if (NOT_LOST != lostAtNs && reads.inFlight() > 0)
        {
            work += reads.failWaiting(lostAtNs, lostReason);
        }
        if (reads.inFlight() > 0)
        {
            work += reads.expire(nowNs, waitingReason);
        }
        return work + reads.deliver(handler);
    }

    @Override
    public boolean isAvailable()
    {
        for (final RdmaQueuePair queuePair : queuePairs)
        {
            if (queuePair.isReady())
            {
                return true;
            }
        }
        return false;
    }

    @Override
    public int inFlight()
    {
        return reads.inFlight();
    }

    /**
     * Tear down every connection (so nothing lands in the destinations afterwards) and release the
     * completion queue and channels. Reads in flight are abandoned without completion.
     */
    @Override
    public void close()
    {
        final long nowNs = clock.nanoTime();
        for (final RdmaQueuePair queuePair : queuePairs)
        {
            queuePair.teardown(nowNs);
            queuePair.close();
        }
        release(pollCall, completionQueue, completionChannel, channel);
    }

    private int pollCm(final long nowNs)
    {
        if (nowNs - nextCmPollNs < 0)
        {
            return 0;
        }
        boolean connecting = false;
        for (final RdmaQueuePair queuePair : queuePairs)
        {
            connecting |= queuePair.isConnecting();
        }
        nextCmPollNs = nowNs + (connecting ? CM_POLL_CONNECTING_NS : CM_POLL_CONNECTED_NS);

        int events = 0;
        try
        {
            RdmaCmEvent event;
            while (events < CM_EVENTS_PER_POLL && null != (event = channel.getCmEvent(0)))
            {
                events++;
                final int type = event.getEvent();
                for (final RdmaQueuePair queuePair : queuePairs)
                {
                    if (queuePair.owns(event.getConnIdPriv()))
                    {
                        queuePair.onCmEvent(type, nowNs);
                    }
                }
                event.ackEvent();
            }
        }
        catch (final IOException ex)
        {
            for (final RdmaQueuePair queuePair : queuePairs)
            {
                queuePair.broken("rdma_cm event channel: " + ex.getMessage(), nowNs);
            }
        }
        return events;
    }

    private int pollCompletions(final long nowNs)
    {
        final int count;
        try
        {
            count = pollCall.execute().getPolls();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("rdma reader for server " + server.serverId() + ": " + ex.getMessage(), ex);
        }
        for (int i = 0; i < count; i++)
        {
            final IbvWC completion = completions[i];
            final long workRequestId = completion.getWr_id();
            final int status = completion.getStatus();
            if (RdmaQueuePair.isHandshake(workRequestId))
            {
                final int index = RdmaQueuePair.handshakeIndex(workRequestId);
                if (index < queuePairs.length)
                {
                    queuePairs[index].onHandshakeCompletion(workRequestId, status, completion.getByte_len(), nowNs);
                }
                continue;
            }
            final int queuePair = reads.complete(workRequestId, status, nowNs);
            if (queuePair >= 0 && RdmaReads.SUCCESS != status && !queuePairs[queuePair].isBroken())
            {
                queuePairs[queuePair].broken(RdmaReads.describe(status), nowNs);
            }
        }
        return count;
    }

    /**
     * Start or time out a connection's setup; tear a broken one down once its work requests are flushed
     * (or after the timeout: destroying the queue pair stops them too).
     */
    private int manage(final int index, final long nowNs)
    {
        final RdmaQueuePair queuePair = queuePairs[index];
        if (queuePair.isBroken())
        {
            if (0 == reads.outstanding(index) || queuePair.brokenForNs(nowNs) > drainTimeoutNs)
            {
                queuePair.teardown(nowNs);
                reads.abandon(index, nowNs);
                return 1;
            }
            return 0;
        }
        return queuePair.doWork(nowNs);
    }

    /**
     * Post waiting pieces, one per ready queue pair in turn, while queue pairs have free slots.
     */
    private int post(final long nowNs)
    {
        int posted = 0;
        boolean progress = true;
        while (progress)
        {
            progress = false;
            for (int i = 0; i < queuePairs.length; i++)
            {
                final RdmaQueuePair queuePair = queuePairs[i];
                if (!queuePair.isReady() || !reads.hasFreeSlot(i))
                {
                    continue;
                }
                final long workRequestId = reads.claim(i);
                if (RdmaReads.NONE == workRequestId)
                {
                    return posted;
                }
                // a region missing from this connection's key table is read under key 0, which its NIC refuses
                final long rkey = queuePair.rkey(reads.claimedRegionId());
                if (queuePair.post(reads.claimedSlot(), workRequestId, reads.claimedLocalAddress(),
                    reads.claimedRemoteAddress(), RdmaKeyTable.NO_KEY == rkey ? 0 : (int)rkey, reads.claimedLength(),
                    nowNs))
                {
                    posted++;
                }
                else
                {
                    reads.complete(workRequestId, RdmaReads.FLUSHED, nowNs);
                }
                progress = true;
            }
        }
        return posted;
    }

    private String waitingReason()
    {
        return "no connection within " + TimeUnit.NANOSECONDS.toMillis(drainTimeoutNs) + " ms, last error: " +
            queuePairs[0].lastError();
    }

    private String lostReason()
    {
        return "connection lost: " + queuePairs[0].lastError();
    }

    private static void release(
        final SVCPollCq pollCall,
        final IbvCQ completionQueue,
        final IbvCompChannel completionChannel,
        final RdmaEventChannel channel)
    {
        try
        {
            if (null != pollCall)
            {
                pollCall.free();
            }
            if (null != completionQueue)
            {
                completionQueue.destroyCQ();
            }
            if (null != completionChannel)
            {
                completionChannel.destroyCompChannel();
            }
            if (null != channel)
            {
                channel.destroyEventChannel();
            }
        }
        catch (final IOException ignore)
        {
            // closing: the process releases what remains
        }
    }
}
