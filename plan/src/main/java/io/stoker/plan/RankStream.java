package io.stoker.plan;

import java.util.Arrays;
import java.util.List;

/**
 * One rank's stream in one segment of an epoch: the pieces of its slice in plan order and what its consumer
 * takes, step by step. With batches, the samples of each window of {@code shuffleWindow} consecutive pieces are
 * taken in a seeded order drawn from {@code (seed, epoch, segment, rank, window)} alone, and batch {@code s} is
 * samples {@code [sB, (s + 1)B)} of the stream in that order; in the chunk feed, step {@code s} is piece
 * {@code s}, whole. Computed alike by the coordinator and the workers; not thread-safe.
 */
public final class RankStream
{
    private final Segment segment;
    private final int rank;
    private final List<Piece> pieces;
    private final int[] pieceStarts;
    private final int window;
    private final int[] windowStarts;
    private final int batchSize;
    private int cachedWindow = -1;
    private int[] cachedOrder;

    RankStream(final Segment segment, final int rank, final List<Piece> pieces)
    {
        this.segment = segment;
        this.rank = rank;
        this.pieces = pieces;
        pieceStarts = new int[pieces.size() + 1];
        for (int i = 0; i < pieces.size(); i++)
        {
            pieceStarts[i + 1] = pieceStarts[i] + pieces.get(i).count();
        }
        final BatchSpec spec = segment.spec();
        batchSize = spec.batchSize();
        window = spec.isChunks() ? 1 : spec.shuffleWindow();
        final int windows = (pieces.size() + window - 1) / window;
        windowStarts = new int[windows + 1];
        for (int w = 0; w <= windows; w++)
        {
            windowStarts[w] = pieceStarts[Math.min(pieces.size(), w * window)];
        }
    }

    /**
     * @return the rank.
     */
    public int rank()
    {
        return rank;
    }

    /**
     * @return the segment this stream belongs to.
     */
    public Segment segment()
    {
        return segment;
    }

    /**
     * @return steps of the stream: the segment's steps with batches, the pieces in the chunk feed.
     */
    public int steps()
    {
        return segment.spec().isChunks() ? pieces.size() : segment.steps();
    }

    /**
     * @return samples of the step: the batch size, less in a partial last batch, or the piece's.
     */
    public int stepSize(final int step)
    {
        if (segment.spec().isChunks())
        {
            return pieces.get(step).count();
        }
        return (int)Math.max(0, Math.min(batchSize, (long)samples() - (long)step * batchSize));
    }

    /**
     * @return samples of the stream.
     */
    public int samples()
    {
        return pieceStarts[pieces.size()];
    }

    public int pieceCount()
    {
        return pieces.size();
    }

    public Piece piece(final int index)
    {
        return pieces.get(index);
    }

    /**
     * @return the first piece a step takes samples from; {@link #pieceCount()} for an empty step.
     */
    public int firstPiece(final int step)
    {
        if (segment.spec().isChunks())
        {
            return step;
        }
        final int size = stepSize(step);
        return 0 == size ? pieces.size() : windowOf(step * batchSize) * window;
    }

    /**
     * @return the last piece a step takes samples from; one before {@link #firstPiece} for an empty step.
     */
    public int lastPiece(final int step)
    {
        if (segment.spec().isChunks())
        {
            return step;
        }
        final int size = stepSize(step);
        return 0 == size ? pieces.size() - 1 :
            Math.min(pieces.size(), (windowOf(step * batchSize + size - 1) + 1) * window) - 1;
    }

    /**
     * Tell the visitor each sample of a step, in the step's order.
     */
    public void forEachSample(final int step, final SampleVisitor visitor)
    {
        if (segment.spec().isChunks())
        {
            final Piece piece = pieces.get(step);
            for (int i = 0; i < piece.count(); i++)
            {
                visitor.onSample(step, piece.record(i));
            }
            return;
        }
        final int from = step * batchSize;
        final int to = from + stepSize(step);
        int w = from < to ? windowOf(from) : 0;
        for (int position = from; position < to; position++)
        {
            while (position >= windowStarts[w + 1])
            {
                w++;
            }
            final int sample = windowStarts[w] + orderOf(w)[position - windowStarts[w]];
            final int pieceIndex = pieceOf(sample, w);
            visitor.onSample(pieceIndex, pieces.get(pieceIndex).record(sample - pieceStarts[pieceIndex]));
        }
    }

    /**
     * Append to {@code out} what of this stream is not in its first {@code consumedSteps} steps, in plan order.
     */
    void remainderAfter(final int consumedSteps, final List<Piece> out)
    {
        if (consumedSteps < 0 || consumedSteps > steps())
        {
            throw new IllegalArgumentException("rank " + rank + " has " + steps() + " steps, cannot have consumed " +
                consumedSteps);
        }
        if (segment.spec().isChunks())
        {
            for (int i = consumedSteps; i < pieces.size(); i++)
            {
                append(out, pieces.get(i));
            }
            return;
        }
        final int consumed = (int)Math.min(samples(), (long)consumedSteps * batchSize);
        for (int w = 0; w + 1 < windowStarts.length; w++)
        {
            final int start = windowStarts[w];
            final int end = windowStarts[w + 1];
            final int firstPiece = w * window;
            final int lastPiece = Math.min(pieces.size(), firstPiece + window);
            if (end <= consumed)
            {
                continue;
            }
            if (start >= consumed)
            {
                for (int p = firstPiece; p < lastPiece; p++)
                {
                    append(out, pieces.get(p));
                }
                continue;
            }
            final boolean[] taken = new boolean[end - start];
            final int[] order = orderOf(w);
            for (int o = 0; o < consumed - start; o++)
            {
                taken[order[o]] = true;
            }
            for (int p = firstPiece; p < lastPiece; p++)
            {
                final Piece piece = pieces.get(p);
                final int[] left = new int[piece.count()];
                int count = 0;
                for (int i = 0; i < piece.count(); i++)
                {
                    if (!taken[pieceStarts[p] - start + i])
                    {
                        left[count++] = piece.record(i);
                    }
                }
                if (count == piece.count())
                {
                    append(out, piece);
                }
                else if (count > 0)
                {
                    append(out, Piece.of(piece.chunkId(), Arrays.copyOf(left, count)));
                }
            }
        }
    }

    /**
     * Append a piece, merged with the last one when it continues the same chunk.
     */
    static void append(final List<Piece> out, final Piece piece)
    {
        final int last = out.size() - 1;
        if (last >= 0 && out.get(last).chunkId() == piece.chunkId())
        {
            final Piece previous = out.get(last);
            final int[] records = new int[previous.count() + piece.count()];
            for (int i = 0; i < previous.count(); i++)
            {
                records[i] = previous.record(i);
            }
            for (int i = 0; i < piece.count(); i++)
            {
                records[previous.count() + i] = piece.record(i);
            }
            out.set(last, Piece.of(piece.chunkId(), records));
            return;
        }
        out.add(piece);
    }

    private int windowOf(final int position)
    {
        final int found = Arrays.binarySearch(windowStarts, position);
        int w = found >= 0 ? found : -found - 2;
        while (w + 1 < windowStarts.length - 1 && windowStarts[w + 1] == position)
        {
            w++;
        }
        return w;
    }

    private int pieceOf(final int position, final int w)
    {
        final int from = w * window;
        final int to = Math.min(pieces.size(), from + window) + 1;
        final int found = Arrays.binarySearch(pieceStarts, from, to, position);
        int p = found >= 0 ? found : -found - 2;
        while (p + 1 < pieces.size() && pieceStarts[p + 1] == position)
        {
            p++;
        }
        return p;
    }

    private int[] orderOf(final int w)
    {
        if (w != cachedWindow)
        {
            cachedOrder = Permutations.window(windowStarts[w + 1] - windowStarts[w], segment.seed(), segment.epoch(),
                segment.index(), rank, w);
            cachedWindow = w;
        }
        return cachedOrder;
    }
}
