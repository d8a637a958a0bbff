package org.leverplus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code lever generate ...}: the VLM-driven data generators: SFT beam data and RL data. */
@Command(name = "generate", description = "Generate training data with the VLM: sft (InfoScore beam search), rl (labelled candidate sequences).",
        subcommands = {GenerateSftCommand.class, GenerateRlCommand.class})
final class GenerateCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
}
