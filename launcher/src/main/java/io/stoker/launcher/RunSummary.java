package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.Sizes;
import io.stoker.plan.JobSpec;
import io.stoker.transport.data.TransportKind;
import io.stoker.transport.status.CounterType;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.WorkerAgent;
import io.stoker.worker.gpu.DeviceChecks;
import io.stoker.worker.gpu.GpuSinkFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * The figures of a finished run, for the printed summary and the JSON report.
 *
 * @param mode              what ran: "local", "worker rank 3".
 * @param layout            the dataset fed, as workers know it.
 * @param spec              the job: ranks, epochs, seed, batches.
 * @param completed         false when the run timed out or was refused.
 * @param outcome           how the coordinator ended the job, or null.
 * @param failure           why the job was refused, or null.
 * @param elapsedNs         start of the cluster to the last batch consumed.
 * @param ranks             per-rank figures.
 * @param epochResults      per-epoch results from the coordinator.
 * @param checksumFailures  reads whose CRC32C did not match (each was read again).
 * @param readRetries       reads repeated.
 * @param duplicatesDropped assignments of steps already taken on.
 * @param unavailable       chunks no server could deliver.
 * @param errors            errors logged.
 * @param bytesRead         bytes read over each transport, by all ranks.
 */
public record RunSummary(
    String mode,
    DatasetLayout layout,
    JobSpec spec,
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
    long errors,
    BytesRead bytesRead)
{
    private static final String HOST_SINK = "host memory";

    /**
     * One rank's share of a run.
     *
     * @param bytes            bytes of the chunks the rank read and handed on.
     * @param chunks           chunks the rank read and handed on.
     * @param steps            steps (batches) its consumer took.
     * @param samples          samples in them.
     * @param transports       transports the rank read over.
     * @param consumerWaitNs   time its consumer waited for data after the first chunk.
     * @param sink             where its chunks went: "host memory", or a GPU.
     * @param matchedOnDevice  chunks whose checksum on the device matched the host's; -1 when not verified.
     * @param deviceMismatches chunk ids whose checksum on the device differed from the host's.
     */
    public record RankFigures(
        int rank,
        long bytes,
        long chunks,
        long steps,
        long samples,
        String transports,
        long consumerWaitNs,
        String sink,
        long matchedOnDevice,
        List<Integer> deviceMismatches)
    {
        /**
         * A rank whose chunks stayed in host memory.
         */
        static RankFigures of(
            final int rank, final ToLongFunction<CounterType> counters, final String transports, final String sink,
            final long matchedOnDevice, final List<Integer> deviceMismatches)
        {
            return new RankFigures(rank, counters.applyAsLong(CounterType.BYTES_DELIVERED),
                counters.applyAsLong(CounterType.CHUNKS_DELIVERED), counters.applyAsLong(CounterType.STEPS_DELIVERED),
                counters.applyAsLong(CounterType.SAMPLES_DELIVERED), transports,
                counters.applyAsLong(CounterType.CONSUMER_WAIT_NS), sink, matchedOnDevice, deviceMismatches);
        }

        /**
         * A rank whose chunks stayed in host memory.
         */
        static RankFigures ofHost(final int rank, final ToLongFunction<CounterType> counters, final String transports)
        {
            return of(rank, counters, transports, HOST_SINK, -1, List.of());
        }
    }

    /**
     * Bytes read over each transport, retried and failed-checksum reads included: with one transport
     * forced and nothing retried, the transport's figure is the dataset's bytes times the epochs.
     */
    public record BytesRead(long local, long rdma, long udp)
    {
        static BytesRead of(final ToLongFunction<CounterType> counters)
        {
            return new BytesRead(counters.applyAsLong(CounterType.BYTES_READ_LOCAL),
                counters.applyAsLong(CounterType.BYTES_READ_RDMA), counters.applyAsLong(CounterType.BYTES_READ_UDP));
        }
    }

    static RunSummary of(final LocalCluster cluster, final boolean completed)
    {
        final List<RankFigures> ranks = new ArrayList<>();
        for (int rank = 0; rank < cluster.workers().size(); rank++)
        {
            final WorkerAgent<?> worker = cluster.workers().get(rank);
            final SinkFactory<?> sink = cluster.sinkFactory(rank);
            final GpuSinkFactory gpu = sink instanceof GpuSinkFactory ? (GpuSinkFactory)sink : null;
            final boolean verified = null != gpu && gpu.verifiesOnDevice();
            final int ofRank = rank;
            ranks.add(RankFigures.of(
                rank,
                type -> cluster.workerCounter(ofRank, type),
                TransportKind.describe(worker.transportsInUse()),
                null != gpu ? gpu.description() : HOST_SINK,
                verified ? gpu.checks().matched() : -1,
                verified ?
                    gpu.checks().mismatches().stream().map(DeviceChecks.Mismatch::chunkId).toList() : List.of()));
        }
        final LocalCluster.Settings settings = cluster.settings();
        return new RunSummary(
            "local",
            DatasetLayout.of(settings.manifest()),
            settings.spec(),
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
            cluster.errorCount(),
            BytesRead.of(cluster::workerTotal));
    }

    public long bytes()
    {
        return ranks.stream().mapToLong(RankFigures::bytes).sum();
    }

    public long chunks()
    {
        return ranks.stream().mapToLong(RankFigures::chunks).sum();
    }

    public long steps()
    {
        return ranks.stream().mapToLong(RankFigures::steps).sum();
    }

    public long samples()
    {
        return ranks.stream().mapToLong(RankFigures::samples).sum();
    }

    /**
     * @return chunks whose checksum on the device differed from the host's, over all ranks.
     */
    public long deviceMismatches()
    {
        return ranks.stream().mapToLong(rank -> rank.deviceMismatches().size()).sum();
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
        final int workers = spec.worldSize();
        final int epochs = spec.epochs();
        sb.append(String.format("stoker %s: %d worker%s, %d epoch%s, seed %d, %s; dataset %s: %s of %s in %d " +
            "chunks, %d samples%n", mode, workers, workers == 1 ? "" : "s", epochs, epochs == 1 ? "" : "s",
            spec.seed(), spec.batchSpec(), spec.datasetId(), Sizes.format(layout.totalBytes()),
            layout.format(), layout.chunkCount(), layout.totalRecords()));
        if (null != failure)
        {
            sb.append("job refused: ").append(failure).append(System.lineSeparator());
        }
        else if (!completed)
        {
            sb.append("timed out before the job completed").append(System.lineSeparator());
        }
        sb.append(String.format("delivered %d samples in %d steps, %s in %d chunks in %.2f s: %.2f GB/s%n",
            samples(), steps(), Sizes.format(bytes()), chunks(), seconds(), gigabytesPerSecond()));
        final long totalBytes = Math.max(1, bytes());
        for (final RankFigures rank : ranks)
        {
            sb.append(String.format(
                "  rank %d: %d samples in %d steps, %s (%.1f%%) in %d chunks over %s to %s; consumer waited %.1f ms " +
                "(%.2f%%)%n", rank.rank(), rank.samples(), rank.steps(), Sizes.format(rank.bytes()),
                100.0 * rank.bytes() / totalBytes, rank.chunks(), rank.transports(), rank.sink(),
                rank.consumerWaitNs() / 1e6, 100.0 * rank.consumerWaitNs() / elapsedNs));
            if (rank.matchedOnDevice() >= 0)
            {
                sb.append(String.format("  rank %d checksums on the device: %d matched, %d differed%s%n",
                    rank.rank(), rank.matchedOnDevice(), rank.deviceMismatches().size(),
                    rank.deviceMismatches().isEmpty() ? "" : ": chunks " + rank.deviceMismatches()));
            }
        }
        sb.append(String.format("read over local %s, rdma %s, udp %s%n",
            Sizes.format(bytesRead.local()), Sizes.format(bytesRead.rdma()), Sizes.format(bytesRead.udp())));
        sb.append(String.format("checksum failures %d, read retries %d, duplicates dropped %d, chunks unavailable %d%n",
            checksumFailures, readRetries, duplicatesDropped, unavailable));
        for (final JobClientAgent.EpochResult epoch : epochResults)
        {
            sb.append(epochLine(epoch)).append(System.lineSeparator());
        }
        return sb.toString();
    }

    /**
     * @return one epoch's result in one line, as {@code stoker local} and {@code stoker submit} print it.
     */
    static String epochLine(final JobClientAgent.EpochResult epoch)
    {
        return "epoch " + epoch.epoch() + ": " + epoch.deliveredSamples() + " samples delivered" +
            (epoch.steps() >= 0 ? " in " + epoch.steps() + " steps per rank" : "") +
            (epoch.droppedSamples() > 0 ? ", " + epoch.droppedSamples() + " dropped by the drop policy" : "") +
            (epoch.missing().isEmpty() ? "" : ", missing chunks " + epoch.missing());
    }
}
