package io.dugong;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The pipelines of one origin, and what is learnt about pipelining there: the learnt depth is the
 * in-flight limit of every pipeline of the pool.
 */
final class OriginPool implements PipelineEvents {
    /**
     * What a pool needs of its client's settings.
     *
     * @param maxConnections      most pipelines of the origin
     * @param options             each pipeline's options
     * @param headOfLineTimeout   no progress this long stalls a head of line; null for no relief
     * @param headOfLineBodySize  a body beyond this many bytes still streaming stalls a head of line
     * @param idleTimeout         a pipeline with nothing to do this long is closed
     */
    record Settings(int maxConnections, PipelineOptions options, Duration headOfLineTimeout, long headOfLineBodySize,
                    Duration idleTimeout) {
    }

    private static final System.Logger LOG = System.getLogger("io.dugong");

    final URI uri;
    final OriginLearning learning;
    private final Settings settings;
    /** Makes the connection of each new pipeline (it connects with its first request). */
    private final Supplier<HttpConnection> connections;
    final ReentrantLock lock = new ReentrantLock();
    final List<Pipeline> pipelines = new ArrayList<>();
    final Map<Pipeline, Long> lastUsed = new ConcurrentHashMap<>();
    /** The in-flight limit last given to the pipelines. Written with lock held. */
    private volatile int appliedDepth;

    OriginPool(URI uri, Settings settings, OriginLearning learning, Supplier<HttpConnection> connections) {
        this.uri = uri;
        this.settings = settings;
        this.learning = learning;
        this.connections = connections;
        this.appliedDepth = learning.depth();
    }

    /**
     * The least-loaded open pipeline whose head of line is not stalled, opening another while under
     * the limit and all are busy (so a request that must go alone finds an idle connection if the
     * limit allows); if every one is stalled and none can be opened, the least-loaded of all.
     */
    Pipeline pick() {
        int depth = learning.depth();
        lock.lock();
        try {
            pipelines.removeIf(p -> !p.isOpen());
            if (depth != appliedDepth) applyDepth(depth);
            long now = System.nanoTime();
            Pipeline best = leastLoaded(now, null, true);
            boolean mayOpen = pipelines.size() < settings.maxConnections();
            if (mayOpen && (best == null || best.load() > 0)) {
                best = openPipeline();
            } else if (best == null) {
                best = leastLoaded(now, null, false);
            }
            lastUsed.put(best, now);
            return best;
        } finally {
            lock.unlock();
        }
    }

    /** With lock held: a new pipeline of the pool (it connects with its first request), at the learnt depth. */
    private Pipeline openPipeline() {
        Pipeline p = Pipeline.open(connections.get(), settings.options(), this);
        p.inFlightLimit(appliedDepth);
        pipelines.add(p);
        return p;
    }

    /** With lock held: the least-loaded pipeline other than {@code except}, skipping stalled ones if asked. */
    private Pipeline leastLoaded(long now, Pipeline except, boolean skipStalled) {
        Pipeline best = null;
        int bestLoad = Integer.MAX_VALUE;
        for (Pipeline p : pipelines) {
            if (p == except || (skipStalled && stalled(p, now))) continue;
            int load = p.load();
            if (load < bestLoad) {
                best = p;
                bestLoad = load;
            }
        }
        return best;
    }

    private boolean stalled(Pipeline p, long now) {
        return settings.headOfLineTimeout() != null
                && p.headOfLineStalled(now, settings.headOfLineTimeout().toNanos(), settings.headOfLineBodySize());
    }

    /** With lock held: gives every pipeline the learnt depth as its in-flight limit. */
    private void applyDepth(int depth) {
        appliedDepth = depth;
        for (Pipeline p : pipelines) p.inFlightLimit(depth);
    }

    /**
     * Head-of-line relief: the requests not yet written on a pipeline whose head is stalled move to
     * another pipeline of the pool (one opened for them if the limit allows).
     */
    void relieve(long now) {
        if (settings.headOfLineTimeout() == null) return;
        lock.lock();
        try {
            for (Pipeline stuck : List.copyOf(pipelines)) {
                if (!stalled(stuck, now) || stuck.unsent() == 0 || !stuck.isOpen()) continue;
                Pipeline target = leastLoaded(now, stuck, true);
                if ((target == null || target.load() > 0) && pipelines.size() < settings.maxConnections()) {
                    target = openPipeline();
                }
                if (target == null) continue;
                lastUsed.put(target, now);
                int moved = stuck.moveUnsentTo(target);
                if (moved > 0) {
                    LOG.log(System.Logger.Level.DEBUG, "{0}: the head of line of {1} is stalled; {2} requests"
                            + " not yet sent moved to {3}", learning.stats().origin(), stuck, moved, target);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Gives the pipelines a depth the learning changed, if it did. */
    void depthMayHaveChanged() {
        int depth = learning.depth();
        lock.lock();
        try {
            if (depth != appliedDepth) applyDepth(depth);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void answered(ResponseFacts facts, boolean firstOnConnection, int inFlight) {
        learning.answered(facts, firstOnConnection);
        if (learning.depth() != appliedDepth) depthMayHaveChanged();
    }

    @Override
    public void closedWithPipelinedUnanswered(int unanswered, String why) {
        learning.closedWithPipelinedUnanswered(unanswered, why);
        depthMayHaveChanged();
    }

    @Override
    public void outOfProtocol(String why) {
        learning.outOfProtocol(why);
        depthMayHaveChanged();
    }

    /** Closes pipelines with nothing to do for longer than the idle timeout. */
    void evictIdle(long now) {
        List<Pipeline> idle = new ArrayList<>();
        lock.lock();
        try {
            for (Pipeline p : pipelines) {
                Long used = lastUsed.get(p);
                if (p.load() == 0 && used != null && now - used > settings.idleTimeout().toNanos()) idle.add(p);
            }
            pipelines.removeAll(idle);
            idle.forEach(lastUsed::remove);
        } finally {
            lock.unlock();
        }
        idle.forEach(Pipeline::close);
    }

    void closeAll() {
        List<Pipeline> all;
        lock.lock();
        try {
            all = new ArrayList<>(pipelines);
            pipelines.clear();
        } finally {
            lock.unlock();
        }
        all.forEach(Pipeline::close);
    }
}
