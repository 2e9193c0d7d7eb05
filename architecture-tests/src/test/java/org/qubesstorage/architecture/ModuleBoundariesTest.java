package org.qubesstorage.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The architecture, checked over every module's main classes: the plugin API depends on nothing of
 * the project's, drivers see only the API and the support helpers (what the plugin class loader
 * exposes), tools reach drivers only through the SPI, and no packages form a cycle. Maven's scopes
 * enforce the first three at compile time too; this also catches a dependency added with the wrong
 * scope.
 */
@DisplayName("Module boundaries")
class ModuleBoundariesTest {
    private static final String[] HOST = {"org.qubesstorage.host..", "org.qubesstorage.facade..", "org.qubesstorage.xml..",
        "org.qubesstorage.wiring..", "org.qubesstorage.console.."};
    private static final String[] TOOLS = {"org.qubesstorage.migrate..", "org.qubesstorage.cli..", "org.qubesstorage.dedup..",
        "org.qubesstorage.demo..", "org.qubesstorage.bench.."};
    private static final String[] DRIVERS = {"org.qubesstorage.file..", "org.qubesstorage.lvm..", "org.qubesstorage.overlay..",
        "org.qubesstorage.fixture..", "org.qubesstorage.callback.."};

    private static final String[] SUPPORT = {"org.qubesstorage.linux..", "org.qubesstorage.copy..", "org.qubesstorage.support.."};
    private static final String[] TCK = {"org.qubesstorage.tck.."};

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.qubesstorage");
        // Rules over an empty or partial import would pass without checking anything.
        for (String probe : new String[] {"spi.Pool", "linux.Libc", "copy.SparseCopier", "host.DriverRegistry",
            "facade.StorageHost", "xml.QubesXml", "wiring.StorageModule", "file.reflink.ReflinkDriver", "lvm.ThinDriver",
            "fixture.FixtureDriver", "callback.CallbackDriver", "migrate.QvmToLvm", "cli.QubesStorageCli", "dedup.Deduplicator", "demo.Demo"}) {
            if (!classes.contain("org.qubesstorage." + probe)) {
                throw new AssertionError("the class path lacks org.qubesstorage." + probe + " (" + classes.size() + " classes imported)");
            }
        }
    }

    @Test
    @DisplayName("pool-api (spi) depends on no other package of the project")
    void spiStandsAlone() {
        noClasses().that().resideInAPackage("org.qubesstorage.spi..")
                .should().dependOnClassesThat().resideInAnyPackage(any(HOST, TOOLS, DRIVERS, SUPPORT, TCK))
                .check(classes);
    }

    @Test
    @DisplayName("pool-support (linux, copy) depends only on the SPI")
    void supportDependsOnlyOnTheSpi() {
        noClasses().that().resideInAnyPackage("org.qubesstorage.linux..", "org.qubesstorage.copy..")
                .should().dependOnClassesThat().resideInAnyPackage(any(HOST, TOOLS, DRIVERS, TCK))
                .check(classes);
    }

    @Test
    @DisplayName("drivers and the fixture plugin use only pool-api and pool-support")
    void driversSeeOnlyTheApiAndSupport() {
        noClasses().that().resideInAnyPackage(DRIVERS)
                .should().dependOnClassesThat().resideInAnyPackage(any(HOST, TOOLS, TCK))
                .check(classes);
    }

    @Test
    @DisplayName("the callback plugin, a template for third parties, uses the SPI alone of this project")
    void callbackSeesOnlyTheSpi() {
        noClasses().that().resideInAPackage("org.qubesstorage.callback..")
                .should().dependOnClassesThat().resideInAnyPackage(any(SUPPORT, HOST, TOOLS, TCK))
                .check(classes);
    }

    @Test
    @DisplayName("no driver imports another driver")
    void driversAreIndependent() {
        for (String driver : DRIVERS) {
            noClasses().that().resideInAPackage(driver)
                    .should().dependOnClassesThat().resideInAnyPackage(without(DRIVERS, driver))
                    .check(classes);
        }
    }

    @Test
    @DisplayName("tools and the host reach drivers only through the SPI")
    void toolsNeverImportADriver() {
        noClasses().that().resideInAnyPackage(any(TOOLS, HOST))
                .should().dependOnClassesThat().resideInAnyPackage(DRIVERS)
                .check(classes);
    }

    @Test
    @DisplayName("qvm-to-lvm's domain does not use Jackson: its journal and --json form is migrate.json's records")
    void migrationWireFormatApart() {
        noClasses().that().resideInAPackage("org.qubesstorage.migrate")
                .should().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson..")
                .check(classes);
        noClasses().that().resideInAPackage("org.qubesstorage.migrate.json")
                .should().dependOnClassesThat().resideInAPackage("org.qubesstorage.migrate")
                .check(classes);
    }

    @Test
    @DisplayName("no package cycle anywhere")
    void noPackageCycles() {
        slices().matching("org.qubesstorage.(**)").should().beFreeOfCycles().check(classes);
    }

    private static String[] any(String[]... groups) {
        return Arrays.stream(groups).flatMap(Arrays::stream).toArray(String[]::new);
    }

    private static String[] without(String[] all, String one) {
        return Arrays.stream(all).filter(s -> !s.equals(one)).toArray(String[]::new);
    }
}
