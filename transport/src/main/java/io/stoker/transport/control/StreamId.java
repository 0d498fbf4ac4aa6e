package io.stoker.transport.control;

/**
 * Names a rank's stream of steps in an epoch: the epoch, its segment and the rank whose stream it is (which is
 * not the rank delivering it after that rank died).
 *
 * @param epoch   the epoch.
 * @param segment the epoch's segment.
 * @param rank    the stream's rank in the segment.
 */
public record StreamId(int epoch, int segment, int rank)
{
}
