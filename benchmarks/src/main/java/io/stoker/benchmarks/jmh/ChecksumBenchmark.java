package io.stoker.benchmarks.jmh;

import io.stoker.dataset.Crc32c;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * What a worker does to every chunk besides moving it: the CRC32C check, next to the copy of the same
 * bytes between two buffers (the memcpy it is compared with). Bytes per second = chunk / time.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "--add-opens", "java.base/jdk.internal.misc=ALL-UNNAMED" })
public class ChecksumBenchmark
{
    @Param({ "65536", "4194304" })
    int chunkLength;

    private ByteBuffer source;
    private UnsafeBuffer sourceBuffer;
    private UnsafeBuffer destination;
    private final Crc32c crc32c = new Crc32c();

    @Setup
    public void setup()
    {
        source = BufferUtil.allocateDirectAligned(chunkLength, 4096);
        sourceBuffer = new UnsafeBuffer(source);
        destination = new UnsafeBuffer(BufferUtil.allocateDirectAligned(chunkLength, 4096));
        for (int i = 0; i < chunkLength; i++)
        {
            sourceBuffer.putByte(i, (byte)(i * 31));
        }
    }

    @Benchmark
    public int crc32c()
    {
        return crc32c.compute(source, 0, chunkLength);
    }

    @Benchmark
    public UnsafeBuffer copy()
    {
        destination.putBytes(0, sourceBuffer, 0, chunkLength);
        return destination;
    }
}
