package io.dugong;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link Pipeline}; immutable, each {@code withX}-style method returns a copy.
 *
 * <pre>{@code
 * PipelineOptions opts = PipelineOptions.defaults().depth(64).retries(5);
 * }</pre>
 *
 * @param depth                 most requests in flight (sent, not yet answered); also the most queued
 * @param retries               how many times an unanswered idempotent request is replayed
 * @param expectContinueTimeout how long a request with {@code expect100()} waits for 100 Continue before
 *                              its body is sent anyway (RFC 9110 §10.1.1)
 * @param closeTimeout          how long {@link Pipeline#close()} waits for requests in flight
 */
public record PipelineOptions(int depth, int retries, Duration expectContinueTimeout, Duration closeTimeout) {
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
    }

    /**
     * Depth 32, 3 retries, 1 s for 100 Continue, 30 s to close.
     *
     * @return depth 32, 3 retries, 1 s for 100 Continue, 30 s to close
     */
    public static PipelineOptions defaults() {
        return new PipelineOptions(DEFAULT_DEPTH, DEFAULT_RETRIES, Duration.ofSeconds(1), Duration.ofSeconds(30));
    }

    /**
     * A copy with another depth.
     *
     * @param newDepth most requests in flight, at least 1
     * @return a copy with another depth
     */
    public PipelineOptions depth(int newDepth) {
        return new PipelineOptions(newDepth, retries, expectContinueTimeout, closeTimeout);
    }

    /**
     * A copy with another retry budget per request.
     *
     * @param newRetries replays per request, 0 or more
     * @return a copy with another retry budget per request
     */
    public PipelineOptions retries(int newRetries) {
        return new PipelineOptions(depth, newRetries, expectContinueTimeout, closeTimeout);
    }

    /**
     * A copy with another wait for 100 Continue.
     *
     * @param d how long to wait for 100 Continue
     * @return a copy with another wait for 100 Continue
     */
    public PipelineOptions expectContinueTimeout(Duration d) {
        return new PipelineOptions(depth, retries, d, closeTimeout);
    }

    /**
     * A copy with another bound for a graceful close.
     *
     * @param d how long a graceful close waits for requests in flight
     * @return a copy with another bound for a graceful close
     */
    public PipelineOptions closeTimeout(Duration d) {
        return new PipelineOptions(depth, retries, expectContinueTimeout, d);
    }
}
