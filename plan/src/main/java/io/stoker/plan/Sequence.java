package io.stoker.plan;

import java.util.List;

/**
 * The ordered samples a segment of an epoch plans, which it cuts into the ranks' slices.
 */
interface Sequence
{
    /**
     * @return samples in the sequence.
     */
    long length();

    /**
     * @return samples {@code [from, to)} of the sequence as pieces, in order.
     */
    List<Piece> slice(long from, long to);
}
