package io.stoker.dataset;

/**
 * A small, fast, deterministic pseudo-random generator (Steele, Lea and Flood's SplitMix64): the same seed gives
 * the same sequence on every machine and JVM, which {@code java.util.Random} and {@code SplittableRandom} do not
 * promise across versions. Not thread-safe; not for cryptography.
 */
public final class SplitMix64
{
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private long state;

    /**
     * A generator starting from a seed.
     *
     * @param seed any value; equal seeds give equal sequences.
     */
    public SplitMix64(final long seed)
    {
        state = seed;
    }

    /**
     * The next 64 random bits.
     *
     * @return the next 64 random bits.
     */
    public long nextLong()
    {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /**
     * A random value in {@code [low, high]}.
     *
     * @param low  smallest value.
     * @param high largest value, at least low.
     * @return a random value in {@code [low, high]}.
     */
    public int nextInt(final int low, final int high)
    {
        if (high < low)
        {
            throw new IllegalArgumentException("high < low: " + high + " < " + low);
        }

        return (int)(low + Long.remainderUnsigned(nextLong(), (long)high - low + 1));
    }

    /**
     * The finalising mix of SplitMix64, a good 64-bit hash of one value.
     *
     * @param value to hash.
     * @return the hash.
     */
    public static long mix(final long value)
    {
        long z = value;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
