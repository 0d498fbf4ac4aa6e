package io.stoker.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sequence of a whole epoch: every chunk in the epoch's order, each chunk's records in their order.
 * Held as the order and its prefix sums, not as pieces: a slice is made only when asked for.
 */
final class PermutedChunks implements Sequence
{
    private final int[] order;
    private final long[] starts;

    PermutedChunks(final SampleSpace space, final int[] order)
    {
        this.order = order;
        starts = new long[order.length + 1];
        for (int i = 0; i < order.length; i++)
        {
            starts[i + 1] = starts[i] + space.recordCount(order[i]);
        }
    }

    @Override
    public long length()
    {
        return starts[order.length];
    }

    @Override
    public List<Piece> slice(final long from, final long to)
    {
        final List<Piece> pieces = new ArrayList<>();
        for (int i = indexOf(from); i < order.length && starts[i] < to; i++)
        {
            final int first = (int)Math.max(0, from - starts[i]);
            final int end = (int)(Math.min(to, starts[i + 1]) - starts[i]);
            pieces.add(Piece.range(order[i], first, end - first));
        }
        return pieces;
    }

    private int indexOf(final long position)
    {
        final int found = Arrays.binarySearch(starts, position);
        return found >= 0 ? found : -found - 2;
    }
}
