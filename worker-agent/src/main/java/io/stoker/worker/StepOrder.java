package io.stoker.worker;

/**
 * A step the worker will deliver, as the batch stage queues it: which stream, which step, and the pieces of the
 * stream its samples come from.
 *
 * @param work       the stream.
 * @param step       the step.
 * @param firstPiece the first piece its samples come from.
 * @param lastPiece  the last; one before {@code firstPiece} for a step without samples.
 */
record StepOrder(StreamWork work, int step, int firstPiece, int lastPiece)
{
}
