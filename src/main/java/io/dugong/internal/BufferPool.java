package io.dugong.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A small, bounded, lock-free pool of same-sized byte arrays, shared by every connection: an idle
 * connection gives its I/O buffers back here, so ten thousand open idle connections do not hold ten
 * thousand read and write buffers, and a connection that goes idle after every response (pipeline
 * depth 1) takes the same array back instead of allocating a new one per request.
 *
 * <p>Each slot holds at most one array and is emptied with an atomic swap, so an array handed out by
 * {@link #take()} is held by exactly one taker until it is {@link #give given} back. The pool retains
 * at most {@link #slots()} arrays; arrays given back beyond that are left to the garbage collector.
 * No thread-locals (a virtual thread per request would defeat them) and no locks.
 */
public final class BufferPool {
    /** Read buffers of {@code HttpConnection.DEFAULT_READ_BUFFER_SIZE}. */
    public static final BufferPool READ = new BufferPool(16 * 1024, defaultSlots());
    /** Write buffers of {@link SocketOutput}'s initial size. */
    public static final BufferPool WRITE = new BufferPool(8 * 1024, defaultSlots());

    private final int size;
    private final AtomicReferenceArray<byte[]> slots;

    /**
     * @param size  the length of every array in this pool
     * @param slots the most arrays it retains
     */
    BufferPool(int size, int slots) {
        this.size = size;
        this.slots = new AtomicReferenceArray<>(slots);
    }

    private static int defaultSlots() {
        return Math.clamp(4L * Runtime.getRuntime().availableProcessors(), 8, 64);
    }

    /** The length of the arrays this pool hands out. */
    public int size() {
        return size;
    }

    /** The most arrays the pool retains. */
    int slots() {
        return slots.length();
    }

    /** An array of {@link #size()} bytes, from the pool if one is there, else new. Its content is undefined. */
    public byte[] take() {
        int n = slots.length();
        int start = startSlot(n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (slots.getPlain(i) != null) {
                byte[] b = slots.getAndSet(i, null);
                if (b != null) return b;
            }
        }
        return new byte[size];
    }

    /**
     * Gives an array back. The caller must not touch it afterwards: it may be handed to another
     * connection at once. Arrays of another length are ignored (left to the garbage collector).
     */
    public void give(byte[] b) {
        if (b == null || b.length != size) return;
        int n = slots.length();
        int start = startSlot(n);
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (slots.getPlain(i) == null && slots.compareAndSet(i, null, b)) return;
        }
    }

    /** Arrays retained now (for tests). */
    int retained() {
        int c = 0;
        for (int i = 0; i < slots.length(); i++) if (slots.get(i) != null) c++;
        return c;
    }

    /** Spreads threads over the slots, so connections on different threads rarely contend for one. */
    private static int startSlot(int n) {
        return (int) (Thread.currentThread().threadId() % n);
    }
}
