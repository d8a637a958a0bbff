package org.leverplus.spark;

import org.leverplus.cli.Stages;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.RequestSource;
import org.leverplus.vlm.engine.VlmJob;
import org.leverplus.vlm.engine.VlmRun;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code lever vlm score|generate} as a distributed stage: the request file in the chunks of {@code --chunk}
 * requests that the one-machine command processes, each chunk computed by the executor's {@link VlmJob}.
 */
final class VlmStage {
    final String stage;
    final String[] args;
    final Stages.Vlm spec;

    VlmStage(String stage, String[] args) throws IOException {
        this.stage = stage;
        this.args = args.clone();
        this.spec = Stages.vlm(stage, args);
    }

    List<Chunk> chunks() throws IOException {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(spec.snapshot());
        try (RequestSource r = VlmRun.open(spec.requests(), snap, spec.kind() == VlmJob.Kind.SCORE)) {
            return Chunk.split(r.size(), spec.settings().chunk());
        }
    }

    /** The run's identity: stage, flags (without --overwrite), hashes of the requests and of the snapshot's files. */
    Map<String, Object> plan() throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("stage", stage);
        p.put("flags", planFlags(args));
        p.put("requests_sha256", sha256(List.of(spec.requests())));
        p.put("snapshot_sha256", dirSha256(spec.snapshot()));
        return p;
    }

    /** {@link #sha256} of the regular files directly in {@code dir} (a snapshot), sorted by name. */
    static String dirSha256(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return sha256(s.filter(Files::isRegularFile).sorted().toList());
        }
    }

    /** The plan's flags: the command's, without {@code --overwrite} (a rerun with it resumes the same run). */
    static List<String> planFlags(String[] args) {
        List<String> flags = new ArrayList<>(Arrays.asList(args));
        flags.remove("--overwrite");
        return flags;
    }

    ChunkRunner runner() {
        String stageName = stage;
        String[] a = args;
        return (chunk, device) -> {
            String key = stageName + "\u0000" + String.join("\u0000", a) + "\u0000" + device;
            VlmJob job = ExecutorModels.get(key, () -> Stages.vlm(stageName, a).onDevice(device).open());
            synchronized (job) { // one job per (flags, device); tasks sharing it take turns
                return job.lines(chunk.from(), chunk.to());
            }
        };
    }

    static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(List<Path> files) throws IOException {
        MessageDigest md = digest();
        byte[] buf = new byte[1 << 16];
        for (Path f : files) {
            md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (InputStream in = Files.newInputStream(f)) {
                for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
