package io.stoker.worker.gpu;

import io.stoker.codecs.JobOutcome;
import io.stoker.coordinator.CoordinatorAgent;
import io.stoker.coordinator.CoordinatorContext;
import io.stoker.coordinator.JobClientAgent;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.JobSpec;
import io.stoker.server.DataServerAgent;
import io.stoker.server.DataServerContext;
import io.stoker.transport.AeronConnector;
import io.stoker.transport.control.ControlProtocol;
import io.stoker.worker.Batch;
import io.stoker.worker.SinkFactory;
import io.stoker.worker.WorkerAgent;
import io.stoker.worker.WorkerContext;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Test fixture: a coordinator, a data server and one worker with a device sink in this JVM, feeding a
 * TFRecord dataset (chunks of uneven length) for some epochs to a consumer on the calling thread, which
 * computes each chunk's {@link WordSum} where the chunk is and compares it with the sum of the same bytes
 * read from the shard file.
 */
final class LocalFeedHarness
{
    private final Path directory;
    private final Manifest manifest;
    private final long[] fileSums;

    LocalFeedHarness(final Path directory) throws IOException
    {
        this.directory = directory;
        DatasetGenerator.generate(directory, FormatSpec.parse("tfrecord:5000"), 24 << 20, 3, 8 << 20);
        manifest = DatasetIndexer.index(directory, null, 1 << 20);
        fileSums = new long[manifest.chunkCount()];
        for (int chunkId = 0; chunkId < fileSums.length; chunkId++)
        {
            fileSums[chunkId] = fileSum(chunkId);
        }
    }

    int chunkCount()
    {
        return manifest.chunkCount();
    }

    /**
     * Feed every chunk {@code epochs} times and assert each arrived once per epoch, whole.
     *
     * @param sink       the worker's sink.
     * @param deviceSums the sum of a delivered chunk's bytes where it is; called on this thread.
     */
    void feedAndCheck(
        final SinkFactory<DeviceChunk> sink, final int epochs, final ToLongFunction<DeviceChunk> deviceSums)
        throws InterruptedException
    {
        final List<String> errors = Collections.synchronizedList(new ArrayList<>());
        final ErrorHandler errorHandler = ex -> errors.add(ex.getMessage());
        final int[][] deliveries = new int[epochs][manifest.chunkCount()];
        final List<String> wrong = new ArrayList<>();
        final JobClientAgent client;
        try (AeronConnector connector = AeronConnector.connect(new AeronConnector.Context().errorHandler(errorHandler)))
        {
            final CoordinatorAgent coordinator = new CoordinatorAgent(new CoordinatorContext()
                .aeron(connector.aeron())
                .errorHandler(errorHandler));
            final DataServerAgent dataServer = new DataServerAgent(new DataServerContext()
                .aeron(connector.aeron())
                .datasetDirectory(directory)
                .manifest(manifest)
                .errorHandler(errorHandler));
            client = new JobClientAgent(
                connector.aeron(), ControlProtocol.IPC_CHANNEL, ControlProtocol.IPC_CHANNEL, null, "",
                JobSpec.of(manifest.datasetId(), 1, epochs, 42, BatchSpec.CHUNKS), errorHandler);
            final WorkerAgent<DeviceChunk> worker = new WorkerAgent<>(new WorkerContext<>(sink)
                .aeron(connector.aeron())
                .rank(0)
                .errorHandler(errorHandler));

            final AgentRunner services = start(
                new CompositeAgent(coordinator, coordinator.journalAgent(), dataServer, client), errorHandler);
            final AgentRunner workerRunner = start(worker, errorHandler);
            try
            {
                final IdleStrategy idle = new BackoffIdleStrategy();
                final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (!worker.feed().isFinished())
                {
                    assertTrue(System.nanoTime() - deadline < 0, "the feed did not finish: " + errors);
                    final Batch<DeviceChunk> batch = worker.feed().poll();
                    if (null == batch)
                    {
                        idle.idle();
                        continue;
                    }
                    idle.reset();
                    final DeviceChunk chunk = batch.chunkAt(0);
                    if (batch.chunkCount() != 1 || batch.size() != manifest.chunkRecordCount(chunk.chunkId()))
                    {
                        wrong.add("step " + batch.step() + " of epoch " + batch.epoch() + " is not chunk " +
                            chunk.chunkId() + " whole");
                    }
                    deliveries[chunk.epoch()][chunk.chunkId()]++;
                    if (deviceSums.applyAsLong(chunk) != fileSums[chunk.chunkId()] ||
                        chunk.length() != manifest.chunkLength(chunk.chunkId()) ||
                        chunk.records().count() != manifest.chunkRecordCount(chunk.chunkId()))
                    {
                        wrong.add("chunk " + chunk.chunkId() + " of epoch " + chunk.epoch());
                    }
                    batch.release();
                }
            }
            finally
            {
                CloseHelper.closeAll(workerRunner, services);
            }
        }

        assertEquals(JobOutcome.COMPLETE, client.outcome(), "errors: " + errors);
        assertEquals(List.of(), wrong, "chunks whose delivered bytes differ from the file's");
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            for (int chunkId = 0; chunkId < manifest.chunkCount(); chunkId++)
            {
                assertEquals(1, deliveries[epoch][chunkId], "deliveries of chunk " + chunkId + " in epoch " + epoch);
            }
        }
        assertEquals(List.of(), errors);
    }

    private long fileSum(final int chunkId) throws IOException
    {
        final ByteBuffer bytes = ByteBuffer.allocateDirect(manifest.chunkLength(chunkId));
        try (FileChannel file = FileChannel.open(directory.resolve(manifest.shardPath(manifest.chunkShard(chunkId)))))
        {
            while (bytes.hasRemaining())
            {
                if (file.read(bytes, manifest.chunkOffset(chunkId) + bytes.position()) < 0)
                {
                    throw new IOException("shard ends inside chunk " + chunkId);
                }
            }
        }
        return WordSum.of(new UnsafeBuffer(bytes), 0, bytes.capacity());
    }

    private static AgentRunner start(final Agent agent, final ErrorHandler errorHandler)
    {
        final AgentRunner runner = new AgentRunner(
            new BackoffIdleStrategy(100, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(200)),
            errorHandler, null, agent);
        AgentRunner.startOnThread(runner);
        return runner;
    }
}
