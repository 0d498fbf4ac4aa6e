package io.stoker.transport.control;

import io.stoker.codecs.DropPolicy;
import io.stoker.codecs.JobStartedDecoder;
import io.stoker.codecs.JobStartedEncoder;
import io.stoker.codecs.JobSubmitDecoder;
import io.stoker.codecs.JobSubmitEncoder;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.EpochHistory;
import io.stoker.plan.JobSpec;
import io.stoker.transport.wire.MessageLimits;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@link JobSpec} on the wire, in a job submission and in the job-started message alike: the fields, then the
 * resumed epochs' segments (epoch, world size, oldest first) and what their ranks consumed (epoch, segment,
 * rank or -1 for every rank, steps).
 */
public final class JobSpecCodec
{
    private JobSpecCodec()
    {
    }

    static void encode(final JobSubmitEncoder encoder, final JobSpec spec)
    {
        encoder.worldSize(spec.worldSize()).epochs(spec.epochs()).seed(spec.seed())
            .batchSize(spec.batchSpec().batchSize()).shuffleWindow(spec.batchSpec().shuffleWindow())
            .dropPolicy(wire(spec.batchSpec().dropPolicy())).firstEpoch(spec.firstEpoch());
        final List<int[]> segments = segments(spec);
        final JobSubmitEncoder.SegmentsEncoder segmentRows = encoder.segmentsCount(segments.size());
        segments.forEach(row -> segmentRows.next().epoch(row[0]).worldSize(row[1]));
        final List<int[]> consumed = consumed(spec);
        final JobSubmitEncoder.ConsumedEncoder consumedRows = encoder.consumedCount(consumed.size());
        consumed.forEach(row -> consumedRows.next().epoch(row[0]).segment(row[1]).rank(row[2]).steps(row[3]));
        encoder.datasetId(spec.datasetId());
    }

    static void encode(final JobStartedEncoder encoder, final JobSpec spec)
    {
        encoder.worldSize(spec.worldSize()).epochs(spec.epochs()).seed(spec.seed())
            .batchSize(spec.batchSpec().batchSize()).shuffleWindow(spec.batchSpec().shuffleWindow())
            .dropPolicy(wire(spec.batchSpec().dropPolicy())).firstEpoch(spec.firstEpoch());
        final List<int[]> segments = segments(spec);
        final JobStartedEncoder.SegmentsEncoder segmentRows = encoder.segmentsCount(segments.size());
        segments.forEach(row -> segmentRows.next().epoch(row[0]).worldSize(row[1]));
        final List<int[]> consumed = consumed(spec);
        final JobStartedEncoder.ConsumedEncoder consumedRows = encoder.consumedCount(consumed.size());
        consumed.forEach(row -> consumedRows.next().epoch(row[0]).segment(row[1]).rank(row[2]).steps(row[3]));
        encoder.datasetId(spec.datasetId());
    }

    /**
     * @throws IllegalArgumentException when the message does not describe a job.
     */
    public static JobSpec decode(final JobSubmitDecoder decoder)
    {
        final Rows rows = new Rows();
        for (final JobSubmitDecoder.SegmentsDecoder row : decoder.segments())
        {
            rows.segment(row.epoch(), row.worldSize());
        }
        for (final JobSubmitDecoder.ConsumedDecoder row : decoder.consumed())
        {
            rows.consumed(row.epoch(), row.segment(), row.rank(), row.steps());
        }
        return rows.spec(decoder.datasetId(), decoder.worldSize(), decoder.epochs(), decoder.seed(),
            batchSpec(decoder.batchSize(), decoder.shuffleWindow(), decoder.dropPolicy()), decoder.firstEpoch());
    }

    /**
     * @throws IllegalArgumentException when the message does not describe a job.
     */
    public static JobSpec decode(final JobStartedDecoder decoder)
    {
        final Rows rows = new Rows();
        for (final JobStartedDecoder.SegmentsDecoder row : decoder.segments())
        {
            rows.segment(row.epoch(), row.worldSize());
        }
        for (final JobStartedDecoder.ConsumedDecoder row : decoder.consumed())
        {
            rows.consumed(row.epoch(), row.segment(), row.rank(), row.steps());
        }
        return rows.spec(decoder.datasetId(), decoder.worldSize(), decoder.epochs(), decoder.seed(),
            batchSpec(decoder.batchSize(), decoder.shuffleWindow(), decoder.dropPolicy()), decoder.firstEpoch());
    }

    private static BatchSpec batchSpec(final int batchSize, final int shuffleWindow, final DropPolicy policy)
    {
        return new BatchSpec(batchSize, shuffleWindow,
            policy == DropPolicy.DROP_LAST ? io.stoker.plan.DropPolicy.DROP_LAST : io.stoker.plan.DropPolicy.PARTIAL);
    }

    private static DropPolicy wire(final io.stoker.plan.DropPolicy policy)
    {
        return policy == io.stoker.plan.DropPolicy.DROP_LAST ? DropPolicy.DROP_LAST : DropPolicy.PARTIAL;
    }

    private static List<int[]> segments(final JobSpec spec)
    {
        final List<int[]> rows = new ArrayList<>();
        spec.histories().forEach((epoch, history) ->
        {
            for (final int worldSize : history.worldSizes())
            {
                rows.add(new int[]{ epoch, worldSize });
            }
        });
        if (rows.size() > MessageLimits.MAX_SEGMENTS)
        {
            throw new IllegalArgumentException("a job resumed " + rows.size() + " times is more than the protocol " +
                "carries (" + MessageLimits.MAX_SEGMENTS + ")");
        }
        return rows;
    }

    private static List<int[]> consumed(final JobSpec spec)
    {
        final List<int[]> rows = new ArrayList<>();
        spec.histories().forEach((epoch, history) ->
        {
            for (int segment = 0; segment < history.consumed().length; segment++)
            {
                final int[] steps = history.consumed()[segment];
                if (Arrays.stream(steps).allMatch(step -> step == steps[0]))
                {
                    rows.add(new int[]{ epoch, segment, -1, steps[0] });
                    continue;
                }
                for (int rank = 0; rank < steps.length; rank++)
                {
                    rows.add(new int[]{ epoch, segment, rank, steps[rank] });
                }
            }
        });
        if (rows.size() > MessageLimits.MAX_CONSUMED_RECORDS)
        {
            throw new IllegalArgumentException("what " + rows.size() + " ranks consumed before the job resumed is " +
                "more than the protocol carries (" + MessageLimits.MAX_CONSUMED_RECORDS + ")");
        }
        return rows;
    }

    /**
     * Collects the rows of the two groups into histories, checking that they describe segments.
     */
    private static final class Rows
    {
        final Map<Integer, List<Integer>> worldSizes = new TreeMap<>();
        final Map<Integer, Map<Integer, int[]>> consumed = new TreeMap<>();

        void segment(final int epoch, final int worldSize)
        {
            if (worldSize < 1 || worldSize > JobSpec.MAX_WORLD_SIZE || epoch < 0)
            {
                throw new IllegalArgumentException("a segment of epoch " + epoch + " with " + worldSize + " ranks");
            }
            worldSizes.computeIfAbsent(epoch, e -> new ArrayList<>()).add(worldSize);
        }

        void consumed(final int epoch, final int segment, final int rank, final int steps)
        {
            final List<Integer> sizes = worldSizes.get(epoch);
            if (null == sizes || segment < 0 || segment >= sizes.size() || rank < -1 ||
                rank >= sizes.get(segment) || steps < 0)
            {
                throw new IllegalArgumentException("steps consumed by rank " + rank + " of segment " + segment +
                    " of epoch " + epoch + ", which has no such segment or rank");
            }
            final int[] ranks = consumed.computeIfAbsent(epoch, e -> new TreeMap<>())
                .computeIfAbsent(segment, k -> new int[sizes.get(k)]);
            if (-1 == rank)
            {
                Arrays.fill(ranks, steps);
            }
            else
            {
                ranks[rank] = steps;
            }
        }

        JobSpec spec(
            final String datasetId,
            final int worldSize,
            final int epochs,
            final long seed,
            final BatchSpec batchSpec,
            final int firstEpoch)
        {
            final Map<Integer, EpochHistory> histories = new TreeMap<>();
            worldSizes.forEach((epoch, sizes) ->
            {
                final Map<Integer, int[]> done = consumed.getOrDefault(epoch, Map.of());
                final int records = done.isEmpty() ? 0 : ((TreeMap<Integer, int[]>)done).lastKey() + 1;
                final int[][] steps = new int[records][];
                for (int segment = 0; segment < records; segment++)
                {
                    steps[segment] = done.getOrDefault(segment, new int[sizes.get(segment)]);
                }
                histories.put(epoch, new EpochHistory(sizes.stream().mapToInt(Integer::intValue).toArray(), steps));
            });
            return new JobSpec(datasetId, worldSize, epochs, seed, batchSpec, firstEpoch, histories);
        }
    }
}
