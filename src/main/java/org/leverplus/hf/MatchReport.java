package org.leverplus.hf;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;

import java.util.List;

/**
 * The outcome of comparing a checkpoint's tensors with the names and shapes a config implies. Loading is strict:
 * {@link #requireExact(String)} throws unless every list is empty.
 *
 * @param missing        canonical names the config needs but the checkpoint lacks
 * @param unexpected     canonical names in the checkpoint that the config does not know
 * @param shapeMismatch  one line per tensor whose shape differs (name, stored name, file, expected, found)
 * @param badDtype       one line per tensor with a dtype the engine cannot use
 */
public record MatchReport(List<String> missing, List<String> unexpected, List<String> shapeMismatch, List<String> badDtype) {
    private static final int SHOW = 5;

    public MatchReport {
        missing = List.copyOf(missing);
        unexpected = List.copyOf(unexpected);
        shapeMismatch = List.copyOf(shapeMismatch);
        badDtype = List.copyOf(badDtype);
    }

    /**
     * Compares a checkpoint with the tensors a config implies: every {@code required} name must be present with its
     * shape and a float dtype (BF16/F16/F32); names in {@code optional} may be present (their shape is then checked);
     * anything else is unexpected.
     */
    public static MatchReport compare(Map<String, long[]> required, Map<String, long[]> optional, WeightIndex index) {
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), shape = new ArrayList<>(), dtype = new ArrayList<>();
        for (Map.Entry<String, long[]> e : required.entrySet()) {
            WeightEntry w = index.entries().get(e.getKey());
            if (w == null) {
                missing.add(e.getKey());
                continue;
            }
            checkShape(e.getKey(), e.getValue(), w, shape);
            if (!w.dtype().isFloatWeight()) dtype.add(e.getKey() + ": expected BF16, F16 or F32 but found " + w.dtype());
        }
        for (String name : index.names()) {
            if (required.containsKey(name)) continue;
            long[] opt = optional.get(name);
            if (opt != null) checkShape(name, opt, index.entry(name), shape);
            else unexpected.add(name);
        }
        return new MatchReport(missing, unexpected, shape, dtype);
    }

    private static void checkShape(String name, long[] want, WeightEntry w, List<String> out) {
        if (!Arrays.equals(w.shape(), want))
            out.add(name + " (" + w.storedName() + " in " + w.file().getFileName() + "): expected "
                    + Arrays.toString(want) + " but found " + Arrays.toString(w.shape()));
    }

    public boolean isExact() {
        return missing.isEmpty() && unexpected.isEmpty() && shapeMismatch.isEmpty() && badDtype.isEmpty();
    }

    /** Throws IllegalStateException listing the first few problems of each kind; {@code where} names the snapshot. */
    public void requireExact(String where) {
        if (isExact()) return;
        StringBuilder sb = new StringBuilder(where).append(": checkpoint does not match config.json:");
        part(sb, "shape mismatch", shapeMismatch);
        part(sb, "missing", missing);
        part(sb, "unexpected", unexpected);
        part(sb, "unsupported dtype", badDtype);
        throw new IllegalStateException(sb.toString());
    }

    private static void part(StringBuilder sb, String what, List<String> items) {
        if (items.isEmpty()) return;
        sb.append(' ').append(items.size()).append(' ').append(what).append(" [");
        for (int i = 0; i < Math.min(SHOW, items.size()); i++) sb.append(i == 0 ? "" : "; ").append(items.get(i));
        if (items.size() > SHOW) sb.append("; ...");
        sb.append(']');
    }
}
