package org.leverplus.audit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.leverplus.cli.LeverCliAccess;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every case of {@code src/test/resources/audit/cases.txt} (the 2026-12-04 audit's malformed inputs and faults,
 * plus our own) through the CLI in this JVM. A failing command must exit with the listed code, print exactly one
 * line on stderr that contains the expected text (the input's name, the record, the field), no stack trace, and
 * leave its output directory empty: no output, no temp file.
 */
class AuditCasesTest {
    static final Path CASES = Path.of("src/test/resources/audit/cases.txt");
    static final Path SNAPSHOT = Path.of("src/test/resources/vlm/tiny/snapshot-new");
    static Path root;

    @BeforeAll static void fixtures() throws IOException {
        root = Files.createTempDirectory("lever-audit");
        AuditFixtures.write(root.resolve("in"));
    }

    @AfterAll static void cleanUp() throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }

    record Case(String id, int code, List<String> expect, boolean onStdout, String args) {}

    static List<Case> cases() throws IOException {
        List<Case> out = new ArrayList<>();
        for (String line : Files.readAllLines(CASES, StandardCharsets.UTF_8)) {
            if (line.isBlank() || line.startsWith("#")) continue;
            int comment = line.indexOf("   # ");
            if (comment >= 0) line = line.substring(0, comment);
            String[] f = line.split(" \\| ", 4);
            if (f.length != 4) throw new IllegalStateException("malformed case line: " + line);
            String expect = f[2].strip();
            boolean stdout = expect.startsWith("stdout:");
            if (stdout) expect = expect.substring("stdout:".length());
            out.add(new Case(f[0].strip(), Integer.parseInt(f[1].strip()), List.of(expect.split(" && ")), stdout, f[3].strip()));
        }
        return out;
    }

    @TestFactory Stream<DynamicTest> auditCases() throws IOException {
        return cases().stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> run(c)));
    }

    static void run(Case c) throws IOException {
        Path outDir = root.resolve("out-" + c.id());
        Files.createDirectories(outDir);
        String[] args = expand(c.args(), outDir).split(" ");
        LeverCliAccess.Run r = LeverCliAccess.run(args);
        String all = "exit " + r.code() + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err();
        assertEquals(c.code(), r.code(), c.id() + ": " + all);
        String text = c.onStdout() ? r.out() : r.err();
        for (String e : c.expect()) {
            String want = expand(e, outDir);
            assertTrue(text.contains(want), c.id() + ": expected \"" + want + "\" in\n" + all);
        }
        if (c.code() != 0) {
            List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
            if (c.code() == 2) lines = lines.stream().filter(l -> !l.startsWith("Try '")).toList();
            assertEquals(1, lines.size(), c.id() + ": expected one line on stderr\n" + all);
            if (!c.onStdout()) assertTrue(lines.get(0).startsWith("lever:"), all); // validate: problems on stdout, a count on stderr
            for (String trace : List.of("Exception raised from", "frame #", "\tat ", "Exception:"))
                assertFalse(r.err().contains(trace) || r.out().contains(trace), c.id() + ": a stack trace was printed\n" + all);
            try (Stream<Path> s = Files.list(outDir)) {
                List<String> left = s.map(p -> p.getFileName().toString()).toList();
                assertTrue(left.isEmpty(), c.id() + ": the failed command left " + left);
            }
        }
    }

    /** {name} -> a fixture, {out}/{out2} -> fresh paths in the case's empty output directory, {snap} -> the snapshot. */
    static String expand(String s, Path outDir) {
        Matcher m = Pattern.compile("\\{([^}]+)}").matcher(s);
        StringBuilder b = new StringBuilder();
        while (m.find()) {
            String name = m.group(1);
            String v = switch (name) {
                case "out" -> outDir.resolve("out").toString();
                case "out2" -> outDir.resolve("out2").toString();
                case "snap" -> SNAPSHOT.toAbsolutePath().toString();
                default -> root.resolve("in").resolve(name).toString();
            };
            m.appendReplacement(b, Matcher.quoteReplacement(v));
        }
        m.appendTail(b);
        return b.toString();
    }

    static {
        if (!Files.isRegularFile(CASES)) throw new UncheckedIOException(new IOException(CASES + " not found"));
    }
}
