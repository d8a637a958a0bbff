package org.leverplus.sampler;

/**
 * CPython's {@code random.Random} for the calls Lever-Plus makes, bit for bit: MT19937 seeded as
 * {@code random.seed(int)} seeds it ({@code init_by_array} over the 32-bit words of |seed|), {@code getrandbits},
 * {@code _randbelow} (rejection sampling on getrandbits(n.bit_length())) and {@code random.sample(range(n), k)} with
 * CPython's choice between its pool and set algorithms. Hand-written because exactness is the point: the anchors and
 * pools of a seed must be the ones the original's Python produced. Not thread-safe.
 */
public final class PyRandom {
    private static final int N = 624, M = 397;
    private final int[] mt = new int[N];
    private int mti = N + 1;

    public PyRandom(long seed) { seed(seed); }

    /** {@code random.seed(seed)} for an int seed. */
    public void seed(long seed) {
        long a = Math.abs(seed);
        int[] key = a >>> 32 == 0 ? new int[]{(int) a} : new int[]{(int) a, (int) (a >>> 32)};
        initByArray(key);
    }

    private void initGenrand(int s) {
        mt[0] = s;
        for (mti = 1; mti < N; mti++) {
            mt[mti] = 1812433253 * (mt[mti - 1] ^ (mt[mti - 1] >>> 30)) + mti;
        }
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
    }

    /** genrand_uint32, as an unsigned value in a long. */
    long nextUint32() {
        int y;
        if (mti >= N) {
            int kk;
            for (kk = 0; kk < N - M; kk++) {
                y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + M] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            for (; kk < N - 1; kk++) {
                y = (mt[kk] & 0x80000000) | (mt[kk + 1] & 0x7fffffff);
                mt[kk] = mt[kk + (M - N)] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            y = (mt[N - 1] & 0x80000000) | (mt[0] & 0x7fffffff);
            mt[N - 1] = mt[M - 1] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            mti = 0;
        }
        y = mt[mti++];
        y ^= (y >>> 11);
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= (y >>> 18);
        return y & 0xffffffffL;
    }

    /** {@code random.getrandbits(k)} for 0 < k <= 32 (the widths Lever-Plus's sizes need). */
    public long getrandbits(int k) {
        if (k <= 0 || k > 32) throw new IllegalArgumentException("getrandbits supports 1..32 bits here, got " + k);
        return nextUint32() >>> (32 - k);
    }

    /** {@code random._randbelow(n)}: uniform in [0, n). */
    public int randbelow(int n) {
        if (n <= 0) throw new IllegalArgumentException("randbelow needs n > 0, got " + n);
        int k = 32 - Integer.numberOfLeadingZeros(n); // n.bit_length()
        long r = getrandbits(k);
        while (r >= n) r = getrandbits(k);
        return (int) r;
    }

    /** {@code random.sample(range(n), k)}. */
    public int[] sample(int n, int k) {
        if (k < 0 || k > n) throw new IllegalArgumentException("sample larger than population or is negative: k=" + k + ", n=" + n);
        int[] result = new int[k];
        int setsize = 21;
        if (k > 5) setsize += (int) Math.pow(4, Math.ceil(Math.log(k * 3.0) / Math.log(4)));
        if (n <= setsize) {
            int[] pool = new int[n];
            for (int i = 0; i < n; i++) pool[i] = i;
            for (int i = 0; i < k; i++) {
                int j = randbelow(n - i);
                result[i] = pool[j];
                pool[j] = pool[n - i - 1];
            }
        } else {
            java.util.HashSet<Integer> selected = new java.util.HashSet<>();
            for (int i = 0; i < k; i++) {
                int j = randbelow(n);
                while (selected.contains(j)) j = randbelow(n);
                selected.add(j);
                result[i] = j;
            }
        }
        return result;
    }
}
