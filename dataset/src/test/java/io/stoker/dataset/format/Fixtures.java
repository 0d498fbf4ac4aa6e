package io.stoker.dataset.format;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.stoker.dataset.FormatSpec;

/**
 * Test fixtures written by {@code src/test/resources/fixtures/make_fixtures.py}, and scanning helpers.
 */
final class Fixtures
{
    private Fixtures()
    {
    }

    static Path fixture(final String name) throws Exception
    {
        return Path.of(Fixtures.class.getResource("/fixtures/" + name).toURI());
    }

    static List<String> lines(final String name) throws Exception
    {
        final List<String> lines = new ArrayList<>();
        for (final String line : Files.readAllLines(fixture(name)))
        {
            if (!line.isBlank() && !line.startsWith("#"))
            {
                lines.add(line);
            }
        }

        return lines;
    }

    /**
     * Scans a file, returning one {@code {offset, length, count}} per call the format made.
     */
    static List<long[]> scan(final FormatSpec spec, final Path file)
    {
        final List<long[]> calls = new ArrayList<>();
        try (ShardInput shard = new ShardInput(file))
        {
            final RecordSink sink = (offset, length, count) -> calls.add(new long[]{ offset, length, count });
            RecordFormat.of(spec).scan(shard, sink);
        }

        return calls;
    }

    static String describe(final List<long[]> calls)
    {
        final StringBuilder text = new StringBuilder();
        for (final long[] call : calls)
        {
            text.append(Arrays.toString(call));
        }

        return text.toString();
    }

    static Path copyWith(final Path source, final Path dir, final java.util.function.UnaryOperator<byte[]> change)
        throws Exception
    {
        final Path target = dir.resolve(source.getFileName());
        Files.write(target, change.apply(Files.readAllBytes(source)));
        return target;
    }
}
