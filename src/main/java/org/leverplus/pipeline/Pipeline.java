package org.leverplus.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs stages in order into {@code run_dir/NN-stage/}. A stage is done when its manifest's fingerprint equals the
 * fingerprint of its current identity: its settings, the hashes of its external inputs and the output hashes of the
 * stages it reads. Anything else reruns it, and therefore everything downstream of it.
 */
public final class Pipeline {
    /** Where a stage stands. */
    public enum State { DONE, STALE, INTERRUPTED, PENDING }

    /** A stage's state, why, and its manifest when it has one. */
    public record Status(String stage, State state, String reason, Manifest manifest, Path dir) {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final String ATTEMPT = ".attempt";
    private static final String VERSION = versionOf();

    private final PipelineConfig config;
    private final List<Stage> stages;
    private final Map<String, Path> dirs = new LinkedHashMap<>();

    public Pipeline(PipelineConfig config, List<Stage> stages) {
        this.config = config;
        this.stages = List.copyOf(stages);
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            for (String d : s.dependsOn()) {
                if (!dirs.containsKey(d)) throw new IllegalArgumentException("stage " + s.name() + " depends on " + d + ", which does not run before it");
            }
            dirs.put(s.name(), config.runDir().resolve(String.format("%02d-%s", i + 1, s.name())));
        }
    }

    public List<String> stageNames() { return List.copyOf(dirs.keySet()); }

    /** Every stage's state, without running anything. */
    public List<Status> status() throws IOException {
        List<Status> out = new ArrayList<>();
        Map<String, Status> by = new HashMap<>();
        for (Stage s : stages) {
            Status st = statusOf(s, by);
            by.put(s.name(), st);
            out.add(st);
        }
        return out;
    }

    private Status statusOf(Stage s, Map<String, Status> upstream) throws IOException {
        Path dir = dirs.get(s.name());
        Manifest m = Manifest.read(dir);
        for (String d : s.dependsOn()) {
            Status u = upstream.get(d);
            if (u.state() != State.DONE) {
                return new Status(s.name(), m == null ? (Files.exists(dir.resolve(ATTEMPT)) ? State.INTERRUPTED : State.PENDING) : State.STALE,
                        "upstream " + d + " is " + u.state().toString().toLowerCase(), m, dir);
            }
        }
        ObjectNode id = identity(s, upstream);
        String fp = Hashes.of(JSON.writeValueAsString(id));
        if (m == null) {
            if (Files.exists(dir.resolve(ATTEMPT)))
                return new Status(s.name(), State.INTERRUPTED, fp.equals(attemptFingerprint(dir)) ? "interrupted; resumes"
                        : "interrupted under other settings; starts over", null, dir);
            return new Status(s.name(), State.PENDING, "not run yet", null, dir);
        }
        if (fp.equals(m.fingerprint())) return new Status(s.name(), State.DONE, "manifest matches", m, dir);
        return new Status(s.name(), State.STALE, difference(m.identity(), id), m, dir);
    }

    private ObjectNode identity(Stage s, Map<String, Status> upstream) throws IOException {
        ObjectNode id = JSON.createObjectNode();
        id.put("stage", s.name());
        id.put("lever_version", VERSION);
        id.set("settings", s.settings(config));
        ObjectNode in = id.putObject("inputs");
        for (Map.Entry<String, Path> e : s.inputs(config).entrySet()) {
            Path p = e.getValue();
            if (p == null) continue;
            int dot = e.getKey().indexOf('.');
            if (!Files.exists(p)) {
                throw config.error(dot < 0 ? "" : e.getKey().substring(0, dot), e.getKey().substring(dot + 1), "names " + p + ", which does not exist");
            }
            ObjectNode o = in.putObject(e.getKey());
            o.put("path", p.toString());
            o.put("hash", Hashes.input(p));
        }
        ObjectNode up = id.putObject("upstream");
        for (String d : s.dependsOn()) up.put(d, upstream.get(d).manifest().outputsSha256());
        // as it reads back from a manifest (int vs long nodes), so that identities compare field by field
        return (ObjectNode) JSON.readTree(JSON.writeValueAsString(id));
    }

    /** The first way two identities differ, in words (what changed since the stage last ran). */
    static String difference(JsonNode was, JsonNode now) {
        for (String part : List.of("settings", "inputs", "upstream", "lever_version")) {
            JsonNode a = was.path(part), b = now.path(part);
            if (a.equals(b)) continue;
            if (a.isObject() && b.isObject()) {
                for (Iterator<String> it = b.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!b.get(k).equals(a.get(k))) {
                        String what = part.equals("settings") ? "setting " + k : part.equals("inputs") ? "input " + k : "output of " + k;
                        return what + " changed" + (part.equals("settings") ? " (" + a.get(k) + " -> " + b.get(k) + ")" : "");
                    }
                }
                for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (!b.has(k)) return part + " " + k + " removed";
                }
            }
            return part.replace('_', ' ') + " changed";
        }
        return "fingerprint changed";
    }

    /**
     * Runs the stages that are not done, in order.
     * @param from  rerun this stage and everything after it even when done (null: only what is not done)
     * @param until stop after this stage (null: run to the end)
     * @param dryRun print what would run and why, run nothing
     */
    public List<Status> run(String from, String until, boolean dryRun, PrintStream log) throws Exception {
        if (from != null && !dirs.containsKey(from)) throw new IllegalArgumentException("--from " + from + ": no such stage (stages: " + String.join(", ", dirs.keySet()) + ")");
        if (until != null && !dirs.containsKey(until)) throw new IllegalArgumentException("--until " + until + ": no such stage (stages: " + String.join(", ", dirs.keySet()) + ")");
        List<String> names = stageNames();
        if (from != null && until != null && names.indexOf(from) > names.indexOf(until))
            throw new IllegalArgumentException("--from " + from + " comes after --until " + until);
        if (dryRun) return dryRun(from, until, log);
        Files.createDirectories(config.runDir());
        try (FileChannel ch = FileChannel.open(config.runDir().resolve(".pipeline.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = tryLock(ch)) {
            Map<String, Status> done = new HashMap<>();
            List<Status> out = new ArrayList<>();
            boolean forcing = false;
            for (Stage s : stages) {
                forcing |= s.name().equals(from);
                Status st = statusOf(s, done);
                if (st.state() == State.DONE && !forcing) {
                    log.printf("[%s] skip: done (manifest matches, finished %s)%n", s.name(), st.manifest().finished());
                } else {
                    String why = forcing && st.state() == State.DONE ? "--from " + from : st.reason();
                    log.printf("[%s] run: %s%n", s.name(), why);
                    runStage(s, st, forcing && st.state() == State.DONE, log);
                    st = statusOf(s, done);
                    if (st.state() != State.DONE) throw new IllegalStateException(s.name() + ": finished but its manifest does not match (" + st.reason() + ")");
                    log.printf("[%s] done in %.1f s%n", s.name(), st.manifest().seconds());
                }
                done.put(s.name(), st);
                out.add(st);
                if (s.name().equals(until)) break;
            }
            return out;
        }
    }

    private FileLock tryLock(FileChannel ch) throws IOException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this JVM (another pipeline object)
        }
        if (lock == null) throw new IllegalStateException(config.runDir() + " is in use by another `lever pipeline run`; wait for it to finish");
        return lock;
    }

    private List<Status> dryRun(String from, String until, PrintStream log) throws IOException {
        List<Status> all = status();
        List<Status> out = new ArrayList<>();
        boolean forcing = false, upstreamRuns = false;
        for (Status st : all) {
            forcing |= st.stage().equals(from);
            if (st.state() == State.DONE && !forcing) log.printf("[%s] would skip: done%n", st.stage());
            else {
                String why = forcing && st.state() == State.DONE ? "--from " + from : st.reason();
                log.printf("[%s] would run: %s%n", st.stage(), why);
                upstreamRuns = true;
            }
            out.add(st);
            if (st.stage().equals(until)) break;
        }
        if (!upstreamRuns) log.println("nothing to run: every stage is done");
        return out;
    }

    private void runStage(Stage s, Status st, boolean forced, PrintStream log) throws Exception {
        Path dir = st.dir();
        String fp = Hashes.of(JSON.writeValueAsString(identity(s, doneSoFar())));
        boolean resume = st.state() == State.INTERRUPTED && fp.equals(attemptFingerprint(dir)) && !forced;
        if (!resume) deleteContents(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(ATTEMPT), fp + "\n");
        Instant start = Instant.now();
        long t0 = System.nanoTime();
        s.run(new StageContext(config, dir, Map.copyOf(dirs), log));
        double seconds = (System.nanoTime() - t0) / 1e9;
        ObjectNode id = identity(s, doneSoFar());
        String fpAfter = Hashes.of(JSON.writeValueAsString(id));
        new Manifest(s.name(), fpAfter, id, Hashes.outputs(dir), start.toString(), Instant.now().toString(), seconds).write(dir);
        Files.deleteIfExists(dir.resolve(ATTEMPT));
    }

    /** Statuses of the stages whose manifests are in place (for identities of the stage about to run). */
    private Map<String, Status> doneSoFar() throws IOException {
        Map<String, Status> m = new HashMap<>();
        for (Stage s : stages) {
            Manifest man = Manifest.read(dirs.get(s.name()));
            if (man != null) m.put(s.name(), new Status(s.name(), State.DONE, "", man, dirs.get(s.name())));
        }
        return m;
    }

    private static String attemptFingerprint(Path dir) throws IOException {
        Path a = dir.resolve(ATTEMPT);
        return Files.isRegularFile(a) ? Files.readString(a).strip() : "";
    }

    private static void deleteContents(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) if (!p.equals(dir)) Files.delete(p);
        }
    }

    private static String versionOf() {
        String v = Pipeline.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
