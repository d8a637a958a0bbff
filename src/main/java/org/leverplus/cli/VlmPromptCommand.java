package org.leverplus.cli;

import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.image.ImageDecoder;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.Segment;
import org.leverplus.vlm.text.VqaItem;
import org.leverplus.vlm.text.VqaItemsJson;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever vlm prompt}: renders the Lever-Plus ICD prompt and counts tokens per segment. */
@Command(name = "prompt", description = {
        "Render the Lever-Plus in-context prompt (Qwen chat template) for ICDs + a query, and print the token count per segment.",
        "Reads tokenizer.json, and preprocessor_config.json when an item gives an image path instead of a grid."})
final class VlmPromptCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "Snapshot directory.")
    Path snapshot;

    @Option(names = "--icds", paramLabel = "FILE", description = "JSON array of {image|grid, question, answer}, in prompt order (default: none).")
    Path icds;

    @Option(names = "--query", required = true, paramLabel = "FILE", description = "JSON object {image|grid, question}.")
    Path query;

    @Option(names = "--answer", paramLabel = "TEXT", description = "Render the teacher-forced prompt scoring this answer and print its token span.")
    String answer;

    @Option(names = "--answer-tokenization", defaultValue = "SEPARATE", paramLabel = "MODE",
            description = "SEPARATE (default: answer tokenized alone, exact span) or JOINED (as the original processor).")
    IcdPromptBuilder.AnswerTokenization answerTokenization;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshot);
        QwenImageProcessor[] images = new QwenImageProcessor[1];   // preprocessor_config.json only if an image needs sizing
        VqaItemsJson.GridSource grids = p -> {
            if (images[0] == null) images[0] = new QwenImageProcessor(snap.preprocessorConfig());
            int[] wh = ImageDecoder.readSize(p);
            try {
                return images[0].gridFor(wh[0], wh[1]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
            }
        };
        List<VqaItem> demos = icds == null ? List.of() : VqaItemsJson.readIcds(icds, grids);
        VqaItem q = VqaItemsJson.readQuery(query, grids);
        snap.chatTemplate().filter(t -> !IcdPromptBuilder.rendersTemplate(t)).ifPresent(t -> {
            spec.commandLine().getErr().println("lever: warning: the snapshot's chat template differs from the Qwen2-VL template "
                    + "Lever renders; the prompt below follows the Qwen2-VL template");
            spec.commandLine().getErr().flush();
        });
        try (QwenTokenizer tok = QwenTokenizer.load(snap.tokenizerJson())) {
            IcdPromptBuilder b = new IcdPromptBuilder(tok, IcdPromptBuilder.LEVER_PLUS_SYSTEM_PROMPT, 2, answerTokenization);
            PromptTokens p = answer == null ? b.generation(demos, q) : b.teacherForced(demos, q, answer);
            PrintWriter out = spec.commandLine().getOut();
            out.println(p.text());
            out.println("--- tokens per segment");
            int image = 0;
            for (Segment s : p.segments()) {
                String extra = "";
                if (s.kind() == Segment.Kind.ICD_IMAGE || s.kind() == Segment.Kind.QUERY_IMAGE) {
                    ImageGrid g = p.grids().get(image++);
                    extra = "  grid " + g.t() + "x" + g.h() + "x" + g.w();
                }
                out.printf("%-14s %6d%s%n", s.label(), s.length(), extra);
            }
            out.printf("total %d tokens, %d images%s%n", p.length(), p.grids().size(),
                    p.hasAnswer() ? ", answer span [" + p.answerStart() + ", " + p.answerEnd() + ")" : "");
            out.flush();
        }
        return 0;
    }
}
