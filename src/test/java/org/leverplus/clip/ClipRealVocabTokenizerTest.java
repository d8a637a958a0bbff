package org.leverplus.clip;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Lever's tokenizer on the REAL OpenAI CLIP vocabulary (49,408 tokens, the one openai/clip-vit-*-patch* ship) against
 * ids written by transformers itself ({@code CLIPProcessor(text, truncation=True, max_length=77)}, transformers 5.18;
 * tools/clip_transformers_goldens.py tokenizer): questions, answers, contractions, punctuation, digits, accents and
 * decomposed accents, emoji sequences, odd whitespace and control characters, special-token spellings, random code
 * points, texts assembled from vocabulary entries, and texts long enough to be cut.
 */
class ClipRealVocabTokenizerTest {
    static Path tokenizerJson;
    static JsonNode golden;

    @BeforeAll static void unpack(@TempDir Path tmp) throws Exception {
        tokenizerJson = tmp.resolve("tokenizer.json");
        try (InputStream in = new GZIPInputStream(ClipRealVocabTokenizerTest.class.getResourceAsStream("hf/tokenizer.json.gz"))) {
            Files.copy(in, tokenizerJson);
        }
        try (InputStream in = new GZIPInputStream(ClipRealVocabTokenizerTest.class.getResourceAsStream("hf/tokenizer-golden.json.gz"))) {
            golden = JsonSupport.mapper().readTree(in);
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).intValue();
        return out;
    }

    @Test void everyCorpusTextGetsTransformersIds() throws Exception {
        JsonNode texts = golden.get("texts"), ids = golden.get("ids");
        assertTrue(texts.size() > 2000, "corpus of " + texts.size());
        List<String> bad = new ArrayList<>();
        int cut = 0;
        try (ClipTokenizer tok = ClipTokenizer.load(tokenizerJson, 77)) {
            assertEquals(49406, tok.bosId());
            assertEquals(49407, tok.eosId());
            for (int i = 0; i < texts.size(); i++) {
                int[] want = ints(ids.get(i)), got = tok.encode(texts.get(i).asText());
                if (want.length == 77) cut++;
                if (!Arrays.equals(want, got) && bad.size() < 10)
                    bad.add("text " + i + " " + texts.get(i) + ": want " + Arrays.toString(want) + " got " + Arrays.toString(got));
            }
            assertEquals(List.of(), bad);
            assertTrue(cut > 20, "the corpus must exercise truncation, but only " + cut + " texts are cut");
            // 77 ids: cut, or exactly 75 tokens (" dog" x 75, "1" x 75 ...), which is not counted as cut
            assertTrue(tok.truncated() > 20 && tok.truncated() < cut, "counted cuts " + tok.truncated() + " of " + cut + " full rows");
        }
    }

    @Test void batchesArePaddedLikeClipProcessor() throws Exception {
        JsonNode p = golden.get("padded");
        List<String> texts = new ArrayList<>();
        p.get("texts").forEach(t -> texts.add(t.asText()));
        try (ClipTokenizer tok = ClipTokenizer.load(tokenizerJson, 77)) {
            int[][] got = tok.encodeBatchPadded(texts);
            for (int i = 0; i < got.length; i++) assertArrayEquals(ints(p.get("input_ids").get(i)), got[i], "row " + i);
        }
    }
}
