package org.qubesstorage.migrate.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * A migration plan on the wire: the {@code plan} of a journal's {@code run} line and of the
 * {@code --json} documents. Enumerated values are their constants' names ({@code R4},
 * {@code MIGRATE}, {@code COPY}, {@code ORIGIN}, ...).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record PlanJson(
        @JsonProperty("format") String format,
        @JsonProperty("qubesXml") String qubesXml,
        @JsonProperty("originalSha256") String originalSha256,
        @JsonProperty("targetPool") String targetPool,
        @JsonProperty("addedPool") Map<String, String> addedPool,
        @JsonProperty("domains") List<Domain> domains,
        @JsonProperty("space") Space space) {

    /**
     * One domain's part. {@code template} is the template's name; journals written before
     * 2026-12-03 hold a boolean there instead, which reads as the text {@code "true"} or
     * {@code "false"} and is only ever shown.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Domain(
            @JsonProperty("name") String name,
            @JsonProperty("klass") String klass,
            @JsonProperty("template") String template,
            @JsonProperty("status") String status,
            @JsonProperty("reason") String reason,
            @JsonProperty("volumes") List<Volume> volumes,
            @JsonProperty("notes") List<String> notes) {}

    /** One volume's part. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Volume(
            @JsonProperty("name") String name,
            @JsonProperty("action") String action,
            @JsonProperty("reason") String reason,
            @JsonProperty("type") String type,
            @JsonProperty("sourcePool") String sourcePool,
            @JsonProperty("sourceVid") String sourceVid,
            @JsonProperty("sourcePath") String sourcePath,
            @JsonProperty("apparentBytes") long apparentBytes,
            @JsonProperty("allocatedBytes") long allocatedBytes,
            @JsonProperty("targetVid") String targetVid,
            @JsonProperty("size") long size,
            @JsonProperty("rw") boolean rw,
            @JsonProperty("attributes") Map<String, String> attributes,
            @JsonProperty("original") Map<String, String> original,
            @JsonProperty("owner") String owner) {}

    /** The space check against the target pool. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Space(
            @JsonProperty("dataBytes") long dataBytes,
            @JsonProperty("virtualBytes") long virtualBytes,
            @JsonProperty("poolSize") Long poolSize,
            @JsonProperty("poolUsage") Long poolUsage,
            @JsonProperty("refusal") String refusal,
            @JsonProperty("note") String note) {}
}
