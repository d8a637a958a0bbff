package org.leverplus.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

class LeverCliTest {
    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        CommandLine cl = LeverCli.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void helpListsTheCommands() {
        Run r = run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("doctor") && r.out().contains("kernels"), r.out());
    }

    @Test
    void everyCommandAnswersHelp() {
        java.util.ArrayDeque<CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(LeverCli.commandLine()));
        int checked = 0;
        while (!todo.isEmpty()) {
            CommandLine c = todo.pop();
            todo.addAll(c.getSubcommands().values());
            if (c.getCommandName().equals("help")) continue;
            String q = c.getCommandSpec().qualifiedName(" ");
            String[] args = (q.replaceFirst("^lever ?", "") + " --help").trim().split(" ");
            Run r = run(args);
            assertEquals(0, r.code(), q + " --help: " + r.err());
            assertTrue(r.out().contains("Usage:"), q + " --help printed no usage");
            checked++;
        }
        assertTrue(checked > 10, "only " + checked + " commands found");
    }

    @Test
    void doctorReportsEveryComponentAndSucceedsHere() {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.out;
        int code;
        try {
            System.setOut(new java.io.PrintStream(buf, true));
            code = LeverCli.commandLine().execute("doctor");
        } finally {
            System.setOut(old);
        }
        String out = buf.toString();
        assertEquals(0, code, out);
        for (String what : new String[]{"java", "libtorch", "kernels (cpu)", "kernels (cuda)", "javacpp cache", "status"})
            assertTrue(out.contains(what), "doctor output lacks '" + what + "':\n" + out);
        assertTrue(out.contains("intra-op threads 1") && out.contains("status           ok"), out);
    }

    @Test
    void usageErrorsAreOneLineAndExitTwo() {
        Run r = run("kernels", "selfcheck", "--seed", "abc");
        assertEquals(LeverCli.EXIT_USAGE, r.code());
        assertTrue(r.err().startsWith("lever: "), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose");
    }

    @Test
    void describeJoinsCauses() {
        Exception e = new IllegalStateException("loading x failed", new java.io.IOException("x.json: missing field 'a'"));
        assertEquals("loading x failed: x.json: missing field 'a'", LeverCli.describe(e));
    }
}
