package io.stoker.dataset.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.stoker.dataset.DatasetException;
import io.stoker.dataset.FormatSpec;
import io.stoker.dataset.FuzzChecks;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

/**
 * What the record format fuzz targets share: fixture seeds, and scanning fuzz input as a shard file, one file per
 * JVM rewritten for every input (with its {@code .idx} beside it for Megatron-LM), checking the exception contract
 * when the format refuses it.
 * <p>
 * The file lives in {@code /dev/shm} where there is one: rewriting a file on disk costs milliseconds an input, in
 * memory tens of microseconds.
 */
final class ShardFuzzing
{
    /**
     * The outcome of a scan that succeeded.
     */
    static final class Scan
    {
        final FormatSpec spec;
        final List<long[]> records;

        Scan(final FormatSpec spec, final List<long[]> records)
        {
            this.spec = spec;
            this.records = records;
        }
    }

    private static final Path FILE = createFile();
    private static final Path BIN = FILE.resolveSibling(FILE.getFileName() + ".bin");

    private ShardFuzzing()
    {
    }

    /**
     * Fixture files as seeds for a fuzz target taking a {@code byte[]}.
     *
     * @param names fixture names under {@code fixtures/}.
     * @return one argument per fixture, named after it.
     */
    static Stream<Arguments> seeds(final String... names)
    {
        return Stream.of(names).map(name -> Arguments.of(Named.of(name, read(name))));
    }

    /**
     * Scans bytes as a shard file. A {@link DatasetException} is checked against the contract and reported as null.
     *
     * @param format the format to scan with.
     * @param bytes  the shard's content.
     * @return the spec the scan returned and one {@code {offset, length, count}} per sink call, or null when the
     * format refused the bytes.
     */
    static Scan scan(final RecordFormat format, final byte[] bytes) throws IOException
    {
        Files.write(FILE, bytes);
        final List<long[]> records = new ArrayList<>();
        try (ShardInput shard = new ShardInput(FILE))
        {
            final FormatSpec spec = format.scan(
                shard, (offset, length, count) -> records.add(new long[]{ offset, length, count }));
            return new Scan(spec, records);
        }
        catch (final DatasetException ex)
        {
            FuzzChecks.assertBadInput(ex, FILE.toString(), bytes.length);
            return null;
        }
    }

    /**
     * Scans a Megatron-LM {@code .bin} of zeros through an {@code .idx}. A {@link DatasetException}, about either
     * file, is checked against the contract and reported as null.
     *
     * @param format    the format to scan with.
     * @param binLength the {@code .bin}'s length.
     * @param index     the {@code .idx}'s content.
     * @return the spec the scan returned and one {@code {offset, length, count}} per record, or null when the format
     * refused the files.
     */
    static Scan scanMegatron(final RecordFormat format, final int binLength, final byte[] index) throws IOException
    {
        final Path indexFile = MegatronFormat.indexFile(BIN);
        Files.write(BIN, new byte[binLength]);
        Files.write(indexFile, index);
        final List<long[]> records = new ArrayList<>();
        try (ShardInput shard = new ShardInput(BIN))
        {
            final FormatSpec spec = format.scan(
                shard, (offset, length, count) -> records.add(new long[]{ offset, length, count }));
            return new Scan(spec, records);
        }
        catch (final DatasetException ex)
        {
            final boolean inIndex = indexFile.equals(ex.file());
            FuzzChecks.assertBadInput(ex, (inIndex ? indexFile : BIN).toString(), inIndex ? index.length : binLength);
            return null;
        }
    }

    private static byte[] read(final String name)
    {
        try
        {
            return Files.readAllBytes(Fixtures.fixture(name));
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("cannot read fixture " + name, ex);
        }
    }

    private static Path createFile()
    {
        try
        {
            final Path shm = Path.of("/dev/shm");
            final Path dir = Files.isDirectory(shm) && Files.isWritable(shm) ?
                shm : Path.of(System.getProperty("java.io.tmpdir"));
            final Path file = Files.createTempFile(dir, "stoker-fuzz-", ".shard");
            file.toFile().deleteOnExit();
            final Path bin = file.resolveSibling(file.getFileName() + ".bin");
            bin.toFile().deleteOnExit();
            MegatronFormat.indexFile(bin).toFile().deleteOnExit();
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
