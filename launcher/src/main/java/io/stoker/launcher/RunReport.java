package io.stoker.launcher;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.Manifest;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writes a run's JSON report: enough to audit exactly-once delivery from the file alone.
 * <p>
 * {@code epochs[e].ranks[r].chunks} lists, in delivery order, every chunk rank r's consumer received
 * in epoch e, with its shard, offset, length, record count, the CRC32C of the delivered bytes and when it
 * was delivered, in seconds after the run's first delivery (a steady-state feed rate is the bytes delivered
 * between two of these times over their difference).
 */
final class RunReport
{
    private RunReport()
    {
    }

    /**
     * @param datasetDirectory where the dataset was read from, or null when this process does not know.
     * @param logs             what each rank of {@code summary.ranks()} delivered, in the same order.
     */
    static void write(final Path file, final Path datasetDirectory, final RunSummary summary, final DeliveryLog[] logs)
        throws IOException
    {
        final Manifest manifest = summary.manifest();
        final long firstDeliveryNs = firstDeliveryNs(logs, summary.epochs());
        try (JsonGenerator json = new JsonFactory().createGenerator(file.toFile(), JsonEncoding.UTF8))
        {
            json.useDefaultPrettyPrinter();
            json.writeStartObject();

            json.writeObjectFieldStart("dataset");
            if (null != datasetDirectory)
            {
                json.writeStringField("directory", datasetDirectory.toAbsolutePath().toString());
            }
            json.writeStringField("id", manifest.datasetId());
            json.writeStringField("format", manifest.format().toString());
            json.writeNumberField("shards", manifest.shardCount());
            json.writeNumberField("chunks", manifest.chunkCount());
            json.writeNumberField("bytes", manifest.totalBytes());
            json.writeNumberField("records", manifest.totalRecords());
            json.writeNumberField("chunkSizeTarget", manifest.chunkSizeTarget());
            json.writeEndObject();

            json.writeObjectFieldStart("job");
            json.writeNumberField("workers", summary.workers());
            json.writeNumberField("epochs", summary.epochs());
            json.writeNumberField("seed", summary.seed());
            json.writeStringField("outcome", null != summary.outcome() ? summary.outcome().name() : "NONE");
            json.writeEndObject();

            json.writeObjectFieldStart("totals");
            json.writeNumberField("bytes", summary.bytes());
            json.writeNumberField("chunks", summary.chunks());
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
                json.writeStringField("transport", rank.transports());
                json.writeNumberField("consumerWaitSeconds", rank.consumerWaitNs() / 1e9);
                json.writeEndObject();
            }
            json.writeEndArray();

            json.writeArrayFieldStart("epochs");
            for (int epoch = 0; epoch < summary.epochs(); epoch++)
            {
                json.writeStartObject();
                json.writeNumberField("epoch", epoch);
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
                    writeRank(json, manifest, summary.ranks().get(i).rank(), logs[i], epoch, firstDeliveryNs);
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
                final long[] times = log.times(epoch);
                if (times.length > 0 && (!found || times[0] - first < 0))
                {
                    first = times[0];
                    found = true;
                }
            }
        }
        return first;
    }

    private static void writeRank(
        final JsonGenerator json,
        final Manifest manifest,
        final int rank,
        final DeliveryLog log,
        final int epoch,
        final long firstDeliveryNs)
        throws IOException
    {
        final int[] chunks = log.chunks(epoch);
        final int[] crcs = log.crcs(epoch);
        final long[] times = log.times(epoch);
        json.writeStartObject();
        json.writeNumberField("rank", rank);
        json.writeArrayFieldStart("chunks");
        for (int i = 0; i < chunks.length; i++)
        {
            final int chunkId = chunks[i];
            json.writeStartObject();
            json.writeNumberField("id", chunkId);
            json.writeStringField("shard", manifest.shardPath(manifest.chunkShard(chunkId)));
            json.writeNumberField("offset", manifest.chunkOffset(chunkId));
            json.writeNumberField("length", manifest.chunkLength(chunkId));
            json.writeNumberField("records", manifest.chunkRecordCount(chunkId));
            json.writeNumberField("crc32c", Integer.toUnsignedLong(crcs[i]));
            json.writeNumberField("deliveredSeconds", (times[i] - firstDeliveryNs) / 1e9);
            json.writeEndObject();
        }
        json.writeEndArray();
        json.writeEndObject();
    }
}
