package org.leverplus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code lever generate ...}: training-data generators. Each subcommand is its own class; add new ones below. */
@Command(name = "generate", description = "Generate training data for the selector (RL data).",
        subcommands = {
                GenerateRlCommand.class,
        })
final class GenerateCommand implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }
}
