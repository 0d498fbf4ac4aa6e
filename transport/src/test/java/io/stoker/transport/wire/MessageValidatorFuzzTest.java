package io.stoker.transport.wire;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * Fuzzes {@link MessageValidator}, which every byte from the network passes first, guided by coverage and
 * seeded with a valid message of every template: it never throws, and whatever it accepts the generated
 * decoders read whole, every field inside the message. The buffer ends where the message does, so a read
 * past it is a finding.
 */
class MessageValidatorFuzzTest
{
    private static final int OFFSET = 3;

    private final MessageValidator validator = new MessageValidator();

    static Stream<Arguments> samples()
    {
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[1 << 16]);
        return SampleMessages.all().stream().map(sample ->
        {
            final byte[] bytes = new byte[sample.encode(scratch)];
            scratch.getBytes(0, bytes);
            return Arguments.of(Named.of(sample.name(), bytes));
        });
    }

    @MethodSource("samples")
    @DictionaryFile(resourcePath = "/fuzz/wire.dict")
    @FuzzTest
    void validate(final byte[] input)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[OFFSET + input.length]);
        buffer.putBytes(OFFSET, input);
        final int templateId = validator.validateHeader(buffer, OFFSET, input.length);
        if (templateId < 0)
        {
            assertNotNull(validator.failureCode());
            return;
        }
        if (!validator.validateBody(buffer, OFFSET, input.length))
        {
            assertNotNull(validator.failureReason());
            return;
        }
        assertEquals(input.length, SampleMessages.decodeWhole(buffer, OFFSET));
    }
}
