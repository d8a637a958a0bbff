package org.leverplus.sampler;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Lever-Plus's {@code MixSimSampler} (spec 3.5): per anchor, random + image-similar + text-similar candidates, in that
 * order. The split follows the original's ratios {Rand 0.5, Text 0.25, Img 0.25}: {@code int(0.5·k)} random,
 * {@code int(0.25·k)} text and the remainder image (32 + 16 + 16 for k = 64); the random part is
 * {@link RandSampler#pools} with that smaller k and the same seed, exactly as the original runs it.
 *
 * <p>The original concatenates the three parts without removing duplicates, so a pool can hold fewer than k distinct
 * ids. By default Lever removes a repeated id and takes the part's next-ranked candidate instead, so every pool has
 * exactly k distinct ids (the random part never repeats itself, so only the similarity parts refill);
 * {@code keepDuplicates} reproduces the original.
 */
public final class MixSampler {
    private MixSampler() {}

    /** The counts of the three parts for a pool of k: {rand, img, text}. */
    public static int[] split(int k) {
        int rand = (int) (0.5 * k), text = (int) (0.25 * k);
        return new int[]{rand, k - rand - text, text};
    }

    /**
     * Builds the pools.
     *
     * @param randPools  per anchor, at least {@code split(k)[0]} random ids (RandSampler with k = split(k)[0])
     * @param imgRanked  per anchor, image-similar ids best first (anchor already removed); at least k of them when
     *                   refilling, else at least the image count
     * @param textRanked per anchor, text-similar ids best first, same length rule
     */
    public static int[][] pools(int k, int[][] randPools, int[][] imgRanked, int[][] textRanked, boolean keepDuplicates) {
        int[] parts = split(k);
        int[][] out = new int[randPools.length][];
        for (int a = 0; a < randPools.length; a++) {
            if (keepDuplicates) {
                int[] p = new int[k];
                System.arraycopy(randPools[a], 0, p, 0, parts[0]);
                System.arraycopy(imgRanked[a], 0, p, parts[0], parts[1]);
                System.arraycopy(textRanked[a], 0, p, parts[0] + parts[1], parts[2]);
                out[a] = p;
                continue;
            }
            int[] p = new int[k];
            Set<Integer> seen = new HashSet<>(k * 2);
            int n = 0;
            for (int i = 0; i < parts[0]; i++) {
                if (!seen.add(randPools[a][i])) throw new IllegalStateException("random part of pool " + a + " repeats id " + randPools[a][i]);
                p[n++] = randPools[a][i];
            }
            n = fill(p, n, parts[1], imgRanked[a], seen, a, "image");
            n = fill(p, n, parts[2], textRanked[a], seen, a, "text");
            out[a] = p;
        }
        return out;
    }

    private static int fill(int[] p, int n, int want, int[] ranked, Set<Integer> seen, int anchorIndex, String part) {
        int added = 0;
        for (int i = 0; i < ranked.length && added < want; i++) {
            if (seen.add(ranked[i])) {
                p[n++] = ranked[i];
                added++;
            }
        }
        if (added < want)
            throw new IllegalStateException("mix pool " + anchorIndex + ": the " + part + " part found only " + added + " new ids of " + want
                    + " in its " + ranked.length + " ranked candidates " + Arrays.toString(Arrays.copyOf(ranked, Math.min(8, ranked.length))) + "...");
        return n;
    }
}
