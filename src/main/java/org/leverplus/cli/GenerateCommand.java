package org.leverplus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code lever generate ...}: the VLM-driven data generators (SFT beam data first). */
@Command(name = "generate", description = "Generate training data with the VLM: SFT beam data (InfoScore beam search).",
        subcommands = {GenerateSftCommand.class})
final class GenerateCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
}
