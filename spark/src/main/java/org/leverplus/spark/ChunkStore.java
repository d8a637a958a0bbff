package org.leverplus.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.AtomicOutput;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The committed chunks of one distributed run, in {@code OUT.parts/}: {@code plan.json} (what the run computes; a
 * rerun with another plan is refused) and one {@code chunk-NNNNNN.jsonl} per finished chunk. A task writes its chunk
 * to a private temporary file and renames it atomically: a chunk file is complete or absent, a retried or speculative
 * attempt of a committed chunk changes nothing, and a rerun after a driver crash skips every committed chunk.
 * Needs a shared file system with atomic rename (POSIX, NFS, HDFS through a FUSE mount); not an object store.
 */
public final class ChunkStore implements java.io.Serializable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String dirName; // a String: Path is not Serializable, and tasks carry the store
    private transient Path dir;

    public ChunkStore(Path dir) { this.dirName = dir.toAbsolutePath().toString(); }

    /** {@code OUT.parts} beside the output file. */
    public static ChunkStore beside(Path out) {
        return new ChunkStore(out.toAbsolutePath().resolveSibling(out.getFileName() + ".parts"));
    }

    public Path dir() {
        if (dir == null) dir = Path.of(dirName);
        return dir;
    }

    public Path chunkFile(int index) { return dir().resolve(String.format("chunk-%06d.jsonl", index)); }

    public boolean committed(int index) { return Files.isRegularFile(chunkFile(index)); }

    /**
     * Creates the store for {@code plan}, or reopens it when it holds the same plan (a resumed run).
     * @throws IllegalStateException when it holds another run's chunks
     */
    public void open(Map<String, Object> plan) throws IOException {
        ObjectNode want = JSON.valueToTree(new TreeMap<>(plan));
        Path p = dir().resolve("plan.json");
        if (Files.isRegularFile(p)) {
            JsonNode have;
            try {
                have = JSON.readTree(p.toFile());
            } catch (IOException e) {
                throw new IllegalStateException(p + ": unreadable plan of an earlier run (" + e.getMessage() + "); remove " + dir());
            }
            if (!have.equals(want)) {
                throw new IllegalStateException(dir() + " holds chunks of a different run (plan.json differs: "
                        + firstDifference(have, want) + "); remove it to start over");
            }
            return;
        }
        Files.createDirectories(dir());
        write(p, List.of(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(want)));
    }

    private static String firstDifference(JsonNode have, JsonNode want) {
        for (var it = want.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!want.get(k).equals(have.get(k))) return "\"" + k + "\" was " + have.get(k) + ", now " + want.get(k);
        }
        return "fields differ";
    }

    /** Commits chunk {@code index}; returns false when another attempt committed it first (this one is dropped). */
    public boolean commit(int index, List<String> lines) throws IOException {
        Path target = chunkFile(index);
        if (Files.exists(target)) return false;
        return write(target, lines);
    }

    /** Writes {@code target} through the one atomic writer; false when it exists (another attempt committed first). */
    private static boolean write(Path target, List<String> lines) throws IOException {
        if (Files.exists(target)) return false;
        try (AtomicOutput o = AtomicOutput.create(target, false)) {
            Writer w = new OutputStreamWriter(o.stream(), StandardCharsets.UTF_8);
            for (String l : lines) w.write(l + "\n");
            w.flush();
            o.commit(); // without overwrite: the first commit wins, a later one is refused
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }

    /**
     * Concatenates chunks {@code 0..count-1} into {@code out} (atomically), the bytes a one-machine run writes.
     * @throws IllegalStateException naming the first missing chunk
     */
    public long merge(int count, Path out, boolean overwrite) throws IOException {
        for (int i = 0; i < count; i++) {
            if (!committed(i)) throw new IllegalStateException(chunkFile(i) + ": chunk " + i + " of " + count + " is missing");
        }
        long lines = 0;
        try (AtomicOutput o = AtomicOutput.create(out, overwrite)) {
            FileChannel ch = o.channel();
            for (int i = 0; i < count; i++) {
                try (FileChannel in = FileChannel.open(chunkFile(i), StandardOpenOption.READ)) {
                    long size = in.size(), pos = 0;
                    while (pos < size) pos += in.transferTo(pos, size - pos, ch);
                }
                try (Stream<String> st = Files.lines(chunkFile(i))) {
                    lines += st.count();
                }
            }
            o.commit();
        }
        return lines;
    }

    /** Removes the store (after a successful merge). */
    public void delete() throws IOException {
        if (!Files.exists(dir())) return;
        try (Stream<Path> s = Files.list(dir())) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(dir());
    }
}
