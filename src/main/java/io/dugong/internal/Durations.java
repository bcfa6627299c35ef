package io.dugong.internal;

import java.time.Duration;

/** The one place where the library checks the durations its builders accept. */
public final class Durations {
    private Durations() {
    }

    /**
     * {@code d} itself if it is positive or null (meaning "no limit").
     *
     * @throws IllegalArgumentException if it is zero or negative, naming {@code what}
     */
    public static Duration positiveOrNull(Duration d, String what) {
        if (d != null && (d.isNegative() || d.isZero())) {
            throw new IllegalArgumentException(what + " must be positive or null, got " + d);
        }
        return d;
    }

    /**
     * {@code d} itself if it is positive.
     *
     * @throws IllegalArgumentException if it is null, zero or negative, naming {@code what}
     */
    public static Duration positive(Duration d, String what) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, got " + d);
        }
        return d;
    }

    /** {@code d} in nanoseconds, saturating instead of overflowing for very long durations. */
    public static long nanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
