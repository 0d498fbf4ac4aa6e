package io.stoker.plan;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of epoch plans over world sizes 1 to 8, batch sizes, windows, both drop policies and sample
 * counts including primes and fewer than W x B: equal steps on every rank, every sample exactly once minus
 * the listed drop set, the same plan from the same inputs, other orders from other epochs and seeds, and a
 * resume at any world size that neither repeats nor skips a sample.
 */
class SegmentTest
{
    private static final int[] SAMPLE_COUNTS = { 1, 2, 7, 31, 97, 256, 1009, 4099 };

    @Test
    void everyRankHasTheSameStepsAndEverySampleIsDeliveredOnceOrDropped()
    {
        final SplittableRandom random = new SplittableRandom(11);
        for (final int samples : SAMPLE_COUNTS)
        {
            for (int worldSize = 1; worldSize <= 8; worldSize++)
            {
                for (final DropPolicy policy : DropPolicy.values())
                {
                    final SampleSpace space = space(samples, random);
                    final BatchSpec spec = new BatchSpec(1 + random.nextInt(64), 1 + random.nextInt(8), policy);
                    final Segment segment = Segment.first(space, random.nextLong(), random.nextInt(5), worldSize, spec);
                    final String what = samples + " samples, " + worldSize + " ranks, " + spec;

                    final Set<Long> seen = new HashSet<>();
                    final int[] lastSizes = new int[worldSize];
                    for (int rank = 0; rank < worldSize; rank++)
                    {
                        final RankStream stream = segment.stream(rank);
                        assertEquals(segment.steps(), stream.steps(), what);
                        for (int step = 0; step < stream.steps(); step++)
                        {
                            final List<Long> batch = batch(stream, step);
                            assertEquals(stream.stepSize(step), batch.size(), what);
                            if (step < stream.steps() - 1 || policy == DropPolicy.DROP_LAST)
                            {
                                assertEquals(spec.batchSize(), batch.size(), what + ": a full batch");
                            }
                            for (final long sample : batch)
                            {
                                assertTrue(seen.add(sample), what + ": sample " + sample + " twice");
                            }
                        }
                        lastSizes[rank] = stream.steps() > 0 ? stream.stepSize(stream.steps() - 1) : 0;
                    }
                    final List<Long> dropped = samplesOf(segment.dropped());
                    for (final long sample : dropped)
                    {
                        assertTrue(seen.add(sample), what + ": dropped sample " + sample + " also delivered");
                    }
                    assertEquals(samples, seen.size(), what + ": every sample delivered or dropped");
                    if (policy == DropPolicy.PARTIAL)
                    {
                        assertTrue(dropped.isEmpty(), what + ": partial drops nothing");
                        final int min = java.util.Arrays.stream(lastSizes).min().orElse(0);
                        final int max = java.util.Arrays.stream(lastSizes).max().orElse(0);
                        assertTrue(max - min <= 1, what + ": last batches differ by at most one");
                    }
                    else
                    {
                        assertTrue(dropped.size() < (long)worldSize * spec.batchSize(), what);
                    }
                }
            }
        }
    }

    @Test
    void theChunkFeedDeliversEverySampleOnceInPiecesAndRanksDifferByOneSampleAtMost()
    {
        final SplittableRandom random = new SplittableRandom(12);
        for (final int samples : SAMPLE_COUNTS)
        {
            for (int worldSize = 1; worldSize <= 8; worldSize++)
            {
                final SampleSpace space = space(samples, random);
                final Segment segment = Segment.first(space, 3, 0, worldSize, BatchSpec.CHUNKS);
                final Set<Long> seen = new HashSet<>();
                long min = Long.MAX_VALUE;
                long max = 0;
                for (int rank = 0; rank < worldSize; rank++)
                {
                    final RankStream stream = segment.stream(rank);
                    for (int step = 0; step < stream.steps(); step++)
                    {
                        for (final long sample : batch(stream, step))
                        {
                            assertTrue(seen.add(sample));
                        }
                    }
                    min = Math.min(min, stream.samples());
                    max = Math.max(max, stream.samples());
                }
                assertEquals(samples, seen.size());
                assertTrue(max - min <= 1, samples + " samples over " + worldSize + " ranks: " + min + ".." + max);
                assertTrue(segment.dropped().isEmpty());
            }
        }
    }

    @Test
    void theSameInputsGiveTheSameBatchesAndOtherEpochsAndSeedsOtherOnes()
    {
        final SampleSpace space = space(4099, new SplittableRandom(5));
        final BatchSpec spec = new BatchSpec(32, 4, DropPolicy.DROP_LAST);
        final List<List<Long>> first = allBatches(Segment.first(space, 9, 2, 3, spec));
        assertEquals(first, allBatches(Segment.first(space, 9, 2, 3, spec)));
        assertNotEquals(first, allBatches(Segment.first(space, 9, 3, 3, spec)));
        assertNotEquals(first, allBatches(Segment.first(space, 10, 2, 3, spec)));
        assertNotEquals(samplesOf(Segment.first(space, 9, 2, 3, spec).dropped()),
            samplesOf(Segment.first(space, 9, 3, 3, spec).dropped()), "the drop set differs from epoch to epoch");
    }

    @Test
    void samplesAreShuffledWithinWindowsNotInFileOrder()
    {
        final SampleSpace space = new SampleSpace(new int[]{ 100, 100, 100, 100 });
        final RankStream stream = Segment.first(space, 1, 0, 1, new BatchSpec(50, 4, DropPolicy.DROP_LAST)).stream(0);
        final List<Long> batch = batch(stream, 0);
        final Set<Long> chunks = new HashSet<>();
        batch.forEach(sample -> chunks.add(sample >>> 32));
        assertTrue(chunks.size() > 1, "a batch draws from several chunks of its window: " + batch);
        assertFalse(isAscending(batch));
    }

    @Test
    void aStepNeedsOnlyThePiecesOfTheWindowsItSpans()
    {
        final SplittableRandom random = new SplittableRandom(13);
        final SampleSpace space = space(1009, random);
        final RankStream stream = Segment.first(space, 4, 1, 2, new BatchSpec(17, 3, DropPolicy.PARTIAL)).stream(1);
        for (int step = 0; step < stream.steps(); step++)
        {
            final int first = stream.firstPiece(step);
            final int last = stream.lastPiece(step);
            stream.forEachSample(step, (piece, record) ->
                assertTrue(piece >= first && piece <= last, "piece " + piece + " outside " + first + ".." + last));
        }
    }

    /**
     * Resumed after any consumption, at any world size: what was consumed before, plus every batch after,
     * plus the new drop set, is every sample of the epoch exactly once.
     */
    @Test
    void aResumeAtAnyWorldSizeNeitherRepeatsNorSkipsASample()
    {
        final SplittableRandom random = new SplittableRandom(14);
        for (int trial = 0; trial < 200; trial++)
        {
            final int samples = SAMPLE_COUNTS[random.nextInt(SAMPLE_COUNTS.length)];
            final SampleSpace space = space(samples, random);
            final DropPolicy policy = DropPolicy.values()[random.nextInt(2)];
            final BatchSpec spec = random.nextInt(5) == 0 ? BatchSpec.CHUNKS :
                new BatchSpec(1 + random.nextInt(40), 1 + random.nextInt(6), policy);
            final int before = 1 + random.nextInt(8);
            final int after = 1 + random.nextInt(8);
            final Segment first = Segment.first(space, random.nextLong(), random.nextInt(4), before, spec);
            final int[] consumed = new int[before];
            final boolean uniform = random.nextBoolean();
            final int step = uniform && first.stream(0).steps() > 0 ? random.nextInt(first.stream(0).steps() + 1) : 0;
            final Set<Long> seen = new HashSet<>();
            for (int rank = 0; rank < before; rank++)
            {
                final RankStream stream = first.stream(rank);
                consumed[rank] = uniform ? Math.min(step, stream.steps()) : random.nextInt(stream.steps() + 1);
                for (int s = 0; s < consumed[rank]; s++)
                {
                    batch(stream, s).forEach(sample -> assertTrue(seen.add(sample)));
                }
            }
            final Segment next = first.next(after, consumed);
            final String what = samples + " samples, " + before + " -> " + after + " ranks, " + spec;
            final int steps = next.stream(0).steps();
            for (int rank = 0; rank < after; rank++)
            {
                final RankStream stream = next.stream(rank);
                if (!spec.isChunks())
                {
                    assertEquals(steps, stream.steps(), what + ": equal steps after the resume");
                }
                for (int s = 0; s < stream.steps(); s++)
                {
                    for (final long sample : batch(stream, s))
                    {
                        assertTrue(seen.add(sample), what + ": sample " + sample + " repeated");
                    }
                }
            }
            for (final long sample : samplesOf(next.dropped()))
            {
                assertTrue(seen.add(sample), what + ": dropped sample " + sample + " also delivered");
            }
            assertEquals(samples, seen.size(), what + ": no sample skipped");
            assertEquals(1, next.index());
            final Segment replayed = Segment.replay(space, first.seed(), first.epoch(), spec,
                new int[]{ before, after }, new int[][]{ consumed });
            assertEquals(allBatches(next), allBatches(replayed), what + ": replay gives the same segment");
        }
    }

    @Test
    void thePermutationsArePinnedSoPlansAgreeAcrossMachinesAndVersions()
    {
        assertArrayEquals(new int[]{ 5, 1, 4, 8, 6, 3, 9, 2, 0, 7 }, Permutations.chunkOrder(10, 42, 0));
        assertArrayEquals(new int[]{ 6, 8, 1, 7, 5, 0, 3, 9, 2, 4 }, Permutations.window(10, 42, 0, 0, 1, 2));
    }

    private static SampleSpace space(final int samples, final SplittableRandom random)
    {
        final List<Integer> counts = new ArrayList<>();
        int left = samples;
        while (left > 0)
        {
            final int count = Math.min(left, 1 + random.nextInt(40));
            counts.add(count);
            left -= count;
        }
        return new SampleSpace(counts.stream().mapToInt(Integer::intValue).toArray());
    }

    private static List<List<Long>> allBatches(final Segment segment)
    {
        final List<List<Long>> batches = new ArrayList<>();
        for (int rank = 0; rank < segment.worldSize(); rank++)
        {
            final RankStream stream = segment.stream(rank);
            for (int step = 0; step < stream.steps(); step++)
            {
                batches.add(batch(stream, step));
            }
        }
        return batches;
    }

    private static List<Long> batch(final RankStream stream, final int step)
    {
        final List<Long> batch = new ArrayList<>();
        stream.forEachSample(step, (piece, record) ->
            batch.add(((long)stream.piece(piece).chunkId() << 32) | record));
        return batch;
    }

    private static List<Long> samplesOf(final List<Piece> pieces)
    {
        final List<Long> samples = new ArrayList<>();
        for (final Piece piece : pieces)
        {
            for (int i = 0; i < piece.count(); i++)
            {
                samples.add(((long)piece.chunkId() << 32) | piece.record(i));
            }
        }
        return samples;
    }

    private static boolean isAscending(final List<Long> samples)
    {
        for (int i = 1; i < samples.size(); i++)
        {
            if (samples.get(i) < samples.get(i - 1))
            {
                return false;
            }
        }
        return true;
    }
}
