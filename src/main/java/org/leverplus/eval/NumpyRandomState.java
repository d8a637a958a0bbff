package org.leverplus.eval;

/**
 * NumPy's legacy {@code numpy.random.RandomState}, bit-exact for what the original's random baseline uses:
 * {@code np.random.seed(s)} (MT19937 {@code init_genrand}) and {@code choice(n, k, replace=False)}, which in the
 * legacy generator is {@code permutation(n)[:k]}: a Fisher-Yates shuffle of {@code arange(n)} from the last position
 * down, each swap partner drawn by {@code random_interval(i)} (mask-and-reject on 32-bit outputs while
 * {@code i <= 2^32-1}). Checked against Debian's python3-numpy by {@code NumpyRandomStateTest}
 * (goldens from {@code tools/numpy_random_goldens.py}).
 *
 * <p>Not thread-safe (one stream, like the original).
 */
public final class NumpyRandomState {
    private static final int N = 624, M = 397;
    private final int[] mt = new int[N];
    private int mti;

    public NumpyRandomState(long seed) {
        seed(seed);
    }

    /** {@code np.random.seed(seed)} for an integer seed in [0, 2^32). */
    public void seed(long seed) {
        if (seed < 0 || seed > 0xffffffffL) throw new IllegalArgumentException("seed must be between 0 and 2**32 - 1, got " + seed);
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        mti = N;
    }

    /** MT19937 {@code genrand_int32}, as an unsigned value. */
    public long nextUint32() {
        if (mti >= N) generate();
        int y = mt[mti++];
        y ^= (y >>> 11);
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= (y >>> 18);
        return y & 0xffffffffL;
    }

    private void generate() {
        int y;
        for (int k = 0; k < N; k++) {
            y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
            mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
        }
        mti = 0;
    }

    /** {@code random_interval(max)}: uniform in [0, max] by masking to max's bit length and rejecting. */
    long interval(long max) {
        if (max == 0) return 0;
        long mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        mask |= mask >>> 32;
        if (max > 0xffffffffL) throw new UnsupportedOperationException("interval: max above 2^32-1 (" + max + ") is not implemented");
        long v;
        while ((v = (nextUint32() & mask)) > max) { /* reject */ }
        return v;
    }

    /** {@code permutation(n)}: a shuffled {@code arange(n)}. */
    public int[] permutation(int n) {
        if (n < 0) throw new IllegalArgumentException("permutation: n must be >= 0, got " + n);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) interval(i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** {@code choice(n, k, replace=False)} (no {@code p}): {@code permutation(n)[:k]}. */
    public int[] choiceWithoutReplacement(int n, int k) {
        if (n <= 0) throw new IllegalArgumentException("choice: a must be greater than 0 unless no samples are taken, got " + n);
        if (k < 0 || k > n) throw new IllegalArgumentException("choice: cannot take a larger sample than population when replace=False (" + k + " > " + n + ")");
        return java.util.Arrays.copyOf(permutation(n), k);
    }
}
