package io.stoker.worker;

import io.stoker.dataset.ChunkDescriptors;
import io.stoker.dataset.ChunkRecords;
import io.stoker.dataset.Crc32c;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.RecordTable;
import io.stoker.transport.data.DataReader;
import io.stoker.transport.data.ReadCompletionHandler;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.transport.status.StatusCounters;
import org.agrona.BitUtil;
import org.agrona.collections.IntArrayQueue;
import org.agrona.collections.LongArrayQueue;
import org.agrona.concurrent.status.AtomicCounter;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Reads whole chunks into a worker's buffer pool, checks each against its descriptor's CRC32C, finds where its
 * records start ({@link ChunkRecords}: in the bytes, for formats whose framing holds them), and hands them on in
 * the order they were asked for. Used from the worker's agent thread only.
 * <p>
 * Each read takes one pool buffer. A read that fails, times out in its reader, whose checksum does not match, or whose
 * bytes do not frame the layout's records is tried again from the next server that holds the chunk, up to
 * {@code maxAttempts} times; then the chunk is reported unavailable and its place in the order is skipped. A chunk
 * whose region no live server exports yet waits (1 ms doubling to 100 ms) until {@code regionWaitNs} passed before that
 * counts as a failed attempt. A buffer stays the pipeline's until {@link #release(int)}: the sink gives it back when
 * done with it.
 */
final class ReadPipeline
{
    /**
     * Where reads go: the data servers known so far.
     */
    interface Readers
    {
        /**
         * @param spread  spreads a region's reads over the servers that hold it.
         * @param attempt 0 for the first try; later tries move on to other servers.
         * @return a reader of a live server that exports the region, or null while there is none.
         */
        DataReader readerFor(int regionId, int spread, int attempt);

        /**
         * Make progress on every reader and report finished reads.
         *
         * @return work done.
         */
        int poll(ReadCompletionHandler handler);
    }

    /**
     * Told what the pipeline produced.
     */
    interface Listener
    {
        /**
         * A checked chunk, next in order.
         *
         * @param buffer the pool buffer holding it, the listener's until it calls {@link #release(int)}; its
         *               records are {@link #records(int)}.
         * @return false to be asked again later (back pressure).
         */
        boolean onChunkRead(int buffer, long tag, int epoch, int chunkId);

        /**
         * Every attempt to read a chunk failed: it will not be handed on.
         *
         * @param message names the chunk's file and offset and the last failure.
         */
        void onChunkUnavailable(long tag, int epoch, int chunkId, String message);
    }

    private static final long MAX_REGION_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final int MAX_REGION_BACKOFF_SHIFT = 7;
    private static final int EMPTY = -2;
    private static final int SKIPPED = -1;

    private static final byte FREE = 0;
    private static final byte READING = 1;
    private static final byte RETRY = 2;
    private static final byte READY = 3;
    private static final byte HANDED_ON = 4;
    private static final byte ABANDONED = 5;

    private final BufferPool pool;
    private final ChunkDescriptors descriptors;
    private final Readers readers;
    private final int maxAttempts;
    private final long regionWaitNs;
    private final Crc32c crc32c = new Crc32c();
    private final ChunkRecords chunkRecords = new ChunkRecords();
    private final RecordTable[] records;
    private final int[] readyLength;
    private final int[] readyCrc;
    private final ReadCompletionHandler completions = new Completions();
    private final AtomicCounter[] bytesRead = new AtomicCounter[TransportKind.values().length];
    private final AtomicCounter[] chunksRead = new AtomicCounter[TransportKind.values().length];
    private final AtomicCounter readRetries;
    private final AtomicCounter readFailures;
    private final AtomicCounter checksumFailures;
    private final AtomicCounter chunksUnavailable;
    private final Consumer<String> errorReporter;

    private final LongArrayQueue pendingTags = new LongArrayQueue(1024, Long.MIN_VALUE);
    private final IntArrayQueue pendingEpochs = new IntArrayQueue(1024, -1);
    private final IntArrayQueue pendingChunks = new IntArrayQueue(1024, -1);
    private final IntArrayQueue retrySlots;
    private final int[] order;
    private final int orderMask;
    private long nextSequence;
    private long deliverSequence;

    private final byte[] state;
    private final long[] tag;
    private final int[] epoch;
    private final int[] chunk;
    private final int[] attempts;
    private final int[] generation;
    private final long[] sequence;
    private final long[] notBeforeNs;
    private final long[] regionDeadlineNs;
    private final int[] regionWaits;
    private final DataReader[] reader;
    private final String[] failure;
    private Listener listener;
    private long nowNs;

    /**
     * @param pool          the buffers reads land in.
     * @param descriptors   where each chunk to read is and its checksum: told before the chunk is asked for.
     * @param readers       the data servers.
     * @param counters      the worker's counters: bytes and chunks read per transport, retries, failures.
     * @param maxAttempts   reads of a chunk before it is reported unavailable.
     * @param regionWaitNs  how long a chunk waits for a server of its region before that counts as a failure.
     * @param errorReporter told of what should not happen, such as a completion of a read not in flight.
     */
    ReadPipeline(
        final BufferPool pool,
        final ChunkDescriptors descriptors,
        final Readers readers,
        final StatusCounters counters,
        final int maxAttempts,
        final long regionWaitNs,
        final Consumer<String> errorReporter)
    {
        this.pool = pool;
        this.descriptors = descriptors;
        this.readers = readers;
        this.maxAttempts = maxAttempts;
        this.regionWaitNs = regionWaitNs;
        bytesRead[TransportKind.LOCAL.ordinal()] = counters.get(CounterType.BYTES_READ_LOCAL);
        bytesRead[TransportKind.RDMA.ordinal()] = counters.get(CounterType.BYTES_READ_RDMA);
        bytesRead[TransportKind.UDP.ordinal()] = counters.get(CounterType.BYTES_READ_UDP);
        chunksRead[TransportKind.LOCAL.ordinal()] = counters.get(CounterType.CHUNKS_READ_LOCAL);
        chunksRead[TransportKind.RDMA.ordinal()] = counters.get(CounterType.CHUNKS_READ_RDMA);
        chunksRead[TransportKind.UDP.ordinal()] = counters.get(CounterType.CHUNKS_READ_UDP);
        readRetries = counters.get(CounterType.READ_RETRIES);
        readFailures = counters.get(CounterType.READ_FAILURES);
        checksumFailures = counters.get(CounterType.CHECKSUM_FAILURES);
        chunksUnavailable = counters.get(CounterType.CHUNKS_UNAVAILABLE);
        this.errorReporter = errorReporter;

        final int buffers = pool.capacity();
        retrySlots = new IntArrayQueue(Math.max(IntArrayQueue.MIN_CAPACITY, buffers * 4), -1);
        order = new int[BitUtil.findNextPositivePowerOfTwo(buffers * 2)];
        Arrays.fill(order, EMPTY);
        orderMask = order.length - 1;
        state = new byte[buffers];
        tag = new long[buffers];
        epoch = new int[buffers];
        chunk = new int[buffers];
        attempts = new int[buffers];
        generation = new int[buffers];
        sequence = new long[buffers];
        notBeforeNs = new long[buffers];
        regionDeadlineNs = new long[buffers];
        regionWaits = new int[buffers];
        reader = new DataReader[buffers];
        failure = new String[buffers];
        records = new RecordTable[buffers];
        readyLength = new int[buffers];
        readyCrc = new int[buffers];
        for (int i = 0; i < buffers; i++)
        {
            records[i] = new RecordTable();
        }
    }

    /**
     * @return where the records of the chunk in a pool buffer start, once it was handed on; valid until the buffer
     * is read into again.
     */
    RecordTable records(final int buffer)
    {
        return records[buffer];
    }

    /**
     * @return the length of the chunk in a pool buffer, once it was handed on.
     */
    int length(final int buffer)
    {
        return readyLength[buffer];
    }

    /**
     * @return the CRC32C of the chunk in a pool buffer, which matched its descriptor's, once it was handed on.
     */
    int crc(final int buffer)
    {
        return readyCrc[buffer];
    }

    /**
     * Ask for a chunk: it is handed on after every chunk asked for before it.
     *
     * @param tag the caller's name for this read, given back with the chunk.
     */
    void add(final long tag, final int epoch, final int chunkId)
    {
        pendingTags.addLong(tag);
        pendingEpochs.addInt(epoch);
        pendingChunks.addInt(chunkId);
    }

    /**
     * @return chunks asked for and not yet handed on or reported unavailable.
     */
    int outstanding()
    {
        return pendingTags.size() + (int)(nextSequence - deliverSequence);
    }

    /**
     * Issue reads, take completions, hand checked chunks on in order.
     *
     * @return work done.
     */
    int doWork(final long nowNs, final Listener listener)
    {
        this.nowNs = nowNs;
        this.listener = listener;
        int work = issueReads();
        work += readers.poll(completions);
        work += handOn();
        return work;
    }

    /**
     * Give back a buffer a chunk was handed on in.
     */
    void release(final int buffer)
    {
        free(buffer);
    }

    /**
     * Forget every chunk not yet handed on: after a lease expiry others deliver them. Reads in flight finish
     * into buffers that are then freed.
     */
    void abandon()
    {
        pendingTags.clear();
        pendingEpochs.clear();
        pendingChunks.clear();
        retrySlots.clear();
        for (long s = deliverSequence; s < nextSequence; s++)
        {
            final int index = (int)(s & orderMask);
            final int slot = order[index];
            if (slot >= 0)
            {
                if (state[slot] == READING)
                {
                    state[slot] = ABANDONED;
                }
                else
                {
                    free(slot);
                }
            }
            order[index] = EMPTY;
        }
        deliverSequence = nextSequence;
    }

    /**
     * A data server's reader closed: its reads in flight are tried elsewhere.
     */
    void onReaderClosed(final DataReader closed)
    {
        for (int slot = 0; slot < state.length; slot++)
        {
            if (reader[slot] == closed && (state[slot] == READING || state[slot] == ABANDONED))
            {
                generation[slot]++;
                if (state[slot] == ABANDONED)
                {
                    free(slot);
                }
                else
                {
                    readFailures.incrementOrdered();
                    retry(slot, "data server went away during the read");
                }
            }
        }
    }

    private int issueReads()
    {
        int work = 0;
        for (int waiting = retrySlots.size(); waiting > 0; waiting--)
        {
            final int slot = retrySlots.pollInt();
            if (state[slot] != RETRY)
            {
                continue;
            }
            if (nowNs - notBeforeNs[slot] < 0 || !dispatch(slot))
            {
                retrySlots.addInt(slot);
                continue;
            }
            work++;
        }

        while (!pendingTags.isEmpty() && nextSequence - deliverSequence < order.length && pool.available() > 0)
        {
            final int slot = pool.claim();
            tag[slot] = pendingTags.pollLong();
            epoch[slot] = pendingEpochs.pollInt();
            chunk[slot] = pendingChunks.pollInt();
            attempts[slot] = 0;
            failure[slot] = null;
            notBeforeNs[slot] = nowNs;
            regionDeadlineNs[slot] = 0;
            regionWaits[slot] = 0;
            sequence[slot] = nextSequence;
            order[(int)(nextSequence++ & orderMask)] = slot;
            work++;
            if (!dispatch(slot))
            {
                state[slot] = RETRY;
                retrySlots.addInt(slot);
                break;
            }
        }
        return work;
    }

    /**
     * Submit the slot's read to the next server that holds its chunk.
     *
     * @return false when the reader pushed back: try again on a later cycle.
     */
    private boolean dispatch(final int slot)
    {
        final int chunkId = chunk[slot];
        if (!descriptors.isKnown(chunkId))
        {
            attempts[slot] = maxAttempts - 1;
            retry(slot, "the coordinator described no chunk " + chunkId);
            return true;
        }
        final int regionId = descriptors.shard(chunkId);
        final DataReader chosen = readers.readerFor(regionId, chunkId, attempts[slot]);
        if (null == chosen)
        {
            awaitRegion(slot, regionId);
            return true;
        }
        final long readId = ((long)(++generation[slot]) << 32) | slot;
        if (!chosen.read(readId, regionId, descriptors.offset(chunkId), descriptors.length(chunkId),
            pool.buffer(slot), 0))
        {
            return false;
        }
        reader[slot] = chosen;
        state[slot] = READING;
        return true;
    }

    private void awaitRegion(final int slot, final int regionId)
    {
        if (0 == regionDeadlineNs[slot])
        {
            regionDeadlineNs[slot] = nowNs + regionWaitNs;
        }
        if (nowNs - regionDeadlineNs[slot] >= 0)
        {
            regionDeadlineNs[slot] = 0;
            retry(slot, "no live data server exported region " + regionId + " within " +
                TimeUnit.NANOSECONDS.toMillis(regionWaitNs) + " ms");
            return;
        }
        final int waits = Math.min(regionWaits[slot]++, MAX_REGION_BACKOFF_SHIFT);
        notBeforeNs[slot] = nowNs + Math.min(MAX_REGION_BACKOFF_NS, TimeUnit.MILLISECONDS.toNanos(1) << waits);
        state[slot] = RETRY;
        retrySlots.addInt(slot);
    }

    private void retry(final int slot, final String reason)
    {
        failure[slot] = reason;
        if (++attempts[slot] < maxAttempts)
        {
            readRetries.incrementOrdered();
            state[slot] = RETRY;
            retrySlots.addInt(slot);
            return;
        }

        final int chunkId = chunk[slot];
        chunksUnavailable.incrementOrdered();
        final String message = "chunk " + chunkId + (descriptors.isKnown(chunkId) ? " (" +
            descriptors.layout().shardName(descriptors.shard(chunkId)) + " at " + descriptors.offset(chunkId) + ")" :
            "") + " failed " + attempts[slot] + " reads, last: " + reason;
        order[(int)(sequence[slot] & orderMask)] = SKIPPED;
        final long slotTag = tag[slot];
        final int slotEpoch = epoch[slot];
        free(slot);
        listener.onChunkUnavailable(slotTag, slotEpoch, chunkId, message);
    }

    private int handOn()
    {
        int work = 0;
        while (deliverSequence < nextSequence)
        {
            final int index = (int)(deliverSequence & orderMask);
            final int slot = order[index];
            if (SKIPPED != slot)
            {
                if (state[slot] != READY || !listener.onChunkRead(slot, tag[slot], epoch[slot], chunk[slot]))
                {
                    break;
                }
                state[slot] = HANDED_ON;
            }
            order[index] = EMPTY;
            deliverSequence++;
            work++;
        }
        return work;
    }

    private int slotOf(final long readId)
    {
        final int slot = (int)readId;
        if (slot < 0 || slot >= state.length || generation[slot] != (int)(readId >>> 32) ||
            (state[slot] != READING && state[slot] != ABANDONED))
        {
            errorReporter.accept("completion of read " + Long.toHexString(readId) + ", which is not in flight");
            return -1;
        }
        return slot;
    }

    private void free(final int slot)
    {
        state[slot] = FREE;
        reader[slot] = null;
        pool.release(slot);
    }

    /**
     * The readers' completions, kept off the pipeline's own surface.
     */
    private final class Completions implements ReadCompletionHandler
    {
        @Override
        public void onReadComplete(final long readId)
        {
            final int slot = slotOf(readId);
            if (slot < 0)
            {
                return;
            }
            if (state[slot] == ABANDONED)
            {
                free(slot);
                return;
            }
            final int chunkId = chunk[slot];
            if (!descriptors.isKnown(chunkId))
            {
                attempts[slot] = maxAttempts - 1;
                retry(slot, "chunk " + chunkId + "'s descriptor was forgotten during its read: its epoch closed");
                return;
            }
            final int length = descriptors.length(chunkId);
            final TransportKind kind = reader[slot].kind();
            bytesRead[kind.ordinal()].getAndAddOrdered(length);
            chunksRead[kind.ordinal()].incrementOrdered();
            final int crc = crc32c.compute(pool.byteBuffer(slot), 0, length);
            if (crc == descriptors.crc(chunkId))
            {
                try
                {
                    chunkRecords.fill(descriptors, chunkId, pool.byteBuffer(slot), records[slot]);
                    readyLength[slot] = length;
                    readyCrc[slot] = crc;
                    state[slot] = READY;
                }
                catch (final DatasetException ex)
                {
                    readFailures.incrementOrdered();
                    retry(slot, ex.getMessage() + " over " + kind.label());
                }
                return;
            }
            checksumFailures.incrementOrdered();
            retry(slot, "CRC32C " + Integer.toHexString(crc) + " != its descriptor's " +
                Integer.toHexString(descriptors.crc(chunkId)) + " over " + kind.label());
        }

        @Override
        public void onReadFailed(final long readId, final String reason)
        {
            final int slot = slotOf(readId);
            if (slot < 0)
            {
                return;
            }
            if (state[slot] == ABANDONED)
            {
                free(slot);
                return;
            }
            readFailures.incrementOrdered();
            retry(slot, reason);
        }
    }
}
