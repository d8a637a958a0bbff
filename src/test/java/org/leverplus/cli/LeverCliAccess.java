package org.leverplus.cli;

import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** Runs the CLI in this JVM for tests in other packages, capturing everything it prints (System.out/err included). */
public final class LeverCliAccess {
    private LeverCliAccess() {}

    public record Run(int code, String out, String err) {}

    public static synchronized Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        StringWriter pout = new StringWriter(), perr = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            CommandLine cl = LeverCli.commandLine();
            cl.setOut(new PrintWriter(pout, true));
            cl.setErr(new PrintWriter(perr, true));
            int code = cl.execute(args);
            return new Run(code, pout + out.toString(StandardCharsets.UTF_8), perr + err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
