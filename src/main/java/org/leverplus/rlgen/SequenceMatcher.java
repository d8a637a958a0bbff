package org.leverplus.rlgen;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPython's {@code difflib.SequenceMatcher(None, a, b).ratio()} on strings (as sequences of code points), exactly:
 * the same longest-match search and tie-breaking ({@code find_longest_match}: earliest in a, then earliest in b),
 * the same recursion order in {@code get_matching_blocks}, and the "autojunk" heuristic: when len(b) >= 200,
 * every element occurring more than len(b) // 100 + 1 times in b is "popular" and never starts a match, although
 * matches may still be extended over it (popular elements are not junk). Checked against CPython 3.11 on
 * thousands of pairs (tools/make_difflib_goldens.py).
 */
public final class SequenceMatcher {
    private SequenceMatcher() {}

    /** {@code difflib.SequenceMatcher(None, a, b).ratio()}: 2 * matches / (len(a) + len(b)), 1.0 when both are empty. */
    public static double ratio(String a, String b) {
        int[] x = a.codePoints().toArray(), y = b.codePoints().toArray();
        int length = x.length + y.length;
        return length == 0 ? 1.0 : 2.0 * matches(x, y) / length;
    }

    /** Total size of the matching blocks. */
    static int matches(int[] a, int[] b) {
        Map<Integer, int[]> b2j = chain(b);
        int total = 0;
        Deque<int[]> queue = new ArrayDeque<>();                     // Python list used as a stack (pop from the end)
        queue.push(new int[]{0, a.length, 0, b.length});
        int[] j2len = new int[b.length + 1], newj2len = new int[b.length + 1];
        while (!queue.isEmpty()) {
            int[] q = queue.pop();
            int alo = q[0], ahi = q[1], blo = q[2], bhi = q[3];
            int[] m = longestMatch(a, b, b2j, alo, ahi, blo, bhi, j2len, newj2len);
            int i = m[0], j = m[1], k = m[2];
            if (k > 0) {
                total += k;
                if (alo < i && blo < j) queue.push(new int[]{alo, i, blo, j});
                if (i + k < ahi && j + k < bhi) queue.push(new int[]{i + k, ahi, j + k, bhi});
            }
        }
        return total;
    }

    /** b2j without popular elements (autojunk for len(b) >= 200). */
    private static Map<Integer, int[]> chain(int[] b) {
        Map<Integer, List<Integer>> lists = new HashMap<>();
        for (int i = 0; i < b.length; i++) lists.computeIfAbsent(b[i], e -> new ArrayList<>()).add(i);
        int n = b.length, ntest = n / 100 + 1;
        Map<Integer, int[]> b2j = new HashMap<>();
        for (Map.Entry<Integer, List<Integer>> e : lists.entrySet()) {
            if (n >= 200 && e.getValue().size() > ntest) continue;      // popular
            b2j.put(e.getKey(), e.getValue().stream().mapToInt(Integer::intValue).toArray());
        }
        return b2j;
    }

    /**
     * {@code find_longest_match(alo, ahi, blo, bhi)}; j2len arrays are scratch of size len(b) + 1, indexed j + 1,
     * kept all-zero between calls.
     */
    private static int[] longestMatch(int[] a, int[] b, Map<Integer, int[]> b2j, int alo, int ahi, int blo, int bhi,
                                      int[] j2len, int[] newj2len) {
        int besti = alo, bestj = blo, bestsize = 0;
        int[] touched = new int[0], newTouched;
        int nTouched = 0;
        for (int i = alo; i < ahi; i++) {
            int[] js = b2j.get(a[i]);
            newTouched = new int[js == null ? 0 : js.length];
            int nNew = 0;
            if (js != null)
                for (int j : js) {
                    if (j < blo) continue;
                    if (j >= bhi) break;
                    int k = j2len[j] + 1;                           // j2len.get(j - 1, 0) + 1, stored at index j
                    newj2len[j + 1] = k;
                    newTouched[nNew++] = j + 1;
                    if (k > bestsize) { besti = i - k + 1; bestj = j - k + 1; bestsize = k; }
                }
            for (int t = 0; t < nTouched; t++) j2len[touched[t]] = 0;   // j2len = newj2len
            for (int t = 0; t < nNew; t++) { j2len[newTouched[t]] = newj2len[newTouched[t]]; newj2len[newTouched[t]] = 0; }
            touched = newTouched;
            nTouched = nNew;
        }
        for (int t = 0; t < nTouched; t++) j2len[touched[t]] = 0;
        // no junk (isjunk is None): extend over equal elements on both sides, popular ones included
        while (besti > alo && bestj > blo && a[besti - 1] == b[bestj - 1]) { besti--; bestj--; bestsize++; }
        while (besti + bestsize < ahi && bestj + bestsize < bhi && a[besti + bestsize] == b[bestj + bestsize]) bestsize++;
        return new int[]{besti, bestj, bestsize};
    }

}
