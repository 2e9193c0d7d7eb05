package org.qubesstorage.tck.sample;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A small but real Qubes installation in a scratch directory, laid out as R4's {@code file} pool
 * lays out {@code /var/lib/qubes}: a template, an AppVM, a DispVM template with a DispVM, and a
 * standalone, each image a sparse file holding a real ext4 file system with files in it (made by
 * {@code mkfs.ext4 -d}, so no mount is needed), plus a kernel directory and the qubes.xml naming
 * it all. The qvm-to-lvm demo and the migration tests start from it; a plugin author can migrate it into their own pool.
 */
public final class SampleInstallation {
    public static final long MIB = 1 << 20;
    public static final String TEMPLATE = "debian-12";
    /** Domains with their own data, in migration order. */
    public static final List<String> DOMAINS = List.of(TEMPLATE, "work", "default-dvm", "disp42", "standalone");

    private SampleInstallation() {}

    /** Builds the installation under {@code dir} (created) and returns its qubes.xml. */
    public static Path build(Path dir) {
        return build(dir, 1);
    }

    /**
     * Builds the installation with every image {@code divisor} times smaller (at least 16 MiB) and
     * at most 1 MiB of files per image when divided: the same domains and volumes, for tests that
     * migrate it many times.
     */
    public static Path build(Path dir, int divisor) {
        try {
            Files.createDirectories(dir);
            Path root = dir.toAbsolutePath();
            int[] sizes = {512, 128, 256, 128, 384, 128};
            int[] data = {6, 1, 4, 2, 5, 3};
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = Math.max(16, sizes[i] / divisor);
                data[i] = divisor > 1 ? 1 : data[i];
            }
            image(root, "vm-templates/debian-12/root", sizes[0], TEMPLATE, "root", data[0]);
            image(root, "vm-templates/debian-12/private", sizes[1], TEMPLATE, "private", data[1]);
            image(root, "appvms/work/private", sizes[2], "work", "private", data[2]);
            image(root, "appvms/default-dvm/private", sizes[3], "default-dvm", "private", data[3]);
            image(root, "appvms/standalone/root", sizes[4], "standalone", "root", data[4]);
            image(root, "appvms/standalone/private", sizes[5], "standalone", "private", data[5]);
            Path kernel = Files.createDirectories(root.resolve("vm-kernels/6.12.0-1"));
            for (String f : List.of("vmlinuz", "initramfs", "modules.img")) {
                Files.writeString(kernel.resolve(f), "sample " + f + "\n");
            }
            Files.createDirectories(root.resolve("appvms/disp42"));
            Path xml = root.resolve("qubes.xml");
            Files.writeString(xml, qubesXml(root, sizes), StandardCharsets.UTF_8);
            return xml;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A sparse {@code sizeMib} image at {@code <vid>.img} with an ext4 file system holding {@code dataMib} of files. */
    private static void image(Path root, String vid, int sizeMib, String domain, String volume, int dataMib) throws IOException {
        Path img = root.resolve(vid + ".img");
        Files.createDirectories(img.getParent());
        Path content = Files.createTempDirectory(root, ".content-");
        try {
            Files.writeString(content.resolve("README"), "This is " + domain + "'s " + volume + " volume.\n");
            Path home = Files.createDirectories(content.resolve("home/user"));
            Random random = new Random((domain + "/" + volume).hashCode());
            for (int i = 0; i < dataMib; i++) {
                byte[] data = new byte[(int) MIB];
                random.nextBytes(data);
                Files.write(home.resolve("file-" + i + ".bin"), data);
            }
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                lines.add(domain + " " + volume + " line " + i);
            }
            Files.write(home.resolve("notes.txt"), lines);
            run(List.of("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-d", content.toString(),
                    "--", img.toString(), sizeMib + "M"));
        } finally {
            deleteTree(content);
        }
    }

    public static void run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + argv.getFirst() + " (is it installed?): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String qubesXml(Path root, int[] mib) {
        String gib10 = Long.toString(10L << 30);
        String v = """
                        <volume name="%s" pool="%s" vid="%s" revisions_to_keep="%s" rw="%s" save_on_stop="%s" snap_on_start="%s"%s%s/>
                """;
        StringBuilder sb = new StringBuilder();
        sb.append("<?xml version='1.0' encoding='utf-8'?>\n<qubes>\n  <labels>\n")
                .append("    <label id=\"label-1\" color=\"0xcc0000\">red</label>\n    <label id=\"label-8\" color=\"0x000000\">black</label>\n")
                .append("  </labels>\n  <pools>\n")
                .append("    <pool name=\"varlibqubes\" dir_path=\"").append(root).append("\" driver=\"file\" revisions_to_keep=\"1\" ephemeral_volatile=\"False\"/>\n")
                .append("    <pool name=\"linux-kernel\" dir_path=\"").append(root.resolve("vm-kernels")).append("\" driver=\"linux-kernel\"/>\n")
                .append("  </pools>\n  <properties>\n")
                .append("    <property name=\"default_kernel\">6.12.0-1</property>\n")
                .append("    <property name=\"default_pool\">varlibqubes</property>\n")
                .append("    <property name=\"default_pool_kernel\">linux-kernel</property>\n")
                .append("    <property name=\"default_template\">debian-12</property>\n")
                .append("  </properties>\n  <domains>\n");
        // dom0 as qubesd writes it: name and qid are AdminVM defaults, so they are never saved.
        sb.append("    <domain id=\"domain-0\" class=\"AdminVM\">\n      <properties>\n"
                + "        <property name=\"label\">label-8</property>\n      </properties>\n      <features/>\n      <tags/>\n    </domain>\n");
        String kernel = v.formatted("kernel", "linux-kernel", "6.12.0-1", "0", "False", "False", "False", "", "");
        sb.append(domain("domain-2", "AppVM", "work", 2, TEMPLATE,
                v.formatted("root", "varlibqubes", "appvms/work/root", "0", "True", "False", "True", size(mib[0]), " source=\"vm-templates/debian-12/root\"")
                + v.formatted("private", "varlibqubes", "appvms/work/private", "1", "True", "True", "False", size(mib[2]), "")
                + v.formatted("volatile", "varlibqubes", "appvms/work/volatile", "0", "True", "False", "False", " size=\"" + gib10 + "\"", "")
                + kernel));
        sb.append(domain("domain-3", "AppVM", "default-dvm", 3, TEMPLATE,
                v.formatted("root", "varlibqubes", "appvms/default-dvm/root", "0", "True", "False", "True", size(mib[0]), " source=\"vm-templates/debian-12/root\"")
                + v.formatted("private", "varlibqubes", "appvms/default-dvm/private", "1", "True", "True", "False", size(mib[3]), "")
                + v.formatted("volatile", "varlibqubes", "appvms/default-dvm/volatile", "0", "True", "False", "False", " size=\"" + gib10 + "\"", "")
                + kernel).replace("<property name=\"qid\">3</property>",
                        "<property name=\"qid\">3</property>\n        <property name=\"template_for_dispvms\">True</property>"));
        sb.append(domain("domain-4", "DispVM", "disp42", 4, "default-dvm",
                v.formatted("root", "varlibqubes", "appvms/disp42/root", "0", "True", "False", "True", size(mib[0]), " source=\"vm-templates/debian-12/root\"")
                + v.formatted("private", "varlibqubes", "appvms/disp42/private", "0", "True", "False", "True", size(mib[3]), " source=\"appvms/default-dvm/private\"")
                + v.formatted("volatile", "varlibqubes", "appvms/disp42/volatile", "0", "True", "False", "False", " size=\"" + gib10 + "\"", "")
                + kernel));
        // The template comes after the domains based on it, as in files restored or edited by hand.
        sb.append(domain("domain-1", "TemplateVM", TEMPLATE, 1, null,
                v.formatted("root", "varlibqubes", "vm-templates/debian-12/root", "1", "True", "True", "False", size(mib[0]), "")
                + v.formatted("private", "varlibqubes", "vm-templates/debian-12/private", "1", "True", "True", "False", size(mib[1]), "")
                + v.formatted("volatile", "varlibqubes", "vm-templates/debian-12/volatile", "0", "True", "False", "False", " size=\"" + gib10 + "\"", "")
                + kernel));
        sb.append(domain("domain-5", "StandaloneVM", "standalone", 5, null,
                v.formatted("root", "varlibqubes", "appvms/standalone/root", "1", "True", "True", "False", size(mib[4]), "")
                + v.formatted("private", "varlibqubes", "appvms/standalone/private", "1", "True", "True", "False", size(mib[5]), "")
                + v.formatted("volatile", "varlibqubes", "appvms/standalone/volatile", "0", "True", "False", "False", " size=\"" + gib10 + "\"", "")
                + kernel));
        sb.append("  </domains>\n</qubes>\n");
        return sb.toString();
    }

    private static String size(int mib) {
        return " size=\"" + mib * MIB + "\"";
    }

    private static String domain(String id, String klass, String name, int qid, String template, String volumes) {
        StringBuilder sb = new StringBuilder();
        sb.append("    <domain id=\"").append(id).append("\" class=\"").append(klass).append("\">\n      <properties>\n")
                .append("        <property name=\"name\">").append(name).append("</property>\n")
                .append("        <property name=\"qid\">").append(qid).append("</property>\n");
        if (template != null) {
            sb.append("        <property name=\"template\">").append(template).append("</property>\n");
        }
        sb.append("        <property name=\"label\">label-1</property>\n      </properties>\n      <features/>\n      <tags/>\n");
        if (!volumes.isEmpty()) {
            sb.append("      <volume-config>\n").append(volumes).append("      </volume-config>\n");
        }
        sb.append("    </domain>\n");
        return sb.toString();
    }
}
