package org.qubesstorage.migrate;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Decides whether a domain is in use, so the migration skips it. Implementations on the class path
 * or in the plugin directory are found with {@link java.util.ServiceLoader} (a Java port of qubesd
 * would register one that asks libvirt); the tool always adds its own checks (images open by a
 * process or attached to a loop device, dirty volumes, {@code --running}).
 *
 * <p>Called once per selected domain while planning, before anything is written; must not change
 * anything.
 */
public interface RunningCheck {
    /**
     * @param domain the domain's name
     * @param images the images or devices the migration would read for it
     * @return why the domain must not be migrated now, or empty
     */
    Optional<String> check(String domain, List<Path> images);
}
