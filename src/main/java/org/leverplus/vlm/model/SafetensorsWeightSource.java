package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every {@code *.safetensors} file of a directory, addressed by canonical names: keys in the transformers 4.52+
 * layout ({@code model.visual.*}, {@code model.language_model.*}) are read as the legacy ones ({@code visual.*},
 * {@code model.*}), so both layouts load the same way.
 */
public final class SafetensorsWeightSource implements WeightSource, AutoCloseable {
    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> byName = new HashMap<>();
    private final Map<String, String> stored = new HashMap<>();

    public SafetensorsWeightSource(Path dir) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path p : ds) paths.add(p);
        }
        if (paths.isEmpty()) throw new IOException(dir + ": no *.safetensors files");
        paths.sort(null);
        for (Path p : paths) {
            SafetensorsFile f = Safetensors.open(p);
            files.add(f);
            for (String n : f.names()) {
                String c = canonical(n);
                if (byName.put(c, f) != null) throw new IOException(p + ": weight " + c + " is stored twice (as " + n + " and " + stored.get(c) + ")");
                stored.put(c, n);
            }
        }
    }

    /** The legacy name of a stored key. */
    public static String canonical(String name) {
        if (name.startsWith("model.visual.")) return "visual." + name.substring("model.visual.".length());
        if (name.startsWith("model.language_model.")) return "model." + name.substring("model.language_model.".length());
        return name;
    }

    @Override public boolean contains(String canonicalName) { return byName.containsKey(canonicalName); }

    @Override public Tensor get(String canonicalName) {
        SafetensorsFile f = byName.get(canonicalName);
        if (f == null) throw new IllegalArgumentException("checkpoint has no weight '" + canonicalName + "' (either key layout)");
        return f.get(stored.get(canonicalName));
    }

    @Override public void close() {
        for (SafetensorsFile f : files) f.close();
    }
}
