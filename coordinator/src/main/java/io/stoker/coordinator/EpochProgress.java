package io.stoker.coordinator;

import io.stoker.plan.JobSpec;
import io.stoker.plan.RankStream;
import io.stoker.plan.SampleSpace;
import io.stoker.plan.Segment;

import org.agrona.collections.Int2IntHashMap;

import java.util.Arrays;
import java.util.BitSet;

/**
 * What is done of one epoch: its current segment, and for each rank's stream of steps which were released
 * (counted once) and which rank holds each step now (the stream's own, or a live rank that took it over from
 * a dead one). An epoch is complete when every step of every stream is released; samples of chunks that
 * could not be read are recorded by chunk id.
 */
public final class EpochProgress
{
    private final Segment segment;
    private final int[] steps;
    private final int[][] stepSizes;
    private final BitSet[] released;
    private final BitSet[] journaled;
    private final int[][] holders;
    private final BitSet[] moving;
    private final Int2IntHashMap movesInFlight = new Int2IntHashMap(0);
    private final BitSet missing;
    private int stepsLeft;
    private long deliveredSamples;

    /**
     * Plan the epoch and take what its ranks consumed before the job resumed as released: the consumed steps of
     * the current segment, and the samples earlier segments consumed (all those not in the current segment's
     * sequence) as delivered.
     */
    public EpochProgress(final JobSpec spec, final SampleSpace space, final int epoch)
    {
        segment = spec.segment(space, epoch);
        final int worldSize = segment.worldSize();
        steps = new int[worldSize];
        stepSizes = new int[worldSize][];
        released = new BitSet[worldSize];
        journaled = new BitSet[worldSize];
        holders = new int[worldSize][];
        moving = new BitSet[worldSize];
        missing = new BitSet(space.chunkCount());
        deliveredSamples = space.sampleCount() - segment.sequenceLength();
        for (int rank = 0; rank < worldSize; rank++)
        {
            final RankStream stream = segment.stream(rank);
            steps[rank] = stream.steps();
            stepSizes[rank] = new int[steps[rank]];
            for (int step = 0; step < steps[rank]; step++)
            {
                stepSizes[rank][step] = stream.stepSize(step);
            }
            released[rank] = new BitSet(steps[rank]);
            journaled[rank] = new BitSet(steps[rank]);
            moving[rank] = new BitSet(steps[rank]);
            stepsLeft += steps[rank];
            for (int step = 0, start = spec.startStep(epoch, rank); step < start; step++)
            {
                release(rank, step);
            }
        }
    }

    public int epoch()
    {
        return segment.epoch();
    }

    /**
     * @return the epoch's current segment.
     */
    public Segment segment()
    {
        return segment;
    }

    public int worldSize()
    {
        return steps.length;
    }

    /**
     * @return steps of a stream.
     */
    public int steps(final int stream)
    {
        return steps[stream];
    }

    /**
     * Count a step released.
     *
     * @return true the first time; a repeat does not count.
     */
    public boolean release(final int stream, final int step)
    {
        if (released[stream].get(step))
        {
            return false;
        }
        released[stream].set(step);
        journaled[stream].set(step);
        stepsLeft--;
        deliveredSamples += stepSizes[stream][step];
        return true;
    }

    /**
     * Note that a step's acknowledgement went to the journal: it is counted once the journal made it durable, and
     * an acknowledgement of it sent again meanwhile, or after a restart, is not journaled twice.
     *
     * @return true the first time.
     */
    public boolean journal(final int stream, final int step)
    {
        if (journaled[stream].get(step))
        {
            return false;
        }
        journaled[stream].set(step);
        return true;
    }

    /**
     * Forget that a step went to the journal, when the journal could not take it.
     */
    public void unjournal(final int stream, final int step)
    {
        if (!released[stream].get(step))
        {
            journaled[stream].clear(step);
        }
    }

    public boolean isReleased(final int stream, final int step)
    {
        return released[stream].get(step);
    }

    /**
     * @return true when every step of every stream is released.
     */
    public boolean isComplete()
    {
        return 0 == stepsLeft;
    }

    /**
     * @return the rank that delivers a step now.
     */
    public int holder(final int stream, final int step)
    {
        return null == holders[stream] ? stream : holders[stream][step];
    }

    /**
     * Hand a step to another rank, as when its holder's lease ended.
     */
    public void reassign(final int stream, final int step, final int rank)
    {
        if (null == holders[stream])
        {
            holders[stream] = new int[steps[stream]];
            Arrays.fill(holders[stream], stream);
        }
        holders[stream][step] = rank;
    }

    /**
     * Hand a step to another rank by a move that went to the journal: the new holder is told of it only once the
     * move is {@link #moveDurable durable}, so that a restart never forgets a step was handed to a rank that
     * delivers it. Moving a step whose move is in flight supersedes that move.
     */
    public void move(final int stream, final int step, final int rank)
    {
        if (moving[stream].get(step))
        {
            addMovesInFlight(holder(stream, step), -1);
        }
        reassign(stream, step, rank);
        moving[stream].set(step);
        addMovesInFlight(rank, 1);
    }

    /**
     * A move the journal made durable.
     *
     * @return true when it is the step's latest move and the rank it went to has no other move in flight: that
     * rank is told of its steps now.
     */
    public boolean moveDurable(final int stream, final int step, final int rank)
    {
        if (!moving[stream].get(step) || holder(stream, step) != rank)
        {
            return false;
        }
        moving[stream].clear(step);
        return 0 == addMovesInFlight(rank, -1);
    }

    private int addMovesInFlight(final int rank, final int delta)
    {
        final int moves = movesInFlight.get(rank) + delta;
        if (0 == moves)
        {
            movesInFlight.remove(rank);
        }
        else
        {
            movesInFlight.put(rank, moves);
        }
        return moves;
    }

    /**
     * @return the steps of a stream that a rank holds, that no worker claimed and whose move to it (if any) is
     * durable, ascending: those it may be told to deliver.
     */
    public int[] assignable(final int stream, final int rank)
    {
        final int[] outstanding = outstanding(stream, rank);
        int count = 0;
        for (final int step : outstanding)
        {
            if (!moving[stream].get(step))
            {
                outstanding[count++] = step;
            }
        }
        return Arrays.copyOf(outstanding, count);
    }

    /**
     * @return the steps of a stream that a rank holds and that no worker claimed for its consumer (a claimed step
     * is journaled, and once the journal made it durable it is confirmed: it was handed out and never moves),
     * ascending.
     */
    public int[] outstanding(final int stream, final int rank)
    {
        int count = 0;
        final int[] result = new int[steps[stream]];
        for (int step = journaled[stream].nextClearBit(0); step < steps[stream];
            step = journaled[stream].nextClearBit(step + 1))
        {
            if (holder(stream, step) == rank)
            {
                result[count++] = step;
            }
        }
        return Arrays.copyOf(result, count);
    }

    /**
     * Record that a chunk's samples of the epoch could not be read.
     */
    public void markMissing(final int chunkId)
    {
        missing.set(chunkId);
    }

    /**
     * @return chunks whose samples could not be read, ascending.
     */
    public int[] missingChunks()
    {
        return missing.stream().toArray();
    }

    /**
     * @return samples of the epoch consumers released: in the released steps, and in the steps earlier segments
     * consumed before the job resumed over another world size.
     */
    public long deliveredSamples()
    {
        return deliveredSamples;
    }

    /**
     * @return samples the drop policy left out of the epoch.
     */
    public long droppedSamples()
    {
        long dropped = 0;
        for (final io.stoker.plan.Piece piece : segment.dropped())
        {
            dropped += piece.count();
        }
        return dropped;
    }

    /**
     * @return each stream's released steps, for checkpoints; copies.
     */
    BitSet[] releasedSets()
    {
        final BitSet[] copies = new BitSet[released.length];
        for (int i = 0; i < released.length; i++)
        {
            copies[i] = (BitSet)released[i].clone();
        }
        return copies;
    }

    /**
     * @return {stream, step, holder} of every step handed to another rank than its stream's, for checkpoints.
     */
    int[][] moves()
    {
        int count = 0;
        for (int stream = 0; stream < holders.length; stream++)
        {
            for (int step = 0; null != holders[stream] && step < steps[stream]; step++)
            {
                count += holders[stream][step] != stream ? 1 : 0;
            }
        }
        final int[][] moves = new int[count][];
        int i = 0;
        for (int stream = 0; stream < holders.length; stream++)
        {
            for (int step = 0; null != holders[stream] && step < steps[stream]; step++)
            {
                if (holders[stream][step] != stream)
                {
                    moves[i++] = new int[]{ stream, step, holders[stream][step] };
                }
            }
        }
        return moves;
    }

    /**
     * Take over a checkpoint's state of this epoch.
     */
    void restore(final BitSet[] releasedSteps, final int[][] moves, final BitSet missingChunks)
    {
        if (releasedSteps.length != steps.length)
        {
            throw new IllegalStateException("a checkpoint of " + releasedSteps.length + " streams for an epoch of " +
                steps.length);
        }
        for (int stream = 0; stream < steps.length; stream++)
        {
            for (int step = releasedSteps[stream].nextSetBit(0); step >= 0 && step < steps[stream];
                step = releasedSteps[stream].nextSetBit(step + 1))
            {
                release(stream, step);
            }
        }
        for (final int[] move : moves)
        {
            reassign(move[0], move[1], move[2]);
        }
        missing.or(missingChunks);
    }

    /**
     * @return each stream's released prefix: the steps its consumer took before the first it did not.
     */
    int[] releasedPrefixes()
    {
        final int[] prefixes = new int[steps.length];
        for (int stream = 0; stream < steps.length; stream++)
        {
            prefixes[stream] = Math.min(steps[stream], released[stream].nextClearBit(0));
        }
        return prefixes;
    }
}
