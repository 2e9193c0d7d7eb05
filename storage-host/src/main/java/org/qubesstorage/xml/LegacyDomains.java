package org.qubesstorage.xml;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.stream.Location;
import org.qubesstorage.spi.StorageException;

/**
 * The R2/R3 {@code QubesVmCollection} format: one element per VM ({@code QubesTemplateVm},
 * {@code QubesAppVm}, ...) whose attributes name its template by {@code template_qid} and its images
 * by {@code dir_path} and {@code *_img}. Mapped to R4 classes the way upstream's backup restore does
 * ({@code qubesadmin/backup/core2.py}): a non-template without a template is a StandaloneVM.
 */
final class LegacyDomains {
    private static final Map<String, String> TEMPLATE_CLASSES = Map.of(
            "QubesTemplateVm", "TemplateVM", "QubesTemplateHVm", "TemplateVM");
    private static final List<String> KNOWN = List.of("QubesAdminVm", "QubesTemplateVm", "QubesTemplateHVm",
            "QubesAppVm", "QubesHVm", "QubesNetVm", "QubesProxyVm", "QubesDisposableVm");

    private LegacyDomains() {}

    static DomainEntry fromElement(String element, Map<String, String> attrs, String file, Location loc) {
        if (!KNOWN.contains(element)) {
            throw XmlErrors.at(file, loc, "unknown VM element <" + element + "> in QubesVmCollection");
        }
        String qidText = attrs.get("qid");
        if (qidText == null) {
            throw XmlErrors.at(file, loc, "<" + element + "> has no qid");
        }
        int qid = Values.parseInt("qid", qidText, file, loc);
        String name = attrs.get("name");
        if (element.equals("QubesDisposableVm") && name == null) {
            name = "disp" + attrs.getOrDefault("dispid", qidText);
        }
        if (name == null) {
            throw XmlErrors.at(file, loc, "<" + element + "> qid " + qid + " has no name");
        }
        if (!element.equals("QubesAdminVm")) {
            Values.requireDomainName(name, file, loc);
        }
        String templateQid = attrs.getOrDefault("template_qid", "none");
        boolean templateBased = !templateQid.equals("none") && !templateQid.isEmpty();
        String klass;
        if (element.equals("QubesAdminVm")) {
            klass = "AdminVM";
        } else if (TEMPLATE_CLASSES.containsKey(element)) {
            klass = "TemplateVM";
        } else if (element.equals("QubesDisposableVm")) {
            klass = "DispVM";
        } else {
            klass = templateBased ? "AppVM" : "StandaloneVM";
        }
        Map<String, String> props = new LinkedHashMap<>(attrs);
        if (templateBased) {
            Values.parseInt("template_qid of " + name, templateQid, file, loc);
        }
        Optional<Path> dir = Optional.ofNullable(attrs.get("dir_path")).filter(s -> !s.isEmpty()).map(Path::of);
        if (dir.isPresent() && !dir.get().isAbsolute()) {
            throw XmlErrors.at(file, loc, "dir_path of " + name + " is not absolute: " + dir.get());
        }
        if (dir.isPresent() && dir.get().normalize().toString().contains("..")) {
            throw XmlErrors.at(file, loc, "dir_path of " + name + " is not acceptable: " + dir.get());
        }
        Map<String, Path> images = new LinkedHashMap<>();
        Map<String, Map<String, String>> volumes = new LinkedHashMap<>();
        if (dir.isPresent() && !klass.equals("AdminVM")) {
            boolean ownRoot = klass.equals("TemplateVM") || klass.equals("StandaloneVM");
            if (ownRoot) {
                images.put("root", image(dir.get(), attrs.getOrDefault("root_img", "root.img"), name, file, loc));
            }
            if (!klass.equals("DispVM")) {
                images.put("private", image(dir.get(), attrs.getOrDefault("private_img", "private.img"), name, file, loc));
            }
            images.put("volatile", image(dir.get(), attrs.getOrDefault("volatile_img", "volatile.img"), name, file, loc));
        }
        return new DomainEntry("qid-" + qid, klass, name, Optional.of(qid),
                templateBased ? Optional.of("qid:" + templateQid) : Optional.empty(), props, volumes, dir, images);
    }

    private static Path image(Path dir, String img, String vm, String file, Location loc) {
        Path p = dir.resolve(img).normalize();
        if (!p.startsWith(dir.normalize()) && !Path.of(img).isAbsolute()) {
            throw XmlErrors.at(file, loc, "image " + img + " of " + vm + " escapes its directory");
        }
        return p;
    }

    /** Replaces {@code qid:<n>} template references by template names. */
    static List<DomainEntry> resolveTemplates(List<DomainEntry> domains, String file) {
        Map<Integer, String> byQid = new HashMap<>();
        for (DomainEntry d : domains) {
            d.qid().ifPresent(q -> byQid.put(q, d.name()));
        }
        List<DomainEntry> out = new ArrayList<>();
        for (DomainEntry d : domains) {
            Optional<String> template = d.template();
            if (template.isPresent() && template.get().startsWith("qid:")) {
                int qid = Integer.parseInt(template.get().substring(4));
                String t = byQid.get(qid);
                if (t == null) {
                    throw StorageException.invalidConfiguration(file + ": " + d.name() + " names template qid "
                            + qid + ", which is not in the file");
                }
                template = Optional.of(t);
            }
            out.add(new DomainEntry(d.id(), d.klass(), d.name(), d.qid(), template, d.properties(), d.volumes(),
                    d.dirPath(), d.images()));
        }
        return out;
    }
}
