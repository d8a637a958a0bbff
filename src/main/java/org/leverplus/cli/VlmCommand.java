package org.leverplus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code lever vlm ...}: the in-process Qwen2.5-VL engine's tools. Each subcommand is its own class; add new ones
 * to the list below.
 */
@Command(name = "vlm", description = "Qwen2.5-VL engine tools: snapshot inputs (tokenizer, prompts, image preprocessing), answer scoring, generation, tiny snapshots.",
        subcommands = {
                VlmTokenizeCommand.class,
                VlmPromptCommand.class,
                VlmPreprocessCommand.class,
                VlmScoreCommand.class,
                VlmGenerateCommand.class,
                VlmMakeTinyCommand.class,
        })
final class VlmCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { LeverCli.missingSubcommand(spec); }
}
