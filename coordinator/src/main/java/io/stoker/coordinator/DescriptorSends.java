package io.stoker.coordinator;

import io.stoker.dataset.Manifest;
import io.stoker.plan.RankStream;
import io.stoker.transport.control.ControlPublisher;
import io.stoker.transport.session.Outbox;
import io.stoker.transport.wire.MessageLimits;
import org.agrona.collections.IntHashSet;

import java.util.Arrays;

/**
 * Tells a worker, ahead of an assignment, where the chunks its steps use are (ChunkDescriptors, from the
 * coordinator's manifest): each chunk once per assignment, in messages within the protocol's bounds. A worker
 * learns only what it reads.
 */
final class DescriptorSends
{
    private static final int DESCRIPTOR_BYTES = 32;
    private static final int MESSAGE_BUDGET = MessageLimits.MAX_MESSAGE_LENGTH - 1024;

    private final ControlPublisher publisher;
    private final IntHashSet described = new IntHashSet();
    private int[] chunkIds = new int[256];

    DescriptorSends(final ControlPublisher publisher)
    {
        this.publisher = publisher;
    }

    /**
     * Send the descriptors of every chunk the steps of a rank's stream use.
     *
     * @param steps steps of {@code plan} about to be assigned.
     * @return false when the outbox is full.
     */
    boolean send(
        final Outbox outbox, final long jobId, final int epoch, final Manifest manifest, final RankStream plan,
        final int[] steps)
    {
        described.clear();
        int count = 0;
        for (final int step : steps)
        {
            for (int piece = plan.firstPiece(step), last = plan.lastPiece(step); piece <= last; piece++)
            {
                final int chunkId = plan.piece(piece).chunkId();
                if (described.add(chunkId))
                {
                    if (count == chunkIds.length)
                    {
                        chunkIds = Arrays.copyOf(chunkIds, 2 * count);
                    }
                    chunkIds[count++] = chunkId;
                }
            }
        }
        final boolean withLengths = manifest.format().storesRecordOffsets();
        boolean sent = true;
        for (int from = 0; from < count; )
        {
            int n = 0;
            long bytes = 0;
            while (from + n < count && n < MessageLimits.MAX_DESCRIPTORS_PER_MESSAGE)
            {
                final long each = DESCRIPTOR_BYTES +
                    (withLengths ? 5L * manifest.chunkRecordCount(chunkIds[from + n]) : 0);
                if (n > 0 && bytes + each > MESSAGE_BUDGET)
                {
                    break;
                }
                bytes += each;
                n++;
            }
            sent &= publisher.chunkDescriptors(outbox, jobId, epoch, manifest, chunkIds, from, n);
            from += n;
        }
        return sent;
    }
}
