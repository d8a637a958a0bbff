package org.leverplus.datagen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The resume journal of an SFT run, next to the output ({@code SFT.json.journal}), JSON Lines: a header line with the
 * run's settings, then one line per finished anchor ({@code {"anchor": 7, "entry": {...}}}, or
 * {@code {"anchor": 7, "skipped": "reason"}}), each written and forced to disk before the next anchor starts. A rerun
 * with the same settings skips the anchors it holds; a torn last line (the process killed mid-write) is cut off.
 * Doubles are written in Java's shortest round-trip form, so an entry read back is the same value bit for bit.
 */
final class SftJournal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final Map<Integer, JsonNode> done;

    private SftJournal(Path path, FileChannel channel, Map<Integer, JsonNode> done) {
        this.path = path;
        this.channel = channel;
        this.done = done;
    }

    static Path pathFor(Path out) { return out.resolveSibling(out.getFileName() + ".journal"); }

    /**
     * Opens (or creates) the journal; an existing one must have been written with {@code header}.
     *
     * @throws IllegalArgumentException if the existing journal has different settings or a malformed line
     */
    static SftJournal open(Path path, ObjectNode header) throws IOException {
        Map<Integer, JsonNode> done = new LinkedHashMap<>();
        // compared as read back (a long written as 4096 reads back as an int)
        JsonNode expected = JSON.readTree(JSON.writeValueAsString(header));
        if (Files.exists(path)) {
            byte[] bytes = Files.readAllBytes(path);
            int start = 0, line = 0;
            long good = 0;
            while (start < bytes.length) {
                int end = start;
                while (end < bytes.length && bytes[end] != '\n') end++;
                if (end == bytes.length) break; // torn last line: no newline yet
                line++;
                String s = new String(bytes, start, end - start, StandardCharsets.UTF_8);
                JsonNode n;
                try {
                    n = JSON.readTree(s);
                } catch (IOException e) {
                    throw new IllegalArgumentException(path + " line " + line + ": not valid JSON (delete the journal to start over)");
                }
                if (line == 1) {
                    if (!expected.equals(n.get("settings")))
                        throw new IllegalArgumentException(path + ": written by a run with other settings or inputs (delete it to start over, "
                                + "or rerun with the same settings): journal " + n.get("settings") + " vs now " + header);
                } else {
                    JsonNode a = n.get("anchor");
                    if (a == null || !a.canConvertToInt() || (n.get("entry") == null && n.get("skipped") == null))
                        throw new IllegalArgumentException(path + " line " + line + ": expected {\"anchor\": id, \"entry\"|\"skipped\": ...}");
                    done.put(a.intValue(), n);
                }
                start = end + 1;
                good = start;
            }
            FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE);
            if (good < bytes.length) ch.truncate(good);
            ch.position(good);
            SftJournal j = new SftJournal(path, ch, done);
            if (good == 0) j.write(headerLine(header));
            return j;
        }
        FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        SftJournal j = new SftJournal(path, ch, done);
        j.write(headerLine(header));
        return j;
    }

    private static ObjectNode headerLine(ObjectNode header) {
        ObjectNode h = JSON.createObjectNode();
        h.put("lever_sft_journal", 1);
        h.set("settings", header);
        return h;
    }

    /** Finished anchors: their journal lines ({@code entry} or {@code skipped}). */
    Map<Integer, JsonNode> done() { return done; }

    void entry(int anchor, ObjectNode entry) throws IOException {
        ObjectNode n = entryLine(anchor, entry);
        write(n);
        done.put(anchor, n);
    }

    void skipped(int anchor, String reason) throws IOException {
        ObjectNode n = skippedLine(anchor, reason);
        write(n);
        done.put(anchor, n);
    }

    static JsonNode parse(String line) throws IOException { return JSON.readTree(line); }

    static String text(JsonNode line) throws IOException { return JSON.writeValueAsString(line); }

    static ObjectNode entryLine(int anchor, ObjectNode entry) {
        ObjectNode n = JSON.createObjectNode();
        n.put("anchor", anchor);
        n.set("entry", entry);
        return n;
    }

    static ObjectNode skippedLine(int anchor, String reason) {
        ObjectNode n = JSON.createObjectNode();
        n.put("anchor", anchor);
        n.put("skipped", reason);
        return n;
    }

    private void write(ObjectNode n) throws IOException {
        ByteBuffer b = ByteBuffer.wrap((JSON.writeValueAsString(n) + "\n").getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) channel.write(b);
        channel.force(false);
    }

    Path path() { return path; }

    @Override public void close() throws IOException { channel.close(); }
}
