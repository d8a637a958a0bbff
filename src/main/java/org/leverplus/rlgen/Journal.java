package org.leverplus.rlgen;

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
import java.util.List;
import java.util.Map;

/**
 * Crash-safe record of finished queries: JSON Lines, the first line the run's settings, then one line per finished
 * query ({@code {"key", "value" | null, "stats"}}), appended a chunk at a time and forced to disk. On reopening, a
 * torn last line (a crash mid-write) is cut off; settings that differ from the journal's are an error (the work
 * would not combine). Self-contained: the final output is assembled from the journal alone.
 */
final class Journal implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final FileChannel channel;
    private final Map<String, JsonNode> done = new LinkedHashMap<>();

    private Journal(FileChannel channel) { this.channel = channel; }

    static Journal open(Path file, ObjectNode settings) throws IOException {
        boolean fresh = !Files.exists(file) || Files.size(file) == 0;
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Journal j = new Journal(ch);
        try {
            if (fresh) {
                j.append(List.of(JSON.createObjectNode().set("settings", settings)));
                return j;
            }
            byte[] all = Files.readAllBytes(file);
            int end = 0, start = 0, lineNo = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] != '\n') continue;
                String line = new String(all, start, i - start, StandardCharsets.UTF_8);
                JsonNode n = JSON.readTree(line);
                if (lineNo++ == 0) {
                    if (!JSON.writeValueAsString(settings).equals(JSON.writeValueAsString(n.get("settings"))))   // as text: number node types differ after parsing
                        throw new IllegalArgumentException(file + ": the journal was written with other settings (" + n.get("settings")
                                + "); rerun with the same options, or delete the journal to start over");
                } else {
                    j.done.put(n.get("key").asText(), n);
                }
                start = i + 1;
                end = i + 1;
            }
            if (lineNo == 0) {                                   // not even the settings line survived
                ch.truncate(0);
                j.append(List.of(JSON.createObjectNode().set("settings", settings)));
            } else {
                ch.truncate(end);                               // cut a torn last line
            }
            ch.position(ch.size());
            return j;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Finished queries by key (their journal records). */
    Map<String, JsonNode> done() { return done; }

    /** A record as the journal writes it. */
    static String text(JsonNode record) throws IOException { return JSON.writeValueAsString(record); }

    static JsonNode parse(String line) throws IOException { return JSON.readTree(line); }

    /** Appends records and forces them to disk. */
    void append(List<? extends JsonNode> records) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (JsonNode r : records) sb.append(JSON.writeValueAsString(r)).append('\n');
        ByteBuffer b = ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) channel.write(b);
        channel.force(false);
        for (JsonNode r : records) if (r.has("key")) done.put(r.get("key").asText(), r);
    }

    @Override public void close() throws IOException { channel.close(); }
}
