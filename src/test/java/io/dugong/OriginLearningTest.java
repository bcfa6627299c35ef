package io.dugong;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The per-origin learning rules on their own, with a clock the test moves (the rules about time need
 * no waiting): growth, halving, fallback and its expiry.
 */
class OriginLearningTest {
    private static final URI ORIGIN = URI.create("http://example.org:80");
    private static final Object CONNECTION = new Object();
    private static final ResponseFacts GOOD = new ResponseFacts(CONNECTION, 1, false);

    private final AtomicLong now = new AtomicLong(1_000);

    private OriginLearning learning() {
        return new OriginLearning(ORIGIN, 16, 2, 2, Duration.ofSeconds(600), now::get);
    }

    @Test
    void theDepthDoublesAfterAsManyCorrectResponsesInARowAsTheDepth() {
        OriginLearning l = learning();
        assertEquals(2, l.depth());
        l.answered(GOOD, true);
        l.answered(GOOD, false);
        assertEquals(4, l.depth());
        for (int i = 0; i < 4 + 8; i++) l.answered(GOOD, false);
        assertEquals(16, l.depth());
        assertEquals(OriginStats.Verdict.PIPELINING, l.stats().verdict());
        assertNotNull(l.stats().decidedAt());
    }

    @Test
    void eachUnansweredCloseHalvesTheDepthAndOneTooManyFallsBack() {
        OriginLearning l = learning();
        for (int i = 0; i < 14; i++) l.answered(GOOD, false);
        assertEquals(16, l.depth());
        l.closedWithPipelinedUnanswered(5, "reset");
        assertEquals(8, l.depth());
        l.closedWithPipelinedUnanswered(3, "reset");
        assertEquals(4, l.depth());
        l.closedWithPipelinedUnanswered(2, "reset");
        assertEquals(1, l.depth());
        assertEquals(OriginStats.Verdict.KEEP_ALIVE, l.stats().verdict());
        assertEquals(3, l.stats().unansweredCloses());
    }

    @Test
    void aCloseAnnouncedOnALaterResponseIsNoSignAgainstPipelining() {
        OriginLearning l = learning();
        l.answered(GOOD, true);
        l.answered(new ResponseFacts(CONNECTION, 1, true), false); // nginx's keepalive_requests, say
        assertEquals(OriginStats.Verdict.LEARNING, l.stats().verdict());
    }

    @Test
    void aFallbackIsForgottenAfterTheExpiry() {
        OriginLearning l = learning();
        l.answered(new ResponseFacts(CONNECTION, 0, true), true);
        assertEquals(1, l.depth());
        now.addAndGet(Duration.ofSeconds(599).toNanos());
        assertEquals(OriginStats.Verdict.KEEP_ALIVE, l.stats().verdict());

        now.addAndGet(Duration.ofSeconds(1).toNanos());
        assertEquals(2, l.depth());
        OriginStats s = l.stats();
        assertEquals(OriginStats.Verdict.LEARNING, s.verdict());
        assertNull(s.decidedAt());
    }

    @Test
    void unansweredClosesLongerAgoThanTheExpiryAreForgotten() {
        OriginLearning l = learning();
        l.closedWithPipelinedUnanswered(2, "reset");
        l.closedWithPipelinedUnanswered(2, "reset");
        now.addAndGet(Duration.ofSeconds(601).toNanos());
        l.closedWithPipelinedUnanswered(2, "reset");
        assertEquals(OriginStats.Verdict.LEARNING, l.stats().verdict());
        assertEquals(1, l.stats().unansweredCloses());
    }

    @Test
    void aForcedModeIgnoresTheOriginsBehaviour() {
        OriginLearning l = learning();
        l.mode(DugongClient.Mode.ON);
        l.answered(new ResponseFacts(CONNECTION, 0, true), true);
        assertEquals(16, l.depth());
        l.mode(DugongClient.Mode.OFF);
        assertEquals(1, l.depth());
        l.mode(DugongClient.Mode.AUTO);
        assertEquals(2, l.depth());
    }
}
