package org.leverplus.sampler;

import java.math.BigInteger;
import java.util.BitSet;

/**
 * CPython's {@code random.Random}, as far as Lever-Plus uses it: MT19937 seeded exactly as {@code random.seed(int)}
 * seeds it ({@code init_by_array} over the absolute value's 32-bit words, least significant first),
 * {@code getrandbits(k)} for k &le; 32, {@code _randbelow} (rejection sampling on {@code n.bit_length()} bits) and
 * {@code random.sample(range(n), k)} with the same choice between its two algorithms (a shrinking pool list when the
 * population is small, a set of selected indices otherwise). Same seed, same calls, same numbers as CPython 3.
 * Not thread-safe (neither is CPython's shared instance).
 */
public final class CPythonRandom {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int mti = N + 1;

    /** {@code random.Random(seed)}. */
    public CPythonRandom(long seed) {
        seed(seed);
    }

    /** {@code random.seed(seed)} for an integer seed (negative seeds use the absolute value, as CPython does). */
    public void seed(long seed) {
        seed(BigInteger.valueOf(seed));
    }

    /** {@code random.seed(seed)} for an integer seed of any size. */
    public void seed(BigInteger seed) {
        BigInteger a = seed.abs();
        int words = Math.max(1, (a.bitLength() + 31) / 32);
        int[] key = new int[words];
        for (int i = 0; i < words; i++) key[i] = a.shiftRight(32 * i).intValue();
        initByArray(key);
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (mti = 1; mti < N; mti++) mt[mti] = 1812433253 * (mt[mti - 1] ^ (mt[mti - 1] >>> 30)) + mti;
    }

    private void initByArray(int[] key) {
        initGenrand(19650218);
        int i = 1, j = 0;
        for (int k = Math.max(N, key.length); k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1664525)) + key[j] + j;
            i++;
            j++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
            if (j >= key.length) j = 0;
        }
        for (int k = N - 1; k > 0; k--) {
            mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >>> 30)) * 1566083941)) - i;
            i++;
            if (i >= N) { mt[0] = mt[N - 1]; i = 1; }
        }
        mt[0] = 0x80000000;
        mti = N;
    }

    /** The next 32-bit output of MT19937, as an unsigned value in an int. */
    int nextWord() {
        if (mti >= N) {
            int kk;
            for (kk = 0; kk < N - M; kk++) {
                int y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) * 0x9908b0df);
            }
            for (; kk < N - 1; kk++) {
                int y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) * 0x9908b0df);
            }
            int y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
            mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) * 0x9908b0df);
            mti = 0;
        }
        int y = mt[mti++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** {@code getrandbits(k)} for 0 &le; k &le; 32 (one MT word, its top k bits). */
    public long getrandbits(int k) {
        if (k < 0 || k > 32) throw new IllegalArgumentException("getrandbits: k must be within [0, 32] but was " + k);
        if (k == 0) return 0;
        return (nextWord() & 0xffffffffL) >>> (32 - k);
    }

    /** {@code _randbelow(n)}: uniform in [0, n), drawing {@code n.bit_length()} bits until the value is below n. */
    public int randbelow(int n) {
        if (n <= 0) throw new IllegalArgumentException("randbelow: n must be positive but was " + n);
        int k = 32 - Integer.numberOfLeadingZeros(n);
        long r = getrandbits(k);
        while (r >= n) r = getrandbits(k);
        return (int) r;
    }

    /**
     * {@code random.sample(range(n), k)}: k distinct values of [0, n) in selection order. CPython picks the pool-list
     * algorithm when {@code n <= 21 + 4^ceil(log_4(3k))} (the "+4^.." only for k &gt; 5), else the selected-set one;
     * both consume the generator differently, so the choice is reproduced exactly.
     */
    public int[] sample(int n, int k) {
        if (k < 0 || k > n) throw new IllegalArgumentException("sample: sample larger than population or is negative (n=" + n + ", k=" + k + ")");
        int[] result = new int[k];
        if (n <= setSize(k)) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) pool[i] = i;
            for (int i = 0; i < k; i++) {
                int j = randbelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
        } else {
            BitSet selected = new BitSet(n);
            for (int i = 0; i < k; i++) {
                int j = randbelow(n);
                while (selected.get(j)) j = randbelow(n);
                selected.set(j);
                result[i] = j;
            }
        }
        return result;
    }

    /** CPython's threshold: {@code 21 + (k > 5 ? 4 ** ceil(log(3k, 4)) : 0)}, with log(x, 4) = log(x) / log(4) in doubles. */
    static long setSize(int k) {
        long size = 21;
        if (k > 5) size += 1L << (2 * (int) Math.ceil(Math.log(k * 3.0) / Math.log(4.0)));
        return size;
    }
}
