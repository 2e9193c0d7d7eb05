package org.qubesstorage.spi;

/**
 * The four combinations of {@code snap_on_start} and {@code save_on_stop} (upstream's truth table):
 *
 * <table>
 *   <caption>Volume types</caption>
 *   <tr><th>snap_on_start</th><th>save_on_stop</th><th>type</th><th>typical use</th></tr>
 *   <tr><td>false</td><td>false</td><td>{@link #VOLATILE}</td><td>{@code volatile}: empty at every start</td></tr>
 *   <tr><td>true</td><td>false</td><td>{@link #SNAPSHOT}</td><td>AppVM/DispVM {@code root}: fresh snapshot of the source at each start, discarded at stop</td></tr>
 *   <tr><td>false</td><td>true</td><td>{@link #ORIGIN}</td><td>{@code private}, template {@code root}: committed at stop, with revisions</td></tr>
 *   <tr><td>true</td><td>true</td><td>{@link #ORIGIN_SNAPSHOT}</td><td>unused by any VM class; only where a pool declares {@link Capability#ORIGIN_SNAPSHOT_VOLUMES}</td></tr>
 * </table>
 */
public enum VolumeType {
    VOLATILE(Capability.VOLATILE_VOLUMES),
    SNAPSHOT(Capability.SNAPSHOT_VOLUMES),
    ORIGIN(Capability.ORIGIN_VOLUMES),
    ORIGIN_SNAPSHOT(Capability.ORIGIN_SNAPSHOT_VOLUMES);

    private final Capability capability;

    VolumeType(Capability capability) {
        this.capability = capability;
    }

    public static VolumeType of(boolean snapOnStart, boolean saveOnStop) {
        if (snapOnStart) {
            return saveOnStop ? ORIGIN_SNAPSHOT : SNAPSHOT;
        }
        return saveOnStop ? ORIGIN : VOLATILE;
    }

    /** The capability a pool must declare to host volumes of this type. */
    public Capability capability() {
        return capability;
    }
}
