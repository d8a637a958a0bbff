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
                EvalCommand.class,
                SampleCommand.class,
                EmbedCommand.class,
                ClipCommand.class,
                GenerateCommand.class,
                PipelineCommand.class,
                ReportCommand.class,
                InspectCommand.class,
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

    @Option(names = {"-q", "--quiet"}, scope = CommandLine.ScopeType.INHERIT,
            description = "No progress lines (progress is shown only when stderr is a terminal anyway; LEVER_PROGRESS=0|1 forces it off or on).")
    void setQuiet(boolean q) { org.leverplus.io.Progress.setQuiet(q); }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** {@code lever} without a command: the usage on stderr and exit code 2 (a malformed command line). */
    @Override public void run() { missingSubcommand(spec); }

    /** For command groups ({@code lever}, {@code lever data}, ...) run without a subcommand. */
    static void missingSubcommand(CommandLine.Model.CommandSpec spec) {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: choose one of "
                + String.join(", ", spec.commandLine().getSubcommands().keySet().stream().filter(n -> !n.equals("help")).toList()));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LeverCli());
        addHelpOptions(cl);
        cl.setExecutionExceptionHandler((ex, line, parseResult) -> {
            boolean verbose = parseResult.originalArgs().contains("--verbose");
            PrintWriter err = line.getErr();
            boolean expected = ex instanceof IllegalArgumentException || ex instanceof java.io.IOException
                    || ex instanceof IllegalStateException || ex instanceof java.io.UncheckedIOException;
            // one line, always: the hint for unexpected failures goes on the same line
            err.println("lever: error: " + describe(ex) + (verbose || expected ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) ex.printStackTrace(err);
            err.flush();
            return EXIT_FAILURE;
        });
        // an unknown command stays an error even with --help (picocli would print the parent's help and exit 0)
        cl.setExecutionStrategy(pr -> {
            CommandLine.ParseResult leaf = pr;
            while (leaf.hasSubcommand()) leaf = leaf.subcommand();
            if (!leaf.unmatched().isEmpty())
                throw new CommandLine.ParameterException(leaf.commandSpec().commandLine(), "unknown command or argument '" + leaf.unmatched().get(0) + "'");
            return new CommandLine.RunLast().execute(pr);
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

    /**
     * The message chain of an exception on one line, in words: JDK file errors name the file and the reason, Jackson
     * errors give their message and location without internals, LibTorch errors keep only their first line (no C++
     * back-trace), and exceptions without a message say what happened instead of their class name.
     */
    static String describe(Throwable ex) {
        StringBuilder sb = new StringBuilder();
        Throwable t = ex;
        int depth = 0;
        while (t != null && depth++ < 16) {
            String m = words(t);
            if (m != null && !m.isBlank() && sb.indexOf(m) < 0) {
                if (sb.length() > 0) sb.append(": ");
                sb.append(m);
            }
            t = t.getCause();
        }
        if (sb.length() == 0) sb.append("unexpected failure (").append(ex.getClass().getSimpleName()).append(")");
        return sb.toString().replace('\n', ' ').replace('\r', ' ');
    }

    private static String words(Throwable t) {
        if (t instanceof java.nio.file.FileSystemException f) {
            String reason = org.leverplus.io.AtomicOutput.reason(f);
            if (t instanceof java.nio.file.FileAlreadyExistsException && f.getReason() != null) reason = f.getReason();
            String file = f.getFile();
            return file == null ? reason : file + ": " + reason;
        }
        if (t instanceof com.fasterxml.jackson.core.JsonProcessingException) return org.leverplus.io.JsonSupport.describe(t);
        if (t instanceof OutOfMemoryError) return "out of memory (" + firstLine(t.getMessage())
                + "); the input is larger than this machine allows, or a size in it is wrong";
        if (t instanceof java.nio.BufferUnderflowException) return "unexpected end of data (the file is truncated)";
        if (t instanceof ArithmeticException) return "a size in the input is too large (arithmetic overflow)";
        String m = t.getMessage();
        if (m == null || m.isBlank()) return t.getCause() != null ? null : t.getClass().getSimpleName();
        return org.leverplus.io.JsonSupport.words(firstLine(m));
    }

    /** A new JSON object for a command's {@code --json} summary (keys in snake_case everywhere). */
    static com.fasterxml.jackson.databind.node.ObjectNode jsonSummary() {
        return org.leverplus.io.JsonSupport.mapper().createObjectNode();
    }

    /** Prints a {@code --json} summary, pretty, to standard output. */
    static void printJson(com.fasterxml.jackson.databind.JsonNode o) throws java.io.IOException {
        System.out.println(org.leverplus.io.JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
        System.out.flush();
    }

    /** A checkpoint match as JSON. */
    static com.fasterxml.jackson.databind.node.ObjectNode matchJson(org.leverplus.selector.ParameterMatch m) {
        var o = jsonSummary();
        o.put("ok", m.ok());
        o.put("matched", m.matched());
        o.set("missing", org.leverplus.io.JsonSupport.mapper().valueToTree(m.missing()));
        o.set("allowed_missing", org.leverplus.io.JsonSupport.mapper().valueToTree(m.allowedMissing()));
        o.set("unexpected", org.leverplus.io.JsonSupport.mapper().valueToTree(m.unexpected()));
        o.set("ignored_unexpected", org.leverplus.io.JsonSupport.mapper().valueToTree(m.ignoredUnexpected()));
        o.set("shape_mismatches", org.leverplus.io.JsonSupport.mapper().valueToTree(m.shapeMismatches()));
        o.set("dtype_mismatches", org.leverplus.io.JsonSupport.mapper().valueToTree(m.dtypeMismatches()));
        return o;
    }

    /** The first line (LibTorch messages continue with a C++ back-trace: "Exception raised from ..."). */
    static String firstLine(String m) {
        if (m == null) return "";
        int cut = m.indexOf("Exception raised from");
        if (cut >= 0) m = m.substring(0, cut);
        int nl = m.indexOf('\n');
        return (nl >= 0 ? m.substring(0, nl) : m).strip();
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (Throwable t) { // an Error (OutOfMemoryError, ...) that picocli does not handle: still one line
            System.err.println("lever: error: " + describe(t) + (java.util.Arrays.asList(args).contains("--verbose") ? "" : " (run with --verbose for the stack trace)"));
            if (java.util.Arrays.asList(args).contains("--verbose")) t.printStackTrace();
            code = EXIT_FAILURE;
        }
        System.exit(code);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = LeverCli.class.getPackage().getImplementationVersion();
            return new String[]{"lever " + (v == null ? "dev" : v)};
        }
    }
}
