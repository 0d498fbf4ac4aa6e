package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.Manifest;
import io.stoker.dataset.Sizes;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.WorkerAgent;

import java.util.ArrayList;
import java.util.List;

/**
 * The figures of a finished run, for the printed summary and the JSON report.
 *
 * @param mode              what ran: "local", "worker rank 3".
 * @param manifest          the dataset fed.
 * @param workers           ranks.
 * @param epochs            epochs asked for.
 * @param seed              the job's seed.
 * @param completed         false when the run timed out or was refused.
 * @param outcome           how the coordinator ended the job, or null.
 * @param failure           why the job was refused, or null.
 * @param elapsedNs         start of the cluster to the last chunk consumed.
 * @param ranks             per-rank figures.
 * @param epochResults      per-epoch results from the coordinator.
 * @param checksumFailures  reads whose CRC32C did not match (each was read again).
 * @param readRetries       reads repeated.
 * @param duplicatesDropped assignments of chunks already delivered.
 * @param unavailable       chunks no server could deliver.
 * @param errors            errors logged.
 */
public record RunSummary(
    String mode,
    Manifest manifest,
    int workers,
    int epochs,
    long seed,
    boolean completed,
    JobOutcome outcome,
    String failure,
    long elapsedNs,
    List<RankFigures> ranks,
    List<JobClientAgent.EpochResult> epochResults,
    long checksumFailures,
    long readRetries,
    long duplicatesDropped,
    long unavailable,
    long errors)
{
    /**
     * One rank's share of a run.
     *
     * @param transports   transports the rank read over.
     * @param consumerWaitNs time its consumer waited for data after the first chunk.
     */
    public record RankFigures(int rank, long bytes, long chunks, String transports, long consumerWaitNs)
    {
    }

    static RunSummary of(final LocalCluster cluster, final boolean completed)
    {
        final List<RankFigures> ranks = new ArrayList<>();
        for (int rank = 0; rank < cluster.workers().size(); rank++)
        {
            final WorkerAgent<?> worker = cluster.workers().get(rank);
            ranks.add(new RankFigures(
                rank,
                cluster.workerCounter(rank, CounterType.BYTES_DELIVERED),
                cluster.workerCounter(rank, CounterType.CHUNKS_DELIVERED),
                TransportKind.describe(worker.transportsInUse()),
                cluster.workerCounter(rank, CounterType.CONSUMER_WAIT_NS)));
        }
        final LocalCluster.Settings settings = cluster.settings();
        return new RunSummary(
            "local",
            settings.manifest(),
            settings.workers(),
            settings.epochs(),
            settings.seed(),
            completed,
            cluster.outcome(),
            cluster.failure(),
            cluster.elapsedNs(),
            List.copyOf(ranks),
            cluster.client().epochs(),
            cluster.workerTotal(CounterType.CHECKSUM_FAILURES),
            cluster.workerTotal(CounterType.READ_RETRIES),
            cluster.workerTotal(CounterType.DUPLICATES_DROPPED),
            cluster.workerTotal(CounterType.CHUNKS_UNAVAILABLE),
            cluster.errorCount());
    }

    public long bytes()
    {
        return ranks.stream().mapToLong(RankFigures::bytes).sum();
    }

    public long chunks()
    {
        return ranks.stream().mapToLong(RankFigures::chunks).sum();
    }

    public double seconds()
    {
        return elapsedNs / 1e9;
    }

    /**
     * @return delivered bytes per second, in GB (10^9 bytes).
     */
    public double gigabytesPerSecond()
    {
        return bytes() / 1e9 / seconds();
    }

    /**
     * @return the summary users read at the end of a run.
     */
    public String text()
    {
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("stoker %s: %d worker%s, %d epoch%s, seed %d; dataset %s: %s of %s in %d chunks%n",
            mode, workers, workers == 1 ? "" : "s", epochs, epochs == 1 ? "" : "s", seed, manifest.datasetId(),
            Sizes.format(manifest.totalBytes()), manifest.format(), manifest.chunkCount()));
        if (null != failure)
        {
            sb.append("job refused: ").append(failure).append(System.lineSeparator());
        }
        else if (!completed)
        {
            sb.append("timed out before the job completed").append(System.lineSeparator());
        }
        sb.append(String.format("delivered %s in %d chunks in %.2f s: %.2f GB/s%n",
            Sizes.format(bytes()), chunks(), seconds(), gigabytesPerSecond()));
        final long totalBytes = Math.max(1, bytes());
        for (final RankFigures rank : ranks)
        {
            sb.append(String.format("  rank %d: %s (%.1f%%) in %d chunks over %s; consumer waited %.1f ms (%.2f%%)%n",
                rank.rank(), Sizes.format(rank.bytes()), 100.0 * rank.bytes() / totalBytes, rank.chunks(),
                rank.transports(), rank.consumerWaitNs() / 1e6, 100.0 * rank.consumerWaitNs() / elapsedNs));
        }
        sb.append(String.format("checksum failures %d, read retries %d, duplicates dropped %d, chunks unavailable %d%n",
            checksumFailures, readRetries, duplicatesDropped, unavailable));
        for (final JobClientAgent.EpochResult epoch : epochResults)
        {
            if (!epoch.missing().isEmpty())
            {
                sb.append("epoch ").append(epoch.epoch()).append(" is missing chunks ").append(epoch.missing())
                    .append(System.lineSeparator());
            }
        }
        return sb.toString();
    }
}
