package org.qubesstorage.migrate.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/** The one JSON object {@code qvm-to-lvm --json} puts on stdout, for each way a run ends. */
public final class OutputDocuments {
    private OutputDocuments() {}

    /** A dry run, a plan with nothing to migrate, or a plan refused before anything was written ({@code error}: why). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Planned(@JsonProperty("plan") PlanJson plan, @JsonProperty("error") String error,
            @JsonProperty("exitCode") int exitCode) {}

    /** A run (new or resumed) that got to its end, partial or not. */
    public record Migrated(
            @JsonProperty("plan") PlanJson plan,
            @JsonProperty("result") Result result,
            @JsonProperty("elapsedMillis") long elapsedMillis,
            @JsonProperty("exitCode") int exitCode) {}

    /**
     * What the run did. {@code legacyEntries}: for an R2/R3 file, per domain and volume, the R4
     * {@code <volume>} attributes to enter by hand.
     */
    public record Result(
            @JsonProperty("volumes") List<VolumeResultJson> volumes,
            @JsonProperty("domains") List<DomainOutcome> domains,
            @JsonProperty("removedSources") List<String> removedSources,
            @JsonProperty("keptSources") List<String> keptSources,
            @JsonProperty("legacyEntries") Map<String, Map<String, Map<String, String>>> legacyEntries) {}

    /** What became of one domain: {@code outcome} is {@code migrated}, {@code unchanged}, {@code skipped} or {@code failed}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record DomainOutcome(
            @JsonProperty("domain") String domain,
            @JsonProperty("outcome") String outcome,
            @JsonProperty("reason") String reason,
            @JsonProperty("millis") Long millis) {}

    /** A rollback: domains restored, domains kept as migrated (with why), volumes removed. */
    public record RolledBack(
            @JsonProperty("restored") List<String> restored,
            @JsonProperty("kept") Map<String, String> kept,
            @JsonProperty("removedVolumes") List<String> removedVolumes,
            @JsonProperty("exitCode") int exitCode) {}

    /** A run that failed before its end: the message also printed on stderr. */
    public record Failed(@JsonProperty("error") String error, @JsonProperty("exitCode") int exitCode) {}
}
