package org.qubesstorage.xml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.qubesstorage.spi.StorageException;

/**
 * Files shaped like the ones upstream's own tests load (written here, not copied). Each test
 * names the upstream behaviour it mirrors.
 */
@DisplayName("qubes.xml in the shapes upstream writes and loads")
class UpstreamShapesTest {
    /** qubes/tests/storage_callback.py's shape: a dom0 with only a label, no name, no qid. */
    static final String DOM0_ONLY = """
            <qubes>
              <labels><label color="0x000000" id="label-8">black</label></labels>
              <pools>
                <pool dir_path="/var/lib/qubes" driver="file" name="varlibqubes" revisions_to_keep="1"/>
                <pool dir_path="/var/lib/qubes/vm-kernels" driver="linux-kernel" name="linux-kernel"/>
                <pool conf_id="testing" driver="callback" name="cb"/>
              </pools>
              <properties>
                <property name="clockvm"></property>
                <property name="default_pool_kernel">linux-kernel</property>
              </properties>
              <domains>
                <domain id="domain-0" class="AdminVM">
                  <properties><property name="label">black</property></properties>
                  <features/>
                  <tags/>
                </domain>
              </domains>
            </qubes>
            """;

    private static QubesXml parse(String text) {
        return QubesXmlDocument.parse(text, "qubes.xml").model();
    }

    @Test
    @DisplayName("dom0 without name and qid is dom0, qid 0 (AdminVM's defaults in qubes/vm/adminvm.py)")
    void adminVmDefaults() {
        DomainEntry dom0 = parse(DOM0_ONLY).domain("dom0").orElseThrow();
        assertThat(dom0.klass()).isEqualTo("AdminVM");
        assertThat(dom0.qid()).contains(0);
        assertThat(dom0.id()).isEqualTo("domain-0");
    }

    @Test
    @DisplayName("an AdminVM named otherwise, or with another qid, is refused (upstream's setters forbid both)")
    void adminVmForbidden() {
        assertThatThrownBy(() -> parse(DOM0_ONLY.replace("<property name=\"label\">black</property>",
                "<property name=\"name\">admin</property>"))).isInstanceOf(StorageException.class)
                .hasMessageContaining("always dom0");
        assertThatThrownBy(() -> parse(DOM0_ONLY.replace("<property name=\"label\">black</property>",
                "<property name=\"qid\">3</property>"))).isInstanceOf(StorageException.class)
                .hasMessageContaining("qid is always 0");
    }

    @Test
    @DisplayName("any other class without a name is refused, saying only AdminVM has a default name")
    void otherClassesNeedNames() {
        String text = DOM0_ONLY.replace("</domains>", """
                <domain id="domain-1" class="AppVM"><properties><property name="qid">1</property></properties></domain>
                </domains>""");
        assertThatThrownBy(() -> parse(text)).isInstanceOf(StorageException.class)
                .hasMessageContaining("domain-1 (class AppVM) has no name property");
    }

    @Test
    @DisplayName("two domains with one qid are refused (qubesd's VMCollection.add raises ValueError)")
    void duplicateQid() {
        String text = DOM0_ONLY.replace("</domains>", """
                <domain id="domain-1" class="StandaloneVM"><properties><property name="qid">7</property>
                  <property name="name">a</property></properties></domain>
                <domain id="domain-2" class="StandaloneVM"><properties><property name="qid">7</property>
                  <property name="name">b</property></properties></domain>
                </domains>""");
        assertThatThrownBy(() -> parse(text)).isInstanceOf(StorageException.class).hasMessageContaining("qid 7 is used twice");
    }

    @Test
    @DisplayName("numbers are read as Python's int(): surrounding white space and underscores load, '1e9' does not")
    void pythonNumbers() {
        String text = DOM0_ONLY.replace("</domains>", """
                <domain id="domain-1" class="StandaloneVM"><properties><property name="qid"> 5 </property>
                  <property name="name">s</property></properties>
                  <volume-config>
                    <volume name="private" pool="varlibqubes" vid="appvms/s/private" size=" 16777216" revisions_to_keep="1_0"
                      rw="True" save_on_stop="True" snap_on_start="False"/>
                  </volume-config></domain>
                </domains>""");
        assertThat(parse(text).domain("s").orElseThrow().qid()).contains(5);
        assertThatThrownBy(() -> parse(text.replace(" 16777216", "1e9"))).isInstanceOf(StorageException.class)
                .hasMessageContaining("size of volume private is not a whole number");
    }

    @Test
    @DisplayName("without default_pool, a pool named 'default' is the default, else a file pool on /var/lib/qubes (app.py's _default_pool)")
    void defaultPoolFallback() {
        QubesXml xml = parse(DOM0_ONLY);
        assertThat(xml.defaultPoolFor("private")).contains("varlibqubes");
        assertThat(xml.defaultPoolFor("kernel")).contains("linux-kernel");
        QubesXml named = parse(DOM0_ONLY.replace("<pools>", "<pools><pool dir_path=\"/srv/d\" driver=\"file\" name=\"default\"/>"));
        assertThat(named.defaultPoolFor("root")).contains("default");
        QubesXml none = parse(DOM0_ONLY.replace("dir_path=\"/var/lib/qubes\" driver=\"file\"", "dir_path=\"/srv\" driver=\"file\""));
        assertThat(none.defaultPoolFor("root")).isEmpty();
    }

    @Test
    @DisplayName("an element with a 'ref' property (doc/example.xml's old shape) and unknown elements load; text is what counts")
    void refProperties() {
        String text = DOM0_ONLY.replace("</domains>", """
                <domain class="StandaloneVM" id="domain-2">
                  <properties><property name="qid">2</property><property name="name">appvm</property>
                    <property name="label" ref="label-1" /></properties>
                  <tags><tag name="userdef">qwe123</tag></tags>
                  <devices class="pci"><device backend-domain="dom0" id="01_23.4"/></devices>
                </domain>
                </domains>""");
        assertThat(parse(text).domain("appvm")).isPresent();
    }

    @Test
    @DisplayName("a UTF-16 file is refused naming the encoding found and what is accepted; XML 1.1 is refused deliberately")
    void encodings(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
        java.nio.file.Path utf16 = dir.resolve("utf16.xml");
        java.nio.file.Files.write(utf16, ("\uFEFF" + DOM0_ONLY).getBytes(java.nio.charset.StandardCharsets.UTF_16LE));
        assertThatThrownBy(() -> QubesXmlFile.load(utf16)).isInstanceOf(StorageException.class)
                .hasMessageContaining("encoded as UTF-16LE").hasMessageContaining("only UTF-8");
        java.nio.file.Path xml11 = dir.resolve("xml11.xml");
        java.nio.file.Files.writeString(xml11, "<?xml version=\"1.1\" encoding=\"utf-8\"?>\n" + DOM0_ONLY);
        assertThatThrownBy(() -> QubesXmlFile.load(xml11)).isInstanceOf(StorageException.class).hasMessageContaining("XML 1.1");
        java.nio.file.Path bom = dir.resolve("bom.xml");
        java.nio.file.Files.writeString(bom, "\uFEFF<?xml version='1.0' encoding='utf-8'?>\n" + DOM0_ONLY);
        assertThat(QubesXmlFile.load(bom).document().model().domain("dom0")).isPresent();
        assertThatThrownBy(() -> QubesXmlFile.load(java.nio.file.Path.of(""))).isInstanceOf(StorageException.class)
                .hasMessageContaining("the path is empty");
    }

    /**
     * qubesadmin/tests/backup/backupcompatibility.py's R1/R2 shape: one line, service VMs
     * (QubesNetVm, QubesProxyVm) based on the template, an AppVM without a template, a DispVM
     * without a name (core2.py's mapping: template-based is AppVM, otherwise StandaloneVM).
     */
    @Test
    @DisplayName("an R1/R2 one-line QubesVmCollection maps its VMs to R4 classes as upstream's restore does")
    void legacyOneLine() {
        String text = "<?xml version='1.0' encoding='UTF-8'?>\n<QubesVmCollection clockvm=\"2\" default_kernel=\"3.2.7-10\""
                + " default_template=\"1\" updatevm=\"3\"><QubesTemplateVm dir_path=\"/var/lib/qubes/vm-templates/f17\""
                + " name=\"f17\" private_img=\"private.img\" qid=\"1\" root_img=\"root.img\" template_qid=\"none\""
                + " volatile_img=\"volatile.img\" /><QubesNetVm dir_path=\"/var/lib/qubes/servicevms/netvm\" name=\"netvm\""
                + " qid=\"2\" template_qid=\"1\" /><QubesProxyVm dir_path=\"/var/lib/qubes/servicevms/firewallvm\""
                + " name=\"firewallvm\" qid=\"3\" template_qid=\"1\" /><QubesAppVm dir_path=\"/var/lib/qubes/appvms/alone\""
                + " kernel=\"None\" name=\"alone\" qid=\"9\" template_qid=\"none\" /><QubesDisposableVm dispid=\"50\" qid=\"15\""
                + " template_qid=\"1\" /></QubesVmCollection>";
        QubesXml xml = parse(text);
        assertThat(xml.format()).isEqualTo(QubesXml.Format.LEGACY_R2_R3);
        assertThat(xml.domain("f17").orElseThrow().klass()).isEqualTo("TemplateVM");
        assertThat(xml.domain("netvm").orElseThrow().klass()).isEqualTo("AppVM");
        assertThat(xml.domain("firewallvm").orElseThrow().template()).contains("f17");
        assertThat(xml.domain("alone").orElseThrow().klass()).isEqualTo("StandaloneVM");
        assertThat(xml.domain("alone").orElseThrow().images()).containsKeys("root", "private", "volatile");
        assertThat(xml.domain("disp50").orElseThrow().klass()).isEqualTo("DispVM");
    }
}
