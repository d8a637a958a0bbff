package org.leverplus.vlm.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.leverplus.vlm.TestTokenizers;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class QwenTokenizerTest {
    private static final ObjectMapper M = new ObjectMapper();

    static JsonNode resource(String name) throws IOException {
        try (InputStream in = TestTokenizers.class.getResourceAsStream(name)) {
            assertNotNull(in, name);
            return M.readTree(in);
        }
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    /** tools/vlm/tokenizer-golden.js: HF tokenizers (Rust, as a Node addon) and @lenml/tokenizers agree on these. */
    @Test void idsAndDecodingMatchTheHuggingFaceReferenceOnTheCorpus() throws IOException {
        QwenTokenizer t = TestTokenizers.qwen25();
        JsonNode cases = resource("tokenizer-golden.json").get("cases");
        assertTrue(cases.size() >= 40);
        List<String> failures = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] want = ints(c.get("ids"));
            int[] got = t.encode(text);
            if (!java.util.Arrays.equals(want, got)) failures.add("encode " + M.writeValueAsString(text));
            if (!c.get("decoded").asText().equals(t.decode(want, false))) failures.add("decode " + M.writeValueAsString(text));
            if (!c.get("decoded_skip_special").asText().equals(t.decode(want, true))) failures.add("decode-skip " + M.writeValueAsString(text));
        }
        assertEquals(List.of(), failures);
    }

    /** Expected ids from transformers' own Qwen2 tokenizer integration test (real Qwen tokenizer, not the npm copy). */
    @Test void matchesTransformersQwen2IntegrationGolden() throws IOException {
        QwenTokenizer t = TestTokenizers.qwen25();
        for (JsonNode c : resource("qwen2-upstream-golden.json").get("cases"))
            assertArrayEquals(ints(c.get("ids")), t.encode(c.get("text").asText()), c.get("text").asText());
    }

    @Test void specialTokenIdsAreTheQwen25Ones() {
        SpecialTokens s = TestTokenizers.qwen25().special();
        assertEquals(new SpecialTokens(151643, 151644, 151645, 151652, 151653, 151655, 151656), s);
        String[] all = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
                "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
                "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
                "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"};
        for (int i = 0; i < all.length; i++) assertEquals(151643 + i, TestTokenizers.qwen25().singleTokenId(all[i]), all[i]);
        // Qwen3-only added tokens are absent from the Qwen2.5 file: <think> is ordinary text.
        assertTrue(TestTokenizers.qwen25().encode("<think>").length > 1);
    }

    @Test void longTextIsNotTruncated() {
        QwenTokenizer t = TestTokenizers.qwen25();
        String text = " word".repeat(3000);
        int[] ids = t.encode(text);
        assertEquals(3000, ids.length);   // " word" is one token; no silent cut at DJL's default 512
        assertEquals(text, t.decode(ids, false));
    }

    @Test void batchEncodingEqualsSingleEncoding() {
        QwenTokenizer t = TestTokenizers.qwen25();
        List<String> texts = List.of("a b c", "你好", "<|im_start|>x", "");
        int[][] batch = t.encodeBatch(texts);
        for (int i = 0; i < texts.size(); i++) assertArrayEquals(t.encode(texts.get(i)), batch[i]);
    }

    @Test void missingOrForeignTokenizerIsAClearError() throws IOException {
        Path dir = Files.createTempDirectory("tok");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> QwenTokenizer.load(dir.resolve("tokenizer.json")));
        assertTrue(e.getMessage().contains("tokenizer.json"));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"not\": \"a tokenizer\"}");
        IOException e2 = assertThrows(IOException.class, () -> QwenTokenizer.load(bad));
        assertTrue(e2.getMessage().contains("bad.json"), e2.getMessage());
    }

    @Test void unpairedSurrogatesAreRejectedPairsAreFine() {
        QwenTokenizer t = TestTokenizers.qwen25();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.encode("a\uD800b"));
        assertTrue(e.getMessage().contains("U+D800") && e.getMessage().contains("index 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> t.encode("\uDC00"));
        assertThrows(IllegalArgumentException.class, () -> t.encodeBatch(List.of("ok", "x\uD83D")));
        assertEquals("\uD83E\uDD17", t.decode(t.encode("\uD83E\uDD17"), false));   // a valid pair (emoji) round-trips
    }
}
