package org.leverplus.selector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The parameter-matching check every checkpoint load runs: missing keys, unexpected keys, shape and dtype mismatches,
 * each by name. Unlike the original's {@code load_state_dict(strict=False)} nothing is ignored silently: a key may
 * only be missing when it matches an {@code --allow-missing} pattern, and only be unexpected when it matches an
 * {@code --ignore-unexpected} pattern (glob syntax, {@code *} = any characters).
 */
public record ParameterMatch(List<String> missing, List<String> allowedMissing, List<String> unexpected,
                             List<String> ignoredUnexpected, List<String> shapeMismatches, List<String> dtypeMismatches,
                             int matched) {
    /** Expected or found entry: dtype name (safetensors style, e.g. F32) and shape. */
    public record Spec(String dtype, long[] shape) {}

    public static ParameterMatch compare(Map<String, Spec> expected, Map<String, Spec> found,
                                         List<String> allowMissing, List<String> ignoreUnexpected) {
        List<Pattern> am = compile(allowMissing), iu = compile(ignoreUnexpected);
        List<String> missing = new ArrayList<>(), allowed = new ArrayList<>(), unexpected = new ArrayList<>(),
                ignored = new ArrayList<>(), shape = new ArrayList<>(), dtype = new ArrayList<>();
        int matched = 0;
        for (Map.Entry<String, Spec> e : expected.entrySet()) {
            Spec f = found.get(e.getKey());
            if (f == null) {
                (matches(am, e.getKey()) ? allowed : missing).add(e.getKey());
                continue;
            }
            boolean ok = true;
            if (!Arrays.equals(e.getValue().shape(), f.shape())) {
                shape.add(e.getKey() + ": expected " + Arrays.toString(e.getValue().shape()) + ", found " + Arrays.toString(f.shape()));
                ok = false;
            }
            if (!e.getValue().dtype().equals(f.dtype())) {
                dtype.add(e.getKey() + ": expected " + e.getValue().dtype() + ", found " + f.dtype());
                ok = false;
            }
            if (ok) matched++;
        }
        for (String k : found.keySet())
            if (!expected.containsKey(k)) (matches(iu, k) ? ignored : unexpected).add(k);
        return new ParameterMatch(List.copyOf(missing), List.copyOf(allowed), List.copyOf(unexpected), List.copyOf(ignored),
                List.copyOf(shape), List.copyOf(dtype), matched);
    }

    /** True when nothing is missing, unexpected or mismatched beyond what the patterns allow. */
    public boolean ok() {
        return missing.isEmpty() && unexpected.isEmpty() && shapeMismatches.isEmpty() && dtypeMismatches.isEmpty();
    }

    /** A multi-line human-readable report. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append("matched: ").append(matched).append('\n');
        section(sb, "missing", missing);
        section(sb, "unexpected", unexpected);
        section(sb, "shape mismatch", shapeMismatches);
        section(sb, "dtype mismatch", dtypeMismatches);
        section(sb, "left at initialisation (--allow-missing)", allowedMissing);
        section(sb, "ignored (--ignore-unexpected)", ignoredUnexpected);
        sb.append(ok() ? "OK" : "MISMATCH");
        return sb.toString();
    }

    /** One line naming every problem, for exceptions. */
    public String problems() {
        List<String> p = new ArrayList<>();
        if (!missing.isEmpty()) p.add("missing " + missing);
        if (!unexpected.isEmpty()) p.add("unexpected " + unexpected);
        if (!shapeMismatches.isEmpty()) p.add("shape mismatch " + shapeMismatches);
        if (!dtypeMismatches.isEmpty()) p.add("dtype mismatch " + dtypeMismatches);
        return String.join("; ", p);
    }

    private static void section(StringBuilder sb, String title, List<String> items) {
        if (items.isEmpty()) return;
        sb.append(title).append(" (").append(items.size()).append("):\n");
        for (String s : items) sb.append("  ").append(s).append('\n');
    }

    private static List<Pattern> compile(List<String> globs) {
        List<Pattern> out = new ArrayList<>();
        if (globs == null) return out;
        for (String g : globs) {
            if (g.isEmpty() || g.chars().anyMatch(c -> "[]{}\\".indexOf(c) >= 0))
                throw new IllegalArgumentException("parameter pattern '" + g + "': only * and ? are supported (a pattern that "
                        + "silently matched nothing would hide a typo)");
            StringBuilder re = new StringBuilder();
            for (char ch : g.toCharArray()) {
                if (ch == '*') re.append(".*");
                else if (ch == '?') re.append('.');
                else re.append(Pattern.quote(String.valueOf(ch)));
            }
            out.add(Pattern.compile(re.toString()));
        }
        return out;
    }

    private static boolean matches(List<Pattern> ps, String key) {
        for (Pattern p : ps) if (p.matcher(key).matches()) return true;
        return false;
    }
}
