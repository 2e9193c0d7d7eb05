package org.qubesstorage.xml;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.qubesstorage.spi.StorageException;

/**
 * A {@code qubes.xml} text and what it says, edited losslessly: every edit splices only the bytes of
 * the attribute or element it changes, so comments, attribute order, quoting, white space and line
 * breaks inside tags, and unknown elements all stay exactly as they were.
 *
 * <p>Immutable: each edit returns a new document, re-parsed from the spliced text, so a broken edit
 * can never be saved.
 */
public final class QubesXmlDocument {
    private final String text;
    private final String fileName;
    private final QubesXml model;
    private final List<ElementRef> refs;

    private QubesXmlDocument(String text, String fileName, QubesXmlParser.Parsed parsed) {
        this.text = text;
        this.fileName = fileName;
        this.model = parsed.model();
        this.refs = parsed.refs();
    }

    /** Parses {@code text}; {@code fileName} is used in error messages. */
    public static QubesXmlDocument parse(String text, String fileName) {
        requireNonNull(text, "text");
        requireNonNull(fileName, "fileName");
        return new QubesXmlDocument(text, fileName, QubesXmlParser.parse(text, fileName));
    }

    public String text() {
        return text;
    }

    public QubesXml model() {
        return model;
    }

    /** Sets (or adds, after the last attribute) one attribute of a domain's {@code <volume>}. */
    public QubesXmlDocument withVolumeAttribute(String domain, String volume, String attribute, String value) {
        requireR4("edit volumes");
        ElementRef ref = volumeRef(domain, volume);
        StartTag tag = StartTag.scan(text, ref.start());
        Optional<StartTag.Attr> existing = tag.attribute(attribute);
        if (existing.isPresent()) {
            StartTag.Attr a = existing.get();
            return splice(a.valueStart(), a.valueEnd(), StartTag.escape(value, a.quote()));
        }
        char quote = tag.attributes().isEmpty() ? '"' : tag.attributes().getLast().quote();
        return splice(tag.lastValueEnd(), tag.lastValueEnd(),
                " " + attribute + "=" + quote + StartTag.escape(value, quote) + quote);
    }

    /** Sets several attributes of a domain's {@code <volume>}, in map order. */
    public QubesXmlDocument withVolumeAttributes(String domain, String volume, Map<String, String> attributes) {
        QubesXmlDocument doc = this;
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            doc = doc.withVolumeAttribute(domain, volume, e.getKey(), e.getValue());
        }
        return doc;
    }

    /** Removes one attribute of a domain's {@code <volume>} (with the white space before it). */
    public QubesXmlDocument withoutVolumeAttribute(String domain, String volume, String attribute) {
        requireR4("edit volumes");
        ElementRef ref = volumeRef(domain, volume);
        StartTag tag = StartTag.scan(text, ref.start());
        Optional<StartTag.Attr> existing = tag.attribute(attribute);
        if (existing.isEmpty()) {
            return this;
        }
        int from = existing.get().nameStart();
        while (from > ref.start() && Character.isWhitespace(text.charAt(from - 1))) {
            from--;
        }
        return splice(from, existing.get().valueEnd() + 1, "");
    }

    /** Adds a {@code <pool>} after the last one, indented like it (or a {@code <pools>} if none). */
    public QubesXmlDocument withPool(Map<String, String> attributes) {
        requireR4("add pools");
        String name = attributes.get("name");
        if (name == null || attributes.get("driver") == null) {
            throw StorageException.invalidArgument("A new pool needs a name and a driver: " + attributes);
        }
        if (model.pool(name).isPresent()) {
            throw new StorageException(org.qubesstorage.spi.ErrorCode.ALREADY_EXISTS,
                    "pool named " + name + " already exists in " + fileName);
        }
        String nl = text.contains("\r\n") ? "\r\n" : "\n";
        StringBuilder element = new StringBuilder("<pool");
        attributes.forEach((k, v) -> element.append(' ').append(k).append("=\"").append(StartTag.escape(v, '"')).append('"'));
        element.append("/>");
        Optional<ElementRef> lastPool = refs.stream().filter(r -> r.kind() == ElementRef.Kind.POOL)
                .reduce((a, b) -> b.end() > a.end() ? b : a);
        if (lastPool.isPresent()) {
            String indent = indentOf(lastPool.get().start());
            return splice(lastPool.get().end(), lastPool.get().end(), nl + indent + element);
        }
        Optional<ElementRef> pools = find(ElementRef.Kind.POOLS);
        if (pools.isPresent()) {
            ElementRef p = pools.get();
            String indent = indentOf(p.start());
            if (p.selfClosing()) {
                return splice(p.start(), p.end(), "<pools>" + nl + indent + "  " + element + nl + indent + "</pools>");
            }
            return splice(p.startTagEnd(), p.startTagEnd(), nl + indent + "  " + element);
        }
        ElementRef anchor = find(ElementRef.Kind.PROPERTIES).or(() -> find(ElementRef.Kind.DOMAINS))
                .orElseThrow(() -> StorageException.invalidConfiguration(fileName + ": no place to add a <pools> element"));
        String indent = indentOf(anchor.start());
        return splice(anchor.start(), anchor.start(),
                "<pools>" + nl + indent + "  " + element + nl + indent + "</pools>" + nl + indent);
    }

    /**
     * Removes the {@code <pool>} named {@code name} with the line it stands on (the inverse of
     * {@link #withPool(Map)}); a document without it is returned unchanged.
     */
    public QubesXmlDocument withoutPool(String name) {
        requireR4("remove pools");
        Optional<ElementRef> pool = refs.stream()
                .filter(r -> r.kind() == ElementRef.Kind.POOL && r.key().equals(name)).findFirst();
        if (pool.isEmpty()) {
            return this;
        }
        int from = pool.get().start();
        while (from > 0 && (text.charAt(from - 1) == ' ' || text.charAt(from - 1) == '\t')) {
            from--;
        }
        if (from > 0 && text.charAt(from - 1) == '\n') {
            from--;
            if (from > 0 && text.charAt(from - 1) == '\r') {
                from--;
            }
        }
        return splice(from, pool.get().end(), "");
    }

    private Optional<ElementRef> find(ElementRef.Kind kind) {
        return refs.stream().filter(r -> r.kind() == kind).findFirst();
    }

    private ElementRef volumeRef(String domain, String volume) {
        int index = -1;
        for (int i = 0; i < model.domains().size(); i++) {
            if (model.domains().get(i).name().equals(domain)) {
                index = i;
            }
        }
        if (index < 0) {
            throw StorageException.notFound("No domain " + domain + " in " + fileName);
        }
        int domainIndex = index;
        return refs.stream()
                .filter(r -> r.kind() == ElementRef.Kind.VOLUME && r.domainIndex() == domainIndex && r.key().equals(volume))
                .findFirst()
                .orElseThrow(() -> StorageException.notFound("Domain " + domain + " has no volume " + volume + " in " + fileName));
    }

    /** The white space between the start of the line and {@code offset}. */
    private String indentOf(int offset) {
        int i = offset;
        while (i > 0 && (text.charAt(i - 1) == ' ' || text.charAt(i - 1) == '\t')) {
            i--;
        }
        return text.substring(i, offset);
    }

    private QubesXmlDocument splice(int from, int to, String replacement) {
        String edited = text.substring(0, from) + replacement + text.substring(to);
        return parse(edited, fileName);
    }

    private void requireR4(String what) {
        if (model.format() != QubesXml.Format.R4) {
            throw StorageException.notSupported("qubes.xml", "a legacy R2/R3 QubesVmCollection file: cannot " + what
                    + " in " + fileName + "; only R4 files are edited");
        }
    }
}
