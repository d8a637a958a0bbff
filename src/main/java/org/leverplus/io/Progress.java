package org.leverplus.io;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Locale;

/**
 * Progress of a long operation on stderr: a bar, done/total, the rate and the time left, redrawn in place at most
 * five times a second. Shown only when stderr is a terminal ({@link System#console()}) and not {@link #setQuiet quiet}
 * ({@code --quiet}); {@code LEVER_PROGRESS=1} forces it on (a log file then gets one line per redraw), {@code 0} off.
 * Every long command reports through this one class: training steps, requests of {@code vlm score|generate}, and the
 * bytes of large input files ({@link #wrap}).
 */
public final class Progress implements AutoCloseable {
    private static volatile boolean quiet;
    private static final long MIN_BYTES_FOR_INPUT_PROGRESS = 32L << 20;

    private final String what, unit;
    private final long total;
    private final PrintStream out;
    private final long t0 = System.nanoTime();
    private long done, lastDraw;
    private boolean drawn, closed;

    private Progress(String what, long total, String unit, PrintStream out) {
        this.what = what;
        this.total = total;
        this.unit = unit;
        this.out = out;
    }

    /** {@code --quiet}: no progress anywhere. */
    public static void setQuiet(boolean q) {
        quiet = q;
    }

    /** Whether progress is drawn in this process. */
    public static boolean enabled() {
        String env = System.getenv("LEVER_PROGRESS");
        if ("0".equals(env) || quiet) return false;
        return "1".equals(env) || System.console() != null;
    }

    /** A progress line for {@code total} units of work (0 when unknown), or a silent one when progress is off or {@code what} is null. */
    public static Progress start(String what, long total, String unit) {
        return new Progress(what, total, unit, what != null && enabled() ? System.err : null);
    }

    /** A progress line drawn on {@code out} whatever the terminal (for tests and callers with their own stream). */
    public static Progress to(PrintStream out, String what, long total, String unit) {
        return new Progress(what, total, unit, out);
    }

    /** Advances by {@code n} units. */
    public void advance(long n) {
        done += n;
        if (out == null) return;
        long now = System.nanoTime();
        if (drawn && now - lastDraw < 200_000_000L && done < total) return;
        lastDraw = now;
        draw(false);
    }

    private void draw(boolean last) {
        double secs = Math.max((System.nanoTime() - t0) / 1e9, 1e-9);
        double rate = done / secs;
        StringBuilder b = new StringBuilder("\r").append(what).append(' ');
        if (total > 0) {
            int bar = (int) Math.min(30, 30L * done / total);
            b.append('[').append("#".repeat(bar)).append(".".repeat(30 - bar)).append("] ");
            b.append(String.format(Locale.ROOT, "%s/%s %s  %s %s/s", fmt(done), fmt(total), unit, fmt(rate), unit));
            if (!last && rate > 0 && done < total) b.append("  ETA ").append(clock((total - done) / rate));
        } else {
            b.append(String.format(Locale.ROOT, "%s %s  %s %s/s", fmt(done), unit, fmt(rate), unit));
        }
        if (last) b.append("  in ").append(clock(secs));
        b.append("   ");
        out.print(b);
        if (last) out.println();
        out.flush();
        drawn = true;
    }

    private static String fmt(double v) {
        if (v >= 100 || v == Math.rint(v)) return String.format(Locale.ROOT, "%,d", (long) v);
        return String.format(Locale.ROOT, "%.1f", v);
    }

    private static String clock(double secs) {
        long s = Math.round(secs);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** Ends the line (a final redraw with the elapsed time). */
    @Override public void close() {
        if (closed) return;
        closed = true;
        if (out != null && drawn) draw(true);
    }

    /** An input stream that reports the bytes read of a large file (in MB); small files and progress off: as is. */
    public static InputStream wrap(InputStream in, String name, long size) {
        if (size < MIN_BYTES_FOR_INPUT_PROGRESS || !enabled()) return in;
        Progress p = start("reading " + name, size >> 20, "MB");
        return new FilterInputStream(in) {
            long bytes, reported;

            private void count(long n) {
                if (n <= 0) return;
                bytes += n;
                long mb = bytes >> 20;
                if (mb > reported) {
                    p.advance(mb - reported);
                    reported = mb;
                }
            }

            @Override public int read() throws IOException {
                int b = super.read();
                if (b >= 0) count(1);
                return b;
            }

            @Override public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                count(n);
                return n;
            }

            @Override public void close() throws IOException {
                super.close();
                p.close();
            }
        };
    }
}
