package io.stoker.dataset;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What a worker needs of a dataset to plan its stream, without where any chunk is: the format, the longest chunk
 * (its pool's buffer size), the shard files (their names for error messages, their lengths to check descriptors
 * against) and every chunk's record count. Where each chunk is, and its CRC32C, comes in a {@link ChunkDescriptors}
 * entry ahead of the steps that use it.
 * <p>
 * The binary form, little-endian, sent by the coordinator in parts: int version (1); int n, n bytes: format as text
 * (UTF-8); int chunk size target; int longest chunk; long total bytes; int shard count, then per shard: int n, n
 * bytes: name (UTF-8), long length, int chunk count; int run count, then per run: int chunks, int records of each
 * — the record counts in chunk order, run-length coded (a shard's chunks hold equal counts but its last: a few
 * runs a shard).
 * <p>
 * Immutable.
 */
public final class DatasetLayout
{
    /** Version of the binary form. */
    public static final int VERSION = 1;
    /** Most chunks a layout read from a peer may have (a manifest of the largest size a peer may send has fewer). */
    public static final int MAX_CHUNKS = 1 << 24;

    private final FormatSpec format;
    private final int chunkSizeTarget;
    private final int maxChunkLength;
    private final long totalBytes;
    private final String[] shardNames;
    private final long[] shardLengths;
    private final int[] shardChunks;
    private final int[] recordCounts;
    private final int[] chunkShard;
    private final long totalRecords;

    private DatasetLayout(
        final FormatSpec format,
        final int chunkSizeTarget,
        final int maxChunkLength,
        final long totalBytes,
        final String[] shardNames,
        final long[] shardLengths,
        final int[] shardChunks,
        final int[] recordCounts)
    {
        this.format = format;
        this.chunkSizeTarget = chunkSizeTarget;
        this.maxChunkLength = maxChunkLength;
        this.totalBytes = totalBytes;
        this.shardNames = shardNames;
        this.shardLengths = shardLengths;
        this.shardChunks = shardChunks;
        this.recordCounts = recordCounts;
        chunkShard = new int[recordCounts.length];
        for (int shard = 0, chunk = 0; shard < shardChunks.length; shard++)
        {
            Arrays.fill(chunkShard, chunk, chunk + shardChunks[shard], shard);
            chunk += shardChunks[shard];
        }
        long records = 0;
        for (final int count : recordCounts)
        {
            records += count;
        }
        totalRecords = records;
    }

    /**
     * @return the layout of a manifest's dataset.
     */
    public static DatasetLayout of(final Manifest manifest)
    {
        final int shards = manifest.shardCount();
        final String[] names = new String[shards];
        final long[] lengths = new long[shards];
        final int[] chunks = new int[shards];
        for (int shard = 0; shard < shards; shard++)
        {
            names[shard] = manifest.shardPath(shard);
            lengths[shard] = manifest.shardLength(shard);
        }
        final int[] counts = new int[manifest.chunkCount()];
        for (int chunkId = 0; chunkId < counts.length; chunkId++)
        {
            counts[chunkId] = manifest.chunkRecordCount(chunkId);
            chunks[manifest.chunkShard(chunkId)]++;
        }
        return new DatasetLayout(manifest.format(), manifest.chunkSizeTarget(), manifest.maxChunkLength(),
            manifest.totalBytes(), names, lengths, chunks, counts);
    }

    /**
     * @return the binary form, see the class description.
     */
    public byte[] toBytes()
    {
        final byte[] formatBytes = format.toString().getBytes(StandardCharsets.UTF_8);
        final byte[][] names = new byte[shardNames.length][];
        long size = 3L * Integer.BYTES + formatBytes.length + Integer.BYTES + Long.BYTES + Integer.BYTES;
        for (int shard = 0; shard < names.length; shard++)
        {
            names[shard] = shardNames[shard].getBytes(StandardCharsets.UTF_8);
            size += Integer.BYTES + names[shard].length + Long.BYTES + Integer.BYTES;
        }
        final int runs = runCount();
        size += Integer.BYTES + 2L * Integer.BYTES * runs;
        if (size > Integer.MAX_VALUE - 8)
        {
            throw new IllegalStateException("dataset layout of " + size + " bytes is too large to encode");
        }
        final ByteBuffer out = ByteBuffer.allocate((int)size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(VERSION).putInt(formatBytes.length).put(formatBytes);
        out.putInt(chunkSizeTarget).putInt(maxChunkLength).putLong(totalBytes).putInt(names.length);
        for (int shard = 0; shard < names.length; shard++)
        {
            out.putInt(names[shard].length).put(names[shard]).putLong(shardLengths[shard]).putInt(shardChunks[shard]);
        }
        out.putInt(runs);
        for (int chunk = 0; chunk < recordCounts.length; )
        {
            final int start = chunk;
            while (chunk < recordCounts.length && recordCounts[chunk] == recordCounts[start])
            {
                chunk++;
            }
            out.putInt(chunk - start).putInt(recordCounts[start]);
        }
        return out.array();
    }

    /**
     * Read the binary form from a peer: every count and length is checked against the bytes there are, so hostile
     * bytes give a {@link DatasetException} and never a large allocation.
     *
     * @param bytes      the binary form.
     * @param length     bytes of it from index 0.
     * @param sourceName what the bytes are, for error messages.
     * @return the layout.
     * @throws DatasetException naming the source and the offset when the bytes are not a layout.
     */
    public static DatasetLayout fromBytes(final byte[] bytes, final int length, final String sourceName)
    {
        final ByteBuffer in = ByteBuffer.wrap(bytes, 0, length).order(ByteOrder.LITTLE_ENDIAN);
        try
        {
            final int version = in.getInt();
            if (version != VERSION)
            {
                throw new DatasetException(sourceName, 0, "version " + version + " is not " + VERSION);
            }
            final FormatSpec format;
            try
            {
                format = FormatSpec.parse(string(in, sourceName));
            }
            catch (final IllegalArgumentException ex)
            {
                throw new DatasetException(sourceName, in.position(), ex.getMessage());
            }
            final int chunkSizeTarget = in.getInt();
            final int maxChunkLength = in.getInt();
            final long totalBytes = in.getLong();
            if (maxChunkLength < 1 || totalBytes < 0)
            {
                throw new DatasetException(sourceName, in.position(), "longest chunk " + maxChunkLength +
                    " bytes, " + totalBytes + " bytes in all");
            }
            final int shards = count(in, Integer.BYTES + Long.BYTES + Integer.BYTES, sourceName);
            final String[] names = new String[shards];
            final long[] lengths = new long[shards];
            final int[] chunks = new int[shards];
            long chunkCount = 0;
            for (int shard = 0; shard < shards; shard++)
            {
                names[shard] = string(in, sourceName);
                lengths[shard] = in.getLong();
                chunks[shard] = in.getInt();
                if (lengths[shard] < 0 || chunks[shard] < 0)
                {
                    throw new DatasetException(sourceName, in.position(), "shard " + shard + " of " +
                        lengths[shard] + " bytes in " + chunks[shard] + " chunks");
                }
                chunkCount += chunks[shard];
            }
            if (chunkCount > MAX_CHUNKS)
            {
                throw new DatasetException(sourceName, in.position(), chunkCount + " chunks, more than " +
                    MAX_CHUNKS);
            }
            final int runs = count(in, 2 * Integer.BYTES, sourceName);
            final int[] counts = new int[(int)chunkCount];
            int chunk = 0;
            for (int run = 0; run < runs; run++)
            {
                final int runChunks = in.getInt();
                final int records = in.getInt();
                if (runChunks < 1 || runChunks > counts.length - chunk || records < 1)
                {
                    throw new DatasetException(sourceName, in.position(), "a run of " + runChunks + " chunks of " +
                        records + " records after chunk " + chunk + " of " + counts.length);
                }
                Arrays.fill(counts, chunk, chunk + runChunks, records);
                chunk += runChunks;
            }
            if (chunk != counts.length || in.hasRemaining())
            {
                throw new DatasetException(sourceName, in.position(), "runs give " + chunk + " chunks of " +
                    counts.length + ", " + in.remaining() + " bytes left");
            }
            return new DatasetLayout(format, chunkSizeTarget, maxChunkLength, totalBytes, names, lengths, chunks,
                counts);
        }
        catch (final BufferUnderflowException ex)
        {
            throw new DatasetException(sourceName, in.position(), "truncated");
        }
    }

    /**
     * @return the record format.
     */
    public FormatSpec format()
    {
        return format;
    }

    /**
     * @return the chunk size the dataset was chunked for.
     */
    public int chunkSizeTarget()
    {
        return chunkSizeTarget;
    }

    /**
     * @return bytes of the longest chunk: a buffer this long holds any chunk.
     */
    public int maxChunkLength()
    {
        return maxChunkLength;
    }

    /**
     * @return bytes of every chunk together.
     */
    public long totalBytes()
    {
        return totalBytes;
    }

    /**
     * @return records of every chunk together.
     */
    public long totalRecords()
    {
        return totalRecords;
    }

    /**
     * @return number of shard files.
     */
    public int shardCount()
    {
        return shardNames.length;
    }

    /**
     * @return a shard file's path, relative to the dataset directory.
     */
    public String shardName(final int shard)
    {
        return shardNames[shard];
    }

    /**
     * @return a shard file's length in bytes: no chunk of it passes this.
     */
    public long shardLength(final int shard)
    {
        return shardLengths[shard];
    }

    /**
     * @return number of chunks.
     */
    public int chunkCount()
    {
        return recordCounts.length;
    }

    /**
     * @return the shard a chunk is of (chunks are numbered in shard order).
     */
    public int chunkShard(final int chunkId)
    {
        return chunkShard[chunkId];
    }

    /**
     * @return records of a chunk.
     */
    public int recordCount(final int chunkId)
    {
        return recordCounts[chunkId];
    }

    /**
     * @return a copy of every chunk's record count, in chunk order.
     */
    public int[] recordCounts()
    {
        return recordCounts.clone();
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof DatasetLayout that && format.equals(that.format) &&
            chunkSizeTarget == that.chunkSizeTarget && maxChunkLength == that.maxChunkLength &&
            totalBytes == that.totalBytes && Arrays.equals(shardNames, that.shardNames) &&
            Arrays.equals(shardLengths, that.shardLengths) && Arrays.equals(shardChunks, that.shardChunks) &&
            Arrays.equals(recordCounts, that.recordCounts);
    }

    @Override
    public int hashCode()
    {
        return 31 * format.hashCode() + Arrays.hashCode(recordCounts);
    }

    @Override
    public String toString()
    {
        return "DatasetLayout{" + format + ", " + shardNames.length + " shards, " + recordCounts.length + " chunks}";
    }

    private int runCount()
    {
        int runs = 0;
        for (int chunk = 0; chunk < recordCounts.length; chunk++)
        {
            if (0 == chunk || recordCounts[chunk] != recordCounts[chunk - 1])
            {
                runs++;
            }
        }
        return runs;
    }

    private static int count(final ByteBuffer in, final int minBytesEach, final String sourceName)
    {
        final int count = in.getInt();
        if (count < 0 || (long)count * minBytesEach > in.remaining())
        {
            throw new DatasetException(sourceName, in.position(), "count " + count + " does not fit the " +
                in.remaining() + " bytes left");
        }
        return count;
    }

    private static String string(final ByteBuffer in, final String sourceName)
    {
        final int length = count(in, 1, sourceName);
        final byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
