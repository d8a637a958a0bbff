package org.leverplus.io;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TorchRuntime;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads PyTorch's zip+pickle files ({@code torch.save} since 1.6: {@code .pt}, Lightning {@code .ckpt}) without
 * Python: {@code <prefix>/data.pkl} is unpickled by a small interpreter for the subset such files use (dicts, lists,
 * tuples, strings, numbers, booleans, None, {@code OrderedDict}, {@code torch._utils._rebuild_tensor_v2} /
 * {@code _rebuild_parameter} and persistent storages {@code ('storage', torch.FloatStorage, key, location, numel)}
 * read from {@code <prefix>/data/<key>}). Any other class is kept as a {@link PyObject} placeholder holding its
 * arguments and state, so unknown entries (optimizer states, config objects) never stop a checkpoint from loading.
 * <p>
 * Python values map to: dict → LinkedHashMap, list → ArrayList, tuple → unmodifiable List, str → String, int → Long
 * (BigInteger beyond 64 bits), float → Double, bool → Boolean, None → null, bytes → byte[], tensor → LibTorch Tensor
 * (a contiguous CPU copy with the saved sizes and strides applied).
 */
public final class TorchZipFile {
    private TorchZipFile() {}

    /** An instance of a Python class the reader does not model: {@code module.name(args)} plus BUILD state. */
    public record PyObject(String module, String name, List<Object> args, Object state, Map<Object, Object> items) {
        @Override public String toString() { return module + "." + name + args; }
    }

    /** A class reference from GLOBAL, before it is called. */
    private record PyGlobal(String module, String name) {}

    private record Storage(String key, ScalarType dtype) {}

    /** Loads the pickled object of a PyTorch zip file. */
    public static Object load(Path file) throws IOException {
        TorchRuntime.init();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            String pkl = null;
            for (var en = zip.entries(); en.hasMoreElements(); ) {
                String n = en.nextElement().getName();
                if (n.endsWith("data.pkl") && (n.equals("data.pkl") || n.endsWith("/data.pkl")) && n.indexOf('/') == n.lastIndexOf('/')) {
                    pkl = n;
                    break;
                }
            }
            if (pkl == null) throw new IOException(file + ": not a PyTorch zip checkpoint (no <prefix>/data.pkl entry); "
                    + "files written by torch.save before PyTorch 1.6 (legacy tar/pickle format) are not supported");
            String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
            byte[] bytes = readEntry(file, zip, zip.getEntry(pkl), MAX_PICKLE_BYTES);
            try {
                return new Unpickler(file, zip, prefix, bytes).run();
            } catch (java.nio.BufferUnderflowException e) {
                throw new IOException(file + ": the pickle (" + pkl + ") is truncated: an opcode's argument runs past its end");
            } catch (ClassCastException | IndexOutOfBoundsException e) {
                throw new IOException(file + ": malformed pickle (" + pkl + "): an opcode found the wrong kind of value on the stack");
            }
        } catch (java.util.zip.ZipException e) {
            boolean safetensors;
            try {
                Safetensors.readHeader(file);
                safetensors = true;
            } catch (IOException | RuntimeException notSafetensors) {
                safetensors = false;
            }
            if (safetensors) throw new IOException(file + ": is already a safetensors file, not a PyTorch checkpoint: use it as it is (lever inspect shows what it holds)");
            throw new IOException(file + ": not a PyTorch zip checkpoint (" + e.getMessage() + "); legacy (pre-1.6) files are not supported", e);
        }
    }

    /** The pickle of a checkpoint is small (structure only; tensor bytes live in separate entries). */
    static final int MAX_PICKLE_BYTES = 64 << 20;
    /** A storage entry must fit a Java array. */
    static final int MAX_ENTRY_BYTES = Integer.MAX_VALUE - 8;

    /**
     * An entry's bytes, read with a bound: at most its declared size (when the zip declares one) and at most
     * {@code max}, so a small zip whose entry inflates to gigabytes fails at once instead of filling memory.
     */
    static byte[] readEntry(Path file, ZipFile zip, ZipEntry e, int max) throws IOException {
        long declared = e.getSize();
        if (declared > max)
            throw new IOException(file + ": zip entry " + e.getName() + " declares " + declared + " bytes, more than the " + max + " this reader accepts");
        int limit = declared >= 0 ? (int) declared : max;
        try (java.io.InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readNBytes(limit);
            if (in.read() >= 0)
                throw new IOException(file + ": zip entry " + e.getName() + " inflates to more than " + (declared >= 0
                        ? "its declared " + declared + " bytes (corrupt or crafted zip)" : max + " bytes"));
            if (declared >= 0 && b.length != declared)
                throw new IOException(file + ": zip entry " + e.getName() + " holds " + b.length + " bytes but declares " + declared + " (truncated?)");
            return b;
        }
    }

    /** A Python-side description of a value the unpickler produced ("dict", "tuple of 3", "str", ...). */
    public static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Map<?, ?> m) return "a dict of " + m.size();
        if (o instanceof List<?> l) return (l.getClass().getName().contains("Unmodifiable") ? "a tuple of " : "a list of ") + l.size();
        if (o instanceof String) return "a str";
        if (o instanceof Long || o instanceof BigInteger) return "an int";
        if (o instanceof Double) return "a float";
        if (o instanceof Boolean) return "a bool";
        if (o instanceof byte[]) return "bytes";
        if (o instanceof Tensor) return "a tensor";
        if (o instanceof PyObject p) return "an object of class " + p.module() + "." + p.name();
        return o.getClass().getSimpleName();
    }

    private static final class Unpickler {
        private static final Object MARK = new Object();
        private final Path file;
        private final ZipFile zip;
        private final String prefix;
        private final ByteBuffer in;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Integer, Object> memo = new HashMap<>();
        private final Map<String, Tensor> storages = new HashMap<>();

        Unpickler(Path file, ZipFile zip, String prefix, byte[] data) {
            this.file = file;
            this.zip = zip;
            this.prefix = prefix;
            this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        }

        Object run() throws IOException {
            while (true) {
                if (!in.hasRemaining()) throw bad("pickle ends without STOP");
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> in.get();                                   // PROTO
                    case 0x95 -> in.getLong();                               // FRAME
                    case '.' -> { return pop(); }                            // STOP
                    case '(' -> stack.add(MARK);
                    case ')' -> stack.add(List.of());
                    case '}' -> stack.add(new LinkedHashMap<>());
                    case ']' -> stack.add(new ArrayList<>());
                    case 'N' -> stack.add(null);
                    case 0x88 -> stack.add(Boolean.TRUE);
                    case 0x89 -> stack.add(Boolean.FALSE);
                    case 'K' -> stack.add((long) (in.get() & 0xff));
                    case 'M' -> stack.add((long) (in.getShort() & 0xffff));
                    case 'J' -> stack.add((long) in.getInt());
                    case 0x8a -> stack.add(readLong(in.get() & 0xff));      // LONG1
                    case 0x8b -> stack.add(readLong(in.getInt()));          // LONG4 (signed length)
                    case 'G' -> stack.add(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT is big-endian
                    case 'X' -> stack.add(str(Integer.toUnsignedLong(in.getInt())));
                    case 0x8c -> stack.add(str(in.get() & 0xff));           // SHORT_BINUNICODE
                    case 0x8d -> stack.add(str(in.getLong()));              // BINUNICODE8
                    case 'T' -> stack.add(str(in.getInt()));                // BINSTRING (signed length; latin-1 treated as UTF-8)
                    case 'U' -> stack.add(str(in.get() & 0xff));            // SHORT_BINSTRING
                    case 'B' -> stack.add(bytes(Integer.toUnsignedLong(in.getInt())));
                    case 'C' -> stack.add(bytes(in.get() & 0xff));
                    case 'c' -> stack.add(new PyGlobal(line(), line()));     // GLOBAL
                    case 0x93 -> { String name = (String) pop(); String mod = (String) pop(); stack.add(new PyGlobal(mod, name)); }
                    case 'q' -> memo.put(in.get() & 0xff, peek());          // BINPUT
                    case 'r' -> memo.put(in.getInt(), peek());              // LONG_BINPUT
                    case 0x94 -> memo.put(memo.size(), peek());             // MEMOIZE
                    case 'h' -> stack.add(memoGet(in.get() & 0xff));
                    case 'j' -> stack.add(memoGet(in.getInt()));
                    case '0' -> pop();
                    case '2' -> stack.add(peek());
                    case 0x85 -> stack.add(tuple(1));
                    case 0x86 -> stack.add(tuple(2));
                    case 0x87 -> stack.add(tuple(3));
                    case 't' -> stack.add(Collections.unmodifiableList(new ArrayList<>(popMark())));
                    case 'l' -> stack.add(new ArrayList<>(popMark()));
                    case 'd' -> { List<Object> xs = popMark(); Map<Object, Object> m = new LinkedHashMap<>(); for (int i = 0; i + 1 < xs.size(); i += 2) m.put(xs.get(i), xs.get(i + 1)); stack.add(m); }
                    case 'a' -> { Object v = pop(); asList(peek()).add(v); }
                    case 'e' -> { List<Object> xs = popMark(); asList(peek()).addAll(xs); }
                    case 's' -> { Object v = pop(); Object k = pop(); asMap(peek()).put(k, v); }
                    case 'u' -> { List<Object> xs = popMark(); Map<Object, Object> m = asMap(peek()); for (int i = 0; i + 1 < xs.size(); i += 2) m.put(xs.get(i), xs.get(i + 1)); }
                    case 0x8f -> stack.add(new ArrayList<>());                // EMPTY_SET (as a list)
                    case 0x90 -> { List<Object> xs = popMark(); asList(peek()).addAll(xs); }
                    case 0x91 -> stack.add(new ArrayList<>(popMark()));       // FROZENSET
                    case 'Q' -> stack.add(persistentLoad(pop()));            // BINPERSID
                    case 'R' -> { Object args = pop(); Object fn = pop(); stack.add(call(fn, args)); }
                    case 0x81 -> { Object args = pop(); Object cls = pop(); stack.add(call(cls, args)); } // NEWOBJ
                    case 'b' -> { Object st = pop(); build(peek(), st); }     // BUILD
                    default -> throw bad(String.format("unsupported pickle opcode 0x%02x at byte %d", op, in.position() - 1));
                }
            }
        }

        private List<Object> tuple(int n) throws IOException {
            Object[] xs = new Object[n];
            for (int i = n - 1; i >= 0; i--) xs[i] = pop();
            List<Object> l = new ArrayList<>(n);
            Collections.addAll(l, xs);
            return Collections.unmodifiableList(l);
        }

        private Object call(Object fn, Object argsObj) throws IOException {
            if (!(fn instanceof PyGlobal g)) throw bad("REDUCE on a non-class value " + fn);
            List<Object> args = argsObj instanceof List<?> l ? castList(l) : List.of();
            String q = g.module() + "." + g.name();
            switch (q) {
                case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> { return rebuildTensor(args); }
                case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> { return args.get(0); }
                case "collections.OrderedDict", "builtins.dict", "__builtin__.dict" -> {
                    Map<Object, Object> m = new LinkedHashMap<>();
                    if (!args.isEmpty() && args.get(0) instanceof List<?> pairs)
                        for (Object p : pairs) if (p instanceof List<?> kv && kv.size() == 2) m.put(kv.get(0), kv.get(1));
                    return m;
                }
                default -> { return new PyObject(g.module(), g.name(), args, null, new LinkedHashMap<>()); }
            }
        }

        private void build(Object target, Object state) {
            // OrderedDict state (e.g. state_dict._metadata) and unknown objects' state: kept only on placeholders
            if (target instanceof PyObject p) stack.set(stack.size() - 1, new PyObject(p.module(), p.name(), p.args(), state, p.items()));
        }

        private Object persistentLoad(Object pid) throws IOException {
            if (!(pid instanceof List<?> t) || t.size() < 5 || !"storage".equals(t.get(0)))
                throw bad("unsupported persistent id " + pid);
            String cls = t.get(1) instanceof PyGlobal g ? g.name() : String.valueOf(t.get(1));
            return new Storage(String.valueOf(t.get(2)), dtypeOf(cls));
        }

        private ScalarType dtypeOf(String storageClass) throws IOException {
            return switch (storageClass) {
                case "FloatStorage" -> ScalarType.Float;
                case "DoubleStorage" -> ScalarType.Double;
                case "HalfStorage" -> ScalarType.Half;
                case "BFloat16Storage" -> ScalarType.BFloat16;
                case "LongStorage" -> ScalarType.Long;
                case "IntStorage" -> ScalarType.Int;
                case "ShortStorage" -> ScalarType.Short;
                case "CharStorage" -> ScalarType.Char;
                case "ByteStorage" -> ScalarType.Byte;
                case "BoolStorage" -> ScalarType.Bool;
                default -> throw bad("unsupported storage class torch." + storageClass);
            };
        }

        private Tensor storageTensor(Storage s) throws IOException {
            Tensor t = storages.get(s.key());
            if (t != null) return t;
            ZipEntry e = zip.getEntry(prefix + "data/" + s.key());
            if (e == null) throw bad("storage '" + s.key() + "' referenced by the pickle is missing (" + prefix + "data/" + s.key() + ")");
            byte[] raw = readEntry(file, zip, e, MAX_ENTRY_BYTES);
            int width = (int) torch.elementSize(s.dtype());
            if (raw.length % width != 0)
                throw bad("storage '" + s.key() + "' holds " + raw.length + " bytes, not a multiple of its element size " + width);
            try (BytePointer p = new BytePointer(raw)) {
                Tensor bytes = torch.from_blob(p, new long[]{raw.length}, new TensorOptions(ScalarType.Byte)).clone();
                t = raw.length == 0 ? torch.empty(new long[]{0}, new TensorOptions(s.dtype()), null) : bytes.view(s.dtype());
            }
            storages.put(s.key(), t);
            return t;
        }

        private Tensor rebuildTensor(List<Object> a) throws IOException {
            if (a.size() < 4 || !(a.get(0) instanceof Storage st)) throw bad("_rebuild_tensor_v2 with unexpected arguments " + a);
            Tensor flat = storageTensor(st);
            if (!(a.get(1) instanceof Number)) throw bad("_rebuild_tensor_v2: storage offset is not an int: " + a.get(1));
            long offset = ((Number) a.get(1)).longValue();
            long[] size = longs(a.get(2)), stride = longs(a.get(3));
            checkView(st, flat.numel(), offset, size, stride);
            return flat.as_strided(size, stride, new org.bytedeco.pytorch.LongOptional(offset)).clone().contiguous();
        }

        /** Sizes, strides and offset must address elements inside the storage (checked here, not by LibTorch's C++). */
        private void checkView(Storage st, long numel, long offset, long[] size, long[] stride) throws IOException {
            String what = "tensor on storage '" + st.key() + "' (size " + java.util.Arrays.toString(size) + ", stride "
                    + java.util.Arrays.toString(stride) + ", offset " + offset + ")";
            if (size.length != stride.length) throw bad(what + ": sizes and strides differ in length");
            if (offset < 0) throw bad(what + ": negative storage offset");
            long last = offset;
            boolean empty = false;
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0 || stride[i] < 0) throw bad(what + ": negative size or stride");
                if (size[i] == 0) empty = true;
                else {
                    try {
                        last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                    } catch (ArithmeticException e) {
                        throw bad(what + ": addresses beyond any storage");
                    }
                }
            }
            if (!empty && last >= numel)
                throw bad(what + ": reads element " + last + " but the storage holds " + numel + " elements");
            // a view with stride 0 may repeat elements, but the copy it becomes must stay near the storage's size
            long count = 1;
            for (long s : size) count = count > Long.MAX_VALUE / Math.max(1, s) ? Long.MAX_VALUE : count * s;
            if (count > Math.min(Integer.MAX_VALUE, Math.max(1, numel) * 1024L))
                throw bad(what + ": describes " + count + " elements over a storage of " + numel + " (corrupt or crafted file)");
        }

        private long[] longs(Object o) throws IOException {
            if (!(o instanceof List<?> l)) throw bad("expected a tuple of ints, found " + o);
            long[] r = new long[l.size()];
            for (int i = 0; i < r.length; i++) {
                if (!(l.get(i) instanceof Long v)) throw bad("expected a tuple of ints, found " + o);
                r[i] = v;
            }
            return r;
        }

        private Object readLong(long n0) throws IOException {
            int n = length(n0);
            byte[] b = new byte[n];
            in.get(b);
            if (n == 0) return 0L;
            byte[] be = new byte[n];
            for (int i = 0; i < n; i++) be[i] = b[n - 1 - i];
            BigInteger v = new BigInteger(be);
            return v.bitLength() < 64 ? (Object) v.longValue() : v;
        }

        /** A length read from the pickle, checked against the bytes that are left before anything is allocated. */
        private int length(long n) throws IOException {
            if (n < 0 || n > in.remaining())
                throw bad("malformed pickle: a string or bytes length of " + n + " at byte " + in.position() + " but only "
                        + in.remaining() + " bytes are left (truncated or corrupt)");
            return (int) n;
        }

        private String str(long n) throws IOException {
            byte[] b = new byte[length(n)];
            in.get(b);
            return new String(b, StandardCharsets.UTF_8);
        }

        private byte[] bytes(long n) throws IOException {
            byte[] b = new byte[length(n)];
            in.get(b);
            return b;
        }

        private String line() {
            StringBuilder sb = new StringBuilder();
            byte c;
            while ((c = in.get()) != '\n') {
                sb.append((char) c);
                if (sb.length() > 4096) throw new java.nio.BufferUnderflowException();
            }
            return sb.toString();
        }

        private Object memoGet(int i) throws IOException {
            if (!memo.containsKey(i)) throw bad("memo key " + i + " not defined");
            return memo.get(i);
        }

        private Object pop() throws IOException {
            if (stack.isEmpty()) throw bad("pickle stack underflow");
            return stack.remove(stack.size() - 1);
        }

        private Object peek() throws IOException {
            if (stack.isEmpty()) throw bad("pickle stack underflow");
            return stack.get(stack.size() - 1);
        }

        private List<Object> popMark() throws IOException {
            int i = stack.size() - 1;
            while (i >= 0 && stack.get(i) != MARK) i--;
            if (i < 0) throw bad("pickle MARK not found");
            List<Object> xs = new ArrayList<>(stack.subList(i + 1, stack.size()));
            while (stack.size() > i) stack.remove(stack.size() - 1);
            return xs;
        }

        @SuppressWarnings("unchecked")
        private List<Object> asList(Object o) throws IOException {
            if (o instanceof List<?> l) return (List<Object>) l;
            throw bad("APPEND on a non-list " + o);
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> asMap(Object o) throws IOException {
            if (o instanceof Map<?, ?> m) return (Map<Object, Object>) m;
            if (o instanceof PyObject p) return p.items();
            throw bad("SETITEM on a non-dict " + o);
        }

        @SuppressWarnings("unchecked")
        private static List<Object> castList(List<?> l) { return (List<Object>) l; }

        private IOException bad(String what) {
            return new IOException(file + ": " + what);
        }
    }
}
