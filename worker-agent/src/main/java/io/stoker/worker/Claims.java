package io.stoker.worker;

import io.stoker.codecs.StepAckAnswerDecoder;

import java.util.ArrayList;

/**
 * The hand-off's gate: a batch goes to the consumer only once the coordinator confirmed that its step is this
 * worker's, so no step reaches two consumers even when this worker was frozen or cut off past its lease while its
 * steps went to another rank. The claim is lazy: when the consumer asks for a batch and the one at the head of the
 * feed is not confirmed, it is marked wanted and the worker claims it (a step acknowledgement); the coordinator
 * answers, confirming (the step is counted delivered and never moves again) or refusing (the step went to another
 * rank: the batch is dropped, its buffers go back). So at most the batch at the head is confirmed and not yet taken:
 * a worker killed with its consumer loses at most that one.
 * <p>
 * {@link #admit} runs on the consumer's thread; everything else on the worker's agent thread, which keeps the
 * batches offered to the feed and not yet answered, in the order offered (a list walked by index: the agent looks
 * at it every duty cycle, without allocating).
 */
final class Claims implements Feed.Gate<Batch<?>>
{
    private final ArrayList<Batch<?>> unanswered = new ArrayList<>();

    /**
     * The consumer's thread, at the head of the feed: a confirmed batch goes, a refused one is dropped (given back
     * to the worker), any other waits, and one not claimed yet is marked wanted.
     */
    @Override
    public Admission admit(final Batch<?> batch)
    {
        switch (batch.claim())
        {
            case Batch.CONFIRMED:
                return Admission.TAKE;
            case Batch.REFUSED:
                batch.drop();
                return Admission.DROP;
            case Batch.UNCLAIMED:
                batch.want();
                return Admission.WAIT;
            default:
                return Admission.WAIT;
        }
    }

    /**
     * A batch went into the feed: it waits there for its claim.
     */
    void offered(final Batch<?> batch)
    {
        unanswered.add(batch);
    }

    /**
     * Claim the batches the consumer wants.
     *
     * @param claim where a claim goes: the worker's step acknowledgements.
     * @return batches claimed.
     */
    int claimWanted(final Claimant claim)
    {
        int claimed = 0;
        for (int i = 0, size = unanswered.size(); i < size; i++)
        {
            final Batch<?> batch = unanswered.get(i);
            final int state = batch.claim();
            if (Batch.UNCLAIMED == state)
            {
                break;
            }
            if (Batch.WANTED == state)
            {
                claim.claim(batch);
                batch.claim(Batch.CLAIMED);
                claimed++;
            }
        }
        return claimed;
    }

    /**
     * The coordinator's answer to claims of a stream's steps: a confirmed batch goes to the consumer, a refused one
     * is dropped. An answer for a batch not claimed (a step acknowledged unread, or claimed by an earlier
     * registration's feed) changes nothing.
     */
    void onAnswer(final StepAckAnswerDecoder decoder)
    {
        final int epoch = decoder.epoch();
        final int segment = decoder.segment();
        final int stream = decoder.stream();
        for (final StepAckAnswerDecoder.ConfirmedDecoder step : decoder.confirmed())
        {
            answer(epoch, segment, stream, step.step(), Batch.CONFIRMED);
        }
        for (final StepAckAnswerDecoder.RefusedDecoder step : decoder.refused())
        {
            answer(epoch, segment, stream, step.step(), Batch.REFUSED);
        }
    }

    /**
     * Registered again: a claim the previous registration sent may have been lost, or answered on a session that is
     * gone; each is sent again (the coordinator confirms a step once claimed by this rank again, and counts it once).
     */
    void onRegisteredAgain()
    {
        for (int i = 0, size = unanswered.size(); i < size; i++)
        {
            final Batch<?> batch = unanswered.get(i);
            if (Batch.CLAIMED == batch.claim())
            {
                batch.claim(Batch.WANTED);
            }
        }
    }

    /**
     * This worker stops for good: every batch not confirmed is dropped.
     */
    void refuseAll()
    {
        for (int i = 0, size = unanswered.size(); i < size; i++)
        {
            unanswered.get(i).claim(Batch.REFUSED);
        }
        unanswered.clear();
    }

    private void answer(final int epoch, final int segment, final int stream, final int step, final int state)
    {
        for (int i = 0, size = unanswered.size(); i < size; i++)
        {
            final Batch<?> batch = unanswered.get(i);
            if (batch.step() == step && batch.stream() == stream && batch.epoch() == epoch &&
                batch.segment() == segment && Batch.CLAIMED == batch.claim())
            {
                batch.claim(state);
                unanswered.remove(i);
                return;
            }
        }
    }

    /**
     * Where the claims go.
     */
    @FunctionalInterface
    interface Claimant
    {
        /**
         * Claim the batch's step for the consumer.
         */
        void claim(Batch<?> batch);
    }
}
