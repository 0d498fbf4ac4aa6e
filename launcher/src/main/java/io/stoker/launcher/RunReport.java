package io.stoker.launcher;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.DatasetLayout;
import io.stoker.dataset.Manifest;
import io.stoker.plan.JobSpec;
import io.stoker.plan.Piece;
import io.stoker.plan.SampleSpace;
import io.stoker.worker.WorkerJob;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a run's JSON report: enough to audit exactly-once delivery from the file alone.
 * <p>
 * {@code epochs[e].ranks[r].steps} lists, in delivery order, every step rank r's consumer took in epoch e: the
 * stream it belongs to (r's own, or a rank's whose work r took over), its index, its samples' ids as a flat array
 * of (chunk id, record index) pairs, the CRC32C the consumer computed over the samples' bytes in batch order (0
 * when not computed), samples missing because their chunk could not be read, and when it was handed over, in
 * seconds after the run's first delivery. {@code epochs[e].dropped} lists, as pairs too, the samples the drop
 * policy left out of the epoch; {@code dataset.chunkTable} lists each chunk's shard, offset, length and
 * records, to find a sample's bytes, where the process has the dataset's manifest ({@code stoker local}): a worker
 * knows only the chunks it read, so its report has no chunk table.
 */
final class RunReport
{
    private RunReport()
    {
    }

    /**
     * @param datasetDirectory where the dataset was read from, or null when this process does not know.
     * @param manifest         the dataset's manifest, or null when this process does not have it (a worker).
     * @param logs             what each rank of {@code summary.ranks()} delivered, in the same order.
     */
    static void write(
        final Path file,
        final Path datasetDirectory,
        final Manifest manifest,
        final RunSummary summary,
        final DeliveryLog[] logs)
        throws IOException
    {
        final DatasetLayout layout = summary.layout();
        final JobSpec spec = summary.spec();
        final SampleSpace space = WorkerJob.spaceOf(layout);
        final long firstDeliveryNs = firstDeliveryNs(logs, spec.epochs());
        try (JsonGenerator json = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8))
        {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();

            json.writeObjectFieldStart("dataset");
            if (null != datasetDirectory)
            {
                json.writeStringField("directory", datasetDirectory.toAbsolutePath().toString());
            }
            json.writeStringField("id", spec.datasetId());
            json.writeStringField("format", layout.format().toString());
            json.writeNumberField("shards", layout.shardCount());
            json.writeNumberField("chunks", layout.chunkCount());
            json.writeNumberField("bytes", layout.totalBytes());
            json.writeNumberField("records", layout.totalRecords());
            json.writeNumberField("chunkSizeTarget", layout.chunkSizeTarget());
            if (null != manifest)
            {
                json.writeArrayFieldStart("chunkTable");
                for (int chunkId = 0; chunkId < manifest.chunkCount(); chunkId++)
                {
                    json.writeStartObject();
                    json.writeNumberField("id", chunkId);
                    json.writeStringField("shard", manifest.shardPath(manifest.chunkShard(chunkId)));
                    json.writeNumberField("offset", manifest.chunkOffset(chunkId));
                    json.writeNumberField("length", manifest.chunkLength(chunkId));
                    json.writeNumberField("records", manifest.chunkRecordCount(chunkId));
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();

            json.writeObjectFieldStart("job");
            json.writeNumberField("workers", spec.worldSize());
            json.writeNumberField("epochs", spec.epochs());
            json.writeNumberField("firstEpoch", spec.firstEpoch());
            json.writeNumberField("seed", spec.seed());
            json.writeNumberField("batchSize", spec.batchSpec().batchSize());
            json.writeNumberField("shuffleWindow", spec.batchSpec().shuffleWindow());
            json.writeStringField("dropPolicy", spec.batchSpec().dropPolicy().label());
            json.writeStringField("outcome", null != summary.outcome() ? summary.outcome().name() : "NONE");
            json.writeEndObject();

            json.writeObjectFieldStart("totals");
            json.writeNumberField("bytes", summary.bytes());
            json.writeNumberField("chunks", summary.chunks());
            json.writeNumberField("steps", summary.steps());
            json.writeNumberField("samples", summary.samples());
            json.writeNumberField("seconds", summary.seconds());
            json.writeNumberField("gigabytesPerSecond", summary.gigabytesPerSecond());
            json.writeNumberField("checksumFailures", summary.checksumFailures());
            json.writeNumberField("readRetries", summary.readRetries());
            json.writeNumberField("duplicatesDropped", summary.duplicatesDropped());
            json.writeNumberField("chunksUnavailable", summary.unavailable());
            json.writeObjectFieldStart("bytesRead");
            json.writeNumberField("local", summary.bytesRead().local());
            json.writeNumberField("rdma", summary.bytesRead().rdma());
            json.writeNumberField("udp", summary.bytesRead().udp());
            json.writeEndObject();
            json.writeEndObject();

            json.writeArrayFieldStart("ranks");
            for (final RunSummary.RankFigures rank : summary.ranks())
            {
                json.writeStartObject();
                json.writeNumberField("rank", rank.rank());
                json.writeNumberField("bytes", rank.bytes());
                json.writeNumberField("chunks", rank.chunks());
                json.writeNumberField("steps", rank.steps());
                json.writeNumberField("samples", rank.samples());
                json.writeStringField("transport", rank.transports());
                json.writeNumberField("consumerWaitSeconds", rank.consumerWaitNs() / 1e9);
                json.writeEndObject();
            }
            json.writeEndArray();

            json.writeArrayFieldStart("epochs");
            for (int epoch = spec.firstEpoch(); epoch < spec.epochs(); epoch++)
            {
                json.writeStartObject();
                json.writeNumberField("epoch", epoch);
                json.writeArrayFieldStart("dropped");
                writePairs(json, spec.segment(space, epoch).dropped());
                json.writeEndArray();
                json.writeArrayFieldStart("missing");
                for (final JobClientAgent.EpochResult result : summary.epochResults())
                {
                    if (result.epoch() == epoch)
                    {
                        for (final int chunkId : result.missing())
                        {
                            json.writeNumber(chunkId);
                        }
                    }
                }
                json.writeEndArray();
                json.writeArrayFieldStart("ranks");
                for (int i = 0; i < logs.length; i++)
                {
                    writeRank(json, summary.ranks().get(i).rank(), logs[i], epoch, firstDeliveryNs);
                }
                json.writeEndArray();
                json.writeEndObject();
            }
            json.writeEndArray();

            json.writeEndObject();
        }
    }

    private static long firstDeliveryNs(final DeliveryLog[] logs, final int epochs)
    {
        long first = 0;
        boolean found = false;
        for (final DeliveryLog log : logs)
        {
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                final List<DeliveryLog.Step> steps = log.steps(epoch);
                if (!steps.isEmpty() && (!found || steps.get(0).timeNs() - first < 0))
                {
                    first = steps.get(0).timeNs();
                    found = true;
                }
            }
        }
        return first;
    }

    private static void writePairs(final JsonGenerator json, final List<Piece> pieces) throws IOException
    {
        for (final Piece piece : pieces)
        {
            for (int i = 0; i < piece.count(); i++)
            {
                json.writeNumber(piece.chunkId());
                json.writeNumber(piece.record(i));
            }
        }
    }

    private static void writeRank(
        final JsonGenerator json,
        final int rank,
        final DeliveryLog log,
        final int epoch,
        final long firstDeliveryNs)
        throws IOException
    {
        json.writeStartObject();
        json.writeNumberField("rank", rank);
        json.writeArrayFieldStart("steps");
        for (final DeliveryLog.Step step : log.steps(epoch))
        {
            json.writeStartObject();
            json.writeNumberField("stream", step.stream());
            json.writeNumberField("step", step.step());
            json.writeFieldName("samples");
            json.writeArray(step.samples(), 0, step.samples().length);
            json.writeNumberField("crc32c", Integer.toUnsignedLong(step.crc()));
            json.writeNumberField("bytes", step.bytes());
            json.writeNumberField("missing", step.missing());
            json.writeNumberField("deliveredSeconds", (step.timeNs() - firstDeliveryNs) / 1e9);
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }
}
