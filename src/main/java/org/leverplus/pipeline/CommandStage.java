package org.leverplus.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A stage that runs {@code lever} commands in this JVM, built from its configuration section. Its settings are its
 * own sections (defaults filled in) plus the shared ones it reads (e.g. the VLM's device and dtype).
 */
public final class CommandStage implements Stage {
    /** Runs one {@code lever} command line in-process and returns its exit code. */
    @FunctionalInterface
    public interface Runner {
        int run(List<String> args) throws Exception;
    }

    /** Builds the command lines of a stage: from the configuration and the running stage's context. */
    @FunctionalInterface
    public interface Commands {
        List<List<String>> of(PipelineConfig c, StageContext ctx) throws Exception;
    }

    private final String name;
    private final List<String> dependsOn, sections;
    private final Function<PipelineConfig, Map<String, Path>> inputs;
    private final Commands commands;
    private final Runner runner;

    public CommandStage(String name, List<String> dependsOn, List<String> sections,
                        Function<PipelineConfig, Map<String, Path>> inputs, Commands commands, Runner runner) {
        this.name = name;
        this.dependsOn = List.copyOf(dependsOn);
        this.sections = List.copyOf(sections);
        this.inputs = inputs;
        this.commands = commands;
        this.runner = runner;
    }

    @Override public String name() { return name; }

    @Override public List<String> dependsOn() { return dependsOn; }

    @Override public JsonNode settings(PipelineConfig config) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        for (String s : sections) o.set(s, config.section(s));
        return o;
    }

    @Override public Map<String, Path> inputs(PipelineConfig config) { return new LinkedHashMap<>(inputs.apply(config)); }

    @Override public void run(StageContext ctx) throws Exception {
        for (List<String> cmd : commands.of(ctx.config(), ctx)) {
            List<String> args = new ArrayList<>(cmd);
            ctx.log().println("[" + name + "] lever " + String.join(" ", args));
            int code = runner.run(args);
            if (code != 0) throw new IllegalStateException("stage " + name + ": `lever " + String.join(" ", args) + "` exited with " + code);
        }
    }
}
