package org.leverplus.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.AtomicOutput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A finished stage's record, {@code <stage dir>/manifest.json}: the fingerprint it was computed for and what went into
 * it ({@code settings}, {@code inputs}: path to hash, {@code upstream}: stage to output hash), the hash of its
 * outputs (what downstream fingerprints include), and when it ran.
 */
public record Manifest(String stage, String fingerprint, JsonNode identity, String outputsSha256, String started,
                       String finished, double seconds) {
    static final String FILE = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    static Manifest read(Path stageDir) throws IOException {
        Path p = stageDir.resolve(FILE);
        if (!Files.isRegularFile(p)) return null;
        JsonNode n;
        try {
            n = JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new IOException(p + ": unreadable manifest (" + e.getMessage() + "); delete it to rerun the stage");
        }
        return new Manifest(n.path("stage").asText(), n.path("fingerprint").asText(), n.path("identity"),
                n.path("outputs_sha256").asText(), n.path("started").asText(), n.path("finished").asText(),
                n.path("seconds").asDouble());
    }

    void write(Path stageDir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("stage", stage);
        o.put("fingerprint", fingerprint);
        o.set("identity", identity);
        o.put("outputs_sha256", outputsSha256);
        o.put("started", started);
        o.put("finished", finished);
        o.put("seconds", seconds);
        try (AtomicOutput out = AtomicOutput.create(stageDir.resolve(FILE), true)) {
            out.stream().write(JSON.writeValueAsBytes(o)); // not writeValue: it would close the stream before the commit
            out.commit();
        }
    }
}
