package org.leverplus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/**
 * The {@code lever} command. Subcommands are thin shells over library classes; this class only wires them and turns
 * failures into one clear line and a non-zero exit code (stack traces only with {@code --verbose}).
 */
@Command(name = "lever", mixinStandardHelpOptions = true, versionProvider = LeverCli.Version.class,
        description = "Lever: Lever-Plus on the JVM. Learns which in-context demonstrations to show a vision-language model.",
        subcommands = {
                DoctorCommand.class,
                KernelsCommand.class,
                TrainCommand.class,
                CkptCommand.class,
                SelectorCommand.class,
                DataCommand.class,
                MetricCommand.class,
                VlmCommand.class,
                DemoCommand.class,
                CommandLine.HelpCommand.class,
        })
public final class LeverCli implements Runnable {
    /** Exit code for a failure of the command itself (bad input, missing file, mismatch). */
    public static final int EXIT_FAILURE = 1;
    /** Exit code for a malformed command line. */
    public static final int EXIT_USAGE = 2;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean verbose;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LeverCli());
        addHelpOptions(cl);
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            PrintWriter err = line.getErr();
            err.println("lever: error: " + describe(ex));
            if (verbose) ex.printStackTrace(err);
            else if (!(ex instanceof IllegalArgumentException) && !(ex instanceof java.io.IOException)
                    && !(ex instanceof IllegalStateException) && !(ex instanceof java.io.UncheckedIOException))
                err.println("lever: (run with --verbose for the stack trace)");
            err.flush();
            return EXIT_FAILURE;
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println("lever: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            err.flush();
            return EXIT_USAGE;
        });
        return cl;
    }

    /** Every command and subcommand answers --help and --version, whether or not its class asks for them. */
    private static void addHelpOptions(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions()) sub.getCommandSpec().mixinStandardHelpOptions(true);
            addHelpOptions(sub);
        }
    }

    /** The message chain of an exception, without class names for our own clear errors. */
    static String describe(Throwable ex) {
        StringBuilder sb = new StringBuilder();
        Throwable t = ex;
        while (t != null) {
            String m = t.getMessage();
            if (m == null || m.isBlank()) m = t.getClass().getSimpleName();
            if (sb.indexOf(m) < 0) {
                if (sb.length() > 0) sb.append(": ");
                sb.append(m);
            }
            t = t.getCause();
        }
        return sb.toString();
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = LeverCli.class.getPackage().getImplementationVersion();
            return new String[]{"lever " + (v == null ? "dev" : v)};
        }
    }
}
