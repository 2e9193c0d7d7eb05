package org.qubesstorage.lvm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** One run of a device's blocks: {@code length} bytes at {@code origin} of the device lie at {@code data} of the pool. */
    record Mapping(int devId, long origin, long data, long length) {}

    /**
     * The data each device references, in bytes of the pool's data device, booked to the owner
     * {@code ownerOf} names for its {@code dev_id}.
     */
    static List<SharedSpace.Reference> references(Path xml, IntFunction<String> ownerOf) {
        Map<Integer, String> owners = new HashMap<>();
        List<SharedSpace.Reference> out = new ArrayList<>();
        for (Mapping m : mappings(xml)) {
            String owner = owners.computeIfAbsent(m.devId(), ownerOf::apply);
            out.add(new SharedSpace.Reference(m.data(), m.data() + m.length(), owner, false));
        }
        return out;
    }

    /** Every mapping in the dump, in its order (by device, then by origin block). */
    static List<Mapping> mappings(Path xml) {
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        List<Mapping> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(xml)) {
            XMLStreamReader r = factory.createXMLStreamReader(in);
            long block = 0;
            int device = -1;
            while (r.hasNext()) {
                if (r.next() != XMLStreamConstants.START_ELEMENT) {
                    continue;
                }
                switch (r.getLocalName()) {
                    case "superblock" -> block = number(r, "data_block_size") * 512;
                    case "device" -> device = (int) number(r, "dev_id");
                    case "range_mapping" -> out.add(new Mapping(device, number(r, "origin_begin") * block,
                            number(r, "data_begin") * block, number(r, "length") * block));
                    case "single_mapping" -> out.add(new Mapping(device, number(r, "origin_block") * block,
                            number(r, "data_block") * block, block));
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
