package io.stoker.transport.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A data server's memory of fenced registrations: a fence is new once (the coordinator may tell it again), an
 * unfenced registration is not fenced, and beyond the bound the oldest is forgotten first.
 */
class FencedRegistrationsTest
{
    @Test
    void aFenceIsNewOnceAndOnlyTheFencedRegistrationIsFenced()
    {
        final FencedRegistrations fenced = new FencedRegistrations();
        assertTrue(fenced.add(0xa1L));
        assertFalse(fenced.add(0xa1L), "told again");
        assertTrue(fenced.contains(0xa1L));
        assertFalse(fenced.contains(0xa2L), "the same worker's next registration");
    }

    @Test
    void theOldestAreForgottenBeyondTheBound()
    {
        final FencedRegistrations fenced = new FencedRegistrations();
        for (long registration = 1; registration <= FencedRegistrations.MAX_FENCED + 1; registration++)
        {
            fenced.add(registration);
        }
        assertFalse(fenced.contains(1));
        assertTrue(fenced.contains(2));
        assertTrue(fenced.contains(FencedRegistrations.MAX_FENCED + 1));
        assertFalse(fenced.add(FencedRegistrations.MAX_FENCED + 1));
    }
}
