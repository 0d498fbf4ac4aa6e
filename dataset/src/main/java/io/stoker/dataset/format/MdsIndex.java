package io.stoker.dataset.format;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonToken;
import io.stoker.dataset.DatasetException;
import io.stoker.dataset.RegularFiles;

/**
 * The {@code index.json} of a MosaicML MDS dataset, as mosaicml/streaming's writers write it:
 * {@code {"version": 2, "shards": [{"format": "mds", "raw_data": {"basename", "bytes", "hashes"}, "samples",
 * "zip_data", ...}, ...]}}. Other keys are skipped.
 * <p>
 * Refused, each at the offset in the file of the value at fault: a version other than 2, a shard of another format,
 * a compressed shard ({@code zip_data} not null: Stoker serves the raw bytes of shards, so they must be decompressed
 * first), a basename that is not a plain file name or is given twice, and counts out of range.
 */
public final class MdsIndex
{
    /** Name of the index in an MDS dataset directory. */
    public static final String FILE_NAME = "index.json";
    /** Largest index read, about a million shards. */
    public static final int MAX_BYTES = 256 << 20;

    private static final int VERSION = 2;
    private static final long MAX_U32 = 0xFFFF_FFFFL;

    /**
     * One shard the index lists.
     */
    public static final class Shard
    {
        private final String basename;
        private final long bytes;
        private final long samples;
        private final long basenameOffset;
        private final long bytesOffset;
        private final long samplesOffset;

        Shard(
            final String basename,
            final long bytes,
            final long samples,
            final long basenameOffset,
            final long bytesOffset,
            final long samplesOffset)
        {
            this.basename = basename;
            this.bytes = bytes;
            this.samples = samples;
            this.basenameOffset = basenameOffset;
            this.bytesOffset = bytesOffset;
            this.samplesOffset = samplesOffset;
        }

        /**
         * The shard's file name in the dataset directory, {@code raw_data.basename}.
         *
         * @return a plain file name.
         */
        public String basename()
        {
            return basename;
        }

        /**
         * The shard file's length the index gives, {@code raw_data.bytes}.
         *
         * @return bytes.
         */
        public long bytes()
        {
            return bytes;
        }

        /**
         * The shard's sample count the index gives.
         *
         * @return samples.
         */
        public long samples()
        {
            return samples;
        }

        /**
         * Where the basename is in the index, for messages about the file it names.
         *
         * @return byte offset in the index.
         */
        public long basenameOffset()
        {
            return basenameOffset;
        }

        /**
         * Where the byte count is in the index.
         *
         * @return byte offset in the index.
         */
        public long bytesOffset()
        {
            return bytesOffset;
        }

        /**
         * Where the sample count is in the index.
         *
         * @return byte offset in the index.
         */
        public long samplesOffset()
        {
            return samplesOffset;
        }
    }

    /**
     * What {@code raw_data} says: the shard's file.
     */
    private record RawData(String basename, long bytes, long basenameOffset, long bytesOffset)
    {
    }

    private final Path file;
    private final List<Shard> shards;

    private MdsIndex(final Path file, final List<Shard> shards)
    {
        this.file = file;
        this.shards = shards;
    }

    /**
     * Reads an index file.
     *
     * @param file the {@code index.json}.
     * @return the index.
     * @throws DatasetException naming the file, and the offset of what is wrong where one applies.
     */
    public static MdsIndex read(final Path file)
    {
        RegularFiles.require(file);
        final byte[] bytes;
        try
        {
            final long size = Files.size(file);
            if (size > MAX_BYTES)
            {
                throw new DatasetException(file, "MDS index of " + size + " bytes is larger than " + MAX_BYTES);
            }
            bytes = Files.readAllBytes(file);
        }
        catch (final IOException ex)
        {
            throw new DatasetException(file, "cannot read", ex);
        }

        return parse(file, bytes);
    }

    /**
     * Reads an index from its bytes.
     *
     * @param file  the file they came from, for messages.
     * @param bytes the JSON.
     * @return the index.
     * @throws DatasetException naming the file and the offset of what is wrong.
     */
    public static MdsIndex parse(final Path file, final byte[] bytes)
    {
        try (JsonInput input = new JsonInput(file, 0, bytes, "MDS index"))
        {
            input.expect(JsonToken.START_OBJECT, "the index");
            long version = -1;
            List<Shard> shards = null;
            while (input.next() == JsonToken.FIELD_NAME)
            {
                final String key = input.text();
                if ("version".equals(key))
                {
                    version = checkedVersion(input, "version");
                }
                else if ("shards".equals(key))
                {
                    shards = parseShards(input);
                }
                else
                {
                    input.skipValue();
                }
            }

            input.expectEnd();
            if (version < 0 || null == shards)
            {
                throw input.error(0, "no " + (version < 0 ? "version" : "shards"));
            }

            return new MdsIndex(file, List.copyOf(shards));
        }
    }

    /**
     * The index file.
     *
     * @return the file read.
     */
    public Path file()
    {
        return file;
    }

    /**
     * The shards, in the index's order, which is the order of their samples.
     *
     * @return the shards.
     */
    public List<Shard> shards()
    {
        return shards;
    }

    private static long checkedVersion(final JsonInput input, final String name)
    {
        final long version = input.nextLong(name, Long.MIN_VALUE, Long.MAX_VALUE);
        if (version != VERSION)
        {
            throw input.error(name + " " + version + ", expected " + VERSION);
        }

        return version;
    }

    private static List<Shard> parseShards(final JsonInput input)
    {
        input.expect(JsonToken.START_ARRAY, "shards");
        final List<Shard> shards = new ArrayList<>();
        final Set<String> names = new HashSet<>();
        for (JsonToken token = input.next(); token != JsonToken.END_ARRAY; token = input.next())
        {
            if (token != JsonToken.START_OBJECT)
            {
                throw input.error("shard " + shards.size() + " is not an object");
            }

            final Shard shard = parseShard(input, shards.size());
            if (!names.add(shard.basename))
            {
                throw input.error(shard.basenameOffset, "shard " + shards.size() + " is " + shard.basename +
                    " again");
            }
            shards.add(shard);
        }

        return shards;
    }

    /**
     * One entry of {@code shards}, the parser on its opening brace.
     */
    private static Shard parseShard(final JsonInput input, final int index)
    {
        final long start = input.offset();
        final String name = "shard " + index;
        String format = null;
        long formatOffset = -1;
        long samples = -1;
        long samplesOffset = -1;
        long zipOffset = -1;
        RawData raw = null;
        while (input.next() == JsonToken.FIELD_NAME)
        {
            final String key = input.text();
            switch (key)
            {
                case "format":
                    format = input.nextString(name + " format");
                    formatOffset = input.offset();
                    break;
                case "samples":
                    samples = input.nextLong(name + " samples", 0, MAX_U32);
                    samplesOffset = input.offset();
                    break;
                case "zip_data":
                    if (input.next() != JsonToken.VALUE_NULL)
                    {
                        zipOffset = input.offset();
                        input.skipValue();
                    }
                    break;
                case "raw_data":
                    raw = parseRawData(input, name);
                    break;
                case "version":
                    checkedVersion(input, name + " version");
                    break;
                default:
                    input.skipValue();
                    break;
            }
        }

        if (null == format || null == raw || samples < 0)
        {
            throw input.error(start, name + " has no " +
                (null == format ? "format" : null == raw ? "raw_data with basename and bytes" : "samples"));
        }

        if (!"mds".equals(format))
        {
            throw input.error(formatOffset, name + " is of format '" + format + "': only MDS shards (mds) are read");
        }

        if (zipOffset >= 0)
        {
            throw input.error(zipOffset, name + " (" + raw.basename + ") is compressed (zip_data is not null): " +
                "Stoker serves raw MDS shards, decompress them first");
        }

        return new Shard(raw.basename, raw.bytes, samples, raw.basenameOffset, raw.bytesOffset, samplesOffset);
    }

    /**
     * {@code raw_data}: the basename and bytes of the shard file.
     */
    private static RawData parseRawData(final JsonInput input, final String name)
    {
        input.expect(JsonToken.START_OBJECT, name + " raw_data");
        final long start = input.offset();
        String basename = null;
        long basenameOffset = -1;
        long bytes = -1;
        long bytesOffset = -1;
        while (input.next() == JsonToken.FIELD_NAME)
        {
            final String key = input.text();
            if ("basename".equals(key))
            {
                basename = input.nextString(name + " basename");
                basenameOffset = input.offset();
                if (!isFileName(basename))
                {
                    throw input.error(name + " basename '" + basename + "' is not a file name in the directory");
                }
            }
            else if ("bytes".equals(key))
            {
                bytes = input.nextLong(name + " bytes", 0, Long.MAX_VALUE);
                bytesOffset = input.offset();
            }
            else
            {
                input.skipValue();
            }
        }

        if (null == basename || bytes < 0)
        {
            throw input.error(start, name + " raw_data has no " + (null == basename ? "basename" : "bytes"));
        }

        return new RawData(basename, bytes, basenameOffset, bytesOffset);
    }

    private static boolean isFileName(final String name)
    {
        return !name.isEmpty() && !name.equals(".") && !name.equals("..") && name.indexOf('/') < 0 &&
            name.indexOf('\\') < 0 && name.indexOf('\0') < 0;
    }
}
