package org.leverplus.clip;

import org.leverplus.hf.KeyLayout;
import org.leverplus.hf.MatchReport;
import org.leverplus.hf.Snapshot;
import org.leverplus.hf.SnapshotWeights;

import java.io.IOException;
import java.nio.file.Path;

/** A CLIP snapshot directory: the shared {@link Snapshot} plus {@link ClipConfig} and the weights it implies. */
public final class ClipSnapshot {
    private final Snapshot files;
    private ClipConfig config;

    private ClipSnapshot(Snapshot files) { this.files = files; }

    public static ClipSnapshot open(Path dir) throws IOException {
        return new ClipSnapshot(Snapshot.open(dir, KeyLayout.SINGLE));
    }

    public Snapshot files() { return files; }

    public Path dir() { return files.dir(); }

    public synchronized ClipConfig config() throws IOException {
        if (config == null) config = ClipConfig.read(files.require(ClipConfig.FILE));
        return config;
    }

    /** Strict check: every weight the config implies, with its shape; nothing unknown. */
    public MatchReport verifyWeights() throws IOException {
        return files.verifyWeights(ClipWeights.of(config()), ClipWeights.optional(config()));
    }

    public SnapshotWeights openWeights() throws IOException {
        return files.openWeights(ClipWeights.of(config()), ClipWeights.optional(config()));
    }
}
