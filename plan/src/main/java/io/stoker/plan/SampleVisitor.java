package io.stoker.plan;

/**
 * Told each sample of a batch, in the batch's order.
 */
@FunctionalInterface
public interface SampleVisitor
{
    /**
     * @param pieceIndex index of the sample's piece in the rank's stream.
     * @param record     the sample's record index within its chunk.
     */
    void onSample(int pieceIndex, int record);
}
