package org.leverplus.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The append-only record of finished generations that makes an evaluation resumable: a header line with the
 * settings that determine the results, then one JSON line per (method, shots, question). A rerun with the same
 * settings skips what is journaled; different settings are refused (the journal would mix two experiments). A last
 * line cut short by a crash is dropped. Lines are written and forced to disk a chunk at a time.
 */
public final class EvalJournal implements AutoCloseable {
    /** One finished generation. */
    public record Entry(String method, int shots, long questionId, int[] icds, String rawGeneration, String answer) {
        String key() { return key(method, shots, questionId); }

        static String key(String method, int shots, long questionId) { return method + "|" + shots + "|" + questionId; }
    }

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Entry> done = new HashMap<>();

    private EvalJournal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * Opens (or creates) the journal. An existing journal whose header differs from {@code header} is an error naming
     * the first differing setting.
     */
    public static EvalJournal open(Path file, ObjectNode settings) throws IOException {
        // compare as parsed JSON (a long written and read back is an int node)
        ObjectNode header = (ObjectNode) JsonSupport.mapper().readTree(JsonSupport.mapper().writeValueAsString(settings));
        Files.createDirectories(file.toAbsolutePath().getParent());
        boolean exists = Files.exists(file) && Files.size(file) > 0;
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        EvalJournal j = new EvalJournal(file, ch);
        try {
            if (exists) j.read(header);
            else j.append(List.of(header));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return j;
    }

    private void read(ObjectNode header) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int end = all.length;
        while (end > 0 && all[end - 1] != '\n') end--;   // drop a torn last line
        if (end < all.length) channel.truncate(end);
        channel.position(end);
        String[] lines = new String(all, 0, end, StandardCharsets.UTF_8).split("\n");
        if (lines.length == 0 || lines[0].isBlank()) throw new IllegalStateException(file + ": journal without a header line");
        JsonNode h = JsonSupport.mapper().readTree(lines[0]);
        if (!h.equals(header)) {
            String diff = "header";
            for (var it = header.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (!header.get(f).equals(h.get(f))) {
                    diff = f + " (journal: " + h.get(f) + ", now: " + header.get(f) + ")";
                    break;
                }
            }
            throw new IllegalStateException(file + ": the journal was written with different settings: " + diff
                    + "; use another --out directory or --overwrite to start again");
        }
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            Entry e = parse(lines[i]);
            done.put(e.key(), e);
        }
    }

    /** The journaled entry, or null. */
    public Entry get(String method, int shots, long questionId) {
        return done.get(Entry.key(method, shots, questionId));
    }

    /** Number of journaled generations. */
    public int size() { return done.size(); }

    /** Appends finished generations and forces them to disk. */
    public void record(List<Entry> entries) throws IOException {
        List<ObjectNode> lines = new java.util.ArrayList<>();
        for (Entry e : entries) lines.add(node(e));
        append(lines);
        for (Entry e : entries) done.put(e.key(), e);
    }

    private void append(List<ObjectNode> lines) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (ObjectNode o : lines) sb.append(JsonSupport.mapper().writeValueAsString(o)).append('\n');
        ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) channel.write(b);
        channel.force(false);
    }

    /** An entry as its journal line (JSON, no newline). */
    public static String line(Entry e) throws IOException { return JsonSupport.mapper().writeValueAsString(node(e)); }

    private static ObjectNode node(Entry e) {
        ObjectNode o = JsonSupport.mapper().createObjectNode();
        o.put("method", e.method()).put("shots", e.shots()).put("question_id", e.questionId());
        ArrayNode a = o.putArray("icds");
        for (int i : e.icds()) a.add(i);
        o.put("raw_generation", e.rawGeneration()).put("answer", e.answer());
        return o;
    }

    /** The entry of a journal line. */
    public static Entry parse(String line) throws IOException {
        JsonNode n = JsonSupport.mapper().readTree(line);
        int[] icds = new int[n.get("icds").size()];
        for (int k = 0; k < icds.length; k++) icds[k] = n.get("icds").get(k).asInt();
        return new Entry(n.get("method").asText(), n.get("shots").asInt(), n.get("question_id").asLong(), icds,
                n.get("raw_generation").asText(), n.get("answer").asText());
    }

    /** Whether a journaled entry used exactly these ICDs. */
    public static boolean sameIcds(Entry e, int[] icds) { return Arrays.equals(e.icds(), icds); }

    @Override public void close() throws IOException { channel.close(); }
}
