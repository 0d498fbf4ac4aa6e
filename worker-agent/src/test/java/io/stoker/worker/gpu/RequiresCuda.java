package io.stoker.worker.gpu;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs a test only where a CUDA device can be used. Elsewhere each test is skipped, and the report
 * says why: "no CUDA device: " and the reason {@link Cuda#unavailableReason()} gives.
 */
final class RequiresCuda implements ExecutionCondition
{
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(final ExtensionContext context)
    {
        if (context.getTestMethod().isEmpty())
        {
            return ConditionEvaluationResult.enabled("decided per test, so each one reports why it was skipped");
        }
        final String reason = Cuda.unavailableReason();
        return null == reason ?
            ConditionEvaluationResult.enabled("a CUDA device is usable") :
            ConditionEvaluationResult.disabled("no CUDA device: " + reason);
    }
}
