package org.leverplus.vlm.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Qwen's byte-level BPE tokenizer, run by the Hugging Face {@code tokenizers} Rust library through DJL's JNI
 * binding (the reference implementation itself, so ids match {@code transformers} by construction; the natives ship
 * inside the DJL jar and nothing is downloaded).
 *
 * <p>Settings differ from DJL's defaults on purpose: no special tokens are added (Qwen's post-processor adds none
 * anyway; the chat template supplies them), no truncation (DJL would silently cut at 512 tokens), no padding.
 * Added tokens written literally in the text ({@code <|im_start|>}, {@code <|image_pad|>} ...) are matched and map to
 * their ids, as {@code transformers} does with {@code split_special_tokens=False}.
 *
 * <p>Thread-safe: the native tokenizer is immutable after loading.
 */
public final class QwenTokenizer implements AutoCloseable {
    private final HuggingFaceTokenizer tokenizer;
    private final Path source;
    private final SpecialTokens special;

    private QwenTokenizer(HuggingFaceTokenizer tokenizer, Path source) {
        this.tokenizer = tokenizer;
        this.source = source;
        this.special = SpecialTokens.resolve(this);
    }

    /** Loads {@code tokenizer.json}; a missing file or one without Qwen's added tokens is an error naming it. */
    public static QwenTokenizer load(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) throw new NoSuchFileException(tokenizerJson.toString(), null, "tokenizer file not found");
        HuggingFaceTokenizer t;
        try {
            t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (RuntimeException e) {
            throw new IOException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        try {
            return new QwenTokenizer(t, tokenizerJson);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    /** The file this tokenizer was loaded from. */
    public Path source() { return source; }

    /** Ids of the chat-template and vision tokens. */
    public SpecialTokens special() { return special; }

    /**
     * Token ids of {@code text}, with no special tokens added; literal added tokens in the text are matched. Text
     * with an unpaired UTF-16 surrogate is rejected, as Python/Hugging Face reject it (it is not valid Unicode; the
     * JNI layer would otherwise encode it as three bytes that decode to U+FFFD).
     */
    public int[] encode(String text) {
        checkWellFormed(text);
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** {@link #encode(String)} for many texts at once (the native side parallelises). */
    public int[][] encodeBatch(List<String> texts) {
        for (String t : texts) checkWellFormed(t);
        var encs = tokenizer.batchEncode(texts, false, false);
        int[][] out = new int[encs.length][];
        for (int i = 0; i < encs.length; i++) {
            long[] ids = encs[i].getIds();
            out[i] = new int[ids.length];
            for (int j = 0; j < ids.length; j++) out[i][j] = Math.toIntExact(ids[j]);
        }
        return out;
    }

    /**
     * Text of {@code ids}. With {@code skipSpecialTokens} the tokens marked special in {@code tokenizer.json}
     * ({@code <|im_start|>}, {@code <|image_pad|>} ...) are dropped; non-special added tokens such as
     * {@code <tool_call>} are kept, as in {@code transformers}. Invalid UTF-8 decodes to U+FFFD.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) l[i] = ids[i];
        return tokenizer.decode(l, skipSpecialTokens);
    }

    /** The id of a token that must encode to exactly one id (an added token such as {@code <|im_start|>}). */
    public int singleTokenId(String token) {
        int[] ids = encode(token);
        if (ids.length != 1)
            throw new IllegalArgumentException(source + ": \"" + token + "\" should be a single added token but encodes to "
                    + ids.length + " ids " + java.util.Arrays.toString(ids));
        return ids[0];
    }

    private static void checkWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("text contains an unpaired UTF-16 surrogate U+" + Integer.toHexString(c).toUpperCase()
                        + " at index " + i + "; it is not valid Unicode and cannot be tokenized");
            }
        }
    }

    @Override public void close() { tokenizer.close(); }
}
