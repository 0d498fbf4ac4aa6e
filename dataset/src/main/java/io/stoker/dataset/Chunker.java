package io.stoker.dataset;

import io.stoker.dataset.format.RecordSink;
import io.stoker.dataset.format.ShardInput;
import org.agrona.collections.IntArrayList;
import org.agrona.collections.LongArrayList;

/**
 * Groups the records a format reports into chunks, greedily: a chunk takes consecutive records of one shard while
 * they stay within the target size, and a record larger than the target is a chunk of its own. A gap between
 * records (e.g. a directory entry in a tar file) also ends a chunk, so records in a chunk are back to back and a
 * record's length is the distance to the next. Each chunk's CRC32C is computed over its whole range as it is closed.
 * <p>
 * Strided records longer than their stride (the overlapping samples of {@code megatron:...:seq:N}) are grouped the
 * same way: a chunk of k of them spans (k - 1) strides and one record, and the next chunk starts where the next
 * record does, inside the chunk before.
 */
final class Chunker implements RecordSink
{
    private final int target;
    private final boolean storeOffsets;
    private final Crc32c crc = new Crc32c();
    private final IntArrayList chunkShard = new IntArrayList();
    private final LongArrayList chunkOffset = new LongArrayList();
    private final IntArrayList chunkLength = new IntArrayList();
    private final IntArrayList chunkRecordCount = new IntArrayList();
    private final IntArrayList chunkCrc = new IntArrayList();
    private final IntArrayList recordOffsets = new IntArrayList();
    private long totalRecords;

    private ShardInput shard;
    private int shardIndex;
    private long start = -1;
    private long end;
    private long nextRecord;
    private int records;

    /**
     * @param target       chunk size target in bytes.
     * @param storeOffsets whether to keep each record's offset, for formats whose records vary in size.
     */
    Chunker(final int target, final boolean storeOffsets)
    {
        this.target = target;
        this.storeOffsets = storeOffsets;
    }

    /**
     * Starts a shard.
     *
     * @param shardIndex index of the shard in the manifest.
     * @param shard      the shard file, read to compute the chunk CRCs; not used for anything else meanwhile.
     */
    void beginShard(final int shardIndex, final ShardInput shard)
    {
        this.shardIndex = shardIndex;
        this.shard = shard;
    }

    @Override
    public void onRecords(final long offset, final int length, final long count)
    {
        onStridedRecords(offset, length, length, count);
    }

    @Override
    public void onStridedRecords(final long offset, final int stride, final int length, final long count)
    {
        long next = offset;
        long left = count;
        while (left > 0)
        {
            if (start >= 0 && (next != nextRecord || next + length - start > target || records == Integer.MAX_VALUE))
            {
                closeChunk();
            }

            if (start < 0)
            {
                start = next;
            }

            // Records that fit from here: the first ends at next + length, each further one a stride later.
            final long room = Math.max(1, (target - (next + length - start)) / stride + 1);
            final int n = (int)Math.min(Math.min(left, room), Integer.MAX_VALUE - records);
            if (storeOffsets)
            {
                for (int i = 0; i < n; i++)
                {
                    recordOffsets.addInt((int)(next - start + (long)i * stride));
                }
            }

            records += n;
            end = next + (n - 1L) * stride + length;
            next += (long)n * stride;
            nextRecord = next;
            left -= n;
        }

        totalRecords += count;
    }

    /**
     * Ends the shard, closing its last chunk.
     */
    void endShard()
    {
        closeChunk();
        shard = null;
    }

    long totalRecords()
    {
        return totalRecords;
    }

    Manifest build(final FormatSpec format, final String[] shardPaths, final long[] shardLengths)
    {
        return new Manifest(format, target, shardPaths, shardLengths, chunkShard.toIntArray(),
            chunkOffset.toLongArray(), chunkLength.toIntArray(), chunkRecordCount.toIntArray(), chunkCrc.toIntArray(),
            storeOffsets ? recordOffsets.toIntArray() : null);
    }

    private void closeChunk()
    {
        if (start < 0)
        {
            return;
        }

        final int length = (int)(end - start);
        final int index = shard.map(start, length);
        chunkShard.addInt(shardIndex);
        chunkOffset.addLong(start);
        chunkLength.addInt(length);
        chunkRecordCount.addInt(records);
        chunkCrc.addInt(crc.compute(shard.buffer(), index, length));
        start = -1;
        records = 0;
    }
}
