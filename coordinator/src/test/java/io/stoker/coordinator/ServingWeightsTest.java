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
        weights.submitted("team-a", 3);
        assertEquals(3, weights.started("team-a"));
        assertEquals(0, weights.started("team-a"), "told to each member, announced once");
        assertEquals(1, weights.started("restored"), "a job no submission gave a weight has weight 1");
        assertEquals(List.of("restored 1", "team-a 3"), running());

        assertTrue(weights.ended("team-a"));
        assertFalse(weights.ended("team-a"), "withdrawn once");
        assertEquals(List.of("restored 1"), running());
        assertEquals(1, weights.started("team-a"), "a later run of the name starts from the default");
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
