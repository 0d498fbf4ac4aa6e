package io.stoker.benchmarks;

import io.stoker.dataset.Manifest;
import org.agrona.BufferUtil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The plain Java peer: a sender thread moves every chunk with {@code FileChannel.transferTo} to a
 * loopback TCP socket, the receiver reads each into a direct buffer. Timed after the first epoch, as
 * the other feeds are, so that start-up and warm-up do not count.
 */
final class TcpCopyPeer
{
    private TcpCopyPeer()
    {
    }

    /**
     * @return bytes per second received.
     */
    static double run(final Path directory, final Manifest manifest, final int epochs) throws Exception
    {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))
        {
            final Thread sender = new Thread(() -> send(server, directory, manifest, epochs), "tcp-sender");
            sender.start();
            final ByteBuffer buffer = BufferUtil.allocateDirectAligned(manifest.maxChunkLength(), 4096);
            long start = 0;
            try (SocketChannel socket = SocketChannel.open(server.getLocalAddress()))
            {
                for (int epoch = 0; epoch < epochs; epoch++)
                {
                    if (1 == epoch)
                    {
                        start = System.nanoTime();
                    }
                    for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
                    {
                        buffer.clear().limit(manifest.chunkLength(chunk));
                        while (buffer.hasRemaining())
                        {
                            if (socket.read(buffer) < 0)
                            {
                                throw new IOException("sender closed early");
                            }
                        }
                    }
                }
            }
            final double seconds = (System.nanoTime() - start) / 1e9;
            sender.join();
            return manifest.totalBytes() * (double)(epochs - 1) / seconds;
        }
    }

    private static void send(final ServerSocketChannel server, final Path directory, final Manifest manifest,
        final int epochs)
    {
        final FileChannel[] shards = new FileChannel[manifest.shardCount()];
        try (SocketChannel socket = server.accept())
        {
            for (int shard = 0; shard < shards.length; shard++)
            {
                shards[shard] = FileChannel.open(directory.resolve(manifest.shardPath(shard)));
            }
            for (int epoch = 0; epoch < epochs; epoch++)
            {
                for (int chunk = 0; chunk < manifest.chunkCount(); chunk++)
                {
                    long position = manifest.chunkOffset(chunk);
                    final long end = position + manifest.chunkLength(chunk);
                    while (position < end)
                    {
                        position += shards[manifest.chunkShard(chunk)].transferTo(position, end - position, socket);
                    }
                }
            }
            for (final FileChannel shard : shards)
            {
                shard.close();
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
