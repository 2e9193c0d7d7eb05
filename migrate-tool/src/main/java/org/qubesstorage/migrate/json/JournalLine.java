package org.qubesstorage.migrate.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One line of the journal. {@code type} names the step ({@code run}, {@code import-started},
 * {@code committed}, ...); which other fields a line has depends on it: {@code plan},
 * {@code backup}, {@code removeSource} and {@code fsAware} only on {@code run}, {@code result} only
 * on {@code committed}, {@code sha256} only on the qubes.xml saves.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JournalLine(
        @JsonProperty("type") String type,
        @JsonProperty("time") String time,
        @JsonProperty("domain") String domain,
        @JsonProperty("volume") String volume,
        @JsonProperty("detail") String detail,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("pid") Long pid,
        @JsonProperty("plan") PlanJson plan,
        @JsonProperty("backup") String backup,
        @JsonProperty("removeSource") Boolean removeSource,
        @JsonProperty("fsAware") Boolean fsAware,
        @JsonProperty("result") VolumeResultJson result) {}
