package io.stoker.launcher;

import io.stoker.codecs.JobOutcome;
import io.stoker.dataset.DatasetGenerator;
import io.stoker.dataset.DatasetIndexer;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.Manifest;
import io.stoker.plan.BatchSpec;
import io.stoker.plan.DropPolicy;
import io.stoker.worker.shm.ChannelLayout;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shared-memory channel end to end: a local cluster feeding {@code --sink shm} and a consumer written here
 * over the same mapped files and Agrona rings, as another process would.
 */
class ShmChannelTest
{
    private static final int RECORD = 4096;

    @TempDir
    Path temp;

    @Test
    void consumerReadsEverySampleOncePerEpochFromThePoolAndItsReleasesAcknowledgeTheSteps() throws Exception
    {
        final Path data = temp.resolve("data");
        DatasetGenerator.generate(data, FormatSpec.parse("fixed:" + RECORD), 2 << 20, 5, 1 << 20);
        final Manifest manifest = DatasetIndexer.index(data, null, 64 << 10);
        final Path shm = temp.resolve("shm");
        final LocalCluster.Settings settings = new LocalCluster.Settings(data, manifest)
            .workers(2).epochs(2).batchSpec(new BatchSpec(16, 4, DropPolicy.DROP_LAST))
            .shm(shm, new io.stoker.worker.shm.ShmFeedAgent.Settings().leaseMs(5_000));
        final List<TestConsumer> consumers = new ArrayList<>();
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, b) -> {}))
        {
            for (int rank = 0; rank < 2; rank++)
            {
                consumers.add(new TestConsumer(shm.resolve("rank-" + rank), data, manifest, Integer.MAX_VALUE));
            }
            consumers.forEach(Thread::start);
            for (final TestConsumer consumer : consumers)
            {
                consumer.join(60_000);
                assertTrue(null == consumer.failure, () -> String.valueOf(consumer.failure));
            }
            assertTrue(cluster.awaitCompletion(TimeUnit.SECONDS.toNanos(30), () -> {}));
            assertEquals(JobOutcome.COMPLETE, cluster.outcome());
        }
        final long perEpoch = manifest.totalRecords() / 32 * 32;
        for (int epoch = 0; epoch < 2; epoch++)
        {
            final Set<Long> seen = new HashSet<>();
            int steps = -1;
            for (final TestConsumer consumer : consumers)
            {
                assertTrue(steps < 0 || steps == consumer.stepsIn(epoch), "equal steps per rank");
                steps = consumer.stepsIn(epoch);
                for (final long id : consumer.samplesIn(epoch))
                {
                    assertTrue(seen.add(id), "sample " + id + " twice in epoch " + epoch);
                }
            }
            assertEquals(perEpoch, seen.size(), "every sample of epoch " + epoch + " (drop-last)");
        }
        assertEquals(0, consumers.get(0).outcome);
        assertTrue(Files.notExists(shm.resolve("rank-0").resolve("channel")), "the channel file is removed");
    }

    @Test
    void aConsumerWhoseHeartbeatStopsStopsTheWorkerWithoutReleasingWhatItHeld() throws Exception
    {
        final Path data = temp.resolve("data");
        DatasetGenerator.generate(data, FormatSpec.parse("fixed:" + RECORD), 2 << 20, 5, 1 << 20);
        final Manifest manifest = DatasetIndexer.index(data, null, 64 << 10);
        final Path shm = temp.resolve("shm");
        final LocalCluster.Settings settings = new LocalCluster.Settings(data, manifest)
            .workers(1).epochs(1).batchSpec(new BatchSpec(16, 4, DropPolicy.DROP_LAST))
            .shm(shm, new io.stoker.worker.shm.ShmFeedAgent.Settings().leaseMs(300));
        try (LocalCluster cluster = new LocalCluster(settings, rank -> (r, b) -> {}))
        {
            final TestConsumer consumer = new TestConsumer(shm.resolve("rank-0"), data, manifest, 3);
            consumer.start();
            consumer.join(30_000);
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (cluster.lostConsumer() < 0 && System.nanoTime() < deadline)
            {
                Thread.sleep(10);
            }
            assertEquals(0, cluster.lostConsumer());
            assertEquals(null, cluster.outcome(), "the job does not complete");
            assertEquals(3, consumer.steps.size());
        }
    }

    /**
     * A consumer as another process would write it: maps the channel and the pool, reads batch records, checks each
     * sample's bytes against the dataset file, releases the batch, heartbeats; stops heartbeating after a number of
     * batches.
     */
    static final class TestConsumer extends Thread
    {
        final Path directory;
        final Path data;
        final Manifest manifest;
        final int heartbeatBatches;
        final List<int[]> steps = new ArrayList<>();
        final List<long[]> samples = new ArrayList<>();
        volatile Throwable failure;
        int outcome = -1;

        TestConsumer(final Path directory, final Path data, final Manifest manifest, final int heartbeatBatches)
        {
            this.directory = directory;
            this.data = data;
            this.manifest = manifest;
            this.heartbeatBatches = heartbeatBatches;
        }

        int stepsIn(final int epoch)
        {
            return (int)steps.stream().filter(s -> s[0] == epoch).count();
        }

        List<Long> samplesIn(final int epoch)
        {
            final List<Long> ids = new ArrayList<>();
            for (int i = 0; i < steps.size(); i++)
            {
                if (steps.get(i)[0] == epoch)
                {
                    Arrays.stream(samples.get(i)).forEach(ids::add);
                }
            }
            return ids;
        }

        @Override
        public void run()
        {
            try
            {
                consume();
            }
            catch (final Throwable ex)
            {
                failure = ex;
            }
        }

        private void consume() throws Exception
        {
            final Path channelFile = directory.resolve("channel");
            while (!Files.exists(channelFile) || Files.size(channelFile) < ChannelLayout.HEADER_LENGTH ||
                ChannelLayout.MAGIC != readMagic(channelFile))
            {
                Thread.sleep(5);
            }
            final MappedByteBuffer mapping = map(channelFile);
            final UnsafeBuffer header = new UnsafeBuffer(mapping, 0, ChannelLayout.HEADER_LENGTH);
            final int capacity = header.getInt(ChannelLayout.BATCHES_CAPACITY_OFFSET);
            final int bufferLength = header.getInt(ChannelLayout.BUFFER_LENGTH_OFFSET);
            final OneToOneRingBuffer batches = new OneToOneRingBuffer(new UnsafeBuffer(
                mapping, ChannelLayout.HEADER_LENGTH, capacity + RingBufferDescriptor.TRAILER_LENGTH));
            final int releasesOffset = ChannelLayout.releasesOffset(capacity);
            final OneToOneRingBuffer releases = new OneToOneRingBuffer(new UnsafeBuffer(
                mapping, releasesOffset, mapping.capacity() - releasesOffset));
            final MappedByteBuffer pool = map(directory.resolve("pool"));
            final UnsafeBuffer poolBuffer = new UnsafeBuffer(pool);
            assertEquals(header.getLong(ChannelLayout.POOL_LENGTH_OFFSET), pool.capacity());
            assertEquals(0, pool.capacity() % bufferLength);
            final UnsafeBuffer release = new UnsafeBuffer(new byte[8]);
            try
            {
                final byte[] expected = new byte[RECORD];
                final byte[] actual = new byte[RECORD];
                while (outcome < 0)
                {
                    if (steps.size() < heartbeatBatches)
                    {
                        header.putLongRelease(ChannelLayout.CONSUMER_HEARTBEAT_OFFSET, System.currentTimeMillis());
                    }
                    else if (steps.size() == heartbeatBatches)
                    {
                        return;
                    }
                    batches.read((type, buffer, index, length) ->
                    {
                        if (ChannelLayout.MSG_END == type)
                        {
                            outcome = buffer.getInt(index + ChannelLayout.END_OUTCOME_OFFSET);
                            return;
                        }
                        final int size = buffer.getInt(index + ChannelLayout.BATCH_SIZE_FIELD_OFFSET);
                        steps.add(new int[]{ buffer.getInt(index + ChannelLayout.BATCH_EPOCH_OFFSET),
                            buffer.getInt(index + ChannelLayout.BATCH_STEP_OFFSET) });
                        final long[] ids = new long[size];
                        for (int i = 0; i < size; i++)
                        {
                            final int at = index + ChannelLayout.BATCH_SAMPLES_OFFSET + i * ChannelLayout.SAMPLE_LENGTH;
                            final long poolOffset = buffer.getLong(at);
                            final int chunk = buffer.getInt(at + 12);
                            final int record = buffer.getInt(at + 16);
                            assertEquals(RECORD, buffer.getInt(at + 8));
                            ids[i] = ((long)chunk << 32) | record;
                            poolBuffer.getBytes((int)poolOffset, actual);
                            final Path shardFile = data.resolve(manifest.shardPath(manifest.chunkShard(chunk)));
                            try (RandomAccessFile shard = new RandomAccessFile(shardFile.toFile(), "r"))
                            {
                                shard.seek(manifest.chunkOffset(chunk) + (long)record * RECORD);
                                shard.readFully(expected);
                            }
                            catch (final java.io.IOException ex)
                            {
                                throw new java.io.UncheckedIOException(ex);
                            }
                            assertArrayEquals(expected, actual, "chunk " + chunk + " record " + record);
                        }
                        samples.add(ids);
                        if (steps.size() <= heartbeatBatches)
                        {
                            release.putLong(0, buffer.getLong(index + ChannelLayout.BATCH_SEQUENCE_OFFSET));
                            while (!releases.write(ChannelLayout.MSG_RELEASE, release, 0, 8))
                            {
                                Thread.onSpinWait();
                            }
                        }
                    }, 1);
                    java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                }
            }
            finally
            {
                IoUtil.unmap(mapping);
                IoUtil.unmap(pool);
            }
        }

        private static long readMagic(final Path file) throws java.io.IOException
        {
            final MappedByteBuffer mapping = map(file);
            final long magic = new UnsafeBuffer(mapping).getLongVolatile(ChannelLayout.MAGIC_OFFSET);
            IoUtil.unmap(mapping);
            return magic;
        }

        private static MappedByteBuffer map(final Path file) throws java.io.IOException
        {
            try (FileChannel channel = FileChannel.open(file, java.nio.file.StandardOpenOption.READ,
                java.nio.file.StandardOpenOption.WRITE))
            {
                return channel.map(FileChannel.MapMode.READ_WRITE, 0, channel.size());
            }
        }
    }
}
