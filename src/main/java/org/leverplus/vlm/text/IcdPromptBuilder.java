package org.leverplus.vlm.text;

import org.leverplus.vlm.image.ImageGrid;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds the Lever-Plus in-context VQA prompt for Qwen2.5-VL (Lever-Plus {@code Qwen2VLInterface} rendered by the
 * Qwen2-VL/2.5-VL chat template):
 *
 * <pre>
 * &lt;|im_start|&gt;system\n{system prompt}&lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;user\n
 *   &lt;|vision_start|&gt;&lt;|image_pad|&gt;&lt;|vision_end|&gt;Question:{q1} Short answer:{a1}     (ICDs in selector order)
 *   ...
 *   &lt;|vision_start|&gt;&lt;|image_pad|&gt;&lt;|vision_end|&gt;Question:{q} Short answer:            (the query)
 * &lt;|im_end|&gt;\n
 * &lt;|im_start|&gt;assistant\n                                                               (generation prompt only)
 * </pre>
 * Items are concatenated with no separator; each text item is {@code strip(" ")}-ed as OpenICL does. Each
 * {@code <|image_pad|>} becomes {@code t*h*w/4} copies. For scoring (teacher forcing) the answer follows
 * {@code Short answer:} inside the query text, then {@code <|im_end|>\n}, and there is no generation prompt.
 *
 * <p>Token ids are produced piece by piece; every piece boundary lies at an added token, where Hugging Face's
 * tokenizer splits anyway, so the ids equal tokenising the whole expanded text at once (a test checks this).
 *
 * <p>The answer span: Lever-Plus measured it with a mask length computed on a different string (spec 5.1), so its
 * Qwen scores were wrong. Here the answer is tokenised on its own and appended ({@link AnswerTokenization#SEPARATE},
 * the default): the span is exactly the answer's tokens and the prompt tokens are identical to the generation
 * prompt's. {@link AnswerTokenization#JOINED} instead tokenises {@code "Question:{q} Short answer:{y}"} in one
 * piece as the original processor did; BPE may then merge the colon with the answer ({@code ":p" + "izza"}), and the
 * span starts at the first token that differs from the prompt alone (so it may include that colon).
 */
public final class IcdPromptBuilder {
    /** Lever-Plus's system prompt for Qwen2.5-VL ({@code configs/infer_model/qwen2.5_vl_3B.yaml}), verbatim. */
    public static final String LEVER_PLUS_SYSTEM_PROMPT = "In the upcoming task, you will see four sets of dialogues, each containing two roles: "
            + "user and assistant. The user is the questioner, who provides an image and asks a question based on it; the "
            + "assistant is the responder, who answers according to the image and question provided by the user. Afterward, "
            + "you will receive an image and a question from the user. Please act as the assistant and answer based on the "
            + "four previous dialogue sets and your own knowledge. Strictly follow the answering format: if the examples use "
            + "only one or two keywords, your reply must also use only one or two keywords; if the examples contain no more "
            + "than three tokens, your reply must not exceed three tokens either.";

    /**
     * The Qwen2-VL / Qwen2.5-VL chat template this builder renders in Java (transformers'
     * {@code test_processor_qwen2_vl.py} copy). A snapshot whose template differs may render prompts differently.
     */
    public static final String QWEN2_VL_CHAT_TEMPLATE = "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    /** Whether a snapshot's chat template is the one this builder reproduces (ignoring surrounding whitespace). */
    public static boolean rendersTemplate(String chatTemplate) {
        return chatTemplate != null && chatTemplate.strip().equals(QWEN2_VL_CHAT_TEMPLATE);
    }

    /** How the scored answer is tokenised; see the class comment. */
    public enum AnswerTokenization { SEPARATE, JOINED }

    private final QwenTokenizer tokenizer;
    private final SpecialTokens sp;
    private final String systemPrompt;
    private final int mergeSize;
    private final AnswerTokenization answerTokenization;

    /**
     * @param tokenizer          the Qwen tokenizer
     * @param systemPrompt       system message ({@link #LEVER_PLUS_SYSTEM_PROMPT} for Lever-Plus)
     * @param mergeSize          spatial merge size (2): an image has {@code t*h*w/mergeSize^2} tokens
     * @param answerTokenization SEPARATE (intended) or JOINED (as the original)
     */
    public IcdPromptBuilder(QwenTokenizer tokenizer, String systemPrompt, int mergeSize, AnswerTokenization answerTokenization) {
        this.tokenizer = tokenizer;
        this.sp = tokenizer.special();
        this.systemPrompt = systemPrompt;
        this.mergeSize = mergeSize;
        this.answerTokenization = answerTokenization;
    }

    /** The Lever-Plus defaults: its system prompt, merge size 2, separate answer tokenisation. */
    public static IcdPromptBuilder leverPlus(QwenTokenizer tokenizer) {
        return new IcdPromptBuilder(tokenizer, LEVER_PLUS_SYSTEM_PROMPT, 2, AnswerTokenization.SEPARATE);
    }

    /** ICD text: {@code ("Question:" + q + " Short answer:" + a).strip(" ")}. */
    public static String icdText(String question, String answer) {
        return stripSpaces("Question:" + question + " Short answer:" + answer);
    }

    /** Query text: {@code ("Question:" + q + " Short answer:").strip(" ")}. */
    public static String queryText(String question) {
        return stripSpaces("Question:" + question + " Short answer:");
    }

    /** The prompt that asks the model to answer: ends with {@code <|im_start|>assistant\n}. */
    public PromptTokens generation(List<VqaItem> icds, VqaItem query) {
        return build(icds, query, null);
    }

    /** The teacher-forced prompt for scoring {@code answer}, with its exact token span. */
    public PromptTokens teacherForced(List<VqaItem> icds, VqaItem query, String answer) {
        if (answer == null || stripSpaces(answer).isEmpty()) throw new IllegalArgumentException("answer to score must be non-empty but is " + (answer == null ? "null" : "\"" + answer + "\""));
        return build(icds, query, answer);
    }

    private PromptTokens build(List<VqaItem> icds, VqaItem query, String answer) {
        if (query.answer() != null) throw new IllegalArgumentException("the query item must not carry an answer; pass it to teacherForced");
        Builder b = new Builder();
        b.text(Segment.Kind.TEMPLATE, -1, SpecialTokens.IM_START + "system\n" + systemPrompt + SpecialTokens.IM_END + "\n"
                + SpecialTokens.IM_START + "user\n");
        for (int i = 0; i < icds.size(); i++) {
            VqaItem icd = icds.get(i);
            if (icd.answer() == null) throw new IllegalArgumentException("icd[" + i + "] has no answer");
            b.image(Segment.Kind.ICD_IMAGE, i, icd.grid());
            b.text(Segment.Kind.ICD_TEXT, i, icdText(icd.question(), icd.answer()));
        }
        b.image(Segment.Kind.QUERY_IMAGE, -1, query.grid());
        String qText = queryText(query.question());
        int answerStart = -1, answerEnd = -1;
        if (answer == null) {
            b.text(Segment.Kind.QUERY_TEXT, -1, qText);
        } else if (answerTokenization == AnswerTokenization.SEPARATE) {
            b.text(Segment.Kind.QUERY_TEXT, -1, qText);
            // The joined string would be strip(" ")-ed as a whole: only the answer's trailing spaces go.
            String a = stripTrailingSpaces(answer);
            answerStart = b.length();
            b.text(Segment.Kind.ANSWER, -1, a);
            answerEnd = b.length();
        } else {
            String joined = stripSpaces("Question:" + query.question() + " Short answer:" + answer);
            int[] alone = tokenizer.encode(qText);
            int[] all = tokenizer.encode(joined);
            int common = 0;
            while (common < alone.length && common < all.length && alone[common] == all[common]) common++;
            if (common == all.length) throw new IllegalArgumentException("answer \"" + answer + "\" adds no tokens to the query text");
            b.ids(Segment.Kind.QUERY_TEXT, -1, Arrays.copyOf(all, common), joined.substring(0, Math.min(joined.length(), qText.length())));
            answerStart = b.length();
            b.ids(Segment.Kind.ANSWER, -1, Arrays.copyOfRange(all, common, all.length), joined.substring(Math.min(joined.length(), qText.length())));
            answerEnd = b.length();
        }
        b.text(Segment.Kind.TEMPLATE, -1, SpecialTokens.IM_END + "\n" + (answer == null ? SpecialTokens.IM_START + "assistant\n" : ""));
        return new PromptTokens(b.rendered.toString(), b.ids.stream().mapToInt(Integer::intValue).toArray(), b.segments, b.grids, answerStart, answerEnd);
    }

    private final class Builder {
        final StringBuilder rendered = new StringBuilder();
        final List<Integer> ids = new ArrayList<>();
        final List<Segment> segments = new ArrayList<>();
        final List<ImageGrid> grids = new ArrayList<>();

        int length() { return ids.size(); }

        void text(Segment.Kind kind, int item, String text) {
            ids(kind, item, tokenizer.encode(text), text);
        }

        void ids(Segment.Kind kind, int item, int[] tokenIds, String text) {
            int start = ids.size();
            for (int id : tokenIds) ids.add(id);
            rendered.append(text);
            add(kind, item, start);
        }

        void image(Segment.Kind kind, int item, ImageGrid grid) {
            int start = ids.size();
            int n = grid.tokens(mergeSize);
            ids.add(sp.visionStart());
            for (int i = 0; i < n; i++) ids.add(sp.imagePad());
            ids.add(sp.visionEnd());
            rendered.append(SpecialTokens.VISION_START).append(SpecialTokens.IMAGE_PAD).append(SpecialTokens.VISION_END);
            grids.add(grid);
            add(kind, item, start);
        }

        private void add(Segment.Kind kind, int item, int start) {
            Segment last = segments.isEmpty() ? null : segments.get(segments.size() - 1);
            // Adjacent template pieces stay one segment; everything else gets its own.
            if (last != null && last.kind() == kind && last.item() == item && kind == Segment.Kind.TEMPLATE && last.end() == start)
                segments.set(segments.size() - 1, new Segment(kind, item, last.start(), ids.size()));
            else
                segments.add(new Segment(kind, item, start, ids.size()));
        }
    }

    /** Python {@code s.strip(" ")}: spaces only, both ends. */
    static String stripSpaces(String s) {
        int a = 0, b = s.length();
        while (a < b && s.charAt(a) == ' ') a++;
        while (b > a && s.charAt(b - 1) == ' ') b--;
        return s.substring(a, b);
    }

    static String stripTrailingSpaces(String s) {
        int b = s.length();
        while (b > 0 && s.charAt(b - 1) == ' ') b--;
        return s.substring(0, b);
    }
}
