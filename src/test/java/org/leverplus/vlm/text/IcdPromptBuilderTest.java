package org.leverplus.vlm.text;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.image.ImageGrid;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Against tools/vlm/prompt-golden.py: the real chat template rendered by jinja2, ids by HF tokenizers. */
class IcdPromptBuilderTest {
    static ImageGrid grid(JsonNode g) { return new ImageGrid(g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt()); }

    static List<VqaItem> icds(JsonNode c) {
        List<VqaItem> out = new ArrayList<>();
        for (JsonNode e : c.get("icds")) out.add(new VqaItem(grid(e.get("grid")), e.get("question").asText(), e.get("answer").asText()));
        return out;
    }

    static VqaItem query(JsonNode c) { return VqaItem.query(grid(c.get("query").get("grid")), c.get("query").get("question").asText()); }

    static JsonNode golden() throws IOException { return QwenTokenizerTest.resource("prompt-golden.json"); }

    @Test void systemPromptIsLeverPlusVerbatim() throws IOException {
        assertEquals(golden().get("system_prompt").asText(), IcdPromptBuilder.LEVER_PLUS_SYSTEM_PROMPT);
    }

    /** JOINED tokenises exactly like the HF processor: text and ids equal the golden for 0, 1, 2 and 4 ICDs. */
    @Test void textAndIdsEqualTheReferenceFor0124Icds() throws IOException {
        IcdPromptBuilder joined = new IcdPromptBuilder(TestTokenizers.qwen25(), IcdPromptBuilder.LEVER_PLUS_SYSTEM_PROMPT, 2,
                IcdPromptBuilder.AnswerTokenization.JOINED);
        int n = 0;
        for (JsonNode c : golden().get("cases")) {
            PromptTokens p = c.get("answer").isNull() ? joined.generation(icds(c), query(c))
                    : joined.teacherForced(icds(c), query(c), c.get("answer").asText());
            assertEquals(c.get("text").asText(), p.text(), c.get("name").asText());
            assertArrayEquals(QwenTokenizerTest.ints(c.get("ids")), p.ids(), c.get("name").asText());
            assertEquals(c.get("icds").size() + 1, p.grids().size());
            n++;
        }
        assertEquals(12, n);
    }

    /** SEPARATE (default): prompt tokens as the generation prompt, then the answer tokenised alone, then <|im_end|>\n. */
    @Test void separateAnswerSpanIsExactlyTheAnswerTokens() throws IOException {
        IcdPromptBuilder b = IcdPromptBuilder.leverPlus(TestTokenizers.qwen25());
        JsonNode g = golden();
        int[] queryText = QwenTokenizerTest.ints(g.get("query_text_ids"));
        for (JsonNode c : g.get("cases")) {
            if (c.get("answer").isNull()) continue;
            String name = c.get("name").asText();
            PromptTokens gen = b.generation(icds(c), query(c));
            PromptTokens tf = b.teacherForced(icds(c), query(c), c.get("answer").asText());
            int[] answer = QwenTokenizerTest.ints(c.get("answer_alone_ids"));
            assertArrayEquals(answer, tf.answerIds(), name);
            // Everything before the answer equals the generation prompt minus its tail "<|im_end|>\n<|im_start|>assistant\n".
            int[] genIds = gen.ids();
            assertArrayEquals(Arrays.copyOf(genIds, genIds.length - 5), Arrays.copyOf(tf.ids(), tf.answerStart()), name);
            assertArrayEquals(queryText, Arrays.copyOfRange(tf.ids(), tf.answerStart() - queryText.length, tf.answerStart()), name);
            assertArrayEquals(new int[]{151645, 198}, Arrays.copyOfRange(tf.ids(), tf.answerEnd(), tf.length()), name);
            assertEquals(c.get("text").asText(), tf.text(), name);
            assertEquals(Segment.Kind.ANSWER, tf.segmentAt(tf.answerStart()).kind());
            assertEquals(Segment.Kind.TEMPLATE, tf.segmentAt(tf.answerEnd()).kind());
        }
    }

    /** JOINED: BPE merges the colon into the answer (":p" "izza"), so the span starts one token early; ":red" is one token. */
    @Test void joinedSpanCoversTheTokensThatDifferFromThePromptAlone() {
        IcdPromptBuilder joined = new IcdPromptBuilder(TestTokenizers.qwen25(), "sys", 2, IcdPromptBuilder.AnswerTokenization.JOINED);
        VqaItem q = VqaItem.query(new ImageGrid(1, 2, 2), "What color is the bus?");
        assertArrayEquals(new int[]{44389, 13741}, joined.teacherForced(List.of(), q, "pizza").answerIds());
        assertArrayEquals(new int[]{41584}, joined.teacherForced(List.of(), q, "red").answerIds());
        IcdPromptBuilder sep = new IcdPromptBuilder(TestTokenizers.qwen25(), "sys", 2, IcdPromptBuilder.AnswerTokenization.SEPARATE);
        assertArrayEquals(new int[]{92438}, sep.teacherForced(List.of(), q, "pizza").answerIds());
        assertArrayEquals(new int[]{1151}, sep.teacherForced(List.of(), q, "red").answerIds());
    }

    @Test void segmentsLabelEveryToken() throws IOException {
        JsonNode c = null;
        for (JsonNode x : golden().get("cases")) if (x.get("name").asText().equals("k2-answer-red")) c = x;
        PromptTokens p = IcdPromptBuilder.leverPlus(TestTokenizers.qwen25()).teacherForced(icds(c), query(c), "red");
        List<String> labels = p.segments().stream().map(Segment::label).toList();
        assertEquals(List.of("template", "icd[0].image", "icd[0].text", "icd[1].image", "icd[1].text", "query.image",
                "query.text", "answer", "template"), labels);
        assertEquals(6 + 2, p.segments().get(1).length());      // grid (1,4,6): 6 pads + vision start/end
        assertEquals(391 + 2, p.segments().get(3).length());    // grid (1,34,46): 391 pads
        int[] seg = p.segmentIndex();
        int[] ids = p.ids();
        int pads = 0;
        for (int i = 0; i < ids.length; i++) {
            Segment s = p.segments().get(seg[i]);
            if (ids[i] == 151655) {
                pads++;
                assertTrue(s.kind() == Segment.Kind.ICD_IMAGE || s.kind() == Segment.Kind.QUERY_IMAGE);
            }
            assertSame(s, p.segmentAt(i));
        }
        assertEquals(6 + 391 + 6, pads);
        assertEquals(List.of(new ImageGrid(1, 4, 6), new ImageGrid(1, 34, 46), new ImageGrid(1, 6, 4)), p.grids());
    }

    @Test void textItemsAreStrippedOfSpacesOnly() {
        assertEquals("Question:What sport is being played?  Short answer:tennis", IcdPromptBuilder.icdText("What sport is being played? ", "tennis "));
        assertEquals("Question:x Short answer:", IcdPromptBuilder.queryText("x"));
        assertEquals("Question:\ty\t Short answer:", IcdPromptBuilder.queryText("\ty\t"));
    }

    @Test void badItemsAreErrors() {
        IcdPromptBuilder b = IcdPromptBuilder.leverPlus(TestTokenizers.qwen25());
        VqaItem q = VqaItem.query(new ImageGrid(1, 2, 2), "q");
        assertThrows(IllegalArgumentException.class, () -> b.teacherForced(List.of(), q, " "));
        assertThrows(IllegalArgumentException.class, () -> b.generation(List.of(VqaItem.query(new ImageGrid(1, 2, 2), "no answer")), q));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.generation(List.of(), VqaItem.query(new ImageGrid(1, 3, 2), "odd grid")));
        assertTrue(e.getMessage().contains("merge size"), e.getMessage());
    }

    @Test void knownTemplateConstantIsTheOneTheGoldenWasRenderedWith() throws IOException {
        assertEquals(golden().get("chat_template").asText(), IcdPromptBuilder.QWEN2_VL_CHAT_TEMPLATE);
        assertTrue(IcdPromptBuilder.rendersTemplate(" " + IcdPromptBuilder.QWEN2_VL_CHAT_TEMPLATE + "\n"));
        assertFalse(IcdPromptBuilder.rendersTemplate("{{ messages }}"));
        assertTrue(IcdPromptBuilder.QWEN2_VL_CHAT_TEMPLATE.contains("<|vision_start|><|image_pad|><|vision_end|>"));
    }
}
