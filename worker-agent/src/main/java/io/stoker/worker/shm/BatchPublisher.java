package io.stoker.worker.shm;

import io.stoker.worker.Batch;
import io.stoker.worker.Chunk;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import static io.stoker.worker.shm.ChannelLayout.BATCH_EPOCH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_MISSING_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_RANK_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SAMPLES_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SAMPLE_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SEGMENT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SEQUENCE_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_SIZE_FIELD_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_STEP_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.BATCH_STREAM_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.END_BATCHES_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.END_LENGTH;
import static io.stoker.worker.shm.ChannelLayout.END_OUTCOME_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.MSG_BATCH;
import static io.stoker.worker.shm.ChannelLayout.MSG_END;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_CHUNK_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_LENGTH;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_LENGTH_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_OFFSET_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_RECORD_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.SAMPLE_SLOT_OFFSET;
import static io.stoker.worker.shm.ChannelLayout.batchLength;

/**
 * Encodes batches, and the end of the job, into a channel's {@code batches} ring: each sample as where it is (its
 * offset in the pool file, or its device slot and offset within it), its length and its id, so the consumer reads it
 * where the worker put it.
 *
 * @param <C> the chunks the worker delivers.
 */
public final class BatchPublisher<C extends Chunk>
{
    private final OneToOneRingBuffer ring;
    private final ChannelSinkFactory<C> memory;

    /**
     * @param ring   the batches ring.
     * @param memory where the chunks' bytes are for the consumer.
     */
    public BatchPublisher(final OneToOneRingBuffer ring, final ChannelSinkFactory<C> memory)
    {
        this.ring = ring;
        this.memory = memory;
    }

    /**
     * @return true when the consumer took every record published.
     */
    public boolean isDrained()
    {
        return ring.producerPosition() == ring.consumerPosition();
    }

    /**
     * @param batch    a batch taken from the worker's feed.
     * @param sequence its number in the channel, from 0.
     * @return false when the ring is full: keep the batch and offer it again.
     * @throws IllegalStateException when the batch can never fit the ring.
     */
    public boolean offer(final Batch<C> batch, final long sequence)
    {
        final int size = batch.size();
        final int length = batchLength(size);
        if (length > ring.maxMsgLength())
        {
            throw new IllegalStateException("a batch of " + size + " samples (" + length + " bytes) exceeds the " +
                "channel's largest record, " + ring.maxMsgLength() + " bytes: give the channel a larger ring");
        }
        final int index = ring.tryClaim(MSG_BATCH, length);
        if (RingBuffer.INSUFFICIENT_CAPACITY == index)
        {
            return false;
        }
        final AtomicBuffer buffer = ring.buffer();
        buffer.putLong(index + BATCH_SEQUENCE_OFFSET, sequence);
        buffer.putInt(index + BATCH_EPOCH_OFFSET, batch.epoch());
        buffer.putInt(index + BATCH_SEGMENT_OFFSET, batch.segment());
        buffer.putInt(index + BATCH_STREAM_OFFSET, batch.stream());
        buffer.putInt(index + BATCH_STEP_OFFSET, batch.step());
        buffer.putInt(index + BATCH_RANK_OFFSET, batch.rank());
        buffer.putInt(index + BATCH_SIZE_FIELD_OFFSET, size);
        buffer.putInt(index + BATCH_MISSING_OFFSET, batch.missing());
        buffer.putInt(index + BATCH_SAMPLE_LENGTH_OFFSET, batch.sampleLength());
        int at = index + BATCH_SAMPLES_OFFSET;
        for (int i = 0; i < size; i++)
        {
            final C chunk = batch.chunk(i);
            buffer.putLong(at + SAMPLE_OFFSET_OFFSET, memory.offsetOf(chunk) + batch.offset(i));
            buffer.putInt(at + SAMPLE_LENGTH_OFFSET, batch.length(i));
            buffer.putInt(at + SAMPLE_CHUNK_OFFSET, batch.chunkId(i));
            buffer.putInt(at + SAMPLE_RECORD_OFFSET, batch.record(i));
            buffer.putInt(at + SAMPLE_SLOT_OFFSET, memory.slotOf(chunk));
            at += SAMPLE_LENGTH;
        }
        ring.commit(index);
        return true;
    }

    /**
     * @param batches batches published in all.
     * @param outcome one of {@link ChannelLayout}'s {@code OUTCOME_} values.
     * @return false when the ring is full: offer it again.
     */
    public boolean offerEnd(final long batches, final int outcome)
    {
        final int index = ring.tryClaim(MSG_END, END_LENGTH);
        if (RingBuffer.INSUFFICIENT_CAPACITY == index)
        {
            return false;
        }
        final AtomicBuffer buffer = ring.buffer();
        buffer.putLong(index + END_BATCHES_OFFSET, batches);
        buffer.putInt(index + END_OUTCOME_OFFSET, outcome);
        buffer.putInt(index + END_OUTCOME_OFFSET + 4, 0);
        ring.commit(index);
        return true;
    }
}
