package io.stoker.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A sequence held as its pieces: the samples of an epoch not yet consumed when a job resumed.
 */
final class PieceSequence implements Sequence
{
    private final List<Piece> pieces;
    private final long[] starts;

    PieceSequence(final List<Piece> pieces)
    {
        this.pieces = pieces;
        starts = new long[pieces.size() + 1];
        for (int i = 0; i < pieces.size(); i++)
        {
            starts[i + 1] = starts[i] + pieces.get(i).count();
        }
    }

    @Override
    public long length()
    {
        return starts[pieces.size()];
    }

    @Override
    public List<Piece> slice(final long from, final long to)
    {
        final List<Piece> slice = new ArrayList<>();
        final int found = Arrays.binarySearch(starts, from);
        for (int i = found >= 0 ? found : -found - 2; i < pieces.size() && starts[i] < to; i++)
        {
            final Piece piece = pieces.get(i);
            if (0 == piece.count())
            {
                continue;
            }
            final int first = (int)Math.max(0, from - starts[i]);
            final int end = (int)(Math.min(to, starts[i + 1]) - starts[i]);
            slice.add(piece.slice(first, end));
        }
        return slice;
    }
}
