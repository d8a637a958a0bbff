package org.leverplus.reward;

/**
 * The linear RCE temperature schedule (spec section 10.3):
 * {@code τ(step) = τ0 + (τ1 − τ0)·clamp(step/(T−1), 0, 1)}, with {@code T = rce_epochs·steps_per_epoch} and
 * {@code τ = τ1} when {@code T ≤ 1}.
 *
 * @param start      τ0 ({@code --rce_temp_start}, default 2.0)
 * @param end        τ1 ({@code --rce_temp_end}, default 0.5)
 * @param totalSteps T
 */
public record RceTemperatureSchedule(double start, double end, long totalSteps) {
    public RceTemperatureSchedule {
        if (!(start > 0) || !(end > 0))
            throw new IllegalArgumentException("RCE temperatures: expected > 0 but found start " + start + ", end " + end);
    }

    /** Lever-Plus defaults 2.0 → 0.5 over {@code epochs × stepsPerEpoch} steps. */
    public static RceTemperatureSchedule defaults(int epochs, int stepsPerEpoch) {
        return new RceTemperatureSchedule(2.0, 0.5, (long) epochs * stepsPerEpoch);
    }

    /** τ at global step {@code step = epoch·steps_per_epoch + batch_idx}. */
    public double at(long step) {
        if (totalSteps <= 1) return end;
        double progress = Math.max(0.0, Math.min(1.0, (double) step / (totalSteps - 1)));
        return start + (end - start) * progress;
    }
}
