package org.qubesstorage.xml;

import java.util.Optional;

/**
 * The defaults of a domain class's properties that the storage layer reads and upstream never
 * writes when they are left at their default: upstream saves only properties that were set, so
 * a real dom0 entry carries neither {@code name} nor {@code qid} ({@code qubes/vm/adminvm.py}:
 * {@code name} defaults to {@code dom0} and {@code qid} to 0, both with a forbidding setter).
 * Every other class has no default for either.
 */
record ClassDefaults(Optional<String> name, Optional<Integer> qid) {
    private static final ClassDefaults ADMIN_VM = new ClassDefaults(Optional.of("dom0"), Optional.of(0));
    private static final ClassDefaults NONE = new ClassDefaults(Optional.empty(), Optional.empty());

    static ClassDefaults of(String klass) {
        return klass.equals("AdminVM") ? ADMIN_VM : NONE;
    }
}
