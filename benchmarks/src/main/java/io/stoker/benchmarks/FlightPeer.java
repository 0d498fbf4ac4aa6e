package io.stoker.benchmarks;

import io.stoker.dataset.Manifest;
import io.stoker.transport.data.MappedRegion;
import org.agrona.CloseHelper;
import org.apache.arrow.flight.FlightClient;
import org.apache.arrow.flight.FlightServer;
import org.apache.arrow.flight.FlightStream;
import org.apache.arrow.flight.Location;
import org.apache.arrow.flight.NoOpFlightProducer;
import org.apache.arrow.flight.Ticket;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.file.Path;
import java.util.List;

/**
 * The Apache Arrow Flight peer: a DoGet whose stream carries every chunk as one binary value per
 * record batch, over gRPC on loopback; the client counts the bytes it receives. Timed after the first
 * epoch.
 */
final class FlightPeer
{
    private static final Schema SCHEMA = new Schema(List.of(
        new Field("chunk", FieldType.notNullable(ArrowType.Binary.INSTANCE), null)));

    private FlightPeer()
    {
    }

    /**
     * @return bytes per second received.
     */
    static double run(final Path directory, final Manifest manifest, final int epochs) throws Exception
    {
        try (BufferAllocator allocator = new RootAllocator();
            FlightServer server = FlightServer.builder(allocator, Location.forGrpcInsecure("127.0.0.1", 0),
                new ChunkProducer(allocator, directory, manifest, epochs)).build().start();
            FlightClient client = FlightClient.builder(allocator,
                Location.forGrpcInsecure("127.0.0.1", server.getPort())).build())
        {
            long start = 0;
            long bytes = 0;
            try (FlightStream stream = client.getStream(new Ticket(new byte[]{ 1 })))
            {
                while (stream.next())
                {
                    final VarBinaryVector vector = (VarBinaryVector)stream.getRoot().getVector(0);
                    for (int i = 0; i < vector.getValueCount(); i++)
                    {
                        bytes += vector.getValueLength(i);
                    }
                    if (0 == start && bytes >= manifest.totalBytes())
                    {
                        start = System.nanoTime();
                    }
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            if (bytes != manifest.totalBytes() * epochs)
            {
                throw new IllegalStateException("Flight delivered " + bytes + " bytes");
            }
            return manifest.totalBytes() * (double)(epochs - 1) / seconds;
        }
    }

    private static final class ChunkProducer extends NoOpFlightProducer
    {
        private final BufferAllocator allocator;
        private final Path directory;
        private final Manifest manifest;
        private final int epochs;

        ChunkProducer(final BufferAllocator allocator, final Path directory, final Manifest manifest, final int epochs)
        {
            this.allocator = allocator;
            this.directory = directory;
            this.manifest = manifest;
            this.epochs = epochs;
        }

        @Override
        public void getStream(final CallContext context, final Ticket ticket, final ServerStreamListener listener)
        {
            final MappedRegion[] shards = new MappedRegion[manifest.shardCount()];
            try (VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator))
            {
                for (int shard = 0; shard < shards.length; shard++)
                {
                    shards[shard] = new MappedRegion(directory.resolve(manifest.shardPath(shard)), -1);
                }
                final VarBinaryVector vector = (VarBinaryVector)root.getVector(0);
                listener.start(root);
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
                    {
                        final int length = manifest.chunkLength(chunk);
                        vector.reset();
                        vector.allocateNew(length, 1);
                        final ArrowBuf data = vector.getDataBuffer();
                        shards[manifest.chunkShard(chunk)].copy(
                            manifest.chunkOffset(chunk), length, new UnsafeBuffer(data.memoryAddress(), length), 0);
                        vector.getOffsetBuffer().setInt(4, length);
                        vector.setIndexDefined(0);
                        vector.setLastSet(0);
                        vector.setValueCount(1);
                        root.setRowCount(1);
                        listener.putNext();
                    }
                }
                listener.completed();
            }
            finally
            {
                CloseHelper.closeAll(shards);
            }
        }
    }
}
