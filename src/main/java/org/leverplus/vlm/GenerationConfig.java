package org.leverplus.vlm;

import org.leverplus.hf.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The sampling defaults of a snapshot's {@code generation_config.json}. HF {@code generate()} applies these unless a
 * caller overrides them (e.g. a {@code repetition_penalty} of 1.05), so an engine that wants exact greedy decoding must
 * know them to ignore them deliberately.
 *
 * @param bosTokenId         {@code bos_token_id}
 * @param eosTokenIds        {@code eos_token_id}, one or more ids
 * @param padTokenId         {@code pad_token_id}
 * @param doSample           {@code do_sample}
 * @param temperature        {@code temperature}
 * @param topK               {@code top_k}
 * @param topP               {@code top_p}
 * @param repetitionPenalty  {@code repetition_penalty}
 */
public record GenerationConfig(int bosTokenId, List<Integer> eosTokenIds, int padTokenId, boolean doSample,
                               double temperature, int topK, double topP, double repetitionPenalty) {
    /** The canonical file name inside a snapshot. */
    public static final String FILE = "generation_config.json";

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (eosTokenIds.isEmpty()) throw new IllegalArgumentException("eos_token_id must name at least one id");
    }

    /** The HF defaults for Qwen2.5-VL when no file is present: eos {@code <|im_end|>} and {@code <|endoftext|>}, greedy. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(151643, List.of(151645, 151643), 151643, false, 1.0, 50, 1.0, 1.0);
    }

    public static GenerationConfig read(Path file) throws IOException {
        ConfigJson j = ConfigJson.read(file);
        GenerationConfig d = defaults();
        return new GenerationConfig(
                j.optInt("bos_token_id", d.bosTokenId()),
                j.optIntList("eos_token_id", d.eosTokenIds()),
                j.optInt("pad_token_id", d.padTokenId()),
                j.optBool("do_sample", d.doSample()),
                j.optDouble("temperature", d.temperature()),
                j.optInt("top_k", d.topK()),
                j.optDouble("top_p", d.topP()),
                j.optDouble("repetition_penalty", d.repetitionPenalty()));
    }
}
