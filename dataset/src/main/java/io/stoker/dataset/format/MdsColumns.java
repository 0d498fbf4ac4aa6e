package io.stoker.dataset.format;

import java.nio.file.Path;

import com.fasterxml.jackson.core.JsonToken;
import io.stoker.dataset.DatasetException;

/**
 * The column layout of an MDS shard, from the {@code column_sizes} of the config JSON in its header: each column
 * has a fixed size or, {@code null}, a size each sample gives. A sample is a u32 size for each column of the second
 * kind, in column order, then every column's bytes (mosaicml/streaming's {@code MDSWriter.encode_sample}).
 */
final class MdsColumns
{
    private final int sizedColumns;
    private final long fixedBytes;

    private MdsColumns(final int sizedColumns, final long fixedBytes)
    {
        this.sizedColumns = sizedColumns;
        this.fixedBytes = fixedBytes;
    }

    /**
     * Reads the layout from a shard's config.
     *
     * @param file   the shard.
     * @param offset where the config starts in the shard.
     * @param json   the config.
     * @return the layout.
     * @throws DatasetException at the offset in the shard of what is wrong with the config.
     */
    static MdsColumns parse(final Path file, final long offset, final byte[] json)
    {
        try (JsonInput input = new JsonInput(file, offset, json, "MDS shard config"))
        {
            input.expect(JsonToken.START_OBJECT, "the config");
            MdsColumns columns = null;
            while (input.next() == JsonToken.FIELD_NAME)
            {
                if ("column_sizes".equals(input.text()))
                {
                    columns = parseSizes(input);
                }
                else
                {
                    input.skipValue();
                }
            }

            input.expectEnd();
            if (null == columns)
            {
                throw input.error(offset, "no column_sizes");
            }

            return columns;
        }
    }

    /**
     * Checks that a sample's bytes are its columns: its sizes and its fixed-size columns add up to its length.
     *
     * @param data   the shard.
     * @param start  where the sample starts.
     * @param length bytes of the sample.
     * @param sample the sample's index in the shard, for messages.
     * @throws DatasetException at the sample's start when they do not.
     */
    void checkSample(final ShardInput data, final long start, final long length, final long sample)
    {
        final long heads = (long)Integer.BYTES * sizedColumns;
        if (length < heads + fixedBytes)
        {
            throw new DatasetException(data.file(), start, "MDS sample " + sample + " of " + length +
                " bytes is shorter than its " + sizedColumns + " column sizes and " + fixedBytes +
                " bytes of fixed-size columns");
        }

        final int index = data.map(start, (int)heads);
        long total = heads + fixedBytes;
        for (int i = 0; i < sizedColumns; i++)
        {
            total += data.buffer().getInt(index + Integer.BYTES * i) & 0xFFFF_FFFFL;
        }

        if (total != length)
        {
            throw new DatasetException(data.file(), start, "MDS sample " + sample + " is " + length +
                " bytes but its columns take " + total);
        }
    }

    private static MdsColumns parseSizes(final JsonInput input)
    {
        input.expect(JsonToken.START_ARRAY, "column_sizes");
        int sized = 0;
        long fixed = 0;
        for (JsonToken token = input.next(); token != JsonToken.END_ARRAY; token = input.next())
        {
            if (token == JsonToken.VALUE_NULL)
            {
                sized++;
            }
            else if (token == JsonToken.VALUE_NUMBER_INT)
            {
                fixed += input.longValue("column size", 1, Integer.MAX_VALUE);
            }
            else
            {
                throw input.error("a column size is neither a whole number nor null");
            }
        }

        return new MdsColumns(sized, fixed);
    }
}
