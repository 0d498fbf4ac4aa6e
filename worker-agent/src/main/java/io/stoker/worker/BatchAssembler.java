package io.stoker.worker;

import io.stoker.plan.RankStream;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayQueue;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The batch stage, after the sink: it keeps the chunks the sink delivers for as long as a step needs them and
 * turns each step the worker ordered into a {@link Batch} of views into those chunks, in the order the steps
 * were ordered. A chunk goes back to its sink once every step that uses it was released by the consumer (or its
 * batch dropped); each is reported to the worker. Used from the worker's agent thread, but for
 * {@link Batch#release()}.
 * <p>
 * A chunk is read once for all the steps that use it while it is kept: a stream's consecutive steps share the
 * pieces of a shuffle window. The sink delivers chunks in the order they were handed to it, which
 * {@link #expect} records.
 *
 * @param <C> the kind of chunk.
 */
final class BatchAssembler<C extends Chunk> implements Handoff<C>
{
    /**
     * Most batches alive at once, with the consumer or waiting for it.
     */
    static final int MAX_BATCHES = 1024;

    /**
     * Told what the consumer did with the batches.
     */
    interface Listener
    {
        /**
         * A step's batch went into the consumer's feed, where it waits for its claim.
         */
        void onStepDelivered(Batch<?> batch);

        /**
         * Samples of a step are left out of its batch: their chunk could not be read.
         */
        void onSamplesMissing(StreamWork work, int step, int chunkId, String reason);

        /**
         * The consumer released the step's batch: every sample of it was delivered.
         */
        void onStepReleased(StreamWork work, int step);

        /**
         * A step ordered earlier will not be delivered: the worker abandoned its work.
         */
        void onStepDropped(StreamWork work, int step);

        /**
         * A batch given to the feed was dropped there, never taken by the consumer (its claim was refused): it counts
         * as delivered no more. Followed by {@link #onStepDropped}.
         */
        void onBatchTakenBack(Batch<?> batch);
    }

    /**
     * Asked to read the pieces a step needs that the stage does not keep.
     */
    @FunctionalInterface
    interface PieceReader
    {
        void read(StreamWork work, int piece);
    }

    private final Feed<Batch<C>> output;
    private final int rank;
    private final ManyToOneConcurrentArrayQueue<Batch<C>> released =
        new ManyToOneConcurrentArrayQueue<>(MAX_BATCHES);
    private final AtomicLong releasesHandled = new AtomicLong();
    private final ArrayDeque<Batch<C>> spare = new ArrayDeque<>();
    private final ArrayDeque<StepOrder> queued = new ArrayDeque<>();
    private final ArrayDeque<C> arrived = new ArrayDeque<>();
    private final LongArrayQueue expected = new LongArrayQueue(256, Long.MIN_VALUE);
    private final Long2ObjectHashMap<Held<C>> held = new Long2ObjectHashMap<>();
    private Held<C>[] stepPieces = newHeldArray(16);
    private Batch<C> unsent;
    private int alive;
    private boolean finishing;
    private boolean finished;

    /**
     * @param output where batches go: the consumer's feed.
     * @param rank   the worker's rank, which each batch names as its deliverer.
     */
    BatchAssembler(final Feed<Batch<C>> output, final int rank)
    {
        this.output = output;
        this.rank = rank;
    }

    /**
     * @return batches the consumer released so far, counted on its thread as it releases them.
     */
    long releasesOffered()
    {
        return released.addedCount();
    }

    /**
     * @return released batches whose steps the agent thread took back: once this reaches
     * {@link #releasesOffered()}, what the worker says of released steps includes every batch released before.
     */
    long releasesHandled()
    {
        return releasesHandled.get();
    }

    /**
     * Queue a step: its batch follows those queued before it. Pieces it needs that are not kept are read.
     */
    void addStep(final StreamWork work, final int step, final PieceReader reader)
    {
        final RankStream plan = work.plan();
        final int first = plan.firstPiece(step);
        final int last = plan.lastPiece(step);
        for (int piece = first; piece <= last; piece++)
        {
            final long key = key(work, piece);
            Held<C> kept = held.get(key);
            if (null == kept)
            {
                kept = new Held<>();
                held.put(key, kept);
                reader.read(work, piece);
            }
            kept.users++;
        }
        queued.add(new StepOrder(work, step, first, last));
    }

    /**
     * The next chunk the sink delivers is this piece's.
     *
     * @param key the piece, as {@link #key} names it.
     */
    void expect(final long key)
    {
        expected.addLong(key);
    }

    /**
     * The piece could not be read: steps that use it go without its samples.
     *
     * @param key    the piece, as {@link #key} names it.
     * @param reason why, for the steps' reports.
     */
    void onMissing(final long key, final String reason)
    {
        final Held<C> kept = held.get(key);
        if (null != kept)
        {
            kept.missingReason = reason;
        }
    }

    /**
     * @return the name of a stream's piece: the stream's id and the piece's index in it.
     */
    static long key(final StreamWork work, final int piece)
    {
        return ((long)work.id() << 32) | (piece & 0xFFFF_FFFFL);
    }

    /**
     * The sink's delivery of a chunk.
     */
    @Override
    public boolean offer(final C chunk)
    {
        arrived.add(chunk);
        return true;
    }

    /**
     * The sink delivered its last chunk.
     */
    @Override
    public void finish()
    {
        finishing = true;
    }

    /**
     * Match delivered chunks to pieces, take the consumer's releases, hand ready batches on.
     *
     * @return work done.
     */
    int doWork(final Listener listener)
    {
        int work = 0;
        C chunk;
        while (null != (chunk = arrived.poll()))
        {
            final Held<C> piece = held.get(expected.pollLong());
            if (null == piece || null != piece.chunk)
            {
                chunk.release();
            }
            else
            {
                piece.chunk = chunk;
            }
            work++;
        }

        Batch<C> batch;
        while (null != (batch = released.poll()))
        {
            final StepOrder order = batch.order();
            unuse(order);
            spare.add(batch);
            if (batch.isDropped())
            {
                listener.onBatchTakenBack(batch);
                listener.onStepDropped(order.work(), order.step());
            }
            else
            {
                listener.onStepReleased(order.work(), order.step());
            }
            releasesHandled.incrementAndGet();
            work++;
        }

        work += emit(listener);

        if (finishing && !finished && null == unsent && (queued.isEmpty() || !isReady(queued.peek())))
        {
            while (!queued.isEmpty())
            {
                final StepOrder order = queued.poll();
                unuse(order);
                listener.onStepDropped(order.work(), order.step());
            }
            finished = true;
            output.finish();
        }
        return work;
    }

    /**
     * Drop every queued step not yet offered to the consumer's feed; batches in the feed or with the consumer stay
     * (a batch in the feed goes to the consumer only if the coordinator confirms its claim).
     */
    void abandon(final Listener listener)
    {
        if (null != unsent)
        {
            final StepOrder order = unsent.order();
            unuse(order);
            spare.add(unsent);
            unsent = null;
            listener.onStepDropped(order.work(), order.step());
        }
        while (!queued.isEmpty())
        {
            final StepOrder order = queued.poll();
            unuse(order);
            listener.onStepDropped(order.work(), order.step());
        }
    }

    /**
     * @return steps queued, their batches not yet with the consumer.
     */
    int queuedSteps()
    {
        return queued.size() + (null != unsent ? 1 : 0);
    }

    private int emit(final Listener listener)
    {
        int work = 0;
        if (null != unsent)
        {
            if (!output.offer(unsent))
            {
                return 0;
            }
            listener.onStepDelivered(unsent);
            unsent = null;
            work++;
        }
        while (!queued.isEmpty() && isReady(queued.peek()) && (!spare.isEmpty() || alive < MAX_BATCHES))
        {
            final Batch<C> batch = build(queued.poll(), listener);
            if (!output.offer(batch))
            {
                unsent = batch;
                break;
            }
            listener.onStepDelivered(batch);
            work++;
        }
        return work;
    }

    private boolean isReady(final StepOrder order)
    {
        for (int piece = order.firstPiece(); piece <= order.lastPiece(); piece++)
        {
            final Held<C> kept = held.get(key(order.work(), piece));
            if (null == kept.chunk && null == kept.missingReason)
            {
                return false;
            }
        }
        return true;
    }

    private Batch<C> build(final StepOrder order, final Listener listener)
    {
        Batch<C> batch = spare.poll();
        if (null == batch)
        {
            batch = new Batch<>(released);
            alive++;
        }
        final StreamWork work = order.work();
        final RankStream plan = work.plan();
        final int first = order.firstPiece();
        final int pieces = order.lastPiece() - first + 1;
        if (stepPieces.length < pieces)
        {
            stepPieces = newHeldArray(pieces);
        }
        for (int i = 0; i < pieces; i++)
        {
            stepPieces[i] = held.get(key(work, first + i));
            stepPieces[i].batchIndex = -1;
            stepPieces[i].lostSamples = false;
        }
        final Batch<C> filling = batch;
        filling.reset(order, rank, plan.stepSize(order.step()));
        plan.forEachSample(order.step(), (pieceIndex, record) ->
        {
            final Held<C> piece = stepPieces[pieceIndex - first];
            if (null != piece.missingReason)
            {
                filling.addMissing();
                piece.lostSamples = true;
                return;
            }
            if (piece.batchIndex < 0)
            {
                piece.batchIndex = filling.addChunk(piece.chunk);
            }
            filling.addSample(piece.batchIndex, record);
        });
        for (int i = 0; i < pieces; i++)
        {
            if (stepPieces[i].lostSamples)
            {
                listener.onSamplesMissing(work, order.step(), plan.piece(first + i).chunkId(),
                    stepPieces[i].missingReason);
            }
            stepPieces[i] = null;
        }
        return batch.deliver();
    }

    private void unuse(final StepOrder order)
    {
        for (int piece = order.firstPiece(); piece <= order.lastPiece(); piece++)
        {
            final long key = key(order.work(), piece);
            final Held<C> kept = held.get(key);
            if (--kept.users == 0)
            {
                held.remove(key);
                if (null != kept.chunk)
                {
                    kept.chunk.release();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <C extends Chunk> Held<C>[] newHeldArray(final int length)
    {
        return (Held<C>[])new Held<?>[length];
    }

    /**
     * A piece the stage keeps: its chunk once delivered (or why it never will be), and how many queued or
     * delivered steps use it.
     */
    private static final class Held<C>
    {
        C chunk;
        String missingReason;
        int users;
        int batchIndex;
        boolean lostSamples;
    }
}
