package io.dugong;

import io.dugong.internal.Durations;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link Pipeline}; immutable: each setter-named method returns a changed copy.
 *
 * <pre>{@code
 * PipelineOptions opts = PipelineOptions.defaults().depth(64).retries(5).headTimeout(Duration.ofSeconds(60));
 * }</pre>
 *
 * @param depth                 most requests in flight (sent, not yet answered); also the most queued
 * @param retries               how many times an unanswered idempotent request is replayed
 * @param expectContinueTimeout how long a request with {@code expect100()} waits for 100 Continue before
 *                              its body is sent anyway (RFC 9110 §10.1.1)
 * @param closeTimeout          how long {@link Pipeline#close()} waits for requests in flight
 * @param headTimeout           limit from a request completely sent to its response head complete, or
 *                              null for none; the same as {@link HttpConnection.Builder#headTimeout}, and
 *                              used for the connection that {@link Pipeline#open(java.net.URI, PipelineOptions)} makes
 */
public record PipelineOptions(int depth, int retries, Duration expectContinueTimeout, Duration closeTimeout,
                              Duration headTimeout) {
    /** Default depth. */
    public static final int DEFAULT_DEPTH = 32;
    /** Default retries. */
    public static final int DEFAULT_RETRIES = 3;

    /** Validates the settings. */
    public PipelineOptions {
        if (depth < 1) throw new IllegalArgumentException("depth must be at least 1, got " + depth);
        if (retries < 0) throw new IllegalArgumentException("retries must be >= 0, got " + retries);
        Objects.requireNonNull(expectContinueTimeout, "expectContinueTimeout");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        Durations.positiveOrNull(headTimeout, "headTimeout");
    }

    /**
     * Depth 32, 3 retries, 1 s for 100 Continue, 30 s to close, no head timeout.
     *
     * @return the defaults
     */
    public static PipelineOptions defaults() {
        return new PipelineOptions(DEFAULT_DEPTH, DEFAULT_RETRIES, Duration.ofSeconds(1), Duration.ofSeconds(30), null);
    }

    /**
     * A copy with another depth.
     *
     * @param newDepth at least 1
     * @return the copy
     */
    public PipelineOptions depth(int newDepth) {
        return new PipelineOptions(newDepth, retries, expectContinueTimeout, closeTimeout, headTimeout);
    }

    /**
     * A copy with another retry budget per request.
     *
     * @param newRetries at least 0
     * @return the copy
     */
    public PipelineOptions retries(int newRetries) {
        return new PipelineOptions(depth, newRetries, expectContinueTimeout, closeTimeout, headTimeout);
    }

    /**
     * A copy with another wait for 100 Continue.
     *
     * @param d the wait
     * @return the copy
     */
    public PipelineOptions expectContinueTimeout(Duration d) {
        return new PipelineOptions(depth, retries, d, closeTimeout, headTimeout);
    }

    /**
     * A copy with another bound for a graceful close.
     *
     * @param d the bound
     * @return the copy
     */
    public PipelineOptions closeTimeout(Duration d) {
        return new PipelineOptions(depth, retries, expectContinueTimeout, d, headTimeout);
    }

    /**
     * A copy with another head timeout.
     *
     * @param d a positive duration, or null for none
     * @return the copy
     */
    public PipelineOptions headTimeout(Duration d) {
        return new PipelineOptions(depth, retries, expectContinueTimeout, closeTimeout, d);
    }
}
