package org.leverplus.clip;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.hf.ConfigJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * CLIP's tokenizer from a snapshot's {@code tokenizer.json}, run by the Hugging Face {@code tokenizers} library (the DJL
 * binding), so CLIP's normalisation (NFC, whitespace runs to one space, lower-casing) and byte-level BPE with
 * {@code </w>} word ends are the file's own, exactly as transformers' fast tokenizer applies them. Each text becomes
 * {@code <|startoftext|> tokens <|endoftext|>}. Longer than the model's positions: the tokens are cut so the end
 * token still fits (transformers' {@code truncation=True}), and the cut is counted ({@link #truncated()}); the
 * original passes no truncation and would fail on such text.
 */
public final class ClipTokenizer implements AutoCloseable {
    public static final String BOS = "<|startoftext|>";
    public static final String EOS = "<|endoftext|>";

    private final HuggingFaceTokenizer tokenizer;
    private final int bos, eos, maxLength;
    private final AtomicLong truncated = new AtomicLong();

    private ClipTokenizer(HuggingFaceTokenizer tokenizer, int bos, int eos, int maxLength) {
        this.tokenizer = tokenizer;
        this.bos = bos;
        this.eos = eos;
        this.maxLength = maxLength;
    }

    /** Loads {@code tokenizer.json}; {@code maxLength} is the text tower's max_position_embeddings (77 for CLIP). */
    public static ClipTokenizer load(Path tokenizerJson, int maxLength) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) throw new NoSuchFileException(tokenizerJson.toString(), null, "tokenizer file not found");
        if (maxLength < 2) throw new IllegalArgumentException("max length must leave room for the start and end tokens but was " + maxLength);
        ConfigJson j = ConfigJson.read(tokenizerJson);
        int bos = -1, eos = -1;
        JsonNode added = j.root().get("added_tokens");
        if (added != null) for (JsonNode t : added) {
            if (BOS.equals(t.path("content").asText())) bos = t.path("id").asInt();
            if (EOS.equals(t.path("content").asText())) eos = t.path("id").asInt();
        }
        if (bos < 0 || eos < 0) throw new IOException(tokenizerJson + ": added_tokens lacks " + BOS + " or " + EOS + " (not a CLIP tokenizer)");
        HuggingFaceTokenizer t;
        try {
            t = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optAddSpecialTokens(false)
                    .optTruncation(false).optPadding(false).build();
        } catch (RuntimeException e) {
            throw new IOException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        return new ClipTokenizer(t, bos, eos, maxLength);
    }

    public int bosId() { return bos; }

    public int eosId() { return eos; }

    public int maxLength() { return maxLength; }

    /** How many texts were cut to {@link #maxLength()} so far. */
    public long truncated() { return truncated.get(); }

    /** {@code [bos, tokens..., eos]}, at most {@link #maxLength()} ids. */
    public int[] encode(String text) {
        return wrap(tokenizer.encode(text, false, false).getIds());
    }

    /** One row per text, each padded with the end token to the longest row (CLIP pads with {@code <|endoftext|>}). */
    public int[][] encodeBatchPadded(List<String> texts) {
        var encs = tokenizer.batchEncode(texts, false, false);
        int[][] rows = new int[encs.length][];
        int longest = 0;
        for (int i = 0; i < rows.length; i++) {
            rows[i] = wrap(encs[i].getIds());
            longest = Math.max(longest, rows[i].length);
        }
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length == longest) continue;
            int[] p = java.util.Arrays.copyOf(rows[i], longest);
            java.util.Arrays.fill(p, rows[i].length, longest, eos);
            rows[i] = p;
        }
        return rows;
    }

    private int[] wrap(long[] ids) {
        int n = Math.min(ids.length, maxLength - 2);
        if (n < ids.length) truncated.incrementAndGet();
        int[] out = new int[n + 2];
        out[0] = bos;
        for (int i = 0; i < n; i++) out[i + 1] = Math.toIntExact(ids[i]);
        out[n + 1] = eos;
        return out;
    }

    @Override public void close() { tokenizer.close(); }
}
