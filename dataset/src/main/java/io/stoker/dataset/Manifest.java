package io.stoker.dataset;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The chunk table of a dataset: its format, its shard files, and for every chunk the shard, byte range, record
 * count and CRC32C, plus where each record starts. Chunks are numbered from 0 in shard and offset order; records
 * are numbered from 0 across the dataset.
 * <p>
 * Immutable and thread-safe. The table lives in primitive arrays, so millions of chunks and tens of millions of
 * records cost tens of bytes and a few bytes each. Formats with fixed-size records ({@link FormatSpec#fixedStride()})
 * and formats whose chunks' bytes tell where records start ({@link FormatSpec#boundariesInData()}: TFRecord, tar)
 * store no per-record data ({@link ChunkRecords} finds the boundaries); the others store one int offset per record.
 * <p>
 * Chunks of one shard do not overlap, with one exception: the samples of {@code megatron:...:seq:N} are N + 1 tokens
 * starting every N tokens, so a chunk of k samples is k * N + 1 tokens and the next chunk starts at its last token.
 * Each chunk's bytes, CRC32C and length are those of its whole range, shared token included.
 * <p>
 * The binary form, little-endian throughout:
 * <pre>
 *   magic "STKMANI1", int version (2), long total length in bytes
 *   int n, n bytes: format as text (UTF-8)
 *   int chunk size target
 *   int shard count, then per shard: int n, n bytes: path (UTF-8), long length
 *   int chunk count, then per chunk: int shard, long offset, int length, int record count, int CRC32C
 *   int record offset count, then per record: int offset from the start of its chunk (none unless
 *   {@link FormatSpec#storesRecordOffsets()})
 *   int CRC32C of all the bytes before it
 * </pre>
 */
public final class Manifest
{
    /** Name of the manifest file in a dataset directory. */
    public static final String FILE_NAME = "stoker.manifest";
    /** Version of the binary form written and read. */
    public static final int VERSION = 2;

    private static final byte[] MAGIC = "STKMANI1".getBytes(StandardCharsets.US_ASCII);
    private static final int CHUNK_ENTRY_BYTES = 3 * Integer.BYTES + Long.BYTES + Integer.BYTES;

    private final FormatSpec format;
    private final int chunkSizeTarget;
    private final String[] shardPaths;
    private final long[] shardLengths;
    private final int[] chunkShard;
    private final long[] chunkOffset;
    private final int[] chunkLength;
    private final int[] chunkRecordCount;
    private final int[] chunkCrc;
    private final long[] chunkFirstRecord;
    private final int[] recordOffsets;
    private final long totalBytes;
    private final long totalRecords;
    private final int minChunkLength;
    private final int maxChunkLength;
    private volatile String datasetId;

    /**
     * Takes ownership of the arrays, which the caller has checked.
     */
    Manifest(
        final FormatSpec format,
        final int chunkSizeTarget,
        final String[] shardPaths,
        final long[] shardLengths,
        final int[] chunkShard,
        final long[] chunkOffset,
        final int[] chunkLength,
        final int[] chunkRecordCount,
        final int[] chunkCrc,
        final int[] recordOffsets)
    {
        this.format = format;
        this.chunkSizeTarget = chunkSizeTarget;
        this.shardPaths = shardPaths;
        this.shardLengths = shardLengths;
        this.chunkShard = chunkShard;
        this.chunkOffset = chunkOffset;
        this.chunkLength = chunkLength;
        this.chunkRecordCount = chunkRecordCount;
        this.chunkCrc = chunkCrc;
        this.recordOffsets = recordOffsets;

        chunkFirstRecord = new long[chunkLength.length];
        long bytes = 0;
        long records = 0;
        int min = chunkLength.length > 0 ? Integer.MAX_VALUE : 0;
        int max = 0;
        for (int i = 0; i < chunkLength.length; i++)
        {
            chunkFirstRecord[i] = records;
            records += chunkRecordCount[i];
            bytes += chunkLength[i];
            min = Math.min(min, chunkLength[i]);
            max = Math.max(max, chunkLength[i]);
        }

        totalBytes = bytes;
        totalRecords = records;
        minChunkLength = min;
        maxChunkLength = max;
    }

    /**
     * Reads a manifest file.
     *
     * @param file the manifest file.
     * @return the manifest.
     * @throws DatasetException naming the file, and the offset where one applies, when the file cannot be read or
     *                          is not a regular file, is corrupt, truncated or of another version.
     */
    public static Manifest read(final Path file)
    {
        RegularFiles.require(file);
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot read", ex);
        }

        return new Decoder(new UnsafeBuffer(bytes), 0, bytes.length, file, file.toString()).decode();
    }

    /**
     * A manifest of chunks the caller lays out instead of indexing shard files: what a simulation of a cluster
     * serves (nothing reads the shards it names). It is checked exactly as a manifest read from bytes is, by
     * encoding it and decoding it again. Record offsets are those of the format's fixed stride.
     *
     * @param format           the records' format; it must have a fixed stride.
     * @param chunkSizeTarget  the chunk size target the layout claims.
     * @param shardPaths       each shard's path, relative to the dataset directory.
     * @param shardLengths     each shard's length in bytes.
     * @param chunkShard       each chunk's shard.
     * @param chunkOffset      each chunk's offset in its shard.
     * @param chunkLength      each chunk's length.
     * @param chunkRecordCount each chunk's records.
     * @param chunkCrc         each chunk's CRC32C, as claimed.
     * @return the manifest.
     * @throws DatasetException when the layout is not a valid manifest.
     */
    public static Manifest ofLayout(
        final FormatSpec format,
        final int chunkSizeTarget,
        final String[] shardPaths,
        final long[] shardLengths,
        final int[] chunkShard,
        final long[] chunkOffset,
        final int[] chunkLength,
        final int[] chunkRecordCount,
        final int[] chunkCrc)
    {
        if (!format.fixedStride())
        {
            throw new DatasetException("a laid-out manifest", 0, "format " + format + " has no fixed stride");
        }
        final byte[] bytes = new Manifest(format, chunkSizeTarget, shardPaths.clone(), shardLengths.clone(),
            chunkShard.clone(), chunkOffset.clone(), chunkLength.clone(), chunkRecordCount.clone(), chunkCrc.clone(),
            null).toBytes();
        return fromBytes(new UnsafeBuffer(bytes), 0, bytes.length, "a laid-out manifest");
    }

    /**
     * Decodes a manifest from its binary form, e.g. as received over the network.
     *
     * @param buffer     holding the manifest.
     * @param offset     where the manifest starts in the buffer.
     * @param length     bytes of the manifest.
     * @param sourceName where the bytes came from, used in error messages.
     * @return the manifest.
     * @throws DatasetException naming the source and the offset within the manifest bytes when they are corrupt,
     *                          truncated or of another version.
     */
    public static Manifest fromBytes(
        final DirectBuffer buffer, final int offset, final int length, final String sourceName)
    {
        return new Decoder(buffer, offset, length, null, sourceName).decode();
    }

    /**
     * The binary form, see the class description.
     *
     * @return a new array holding the binary form.
     */
    public byte[] toBytes()
    {
        final byte[] formatBytes = format.toString().getBytes(StandardCharsets.UTF_8);
        final byte[][] pathBytes = new byte[shardPaths.length][];
        long size = MAGIC.length + Integer.BYTES + Long.BYTES + Integer.BYTES + formatBytes.length + 2 * Integer.BYTES;
        for (int i = 0; i < shardPaths.length; i++)
        {
            pathBytes[i] = shardPaths[i].getBytes(StandardCharsets.UTF_8);
            size += Integer.BYTES + pathBytes[i].length + Long.BYTES;
        }

        final int offsetCount = null == recordOffsets ? 0 : recordOffsets.length;
        size += Integer.BYTES + (long)CHUNK_ENTRY_BYTES * chunkLength.length;
        size += Integer.BYTES + (long)Integer.BYTES * offsetCount + Integer.BYTES;
        if (size > Integer.MAX_VALUE - 8)
        {
            throw new IllegalStateException("manifest of " + size + " bytes is too large to encode");
        }

        final ByteBuffer out = ByteBuffer.allocate((int)size).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).putInt(VERSION).putLong(size);
        out.putInt(formatBytes.length).put(formatBytes);
        out.putInt(chunkSizeTarget);
        out.putInt(shardPaths.length);
        for (int i = 0; i < shardPaths.length; i++)
        {
            out.putInt(pathBytes[i].length).put(pathBytes[i]).putLong(shardLengths[i]);
        }

        out.putInt(chunkLength.length);
        for (int i = 0; i < chunkLength.length; i++)
        {
            out.putInt(chunkShard[i]).putLong(chunkOffset[i]).putInt(chunkLength[i]).putInt(chunkRecordCount[i])
                .putInt(chunkCrc[i]);
        }

        out.putInt(offsetCount);
        for (int i = 0; i < offsetCount; i++)
        {
            out.putInt(recordOffsets[i]);
        }

        out.putInt(new Crc32c().compute(out, 0, out.position()));
        return out.array();
    }

    /**
     * Writes the manifest to a file atomically: to a temporary file in the same directory, synced, then renamed
     * over the target.
     *
     * @param file where to write, usually {@code <dataset dir>/stoker.manifest}.
     * @throws DatasetException naming the file when it cannot be written.
     */
    public void write(final Path file)
    {
        final byte[] bytes = toBytes();
        final Path dir = file.toAbsolutePath().getParent();
        final Path temp = dir.resolve(
            "." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        try
        {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
            {
                final ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining())
                {
                    channel.write(buffer);
                }
                channel.force(true);
            }

            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(dir);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot write", ex);
        }
        finally
        {
            try
            {
                Files.deleteIfExists(temp);
            }
            catch (final IOException ignore)
            {
                // The temporary file is hidden, so a leftover does no harm to indexing.
            }
        }
    }

    /**
     * The record format.
     *
     * @return the record format; for {@code npy}, with the dtype and columns found in the files.
     */
    public FormatSpec format()
    {
        return format;
    }

    /**
     * The chunk size the dataset was chunked for.
     *
     * @return the chunk size target in bytes.
     */
    public int chunkSizeTarget()
    {
        return chunkSizeTarget;
    }

    /**
     * Number of shard files.
     *
     * @return number of shard files.
     */
    public int shardCount()
    {
        return shardPaths.length;
    }

    /**
     * Path of a shard file.
     *
     * @param shard shard index.
     * @return the path relative to the dataset directory.
     */
    public String shardPath(final int shard)
    {
        return shardPaths[shard];
    }

    /**
     * Length of a shard file when it was indexed.
     *
     * @param shard shard index.
     * @return length in bytes.
     */
    public long shardLength(final int shard)
    {
        return shardLengths[shard];
    }

    /**
     * Number of chunks; chunk ids run from 0 to this less one.
     *
     * @return number of chunks.
     */
    public int chunkCount()
    {
        return chunkLength.length;
    }

    /**
     * The shard holding a chunk.
     *
     * @param chunkId chunk number.
     * @return index of the shard, see {@link #shardPath(int)}.
     */
    public int chunkShard(final int chunkId)
    {
        return chunkShard[chunkId];
    }

    /**
     * Where a chunk starts.
     *
     * @param chunkId chunk number.
     * @return byte offset of the chunk in its shard file.
     */
    public long chunkOffset(final int chunkId)
    {
        return chunkOffset[chunkId];
    }

    /**
     * How long a chunk is.
     *
     * @param chunkId chunk number.
     * @return bytes in the chunk.
     */
    public int chunkLength(final int chunkId)
    {
        return chunkLength[chunkId];
    }

    /**
     * How many records a chunk holds.
     *
     * @param chunkId chunk number.
     * @return number of records in the chunk, at least one.
     */
    public int chunkRecordCount(final int chunkId)
    {
        return chunkRecordCount[chunkId];
    }

    /**
     * CRC32C of a chunk's bytes, as {@link Crc32c} computes it.
     *
     * @param chunkId chunk number.
     * @return the CRC32C.
     */
    public int chunkCrc(final int chunkId)
    {
        return chunkCrc[chunkId];
    }

    /**
     * The dataset-wide number of a chunk's first record.
     *
     * @param chunkId chunk number.
     * @return index of the chunk's first record in the dataset.
     */
    public long chunkFirstRecord(final int chunkId)
    {
        return chunkFirstRecord[chunkId];
    }

    /**
     * Fills a table with where each record of a chunk starts and how long it is, without allocating, for a format
     * whose boundaries are not in the data: {@link ChunkRecords} finds those in the chunk's bytes.
     *
     * @param chunkId chunk number.
     * @param table   to fill.
     */
    void recordsOf(final int chunkId, final RecordTable table)
    {
        if (format.boundariesInData())
        {
            throw new IllegalStateException("the records of a " + format.kind() + " chunk are found in its bytes");
        }
        if (null == recordOffsets)
        {
            table.wrapStride(chunkRecordCount[chunkId], format.recordStride(), format.recordSize());
        }
        else
        {
            table.wrapOffsets(
                recordOffsets, (int)chunkFirstRecord[chunkId], chunkRecordCount[chunkId], chunkLength[chunkId]);
        }
    }

    /**
     * Length of the longest chunk, the buffer size that holds any chunk.
     *
     * @return bytes in the longest chunk.
     */
    public int maxChunkLength()
    {
        return maxChunkLength;
    }

    /**
     * Length of the shortest chunk.
     *
     * @return bytes in the shortest chunk.
     */
    public int minChunkLength()
    {
        return minChunkLength;
    }

    /**
     * Bytes in all chunks, what an epoch delivers: the bytes of all records, plus any bytes between records inside a
     * chunk, with the token consecutive {@code megatron:...:seq:N} chunks share counted in each.
     *
     * @return sum of the chunk lengths.
     */
    public long totalBytes()
    {
        return totalBytes;
    }

    /**
     * Number of records in the dataset.
     *
     * @return number of records.
     */
    public long totalRecords()
    {
        return totalRecords;
    }

    /**
     * A short id of the dataset as indexed: 16 hex digits hashed from the manifest's binary form, so equal on
     * every machine for the same files, format and chunk size, and different when any of them changes.
     *
     * @return 16 lower-case hex digits.
     */
    public String datasetId()
    {
        String id = datasetId;
        if (null == id)
        {
            id = String.format(Locale.ROOT, "%016x", hash(toBytes()));
            datasetId = id;
        }

        return id;
    }

    /**
     * A summary for people, a few lines.
     *
     * @return format, shards, bytes, records, chunks, chunk sizes and dataset id, one per line.
     */
    public String describe()
    {
        final long shardBytes = Arrays.stream(shardLengths).sum();
        final long meanChunk = chunkLength.length == 0 ? 0 : totalBytes / chunkLength.length;
        return "dataset id  " + datasetId() + "\n" +
            "format      " + format + "\n" +
            "shards      " + shardPaths.length + ", " + Sizes.format(shardBytes) + "\n" +
            "records     " + totalRecords + ", " + Sizes.format(totalBytes) + "\n" +
            "chunks      " + chunkLength.length + " for a target of " + Sizes.format(chunkSizeTarget) +
            ": min " + Sizes.format(minChunkLength) + ", mean " + Sizes.format(meanChunk) +
            ", max " + Sizes.format(maxChunkLength) + "\n";
    }

    @Override
    public boolean equals(final Object other)
    {
        if (this == other)
        {
            return true;
        }

        if (!(other instanceof Manifest))
        {
            return false;
        }

        final Manifest that = (Manifest)other;
        return chunkSizeTarget == that.chunkSizeTarget &&
            format.equals(that.format) &&
            Arrays.equals(shardPaths, that.shardPaths) &&
            Arrays.equals(shardLengths, that.shardLengths) &&
            Arrays.equals(chunkShard, that.chunkShard) &&
            Arrays.equals(chunkOffset, that.chunkOffset) &&
            Arrays.equals(chunkLength, that.chunkLength) &&
            Arrays.equals(chunkRecordCount, that.chunkRecordCount) &&
            Arrays.equals(chunkCrc, that.chunkCrc) &&
            Arrays.equals(recordOffsets, that.recordOffsets);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(format, chunkSizeTarget, totalBytes, totalRecords, Arrays.hashCode(chunkCrc));
    }

    @Override
    public String toString()
    {
        return "Manifest{" + format + ", " + shardPaths.length + " shards, " + chunkLength.length + " chunks, " +
            totalRecords + " records, " + totalBytes + " bytes}";
    }

    private static long hash(final byte[] bytes)
    {
        final ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long hash = bytes.length;
        int i = 0;
        for (; i + Long.BYTES <= bytes.length; i += Long.BYTES)
        {
            hash = SplitMix64.mix(hash ^ buffer.getLong(i)) + i;
        }

        long tail = 0;
        for (int shift = 0; i < bytes.length; i++, shift += 8)
        {
            tail |= (bytes[i] & 0xFFL) << shift;
        }

        return SplitMix64.mix(hash ^ tail);
    }

    private static void syncDirectory(final Path dir)
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
        catch (final IOException ignore)
        {
            // Not every platform can open or sync a directory; the rename itself is still atomic there.
        }
    }

    /**
     * Reads and checks the binary form; every problem is a {@link DatasetException} at the offending offset.
     */
    private static final class Decoder
    {
        private final DirectBuffer buffer;
        private final int base;
        private final int length;
        private final Path file;
        private final String source;
        private int position;

        Decoder(final DirectBuffer buffer, final int base, final int length, final Path file, final String source)
        {
            this.buffer = buffer;
            this.base = base;
            this.length = length;
            this.file = file;
            this.source = source;
            buffer.boundsCheck(base, length);
        }

        Manifest decode()
        {
            for (int i = 0; i < MAGIC.length; i++)
            {
                need(1, "magic");
                if (buffer.getByte(base + position++) != MAGIC[i])
                {
                    throw error(i, "not a Stoker manifest: bad magic");
                }
            }

            final int version = int32("version");
            if (version != VERSION)
            {
                throw error(MAGIC.length, "unsupported manifest version " + version + ", expected " + VERSION);
            }

            final long declaredLength = int64("length");
            if (declaredLength > length)
            {
                throw error(length, "truncated manifest: " + length + " of " + declaredLength + " bytes");
            }

            if (declaredLength < length)
            {
                throw error(Math.max(declaredLength, position), (length - declaredLength) +
                    " bytes after the end of the manifest");
            }

            final int crcPosition = length - Integer.BYTES;
            if (crcPosition < position)
            {
                throw error(position, "manifest too short");
            }

            final int storedCrc = buffer.getInt(base + crcPosition, ByteOrder.LITTLE_ENDIAN);
            final int crc = new Crc32c().compute(buffer, base, crcPosition);
            if (crc != storedCrc)
            {
                throw error(crcPosition, String.format(Locale.ROOT,
                    "manifest checksum mismatch: stored 0x%08x, computed 0x%08x", storedCrc, crc));
            }

            final FormatSpec format = format();
            final int chunkSizeTarget = int32("chunk size target");
            final int shardCount = count("shard count", Integer.BYTES + Long.BYTES);
            final String[] shardPaths = new String[shardCount];
            final long[] shardLengths = new long[shardCount];
            for (int i = 0; i < shardCount; i++)
            {
                shardPaths[i] = shardPath();
                final int lengthPosition = position;
                shardLengths[i] = int64("shard length");
                if (shardLengths[i] < 0)
                {
                    throw error(lengthPosition, "negative shard length");
                }
            }

            final int chunkCount = count("chunk count", CHUNK_ENTRY_BYTES);
            final int[] chunkShard = new int[chunkCount];
            final long[] chunkOffset = new long[chunkCount];
            final int[] chunkLength = new int[chunkCount];
            final int[] chunkRecordCount = new int[chunkCount];
            final int[] chunkCrc = new int[chunkCount];
            final int[] chunkPosition = new int[chunkCount];
            long totalRecords = 0;
            for (int i = 0; i < chunkCount; i++)
            {
                chunkPosition[i] = position;
                chunkShard[i] = int32("chunk shard");
                chunkOffset[i] = int64("chunk offset");
                chunkLength[i] = int32("chunk length");
                chunkRecordCount[i] = int32("chunk record count");
                chunkCrc[i] = int32("chunk CRC");
                checkChunk(format, shardLengths, chunkShard[i], chunkOffset[i], chunkLength[i], chunkRecordCount[i],
                    chunkPosition[i]);
                totalRecords += chunkRecordCount[i];
            }

            final int offsetsPosition = position;
            final int offsetCount = count("record offset count", Integer.BYTES);
            final long expectedOffsets = format.storesRecordOffsets() ? totalRecords : 0;
            if (offsetCount != expectedOffsets)
            {
                throw error(offsetsPosition, offsetCount + " record offsets, expected " + expectedOffsets);
            }

            int[] recordOffsets = null;
            if (format.storesRecordOffsets())
            {
                recordOffsets = new int[offsetCount];
                for (int i = 0; i < offsetCount; i++)
                {
                    recordOffsets[i] = int32("record offset");
                }

                checkRecordOffsets(recordOffsets, chunkLength, chunkRecordCount, offsetsPosition + Integer.BYTES);
            }

            if (position != crcPosition)
            {
                throw error(position, (crcPosition - position) + " unexpected bytes before the checksum");
            }

            return new Manifest(format, chunkSizeTarget, shardPaths, shardLengths, chunkShard, chunkOffset,
                chunkLength, chunkRecordCount, chunkCrc, recordOffsets);
        }

        private FormatSpec format()
        {
            final int formatPosition = position;
            final String text = string("format");
            try
            {
                return FormatSpec.parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                throw error(formatPosition, ex.getMessage());
            }
        }

        private String shardPath()
        {
            final int pathPosition = position;
            final String path = string("shard path");
            boolean safe;
            try
            {
                final Path parsed = Path.of(path);
                safe = !path.isEmpty() && !parsed.isAbsolute() && !parsed.normalize().startsWith("..");
            }
            catch (final InvalidPathException ex)
            {
                safe = false;
            }

            if (!safe)
            {
                throw error(pathPosition, "shard path '" + path + "' is not a relative path inside the dataset");
            }

            return path;
        }

        private void checkChunk(
            final FormatSpec format,
            final long[] shardLengths,
            final int shard,
            final long offset,
            final int chunkLength,
            final int recordCount,
            final int at)
        {
            if (shard < 0 || shard >= shardLengths.length)
            {
                throw error(at, "chunk names shard " + shard + " of " + shardLengths.length);
            }

            if (chunkLength < 1 || recordCount < 1 || offset < 0 || offset > shardLengths[shard] - chunkLength)
            {
                throw error(at, "chunk of " + chunkLength + " bytes and " + recordCount + " records at offset " +
                    offset + " does not fit shard " + shard + " of " + shardLengths[shard] + " bytes");
            }

            if (format.fixedStride() &&
                (recordCount - 1L) * format.recordStride() + format.recordSize() != chunkLength)
            {
                throw error(at, "chunk of " + chunkLength + " bytes does not hold " + recordCount + " records of " +
                    format.recordSize() + " bytes" + (format.recordStride() == format.recordSize() ? "" :
                    " every " + format.recordStride() + " bytes"));
            }
        }

        private void checkRecordOffsets(
            final int[] offsets, final int[] chunkLength, final int[] chunkRecordCount, final int offsetsStart)
        {
            int record = 0;
            for (int chunk = 0; chunk < chunkLength.length; chunk++)
            {
                int previous = -1;
                for (int i = 0; i < chunkRecordCount[chunk]; i++, record++)
                {
                    final int offset = offsets[record];
                    if ((i == 0 && offset != 0) || offset <= previous || offset >= chunkLength[chunk])
                    {
                        throw error(offsetsStart + (long)record * Integer.BYTES,
                            "bad offset " + offset + " of record " + i + " in chunk " + chunk);
                    }

                    previous = offset;
                }
            }
        }

        private int count(final String what, final int bytesPerEntry)
        {
            final int countPosition = position;
            final int count = int32(what);
            if (count < 0 || (long)count * bytesPerEntry > length - position)
            {
                throw error(countPosition, "bad " + what + " " + count);
            }

            return count;
        }

        private String string(final String what)
        {
            final int stringPosition = position;
            final int n = int32(what + " length");
            if (n < 0 || n > length - position)
            {
                throw error(stringPosition, "bad " + what + " length " + n);
            }

            final byte[] bytes = new byte[n];
            buffer.getBytes(base + position, bytes);
            position += n;
            return new String(bytes, StandardCharsets.UTF_8);
        }

        private int int32(final String what)
        {
            need(Integer.BYTES, what);
            final int value = buffer.getInt(base + position, ByteOrder.LITTLE_ENDIAN);
            position += Integer.BYTES;
            return value;
        }

        private long int64(final String what)
        {
            need(Long.BYTES, what);
            final long value = buffer.getLong(base + position, ByteOrder.LITTLE_ENDIAN);
            position += Long.BYTES;
            return value;
        }

        private void need(final int bytes, final String what)
        {
            if (length - position < bytes)
            {
                throw error(position, "truncated manifest: " + what + " needs " + bytes + " bytes, " +
                    (length - position) + " left");
            }
        }

        private DatasetException error(final long offset, final String reason)
        {
            return null != file ?
                new DatasetException(file, offset, reason) : new DatasetException(source, offset, reason);
        }
    }
}
