package io.stoker.coordinator;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The weights data servers are told: announced once per start, the submitted one or 1, withdrawn once at the end.
 */
class ServingWeightsTest
{
    private final ServingWeights weights = new ServingWeights();

    @Test
    void aJobIsAnnouncedOnceWithItsSubmittedWeightAndWithdrawnOnce()
    {
        assertEquals(3, weights.started("team-a", 3));
        assertEquals(0, weights.started("team-a", 3), "told to each member, announced once");
        assertEquals(1, weights.started("other", 1));
        assertEquals(List.of("other 1", "team-a 3"), running());

        assertTrue(weights.ended("team-a"));
        assertFalse(weights.ended("team-a"), "withdrawn once");
        assertEquals(List.of("other 1"), running());
        assertEquals(2, weights.started("team-a", 2), "a later run of the name is announced with its own weight");
    }

    @Test
    void weightsOutsideOneToAThousandAreNotValid()
    {
        assertFalse(ServingWeights.isValid(0));
        assertTrue(ServingWeights.isValid(1));
        assertTrue(ServingWeights.isValid(1000));
        assertFalse(ServingWeights.isValid(1001));
        assertFalse(ServingWeights.isValid(-3));
    }

    private List<String> running()
    {
        final List<String> running = new ArrayList<>();
        weights.forEachRunning((name, weight) -> running.add(name + " " + weight));
        running.sort(null);
        return running;
    }
}
