package io.dugong;

import io.dugong.internal.Origin;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
    private final Origin origin;
    final OriginLearning learning;
    private final Settings settings;
    /** Makes the connection of each new pipeline (it connects with its first request). */
    private final Supplier<HttpConnection> connections;
    final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock. */
    final List<Pipeline> pipelines = new ArrayList<>();
    /** A copy of {@link #pipelines}, replaced with lock held, for picking without the lock. */
    private volatile Pipeline[] snapshot = new Pipeline[0];
    /** The in-flight limit last given to the pipelines. Written with lock held. */
    private volatile int appliedDepth;

    OriginPool(URI uri, Settings settings, OriginLearning learning, Supplier<HttpConnection> connections) {
        this.uri = uri;
        this.origin = Origin.of(uri);
        this.settings = settings;
        this.learning = learning;
        this.connections = connections;
        this.appliedDepth = learning.depth();
    }

    /** Whether {@code u} is of this pool's origin; allocates nothing, unlike building the origin's key. */
    boolean serves(URI u) {
        String scheme = u.getScheme();
        String host = u.getHost();
        if (scheme == null || host == null) return false;
        int port = u.getPort() >= 0 ? u.getPort() : scheme.equalsIgnoreCase("https") ? 443 : 80;
        return port == origin.port() && host.equalsIgnoreCase(origin.host()) && scheme.equalsIgnoreCase(origin.scheme());
    }

    /**
     * The least-loaded open pipeline whose head of line is not stalled, opening another while under
     * the limit and all are busy (so a request that must go alone finds an idle connection if the
     * limit allows); if every one is stalled and none can be opened, the least-loaded of all.
     */
    Pipeline pick() {
        int depth = learning.depth();
        long now = System.nanoTime();
        if (depth == appliedDepth) {
            Pipeline quick = pickWithoutLock(now);
            if (quick != null) return quick;
        }
        lock.lock();
        try {
            if (pipelines.removeIf(p -> !p.isOpen())) snapshot = pipelines.toArray(new Pipeline[0]);
            if (depth != appliedDepth) applyDepth(depth);
            Pipeline best = leastLoaded(now, null, true);
            boolean mayOpen = pipelines.size() < settings.maxConnections();
            if (mayOpen && (best == null || best.load() > 0)) {
                best = openPipeline();
            } else if (best == null) {
                best = leastLoaded(now, null, false);
            }
            best.used(now);
            return best;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The common cases of {@link #pick()} without the pool's lock, which every caller would otherwise
     * queue on: all pipelines open, and either one of them idle or none to be opened. Null when the
     * locked path must decide. A pipeline not used for half the idle timeout is left to the locked
     * path too, so that one the janitor is about to close is never handed out here.
     */
    private Pipeline pickWithoutLock(long now) {
        Pipeline best = null;
        int bestLoad = Integer.MAX_VALUE;
        Pipeline[] all = snapshot;
        long recent = settings.idleTimeout().toNanos() / 2;
        for (Pipeline p : all) {
            if (!p.isOpen() || now - p.usedAt() > recent) return null;
            if (stalled(p, now)) continue;
            int load = p.loadEstimate(); // no lock: this runs for every request, on every pipeline
            if (load < bestLoad) {
                best = p;
                bestLoad = load;
            }
        }
        if (best == null || (bestLoad > 0 && all.length < settings.maxConnections())) return null;
        best.used(now);
        return best;
    }

    /** With lock held: a new pipeline of the pool (it connects with its first request), at the learnt depth. */
    private Pipeline openPipeline() {
        Pipeline p = Pipeline.open(connections.get(), settings.options(), this);
        p.inFlightLimit(appliedDepth);
        p.used(System.nanoTime());
        pipelines.add(p);
        snapshot = pipelines.toArray(new Pipeline[0]);
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
                target.used(now);
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
    public void answered(ResponseFacts facts, boolean firstOnConnection) {
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
                if (p.load() == 0 && now - p.usedAt() > settings.idleTimeout().toNanos()) idle.add(p);
            }
            if (pipelines.removeAll(idle)) snapshot = pipelines.toArray(new Pipeline[0]);
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
            snapshot = new Pipeline[0];
        } finally {
            lock.unlock();
        }
        all.forEach(Pipeline::close);
    }
}
