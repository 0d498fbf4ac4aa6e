package io.stoker.transport.rdma;

import com.ibm.disni.verbs.IbvWC;
import io.stoker.transport.data.ReadCompletionHandler;
import org.agrona.collections.IntArrayQueue;
import org.agrona.collections.LongArrayQueue;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * The bookkeeping of an RDMA reader, apart from the verbs: the reads accepted, their split into pieces
 * of at most the read size, which piece each work-request slot carries, and each read's outcome.
 * <p>
 * Queue pair {@code q} owns slots {@code [q * depth, (q + 1) * depth)}. A posted piece's work request id
 * is {@code (slot generation << 32) | slot}: completions are routed by it alone, never by the
 * completion's {@code qp_num} or {@code byte_len}, which the verbs leave stale in failed completions. A
 * completion whose generation is not its slot's current one (from a torn-down queue pair) is ignored.
 * <p>
 * A read completes when every piece completed with {@code IBV_WC_SUCCESS}. A piece flushed because its
 * queue pair failed for another read ({@code IBV_WC_WR_FLUSH_ERR}) is posted again, first; any other
 * status fails its read, naming the status. A failed read is delivered only once none of its pieces is
 * in flight, so nothing lands in its destination after the worker reuses it.
 * <p>
 * Single-threaded; allocates nothing in steady state (failure reasons are built on failure only).
 */
final class RdmaReads
{
    /**
     * The most queue pairs one reader may use.
     */
    static final int MAX_QUEUE_PAIRS = 64;

    /**
     * The most work requests one queue pair may have in flight.
     */
    static final int MAX_READS_PER_QUEUE_PAIR = 4096;

    /**
     * No work request: returned by {@link #claim} when no piece waits, and by {@link #complete} for a
     * completion of no current work request.
     */
    static final long NONE = -1;

    static final int SUCCESS = IbvWC.IbvWcStatus.IBV_WC_SUCCESS.ordinal();
    static final int FLUSHED = IbvWC.IbvWcStatus.IBV_WC_WR_FLUSH_ERR.ordinal();

    private static final IbvWC.IbvWcStatus[] STATUSES = IbvWC.IbvWcStatus.values();
    private static final byte FREE = 0;
    private static final byte ACTIVE = 1;
    private static final byte FINISHED = 2;

    private final int readSize;
    private final int depth;
    private final long timeoutNs;
    private final String failurePrefix;

    private final byte[] states;
    private final int[] generations;
    private final long[] readIds;
    private final long[] localAddresses;
    private final long[] remoteAddresses;
    private final int[] regionIds;
    private final int[] lengths;
    private final int[] pieceCounts;
    private final int[] nextPieces;
    private final int[] unreadPieces;
    private final int[] outstanding;
    private final long[] acceptedNs;
    private final String[] failures;
    private final IntArrayQueue freeReads;
    private final LongArrayQueue unposted = new LongArrayQueue();
    private final LongArrayQueue reposts = new LongArrayQueue();
    private final IntArrayQueue repostPieces = new IntArrayQueue();
    private final IntArrayQueue finished;
    private int inFlight;
    private long lastProgressNs;

    private final int[] slotReads;
    private final int[] slotPieces;
    private final int[] slotGenerations;
    private final IntArrayQueue[] freeSlots;

    private int claimedSlot;
    private int claimedLength;
    private long claimedLocalAddress;
    private long claimedRemoteAddress;
    private int claimedRegionId;

    /**
     * @param maxReads      reads accepted at once.
     * @param settings      read size, queue pairs and work requests per queue pair.
     * @param failurePrefix starts every failure reason, e.g. "rdma read from server 2 at 10.0.0.2:7000 failed: ".
     */
    RdmaReads(final int maxReads, final RdmaSettings settings, final String failurePrefix)
    {
        readSize = settings.readSize();
        depth = settings.readsPerQueuePair();
        timeoutNs = settings.timeoutNs();
        this.failurePrefix = failurePrefix;

        states = new byte[maxReads];
        generations = new int[maxReads];
        readIds = new long[maxReads];
        localAddresses = new long[maxReads];
        remoteAddresses = new long[maxReads];
        regionIds = new int[maxReads];
        lengths = new int[maxReads];
        pieceCounts = new int[maxReads];
        nextPieces = new int[maxReads];
        unreadPieces = new int[maxReads];
        outstanding = new int[maxReads];
        acceptedNs = new long[maxReads];
        failures = new String[maxReads];
        freeReads = new IntArrayQueue(Math.max(maxReads, IntArrayQueue.MIN_CAPACITY), -1);
        finished = new IntArrayQueue(Math.max(maxReads, IntArrayQueue.MIN_CAPACITY), -1);
        for (int read = 0; read < maxReads; read++)
        {
            freeReads.addInt(read);
        }

        final int slots = settings.queuePairs() * depth;
        slotReads = new int[slots];
        slotPieces = new int[slots];
        slotGenerations = new int[slots];
        Arrays.fill(slotReads, -1);
        freeSlots = new IntArrayQueue[settings.queuePairs()];
        for (int queuePair = 0; queuePair < freeSlots.length; queuePair++)
        {
            freeSlots[queuePair] = new IntArrayQueue(Math.max(depth, IntArrayQueue.MIN_CAPACITY), -1);
            for (int slot = 0; slot < depth; slot++)
            {
                freeSlots[queuePair].addInt(slot);
            }
        }
    }

    /**
     * Accept a read of {@code length} bytes from {@code remoteAddress} (of region {@code regionId}, whose key
     * each connection has its own of) to {@code localAddress}.
     *
     * @return false when {@code maxReads} reads are in flight already.
     */
    boolean accept(
        final long readId,
        final long localAddress,
        final long remoteAddress,
        final int regionId,
        final int length,
        final long nowNs)
    {
        final int read = take(readId, nowNs);
        if (read < 0)
        {
            return false;
        }
        localAddresses[read] = localAddress;
        remoteAddresses[read] = remoteAddress;
        regionIds[read] = regionId;
        lengths[read] = length;
        pieceCounts[read] = (int)(((long)length + readSize - 1) / readSize);
        unreadPieces[read] = pieceCounts[read];
        if (0 == pieceCounts[read])
        {
            finish(read);
        }
        else
        {
            unposted.addLong(reference(read));
        }
        return true;
    }

    /**
     * Accept a read that fails at once (bad region, bad destination): it is delivered failed by the next
     * {@link #deliver}.
     *
     * @return false when {@code maxReads} reads are in flight already.
     */
    boolean reject(final long readId, final String reason, final long nowNs)
    {
        final int read = take(readId, nowNs);
        if (read < 0)
        {
            return false;
        }
        failures[read] = reason;
        finish(read);
        return true;
    }

    /**
     * @return true when queue pair {@code queuePair} can take another work request.
     */
    boolean hasFreeSlot(final int queuePair)
    {
        return !freeSlots[queuePair].isEmpty();
    }

    /**
     * Take the next piece to read, flushed pieces first, then reads in the order accepted, and bind it
     * to a free slot of {@code queuePair} (check {@link #hasFreeSlot} first). The piece's addresses,
     * key, length and slot are then available from the {@code claimed...} accessors.
     *
     * @return the piece's work request id, or {@link #NONE} when no piece waits.
     */
    long claim(final int queuePair)
    {
        while (!reposts.isEmpty())
        {
            final int read = live(reposts.pollLong());
            final int piece = repostPieces.pollInt();
            if (read >= 0 && null == failures[read])
            {
                return bind(queuePair, read, piece);
            }
        }
        while (!unposted.isEmpty())
        {
            final int read = live(unposted.peekLong());
            if (read < 0 || null != failures[read])
            {
                unposted.pollLong();
                continue;
            }
            final int piece = nextPieces[read]++;
            if (nextPieces[read] == pieceCounts[read])
            {
                unposted.pollLong();
            }
            return bind(queuePair, read, piece);
        }
        return NONE;
    }

    /**
     * Account for one completion.
     *
     * @param workRequestId the completion's {@code wr_id}.
     * @param status        the completion's status ({@code enum ibv_wc_status}).
     * @return the queue pair the work request was posted on, or -1 when it is not a current work request.
     */
    int complete(final long workRequestId, final int status, final long nowNs)
    {
        final int slot = (int)workRequestId;
        if (slot < 0 || slot >= slotReads.length || slotReads[slot] < 0 ||
            slotGenerations[slot] != (int)(workRequestId >>> 32))
        {
            return -1;
        }
        final int read = slotReads[slot];
        final int piece = slotPieces[slot];
        final int queuePair = slot / depth;
        slotReads[slot] = -1;
        freeSlots[queuePair].addInt(slot - queuePair * depth);
        outstanding[read]--;

        if (SUCCESS == status)
        {
            unreadPieces[read]--;
            lastProgressNs = nowNs;
        }
        else if (FLUSHED == status && null == failures[read])
        {
            reposts.addLong(reference(read));
            repostPieces.addInt(piece);
        }
        else if (null == failures[read])
        {
            failures[read] = failurePrefix + describe(status);
        }
        finishIfDone(read);
        return queuePair;
    }

    /**
     * Every work request still in flight on {@code queuePair} is treated as flushed: call once the queue
     * pair is destroyed, when no completion of them will come (and no byte will land) any more.
     */
    void abandon(final int queuePair, final long nowNs)
    {
        for (int slot = queuePair * depth, end = slot + depth; slot < end; slot++)
        {
            if (slotReads[slot] >= 0)
            {
                complete(((long)slotGenerations[slot] << 32) | slot, FLUSHED, nowNs);
            }
        }
    }

    /**
     * Fail the reads that have nothing in flight and made no progress, nor saw any other read progress,
     * for the timeout: they wait for a connection that does not come. Call while reads are in flight.
     *
     * @param reason says why, built only when a read expires.
     * @return reads failed.
     */
    int expire(final long nowNs, final Supplier<String> reason)
    {
        if (nowNs - lastProgressNs <= timeoutNs)
        {
            return 0;
        }
        return failWaiting(nowNs - timeoutNs - 1, reason);
    }

    /**
     * Fail every read accepted at or before a time that has nothing in flight now: the connections it waited on are
     * gone, so it would only wait for a new one (or for the timeout) where a replica could serve it at once.
     *
     * @param acceptedByNs the reads accepted at or before this time fail; later ones wait for a connection.
     * @param reason       says why, built only when a read fails.
     * @return reads failed.
     */
    int failWaiting(final long acceptedByNs, final Supplier<String> reason)
    {
        int failed = 0;
        for (int read = 0; read < states.length; read++)
        {
            if (ACTIVE == states[read] && null == failures[read] && 0 == outstanding[read] &&
                acceptedNs[read] - acceptedByNs <= 0)
            {
                failures[read] = failurePrefix + reason.get();
                finish(read);
                failed++;
            }
        }
        return failed;
    }

    /**
     * Tell the handler of every read that finished, once each.
     *
     * @return reads delivered.
     */
    int deliver(final ReadCompletionHandler handler)
    {
        int delivered = 0;
        while (!finished.isEmpty())
        {
            final int read = finished.pollInt();
            final long readId = readIds[read];
            final String failure = failures[read];
            failures[read] = null;
            states[read] = FREE;
            generations[read]++;
            freeReads.addInt(read);
            inFlight--;
            delivered++;
            if (null == failure)
            {
                handler.onReadComplete(readId);
            }
            else
            {
                handler.onReadFailed(readId, failure);
            }
        }
        return delivered;
    }

    /**
     * @return reads accepted and not yet delivered.
     */
    int inFlight()
    {
        return inFlight;
    }

    /**
     * @return work requests in flight on {@code queuePair}.
     */
    int outstanding(final int queuePair)
    {
        return depth - freeSlots[queuePair].size();
    }

    /**
     * @return the slot, within its queue pair, of the piece claimed last.
     */
    int claimedSlot()
    {
        return claimedSlot;
    }

    int claimedLength()
    {
        return claimedLength;
    }

    long claimedLocalAddress()
    {
        return claimedLocalAddress;
    }

    long claimedRemoteAddress()
    {
        return claimedRemoteAddress;
    }

    int claimedRegionId()
    {
        return claimedRegionId;
    }

    /**
     * @param status a completion status ({@code enum ibv_wc_status}).
     * @return e.g. "IBV_WC_REM_ACCESS_ERR (10)".
     */
    static String describe(final int status)
    {
        return (status >= 0 && status < STATUSES.length ? STATUSES[status].name() : "unknown status") +
            " (" + status + ")";
    }

    private int take(final long readId, final long nowNs)
    {
        final int read = freeReads.pollInt();
        if (read >= 0)
        {
            if (0 == inFlight)
            {
                lastProgressNs = nowNs; // an idle reader had nothing to make progress on
            }
            states[read] = ACTIVE;
            readIds[read] = readId;
            nextPieces[read] = 0;
            pieceCounts[read] = 0;
            outstanding[read] = 0;
            acceptedNs[read] = nowNs;
            inFlight++;
        }
        return read;
    }

    private long bind(final int queuePair, final int read, final int piece)
    {
        claimedSlot = freeSlots[queuePair].pollInt();
        final int slot = queuePair * depth + claimedSlot;
        slotReads[slot] = read;
        slotPieces[slot] = piece;
        final int generation = ++slotGenerations[slot];
        outstanding[read]++;

        final int offset = piece * readSize;
        claimedLength = Math.min(readSize, lengths[read] - offset);
        claimedLocalAddress = localAddresses[read] + offset;
        claimedRemoteAddress = remoteAddresses[read] + offset;
        claimedRegionId = regionIds[read];
        return ((long)generation << 32) | slot;
    }

    private void finishIfDone(final int read)
    {
        if (ACTIVE == states[read] && 0 == outstanding[read] && (null != failures[read] || 0 == unreadPieces[read]))
        {
            finish(read);
        }
    }

    private void finish(final int read)
    {
        states[read] = FINISHED;
        finished.addInt(read);
    }

    private long reference(final int read)
    {
        return ((long)generations[read] << 32) | read;
    }

    /**
     * @return the read a reference names while that read is still the one in flight, else -1.
     */
    private int live(final long reference)
    {
        final int read = (int)reference;
        return ACTIVE == states[read] && generations[read] == (int)(reference >>> 32) ? read : -1;
    }
}
