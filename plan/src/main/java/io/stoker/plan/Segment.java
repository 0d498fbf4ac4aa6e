package io.stoker.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * One segment of an epoch's plan: a sequence of samples cut into one contiguous slice per rank, sized so that
 * every rank has the same number of steps. The first segment plans the whole epoch; a job resumed with
 * consumption recorded opens a next segment over what was not consumed, for any world size.
 * <p>
 * Slices are cut by samples, not bytes: a chunk at a slice boundary is split between two ranks by record
 * range. With batches of B on W ranks, {@code full = n / (W B)} full steps use {@code full W B} samples; the
 * {@code R} that remain are left out from the tail of the sequence ({@link DropPolicy#DROP_LAST}) or make one
 * more, smaller step ({@link DropPolicy#PARTIAL}: {@code R / W} samples to every rank and one more to the first
 * {@code R mod W}). The chunk feed slices {@code n / W} samples to each rank, one more to the first
 * {@code n mod W}, and its steps are the pieces of each slice.
 */
public final class Segment
{
    private final int index;
    private final int epoch;
    private final long seed;
    private final BatchSpec spec;
    private final int worldSize;
    private final Sequence sequence;
    private final long[] starts;
    private final int steps;

    private Segment(
        final int index,
        final int epoch,
        final long seed,
        final BatchSpec spec,
        final int worldSize,
        final Sequence sequence)
    {
        if (worldSize < 1)
        {
            throw new IllegalArgumentException("world size must be at least 1, was " + worldSize);
        }
        this.index = index;
        this.epoch = epoch;
        this.seed = seed;
        this.spec = spec;
        this.worldSize = worldSize;
        this.sequence = sequence;

        final long length = sequence.length();
        final long[] quotas = new long[worldSize];
        if (spec.isChunks())
        {
            share(length, quotas);
            steps = -1;
        }
        else
        {
            final long perStep = (long)worldSize * spec.batchSize();
            final long full = length / perStep;
            final long rest = length - full * perStep;
            for (int rank = 0; rank < worldSize; rank++)
            {
                quotas[rank] = full * spec.batchSize();
            }
            if (spec.dropPolicy() == DropPolicy.PARTIAL && rest > 0)
            {
                final long[] extra = new long[worldSize];
                share(rest, extra);
                for (int rank = 0; rank < worldSize; rank++)
                {
                    quotas[rank] += extra[rank];
                }
            }
            final long stepCount = full + (spec.dropPolicy() == DropPolicy.PARTIAL && rest > 0 ? 1 : 0);
            if (stepCount > Integer.MAX_VALUE || quotas[0] > Integer.MAX_VALUE)
            {
                throw new IllegalArgumentException("an epoch of " + length + " samples over " + worldSize +
                    " ranks is too large for one rank's stream");
            }
            steps = (int)stepCount;
        }
        starts = new long[worldSize + 1];
        for (int rank = 0; rank < worldSize; rank++)
        {
            starts[rank + 1] = starts[rank] + quotas[rank];
        }
    }

    /**
     * @return the first segment of an epoch: every sample, in the epoch's chunk order.
     */
    public static Segment first(
        final SampleSpace space, final long seed, final int epoch, final int worldSize, final BatchSpec spec)
    {
        return new Segment(0, epoch, seed, spec, worldSize,
            new PermutedChunks(space, Permutations.chunkOrder(space.chunkCount(), seed, epoch)));
    }

    /**
     * Rebuild an epoch's current segment from how it came about: the first segment over
     * {@code worldSizes[0]} ranks, then for each resume {@code k} the next over {@code worldSizes[k]} ranks
     * after the steps {@code consumed[k - 1]} of the one before.
     *
     * @return the last segment.
     */
    public static Segment replay(
        final SampleSpace space,
        final long seed,
        final int epoch,
        final BatchSpec spec,
        final int[] worldSizes,
        final int[][] consumed)
    {
        if (consumed.length != worldSizes.length - 1)
        {
            throw new IllegalArgumentException(worldSizes.length + " segments need " + (worldSizes.length - 1) +
                " consumption records, " + consumed.length + " given");
        }
        Segment segment = first(space, seed, epoch, worldSizes[0], spec);
        for (int k = 1; k < worldSizes.length; k++)
        {
            segment = segment.next(worldSizes[k], consumed[k - 1]);
        }
        return segment;
    }

    /**
     * Plan what this segment's ranks have not consumed over another world size.
     *
     * @param worldSize the ranks of the next segment.
     * @param consumed  steps each rank of this segment consumed: the first that many of its stream.
     * @return the next segment, over the samples of this one not in a consumed step, in this one's order.
     */
    public Segment next(final int worldSize, final int[] consumed)
    {
        if (consumed.length != this.worldSize)
        {
            throw new IllegalArgumentException(
                "consumed steps of " + consumed.length + " ranks given for a segment of " + this.worldSize);
        }
        final List<Piece> remainder = new ArrayList<>();
        for (int rank = 0; rank < this.worldSize; rank++)
        {
            stream(rank).remainderAfter(consumed[rank], remainder);
        }
        for (final Piece piece : sequence.slice(starts[this.worldSize], sequence.length()))
        {
            RankStream.append(remainder, piece);
        }
        return new Segment(index + 1, epoch, seed, spec, worldSize, new PieceSequence(remainder));
    }

    /**
     * @return the rank's stream: its slice's pieces, windows, order and batches.
     */
    public RankStream stream(final int rank)
    {
        return new RankStream(this, rank, sequence.slice(starts[rank], starts[rank + 1]));
    }

    /**
     * @return the samples left out of every rank's slice, the tail of the sequence (drop-last only).
     */
    public List<Piece> dropped()
    {
        return sequence.slice(starts[worldSize], sequence.length());
    }

    /**
     * @return steps of every rank, batch mode; -1 for the chunk feed, whose ranks' steps are their pieces.
     */
    public int steps()
    {
        return steps;
    }

    /**
     * @return samples of the rank's slice.
     */
    public long samples(final int rank)
    {
        return starts[rank + 1] - starts[rank];
    }

    /**
     * @return samples of the segment's sequence, those left out included.
     */
    public long sequenceLength()
    {
        return sequence.length();
    }

    public int index()
    {
        return index;
    }

    public int epoch()
    {
        return epoch;
    }

    public long seed()
    {
        return seed;
    }

    public BatchSpec spec()
    {
        return spec;
    }

    public int worldSize()
    {
        return worldSize;
    }

    private void share(final long total, final long[] shares)
    {
        final long each = total / shares.length;
        final long more = total % shares.length;
        for (int rank = 0; rank < shares.length; rank++)
        {
            shares[rank] = each + (rank < more ? 1 : 0);
        }
    }
}
