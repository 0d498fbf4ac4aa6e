package io.stoker.worker.gpu;

import io.stoker.dataset.RecordTable;
import io.stoker.worker.BufferPool;
import io.stoker.worker.ChunkSink;
import io.stoker.worker.Handoff;
import org.agrona.BitUtil;
import org.agrona.collections.IntArrayQueue;
import org.agrona.concurrent.OneToOneConcurrentArrayQueue;

/**
 * Copies each filled pool buffer to a slot of device memory and hands the consumer the slot.
 * <p>
 * {@link #offer} takes a buffer only while a slot is free, else it answers false and the worker keeps
 * the buffer (back pressure: a consumer that holds its slots stalls the feed, and a slot in use is never
 * written). The copy is issued asynchronously; {@link #doWork} polls it without blocking, gives the
 * pool buffer back as soon as it completed, and delivers slots in the order they were offered. A slot
 * whose chunk was released is free again. Free slots are reused in the order they came back.
 */
public final class GpuSink implements ChunkSink
{
    private static final byte FREE = 0;
    private static final byte COPYING = 1;
    private static final byte COPIED = 2;
    private static final byte WITH_CONSUMER = 3;

    private final BufferPool pool;
    private final Handoff<DeviceChunk> next;
    private final DeviceSlots slots;
    private final int deviceId;
    private final DeviceChecks checks;
    private final DeviceChunk[] chunks;
    private final byte[] state;
    private final int[] hostBuffer;
    private final long[] hostSum;
    private final IntArrayQueue free;
    private final OneToOneConcurrentArrayQueue<DeviceChunk> released;
    private final int[] order;
    private final int orderMask;
    private long orderHead;
    private long orderTail;
    private boolean finishing;
    private boolean finished;

    /**
     * @param pool     the worker's pinned buffers.
     * @param next     where chunks go: the batch stage.
     * @param slots    the device memory and the copies into it.
     * @param deviceId the device's ordinal, for the consumer.
     * @param checks   where to record each slot's device sum against the host's; null not to verify.
     */
    GpuSink(
        final BufferPool pool,
        final Handoff<DeviceChunk> next,
        final DeviceSlots slots,
        final int deviceId,
        final DeviceChecks checks)
    {
        final int count = slots.count();
        this.pool = pool;
        this.next = next;
        this.slots = slots;
        this.deviceId = deviceId;
        this.checks = checks;
        chunks = new DeviceChunk[count];
        state = new byte[count];
        hostBuffer = new int[count];
        hostSum = new long[count];
        free = new IntArrayQueue(Math.max(count, IntArrayQueue.MIN_CAPACITY), -1);
        released = new OneToOneConcurrentArrayQueue<>(count);
        order = new int[BitUtil.findNextPositivePowerOfTwo(count)];
        orderMask = order.length - 1;
        for (int slot = 0; slot < count; slot++)
        {
            chunks[slot] = new DeviceChunk(slot, deviceId, slots.pointer(slot), slots.address(slot), released);
            free.addInt(slot);
        }
    }

    @Override
    public boolean offer(
        final int buffer,
        final int epoch,
        final int chunkId,
        final int length,
        final int crc,
        final RecordTable records)
    {
        final int slot = free.pollInt();
        if (slot < 0)
        {
            return false;
        }
        if (null != checks)
        {
            hostSum[slot] = WordSum.of(pool.buffer(buffer), 0, length);
        }
        try
        {
            slots.copy(slot, buffer, length);
        }
        catch (final RuntimeException ex)
        {
            free.addInt(slot);
            throw ex;
        }
        chunks[slot].set(epoch, chunkId, length, crc).records().copyFrom(records);
        hostBuffer[slot] = buffer;
        state[slot] = COPYING;
        order[(int)(orderTail++ & orderMask)] = slot;
        return true;
    }

    @Override
    public int doWork(final SinkListener listener)
    {
        int work = 0;
        DeviceChunk chunk;
        while (null != (chunk = released.poll()))
        {
            final int slot = chunk.slot();
            state[slot] = FREE;
            free.addInt(slot);
            work++;
        }

        for (long i = orderHead; i < orderTail; i++)
        {
            final int slot = order[(int)(i & orderMask)];
            if (COPYING == state[slot] && slots.isComplete(slot))
            {
                state[slot] = COPIED;
                listener.onBufferFree(hostBuffer[slot]);
                if (null != checks)
                {
                    checks.record(chunks[slot].epoch(), chunks[slot].chunkId(), hostSum[slot], slots.deviceSum(slot));
                }
                work++;
            }
        }

        while (orderHead < orderTail)
        {
            final int slot = order[(int)(orderHead & orderMask)];
            if (COPIED != state[slot] || !next.offer(chunks[slot]))
            {
                break;
            }
            state[slot] = WITH_CONSUMER;
            orderHead++;
            work++;
        }

        finishIfDelivered();
        return work;
    }

    /**
     * The feed ends once the copies in flight are delivered.
     */
    @Override
    public void finish()
    {
        finishing = true;
        finishIfDelivered();
    }

    @Override
    public String description()
    {
        return "gpu " + deviceId;
    }

    @Override
    public void close()
    {
        slots.close();
    }

    /**
     * @return slots free for the next copy.
     */
    int freeSlots()
    {
        return free.size();
    }

    private void finishIfDelivered()
    {
        if (finishing && !finished && orderHead == orderTail)
        {
            finished = true;
            next.finish();
        }
    }
}
