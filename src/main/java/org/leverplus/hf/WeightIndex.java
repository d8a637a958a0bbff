package org.leverplus.hf;

import org.leverplus.io.Safetensors;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every tensor of a snapshot under its canonical name, read from the safetensors headers only (no data is touched,
 * no LibTorch needed). Handles one {@code model.safetensors}, several {@code model*.safetensors} shards, and a
 * sharded checkpoint with {@code model.safetensors.index.json}, in any of a family's {@link KeyLayout}s.
 *
 * <p>Every inconsistency is an error naming the file and the key: a header that is truncated or lies about its
 * sizes, an index entry whose shard lacks the tensor, a tensor stored twice, a mix of both layouts.
 */
public final class WeightIndex {
    /** The index file of a sharded checkpoint. */
    public static final String INDEX_FILE = "model.safetensors.index.json";
    private static final long MAX_HEADER_BYTES = 100L << 20;

    private final Map<String, WeightEntry> entries;
    private final KeyLayout layout;
    private final List<Path> shards;

    private WeightIndex(Map<String, WeightEntry> entries, KeyLayout layout, List<Path> shards) {
        this.entries = Collections.unmodifiableMap(entries);
        this.layout = layout;
        this.shards = List.copyOf(shards);
    }

    /** Reads the weight headers of snapshot directory {@code dir} whose stored names are canonical. */
    public static WeightIndex read(Path dir) throws IOException {
        return read(dir, KeyLayout.SINGLE);
    }

    /** Reads the weight headers of snapshot directory {@code dir}, mapping stored names through {@code layouts}. */
    public static WeightIndex read(Path dir, KeyLayout.Family layouts) throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        List<Path> shards = new ArrayList<>();
        Map<String, String> weightMap = null;
        if (Files.isRegularFile(index)) {
            ConfigJson j = ConfigJson.read(index);
            JsonNode wm = j.root().get("weight_map");
            if (wm == null || !wm.isObject()) throw new IOException(index + ": missing object \"weight_map\"");
            weightMap = new LinkedHashMap<>();
            Set<String> files = new java.util.TreeSet<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) throw new IOException(index + ": weight_map[\"" + e.getKey() + "\"] must be a file name but is " + e.getValue());
                weightMap.put(e.getKey(), e.getValue().asText());
                files.add(e.getValue().asText());
            }
            for (String f : files) {
                Path p = dir.resolve(f);
                if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "shard named in " + INDEX_FILE + " not found");
                shards.add(p);
            }
        } else {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "model*.safetensors")) {
                for (Path p : ds) shards.add(p);
            }
            Collections.sort(shards);
            if (shards.isEmpty())
                throw new NoSuchFileException(dir.toString(), null, "no model*.safetensors and no " + INDEX_FILE + " in the snapshot");
        }

        Map<String, WeightEntry> byCanonical = new TreeMap<>();
        KeyLayout layout = null;
        String layoutWitness = null;
        for (Path shard : shards) {
            for (WeightEntry raw : readHeader(shard)) {
                String stored = raw.storedName();
                if (weightMap != null) {
                    String want = weightMap.get(stored);
                    if (want == null)
                        throw new IOException(shard + ": tensor \"" + stored + "\" is not listed in " + index);
                    if (!dir.resolve(want).equals(shard))
                        throw new IOException(shard + ": tensor \"" + stored + "\" is listed in " + index + " under shard " + want);
                }
                KeyLayout l = layouts.of(stored);
                if (l != null) {
                    if (layout == null) {
                        layout = l;
                        layoutWitness = stored;
                    } else if (layout != l) {
                        throw new IOException(shard + ": tensor \"" + stored + "\" uses the " + l + " key layout but \""
                                + layoutWitness + "\" uses the " + layout + " layout; a snapshot must use one");
                    }
                }
                String name = (l != null ? l : layouts.fallback()).canonical(stored);
                WeightEntry e = new WeightEntry(name, stored, shard, raw.dtype(), raw.shape(), raw.start(), raw.end());
                WeightEntry prev = byCanonical.put(name, e);
                if (prev != null)
                    throw new IOException(shard + ": tensor \"" + stored + "\" duplicates \"" + prev.storedName() + "\" in " + prev.file());
            }
        }
        if (weightMap != null) {
            for (Map.Entry<String, String> e : weightMap.entrySet())
                if (!byCanonical.containsKey(canonical(layouts, e.getKey())))
                    throw new IOException(dir.resolve(e.getValue()) + ": tensor \"" + e.getKey() + "\" listed in " + INDEX_FILE + " is missing from the shard");
        }
        return new WeightIndex(byCanonical, layout == null ? layouts.fallback() : layout, shards);
    }

    private static String canonical(KeyLayout.Family layouts, String stored) {
        KeyLayout l = layouts.of(stored);
        return (l != null ? l : layouts.fallback()).canonical(stored);
    }

    /** Parses one safetensors header (with the one validating parser, {@link Safetensors#readHeader}); names are the stored names. */
    public static List<WeightEntry> readHeader(Path file) throws IOException {
        Safetensors.Header h = Safetensors.readHeader(file);
        List<WeightEntry> out = new ArrayList<>();
        for (Safetensors.TensorInfo t : h.tensors().values()) {
            WeightDtype dtype;
            try {
                dtype = WeightDtype.parse(t.dtype().name());
            } catch (IllegalArgumentException ex) {
                throw new IOException(file + ": tensor \"" + t.name() + "\": " + ex.getMessage(), ex);
            }
            out.add(new WeightEntry(t.name(), t.name(), file, dtype, t.shape(), h.dataStart() + t.begin(), h.dataStart() + t.end()));
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }

    /** The key layout the checkpoint was written in. */
    public KeyLayout layout() { return layout; }

    /** The shard files, sorted. */
    public List<Path> shards() { return shards; }

    /** Canonical names, sorted. */
    public Set<String> names() { return entries.keySet(); }

    /** All entries by canonical name. */
    public Map<String, WeightEntry> entries() { return entries; }

    public boolean contains(String canonicalName) { return entries.containsKey(canonicalName); }

    /** The entry for a canonical name; a missing tensor is an error naming the shards searched. */
    public WeightEntry entry(String canonicalName) {
        WeightEntry e = entries.get(canonicalName);
        if (e == null)
            throw new IllegalArgumentException("tensor \"" + canonicalName + "\" (stored as \"" + layout.stored(canonicalName)
                    + "\") not found in " + shards);
        return e;
    }

    /** Small helpers for messages. */
    static final class Arrays2 {
        static String str(long[] a) { return java.util.Arrays.toString(a); }
    }
}
