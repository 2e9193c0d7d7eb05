package org.qubesstorage.spi;

/**
 * What one volume really costs its pool ({@link Pool#volumeSpace()}, {@link
 * Capability#SPACE_ACCOUNTING}), so that "what would I free by removing this qube" has a true
 * answer once clones, revisions and layers share storage (qubes-issues #7535).
 *
 * <p>Every figure counts the volume's current data and its revisions together, each piece of
 * storage once however many of them reference it.
 *
 * @param allocated bytes of pool storage the volume references
 * @param exclusive of those, the bytes nothing else references: what removing the volume frees
 * @param shared    of those, the bytes also referenced by another volume of the pool (a clone, a
 *                  layer sitting on it, deduplicated blocks) or by something outside the pool
 */
public record SpaceUse(long allocated, long exclusive, long shared) {
    public SpaceUse {
        if (exclusive < 0 || shared < 0 || allocated != exclusive + shared) {
            throw new IllegalArgumentException("space use must be exclusive + shared = allocated, each >= 0: "
                    + exclusive + " + " + shared + " vs " + allocated);
        }
    }

    /** All of {@code bytes} exclusive: storage nothing can share. */
    public static SpaceUse exclusive(long bytes) {
        return new SpaceUse(bytes, bytes, 0);
    }

    /** The two added, for totals over several volumes or pieces. */
    public SpaceUse plus(SpaceUse other) {
        return new SpaceUse(allocated + other.allocated, exclusive + other.exclusive, shared + other.shared);
    }
}
