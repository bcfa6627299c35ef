package io.dugong;

import java.net.URI;
import java.time.Instant;

/**
 * What a {@link DugongClient} has learnt about pipelining to one origin, from
 * {@link DugongClient#originStats(URI)}.
 *
 * <pre>{@code
 * OriginStats s = client.originStats(URI.create("http://example.org"));
 * if (s.verdict() == OriginStats.Verdict.KEEP_ALIVE) System.out.println("not pipelined: " + s.reason());
 * }</pre>
 *
 * @param origin           scheme, host and port
 * @param mode             the mode set with {@link DugongClient#pipelining(URI, DugongClient.Mode)} ({@code AUTO} by default)
 * @param verdict          what the client does now
 * @param depth            the most requests in flight per connection now (1: plain keep-alive)
 * @param reason           why, in words (for a fallback: what the origin did)
 * @param responses        responses received from the origin
 * @param unansweredCloses connections the origin closed, unannounced, with pipelined requests unanswered,
 *                         counted since the last reset (the count is forgotten after the fallback expiry)
 * @param decidedAt        when the verdict was reached, or null while still learning
 */
public record OriginStats(URI origin, DugongClient.Mode mode, Verdict verdict, int depth, String reason,
                          long responses, int unansweredCloses, Instant decidedAt) {

    /** What the client does with requests to an origin. */
    public enum Verdict {
        /** Pipelining at a small depth, growing it while responses come back correctly. */
        LEARNING,
        /** Pipelining at the full configured depth (learnt, or forced {@code ON}). */
        PIPELINING,
        /** One request at a time per connection (depth 1): the origin misbehaved, or forced {@code OFF}. */
        KEEP_ALIVE
    }
}
