package org.leverplus.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** Records {@code [from, to)} of a stage's input: chunk {@code index} of a run. */
public record Chunk(int index, int from, int to) implements Serializable {
    public Chunk {
        if (index < 0 || from < 0 || to < from) throw new IllegalArgumentException("bad chunk " + index + " [" + from + ", " + to + ")");
    }

    /** The chunks {@code [i*size, min(n, (i+1)*size))} a one-machine run processes, in order. */
    public static List<Chunk> split(int n, int size) {
        if (size < 1) throw new IllegalArgumentException("chunk size must be >= 1, got " + size);
        List<Chunk> out = new ArrayList<>();
        for (int i = 0, k = 0; i < n; i += size, k++) out.add(new Chunk(k, i, Math.min(n, i + size)));
        return out;
    }
}
