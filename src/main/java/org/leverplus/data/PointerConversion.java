package org.leverplus.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Converts a query between the two pointer conventions of spec section 8.4.
 * <ul>
 *   <li>global: {@code pointer} = global dataset indices (v1–v4, VQAv2 balanced);</li>
 *   <li>local: {@code pointer} = positions in the query's {@code candidate_pool_ids}, with the global indices in
 *       {@code pointer_global} (k64 files).</li>
 * </ul>
 * Nothing is lost either way: converting to global keeps {@code candidate_pool_ids} (Lever-Plus's trainer ignores it
 * when the first candidate has no {@code pointer_global}) unless it is just the sorted distinct ids of the sequences,
 * and converting to local builds the pool from those sorted distinct ids when the query has none, without the
 * trainer's 64-item truncation. So local → global → local and global → local → global both give the input back.
 */
public final class PointerConversion {
    /** The target convention. */
    public enum Target {
        LOCAL, GLOBAL;

        public static Target parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "local" -> LOCAL;
                case "global" -> GLOBAL;
                default -> throw new IllegalArgumentException("--pointers: expected local or global but found \"" + s + "\"");
            };
        }
    }

    private PointerConversion() {
    }

    public static RlQuery convert(RlQuery q, Target target, String file) {
        return target == Target.LOCAL ? toLocal(q, file) : toGlobal(q, file);
    }

    /** Global pointers (checks that {@code pointer_global} agrees with {@code candidate_pool_ids[pointer]}). */
    public static RlQuery toGlobal(RlQuery q, String file) {
        boolean any = false;
        for (RlCandidate c : q.candidates()) any |= c.isLocal();
        if (!any) return q;
        List<RlCandidate> out = new ArrayList<>(q.candidates().size());
        for (int i = 0; i < q.candidates().size(); i++) {
            RlCandidate c = q.candidates().get(i);
            if (!c.isLocal()) {
                out.add(c);
                continue;
            }
            checkLocal(q, c, i, file);
            out.add(c.withPointers(c.pointerGlobal(), null));
        }
        RlQuery global = q.withCandidates(out, null);
        // A pool that is just the sorted distinct ids (what toLocal derives for a global file) carries no information:
        // drop it so that global -> local -> global gives the original back.
        if (q.candidatePoolIds() != null && Arrays.equals(q.candidatePoolIds(), global.distinctGlobalIds()))
            global = global.withoutPool();
        return global;
    }

    /** Local pointers into {@code candidate_pool_ids} (built from the sorted distinct global ids if absent). */
    public static RlQuery toLocal(RlQuery q, String file) {
        if (q.candidates().isEmpty()) return q;
        int[] pool = q.candidatePoolIds() != null ? q.candidatePoolIds() : q.distinctGlobalIds();
        Map<Integer, Integer> pos = new HashMap<>();
        for (int i = 0; i < pool.length; i++) pos.putIfAbsent(pool[i], i);
        List<RlCandidate> out = new ArrayList<>(q.candidates().size());
        for (int i = 0; i < q.candidates().size(); i++) {
            RlCandidate c = q.candidates().get(i);
            if (c.isLocal()) checkLocal(q, c, i, file);
            int[] g = c.globalPointer();
            int[] local = new int[g.length];
            for (int t = 0; t < g.length; t++) {
                Integer p = pos.get(g[t]);
                if (p == null)
                    throw new RlDataFormatException(file, q.key(), "pointer_candidates[" + i + "].pointer",
                            "global id " + g[t] + " is not in candidate_pool_ids (" + pool.length + " items)");
                local[t] = p;
            }
            out.add(c.withPointers(local, g));
        }
        return q.withCandidates(out, pool);
    }

    private static void checkLocal(RlQuery q, RlCandidate c, int i, String file) {
        String f = "pointer_candidates[" + i + "]";
        int[] pool = q.candidatePoolIds();
        if (pool == null)
            throw new RlDataFormatException(file, q.key(), f + ".pointer_global",
                    "the candidate has local pointers but the query has no candidate_pool_ids");
        if (c.pointer().length != c.pointerGlobal().length)
            throw new RlDataFormatException(file, q.key(), f + ".pointer_global", "expected " + c.pointer().length
                    + " ids like pointer but found " + c.pointerGlobal().length);
        for (int t = 0; t < c.pointer().length; t++) {
            int p = c.pointer()[t];
            if (p < 0 || p >= pool.length)
                throw new RlDataFormatException(file, q.key(), f + ".pointer[" + t + "]",
                        "expected a position in [0, " + pool.length + ") but found " + p);
            if (pool[p] != c.pointerGlobal()[t])
                throw new RlDataFormatException(file, q.key(), f + ".pointer_global[" + t + "]", "expected candidate_pool_ids["
                        + p + "] = " + pool[p] + " but found " + c.pointerGlobal()[t] + " (pointer " + Arrays.toString(c.pointer()) + ")");
        }
    }
}
