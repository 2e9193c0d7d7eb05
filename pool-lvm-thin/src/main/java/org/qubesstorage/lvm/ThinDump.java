package org.qubesstorage.lvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import org.qubesstorage.spi.StorageException;
import org.qubesstorage.support.SharedSpace;

/**
 * Reads {@code thin_dump}'s XML (a {@code superblock} with {@code data_block_size} in sectors, a
 * {@code device} per thin LV, its {@code range_mapping}s and {@code single_mapping}s onto data
 * blocks) as references to the pool's data, streaming, with DTDs and external entities refused.
 */
final class ThinDump {
    private ThinDump() {}

    /**
     * The data each device references, in bytes of the pool's data device, booked to the owner
     * {@code ownerOf} names for its {@code dev_id}.
     */
    static List<SharedSpace.Reference> references(Path xml, IntFunction<String> ownerOf) {
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        List<SharedSpace.Reference> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(xml)) {
            XMLStreamReader r = factory.createXMLStreamReader(in);
            long block = 0;
            String owner = null;
            while (r.hasNext()) {
                if (r.next() != XMLStreamConstants.START_ELEMENT) {
                    continue;
                }
                switch (r.getLocalName()) {
                    case "superblock" -> block = number(r, "data_block_size") * 512;
                    case "device" -> owner = ownerOf.apply((int) number(r, "dev_id"));
                    case "range_mapping" -> {
                        long start = number(r, "data_begin") * block;
                        out.add(new SharedSpace.Reference(start, start + number(r, "length") * block, owner, false));
                    }
                    case "single_mapping" -> {
                        long start = number(r, "data_block") * block;
                        out.add(new SharedSpace.Reference(start, start + block, owner, false));
                    }
                    default -> { }
                }
            }
            r.close();
        } catch (IOException | XMLStreamException | NumberFormatException e) {
            throw StorageException.backend("Cannot read thin_dump's output " + xml + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static long number(XMLStreamReader r, String attribute) {
        String v = r.getAttributeValue(null, attribute);
        if (v == null) {
            throw new NumberFormatException("<" + r.getLocalName() + "> has no " + attribute);
        }
        return Long.parseLong(v.strip());
    }
}
