package org.leverplus.pipeline;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** One pipeline stage: what defines its output, what it reads, and how it runs. */
public interface Stage {
    String name();

    /** Stages whose outputs this one reads (they run first; a change in their output reruns this one). */
    List<String> dependsOn();

    /** The settings that define this stage's output (part of its fingerprint). */
    JsonNode settings(PipelineConfig config);

    /**
     * Files and folders from outside the pipeline that this stage reads (part of its fingerprint), by the
     * configuration key that names them (so that a missing one is reported by its key).
     */
    Map<String, Path> inputs(PipelineConfig config);

    /**
     * Runs the stage into {@code ctx.dir()}. The folder may hold an interrupted attempt with the same fingerprint:
     * stages resume through their own journals.
     */
    void run(StageContext ctx) throws Exception;
}
