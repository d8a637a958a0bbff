package org.leverplus.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

/** What a running stage sees: the configuration, its own folder and the folders of the stages before it. */
public record StageContext(PipelineConfig config, Path dir, Map<String, Path> stageDirs, PrintStream log) {
    /** The output folder of an earlier stage. */
    public Path dirOf(String stage) {
        Path p = stageDirs.get(stage);
        if (p == null) throw new IllegalArgumentException("no stage named " + stage);
        return p;
    }
}
