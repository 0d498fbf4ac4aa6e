package io.stoker.worker;

import io.stoker.dataset.RecordTable;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One step of a rank's stream, as its consumer takes it: the step's samples in the plan's order, each a view of
 * a record in one of the worker's delivered chunks, no copy. With batches a step is {@code B} samples drawn from
 * the stream's shuffle window (fewer in a {@code partial} last step); in the chunk feed a step is one piece of a
 * chunk, its records in file order.
 * <p>
 * Sample {@code i} is bytes {@code [offset(i), offset(i) + length(i))} of {@code chunk(i)}; its id, stable across
 * runs, is {@code (chunkId(i), record(i))}. Read the batch, then {@link #release()} it once the step's work is
 * done: the worker reuses a chunk's memory once every batch using it was released. A batch reaches the consumer
 * only once the coordinator confirmed that its step is this worker's (the worker claims it when the consumer is
 * about to take it: see {@link Claims}). Accessors are valid only until release. A batch may be released from any
 * thread.
 *
 * @param <C> the kind of chunk: host memory or device memory.
 */
public final class Batch<C extends Chunk>
{
    /**
     * Not claimed yet.
     */
    static final int UNCLAIMED = 0;
    /**
     * The consumer is about to take it: the worker is to claim it.
     */
    static final int WANTED = 1;
    /**
     * Claimed, the coordinator's answer pending.
     */
    static final int CLAIMED = 2;
    /**
     * The coordinator confirmed it: it goes to the consumer.
     */
    static final int CONFIRMED = 3;
    /**
     * The coordinator refused it (its step went to another rank), or the worker gave it up: it is dropped.
     */
    static final int REFUSED = 4;

    private static final VarHandle CLAIM;

    static
    {
        try
        {
            CLAIM = MethodHandles.lookup().findVarHandle(Batch.class, "claim", int.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final ManyToOneConcurrentArrayQueue<Batch<C>> released;
    private final List<C> chunks = new ArrayList<>();
    private volatile boolean held;
    private boolean dropped;
    private StepOrder order;
    private volatile int claim;
    private int rank;
    private int size;
    private int missing;
    private int sampleLength;
    private int[] chunkIndex = new int[0];
    private int[] chunkIds = new int[0];
    private int[] records = new int[0];
    private int[] offsets = new int[0];
    private int[] lengths = new int[0];

    Batch(final ManyToOneConcurrentArrayQueue<Batch<C>> released)
    {
        this.released = released;
    }

    /**
     * Start filling the batch for a step.
     */
    void reset(final StepOrder order, final int rank, final int capacity)
    {
        this.order = order;
        this.rank = rank;
        claim = UNCLAIMED;
        dropped = false;
        size = 0;
        missing = 0;
        sampleLength = -1;
        chunks.clear();
        if (chunkIds.length < capacity)
        {
            chunkIndex = new int[capacity];
            chunkIds = new int[capacity];
            records = new int[capacity];
            offsets = new int[capacity];
            lengths = new int[capacity];
        }
    }

    /**
     * Add the chunk the next samples come from.
     *
     * @return its index among the batch's chunks.
     */
    int addChunk(final C chunk)
    {
        chunks.add(chunk);
        return chunks.size() - 1;
    }

    /**
     * Add a sample: record {@code record} of the batch's chunk {@code index}.
     */
    void addSample(final int index, final int record)
    {
        final C chunk = chunks.get(index);
        final RecordTable table = chunk.records();
        ensureCapacity(size + 1);
        chunkIndex[size] = index;
        chunkIds[size] = chunk.chunkId();
        records[size] = record;
        offsets[size] = table.offset(record);
        lengths[size] = table.length(record);
        sampleLength = sampleLength < 0 || sampleLength == lengths[size] ? lengths[size] : 0;
        size++;
    }

    /**
     * Count a sample whose chunk could not be read.
     */
    void addMissing()
    {
        missing++;
    }

    /**
     * Hand the batch to the consumer.
     */
    Batch<C> deliver()
    {
        if (sampleLength < 0)
        {
            sampleLength = 0;
        }
        held = true;
        return this;
    }

    /**
     * @return where the claim of the batch's step stands: {@link #UNCLAIMED}, {@link #WANTED}, {@link #CLAIMED},
     * {@link #CONFIRMED} or {@link #REFUSED}.
     */
    int claim()
    {
        return claim;
    }

    /**
     * The consumer's thread: it is about to take the batch, which is not claimed yet.
     */
    void want()
    {
        CLAIM.compareAndSet(this, UNCLAIMED, WANTED);
    }

    /**
     * The worker's thread: the claim moves on. Called only once the consumer wanted the batch (or to refuse it), so
     * it never races the consumer's {@link #want()}.
     */
    void claim(final int state)
    {
        claim = state;
    }

    /**
     * @return true when the batch came back dropped, not released.
     */
    boolean isDropped()
    {
        return dropped;
    }

    StepOrder order()
    {
        return order;
    }

    /**
     * @return the epoch.
     */
    public int epoch()
    {
        return order.work().epoch();
    }

    /**
     * @return the segment of the epoch's plan: 0, or later ones after a job resumed at another world size.
     */
    public int segment()
    {
        return order.work().segment();
    }

    /**
     * @return the rank whose stream the step belongs to: this worker's own, or a rank whose work it took over.
     */
    public int stream()
    {
        return order.work().stream();
    }

    /**
     * @return the step within the stream.
     */
    public int step()
    {
        return order.step();
    }

    /**
     * @return the rank of the worker that delivered the batch.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return samples in the batch.
     */
    public int size()
    {
        return size;
    }

    /**
     * @return samples of the step left out because their chunk could not be read from any server (0 normally).
     */
    public int missing()
    {
        return missing;
    }

    /**
     * @return the chunk that holds sample {@code i}.
     */
    public C chunk(final int i)
    {
        checkIndex(i);
        return chunks.get(chunkIndex[i]);
    }

    /**
     * @return the id of sample {@code i}'s chunk.
     */
    public int chunkId(final int i)
    {
        checkIndex(i);
        return chunkIds[i];
    }

    /**
     * @return the index of sample {@code i} among its chunk's records.
     */
    public int record(final int i)
    {
        checkIndex(i);
        return records[i];
    }

    /**
     * @return where sample {@code i} starts in its chunk.
     */
    public int offset(final int i)
    {
        checkIndex(i);
        return offsets[i];
    }

    /**
     * @return sample {@code i}'s length in bytes.
     */
    public int length(final int i)
    {
        checkIndex(i);
        return lengths[i];
    }

    /**
     * @return the length every sample of this batch has, when they are all one size (the batch can be viewed as a
     * {@code size() x sampleLength()} array gathered from {@link #offset(int)}); 0 when lengths vary.
     */
    public int sampleLength()
    {
        return sampleLength;
    }

    /**
     * @return distinct chunks the samples are in.
     */
    public int chunkCount()
    {
        return chunks.size();
    }

    /**
     * @return the batch's {@code index}th distinct chunk; in the chunk feed, chunk 0 is the step's chunk.
     */
    public C chunkAt(final int index)
    {
        return chunks.get(index);
    }

    /**
     * Done with the step: the worker acknowledges it and may reuse the memory of chunks no other batch uses.
     *
     * @throws IllegalStateException if the batch was already released.
     */
    public void release()
    {
        if (!held)
        {
            throw new IllegalStateException("step " + step() + " of stream " + stream() + " in epoch " + epoch() +
                " was already released");
        }
        held = false;
        while (!released.offer(this))
        {
            Thread.onSpinWait();
        }
    }

    /**
     * Give the batch back undelivered: the worker's lease ended before a consumer took it, so its step may be
     * another rank's now. The step is not acknowledged. Called by the hand-off, never by a consumer that read it.
     *
     * @throws IllegalStateException if the batch was already released or dropped.
     */
    public void drop()
    {
        if (!held)
        {
            throw new IllegalStateException("step " + step() + " of stream " + stream() + " in epoch " + epoch() +
                " was already released");
        }
        dropped = true;
        release();
    }

    @Override
    public String toString()
    {
        return "epoch " + epoch() + " stream " + stream() + " step " + step() + ": " + size + " samples" +
            (missing > 0 ? ", " + missing + " missing" : "");
    }

    private void ensureCapacity(final int needed)
    {
        if (needed > chunkIds.length)
        {
            final int capacity = Math.max(needed, chunkIds.length * 2);
            chunkIndex = Arrays.copyOf(chunkIndex, capacity);
            chunkIds = Arrays.copyOf(chunkIds, capacity);
            records = Arrays.copyOf(records, capacity);
            offsets = Arrays.copyOf(offsets, capacity);
            lengths = Arrays.copyOf(lengths, capacity);
        }
    }

    private void checkIndex(final int i)
    {
        if (i < 0 || i >= size)
        {
            throw new IndexOutOfBoundsException("sample " + i + " of " + size);
        }
    }
}
