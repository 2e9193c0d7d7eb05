package org.qubesstorage.xml;

import com.ctc.wstx.api.WstxInputProperties;
import com.ctc.wstx.stax.WstxInputFactory;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.stream.Location;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.qubesstorage.spi.StorageException;

/**
 * Parses {@code qubes.xml} with Woodstox, hardened: DTDs (and so entity expansion bombs and external
 * entities) are refused outright, the size and nesting are bounded, and every malformed or
 * out-of-range value is reported with file, line and column. Records where each element of interest
 * stands in the text, so {@link QubesXmlDocument} can edit it without touching anything else.
 */
final class QubesXmlParser {
    static final int MAX_CHARS = 64 << 20;
    private static final int MAX_DEPTH = 64;

    private final String text;
    private final String fileName;
    private final List<ElementRef> refs = new ArrayList<>();

    record Parsed(QubesXml model, List<ElementRef> refs) {}

    private QubesXmlParser(String text, String fileName) {
        this.text = text;
        this.fileName = fileName;
    }

    static Parsed parse(String text, String fileName) {
        if (text.length() > MAX_CHARS) {
            throw StorageException.invalidConfiguration(fileName + ": larger than " + (MAX_CHARS >> 20)
                    + " MiB; refusing to parse it");
        }
        return new QubesXmlParser(text, fileName).run();
    }

    private static XMLInputFactory factory() {
        XMLInputFactory f = new WstxInputFactory();
        f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        f.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, false);
        f.setProperty(XMLInputFactory.IS_COALESCING, true);
        f.setProperty(WstxInputProperties.P_MAX_ELEMENT_DEPTH, MAX_DEPTH);
        f.setProperty(WstxInputProperties.P_MAX_ATTRIBUTES_PER_ELEMENT, 256);
        f.setProperty(WstxInputProperties.P_MAX_ATTRIBUTE_SIZE, 65536);
        f.setProperty(WstxInputProperties.P_MAX_ENTITY_COUNT, 1L);
        return f;
    }

    private Parsed run() {
        try {
            XMLStreamReader r = factory().createXMLStreamReader(new StringReader(text));
            try {
                return walk(r);
            } finally {
                r.close();
            }
        } catch (XMLStreamException e) {
            String msg = e.getMessage() == null ? "malformed XML" : e.getMessage().replaceAll("\\s+", " ");
            // Woodstox prefixes its own location; keep our file:line:column form.
            msg = msg.replaceFirst("^ParseError at \\[row,col\\]:\\[\\d+,\\d+\\] Message: ", "");
            throw XmlErrors.at(fileName, e.getLocation(), "malformed XML: " + msg);
        }
    }

    private Parsed walk(XMLStreamReader r) throws XMLStreamException {
        Deque<String> path = new ArrayDeque<>();
        String rootName = null;
        List<Map<String, String>> pools = new ArrayList<>();
        Map<String, String> globalProps = new LinkedHashMap<>();
        List<DomainBuilder> domains = new ArrayList<>();
        DomainBuilder domain = null;
        String propertyName = null;
        StringBuilder propertyText = null;
        boolean inDomainProperties = false;
        Deque<int[]> openStarts = new ArrayDeque<>();
        Deque<ElementRef> openRefs = new ArrayDeque<>();

        while (r.hasNext()) {
            int event = r.next();
            switch (event) {
                case XMLStreamConstants.DTD -> throw XmlErrors.at(fileName, r.getLocation(),
                        "a DOCTYPE/DTD is not allowed in qubes.xml (refused to protect against entity attacks)");
                case XMLStreamConstants.ENTITY_REFERENCE -> throw XmlErrors.at(fileName, r.getLocation(),
                        "entity references are not allowed in qubes.xml");
                case XMLStreamConstants.START_ELEMENT -> {
                    Location loc = r.getLocation();
                    int offset = offsetOf(loc, r.getLocalName());
                    StartTag tag = StartTag.scan(text, offset);
                    String name = r.getLocalName();
                    String parent = path.peek();
                    path.push(name);
                    Map<String, String> attrs = attributes(r);
                    ElementRef.Kind kind = ElementRef.Kind.OTHER;
                    String key = "";
                    int domainIndex = domain == null ? -1 : domains.size() - 1;
                    if (rootName == null) {
                        rootName = name;
                        kind = ElementRef.Kind.ROOT;
                        if (name.equals("QubesVmCollection")) {
                            globalProps.putAll(attrs);
                        } else if (!name.equals("qubes")) {
                            throw XmlErrors.at(fileName, loc, "not a qubes.xml: the root element is <" + name
                                    + ">, expected <qubes> or <QubesVmCollection>");
                        }
                    } else if (rootName.equals("QubesVmCollection") && path.size() == 2) {
                        domains.add(DomainBuilder.of(LegacyDomains.fromElement(name, attrs, fileName, loc)));
                        domainIndex = domains.size() - 1;
                        kind = ElementRef.Kind.DOMAIN;
                    } else if (rootName.equals("qubes")) {
                        int depth = path.size();
                        if (depth == 2 && name.equals("pools")) {
                            kind = ElementRef.Kind.POOLS;
                        } else if (depth == 2 && name.equals("properties")) {
                            kind = ElementRef.Kind.PROPERTIES;
                        } else if (depth == 2 && name.equals("domains")) {
                            kind = ElementRef.Kind.DOMAINS;
                        } else if (depth == 3 && "pools".equals(parent) && name.equals("pool")) {
                            kind = ElementRef.Kind.POOL;
                            key = Values.requirePoolAttributes(attrs, fileName, loc);
                            pools.add(attrs);
                        } else if (depth == 3 && "properties".equals(parent) && name.equals("property")) {
                            propertyName = requireAttr(attrs, "name", loc);
                            propertyText = new StringBuilder();
                        } else if (depth == 3 && "domains".equals(parent) && name.equals("domain")) {
                            domain = new DomainBuilder(attrs.getOrDefault("id", "domain-" + (domains.size() + 1)),
                                    requireAttr(attrs, "class", loc), loc);
                            domains.add(domain);
                            domainIndex = domains.size() - 1;
                            kind = ElementRef.Kind.DOMAIN;
                        } else if (domain != null && depth == 4 && name.equals("properties")) {
                            inDomainProperties = true;
                        } else if (domain != null && depth == 5 && inDomainProperties && name.equals("property")) {
                            propertyName = requireAttr(attrs, "name", loc);
                            propertyText = new StringBuilder();
                        } else if (domain != null && depth == 4 && name.equals("volume-config")) {
                            kind = ElementRef.Kind.VOLUME_CONFIG;
                        } else if (domain != null && depth == 5 && "volume-config".equals(parent) && name.equals("volume")) {
                            key = Values.requireVolumeAttributes(attrs, fileName, loc);
                            if (domain.volumes.put(key, attrs) != null) {
                                throw XmlErrors.at(fileName, loc, "volume " + key + " is listed twice in one domain");
                            }
                            kind = ElementRef.Kind.VOLUME;
                        }
                    }
                    openStarts.push(new int[] {offset, tag.end(), tag.selfClosing() ? 1 : 0});
                    openRefs.push(new ElementRef(kind, domainIndex, key, offset, tag.end(), -1, tag.selfClosing()));
                }
                case XMLStreamConstants.CHARACTERS, XMLStreamConstants.CDATA, XMLStreamConstants.SPACE -> {
                    if (propertyText != null) {
                        propertyText.append(r.getText());
                    }
                }
                case XMLStreamConstants.END_ELEMENT -> {
                    String name = path.pop();
                    int[] start = openStarts.pop();
                    ElementRef open = openRefs.pop();
                    int end;
                    if (start[2] == 1) {
                        end = start[1];
                    } else {
                        int closeAt = (int) r.getLocation().getCharacterOffset();
                        end = text.indexOf('>', closeAt) + 1;
                    }
                    if (open.kind() != ElementRef.Kind.OTHER) {
                        refs.add(new ElementRef(open.kind(), open.domainIndex(), open.key(), open.start(),
                                open.startTagEnd(), end, open.selfClosing()));
                    }
                    if (name.equals("property") && propertyName != null) {
                        if (domain != null && inDomainProperties) {
                            domain.properties.put(propertyName, propertyText.toString());
                        } else if (domain == null) {
                            globalProps.put(propertyName, propertyText.toString());
                        }
                        propertyName = null;
                        propertyText = null;
                    } else if (name.equals("properties") && domain != null) {
                        inDomainProperties = false;
                    } else if (name.equals("domain") && domain != null && path.size() == 2) {
                        domain = null;
                    }
                }
                default -> { }
            }
        }
        if (rootName == null) {
            throw StorageException.invalidConfiguration(fileName + ": empty document");
        }
        QubesXml.Format format = rootName.equals("qubes") ? QubesXml.Format.R4 : QubesXml.Format.LEGACY_R2_R3;
        List<DomainEntry> entries = new ArrayList<>();
        for (DomainBuilder b : domains) {
            entries.add(b.build(fileName));
        }
        if (format == QubesXml.Format.LEGACY_R2_R3) {
            entries = LegacyDomains.resolveTemplates(entries, fileName);
        }
        Values.requireUniqueDomains(entries, pools, fileName);
        return new Parsed(new QubesXml(format, pools, globalProps, entries), List.copyOf(refs));
    }

    private int offsetOf(Location loc, String name) {
        int offset = (int) loc.getCharacterOffset();
        if (offset < 0 || offset >= text.length() || !text.startsWith("<" + name, offset)) {
            // Woodstox reports the start of the tag; anything else means we cannot edit safely.
            throw XmlErrors.at(fileName, loc, "internal error: cannot locate <" + name + "> in the text");
        }
        return offset;
    }

    private static Map<String, String> attributes(XMLStreamReader r) {
        Map<String, String> attrs = new LinkedHashMap<>();
        for (int i = 0; i < r.getAttributeCount(); i++) {
            attrs.put(r.getAttributeLocalName(i), r.getAttributeValue(i));
        }
        return attrs;
    }

    private String requireAttr(Map<String, String> attrs, String name, Location loc) {
        String v = attrs.get(name);
        if (v == null) {
            throw XmlErrors.at(fileName, loc, "missing attribute " + name);
        }
        return v;
    }

    /** Collects one R4 {@code <domain>} while it is parsed. */
    static final class DomainBuilder {
        final String id;
        final String klass;
        final Location location;
        final Map<String, String> properties = new LinkedHashMap<>();
        final Map<String, Map<String, String>> volumes = new LinkedHashMap<>();
        DomainEntry legacy;

        DomainBuilder(String id, String klass, Location location) {
            this.id = id;
            this.klass = klass;
            this.location = location;
        }

        static DomainBuilder of(DomainEntry legacy) {
            DomainBuilder b = new DomainBuilder(legacy.id(), legacy.klass(), null);
            b.legacy = legacy;
            return b;
        }

        DomainEntry build(String fileName) {
            if (legacy != null) {
                return legacy;
            }
            ClassDefaults defaults = ClassDefaults.of(klass);
            String name = properties.get("name");
            if (name == null) {
                name = defaults.name().orElseThrow(() -> XmlErrors.at(fileName, location, "domain " + id + " (class "
                        + klass + ") has no name property, and only AdminVM has a default name"));
            } else if (defaults.name().isPresent() && !defaults.name().get().equals(name)) {
                throw XmlErrors.at(fileName, location, "domain " + id + ": an AdminVM's name is always "
                        + defaults.name().get() + " (upstream forbids setting it), not '" + name + "'");
            } else {
                Values.requireDomainName(name, fileName, location);
            }
            String domainName = name;
            Optional<Integer> qid = Optional.ofNullable(properties.get("qid"))
                    .map(q -> Values.parseInt("qid of " + domainName, q, fileName, location))
                    .or(defaults::qid);
            if (defaults.qid().isPresent() && !qid.equals(defaults.qid())) {
                throw XmlErrors.at(fileName, location, "domain " + id + ": an AdminVM's qid is always "
                        + defaults.qid().get() + ", not " + qid.orElseThrow());
            }
            Optional<String> template = Optional.ofNullable(properties.get("template")).filter(t -> !t.isEmpty());
            return new DomainEntry(id, klass, name, qid, template, properties, volumes, Optional.empty(), Map.of());
        }
    }

    static Path path(String p) {
        return Path.of(p);
    }
}
