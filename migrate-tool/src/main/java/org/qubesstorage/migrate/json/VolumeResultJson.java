package org.qubesstorage.migrate.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** What copying one volume did, on the wire: a journal's {@code committed} line and the {@code --json} result. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VolumeResultJson(
        @JsonProperty("domain") String domain,
        @JsonProperty("volume") String volume,
        @JsonProperty("apparentBytes") long apparentBytes,
        @JsonProperty("bytesRead") long bytesRead,
        @JsonProperty("bytesWritten") long bytesWritten,
        @JsonProperty("millis") long millis,
        @JsonProperty("verifyMillis") long verifyMillis,
        @JsonProperty("digest") String digest,
        @JsonProperty("mode") String mode,
        @JsonProperty("fallback") String fallback) {}
