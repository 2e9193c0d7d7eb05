package org.qubesstorage.xml;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Reading qubes.xml")
class QubesXmlReadingTest {

    static String resource(String name) throws IOException {
        try (InputStream in = QubesXmlReadingTest.class.getResourceAsStream("/qubes-xml/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    @DisplayName("an R4 file gives pools, default pools, domains and their volume attributes")
    void r4() throws IOException {
        QubesXml xml = QubesXmlDocument.parse(resource("r4.xml"), "r4.xml").model();
        assertThat(xml.format()).isEqualTo(QubesXml.Format.R4);
        assertThat(xml.pools()).hasSize(3);
        assertThat(xml.pool("vm-pool")).get().satisfies(p -> {
            assertThat(p).containsEntry("driver", "lvm_thin").containsEntry("volume_group", "qubes_dom0");
        });
        assertThat(xml.defaultPoolFor("private")).contains("vm-pool");
        assertThat(xml.defaultPoolFor("kernel")).contains("linux-kernel");
        DomainEntry work = xml.domain("work").orElseThrow();
        assertThat(work.klass()).isEqualTo("AppVM");
        assertThat(work.template()).contains("fedora-42");
        assertThat(work.qid()).contains(2);
        assertThat(work.volumeNames()).containsExactly("root", "private", "volatile");
        assertThat(work.volumes().get("private")).containsEntry("revisions_to_keep", "2")
                .containsEntry("vid", "appvms/work/private");
        assertThat(work.volumes().get("root")).containsEntry("source", "vm-templates/fedora-42/root");
        assertThat(xml.domain("dom0").orElseThrow().klass()).isEqualTo("AdminVM");
        assertThat(xml.domain("fedora-42").orElseThrow().isTemplate()).isTrue();
    }

    @Test
    @DisplayName("an early R4.0 file that omits False booleans is read as written")
    void earlyR40() throws IOException {
        QubesXml xml = QubesXmlDocument.parse(resource("r40-early.xml"), "r40.xml").model();
        Map<String, String> root = xml.domain("test-d8test").orElseThrow().volumes().get("root");
        assertThat(root).doesNotContainKey("rw").doesNotContainKey("save_on_stop").containsEntry("snap_on_start", "True");
        assertThat(xml.domain("test-d8test").orElseThrow().volumes().get("kernel")).containsEntry("vid", "");
    }

    @Test
    @DisplayName("a legacy R2/R3 QubesVmCollection maps classes, templates and image paths")
    void legacy() throws IOException {
        QubesXml xml = QubesXmlDocument.parse(resource("r2.xml"), "r2.xml").model();
        assertThat(xml.format()).isEqualTo(QubesXml.Format.LEGACY_R2_R3);
        DomainEntry tpl = xml.domain("fedora-20-x64").orElseThrow();
        assertThat(tpl.klass()).isEqualTo("TemplateVM");
        assertThat(tpl.images()).containsEntry("root", Path.of("/var/lib/qubes/vm-templates/fedora-20-x64/root.img"))
                .containsEntry("private", Path.of("/var/lib/qubes/vm-templates/fedora-20-x64/private.img"));
        DomainEntry work = xml.domain("test-work").orElseThrow();
        assertThat(work.klass()).isEqualTo("AppVM");
        assertThat(work.template()).contains("fedora-20-x64");
        assertThat(work.images()).containsOnlyKeys("private", "volatile");
        assertThat(xml.domain("test-standalonevm").orElseThrow().klass()).isEqualTo("StandaloneVM");
        assertThat(xml.domain("test-standalonevm").orElseThrow().images()).containsKey("root");
        assertThat(xml.domain("netvm").orElseThrow().dirPath()).contains(Path.of("/var/lib/qubes/servicevms/netvm"));
        assertThat(xml.domain("disp50").orElseThrow().klass()).isEqualTo("DispVM");
        assertThat(xml.domain("test-testhvm").orElseThrow().template()).isEqualTo(Optional.empty());
        assertThat(xml.properties()).containsEntry("default_template", "1");
    }
}
