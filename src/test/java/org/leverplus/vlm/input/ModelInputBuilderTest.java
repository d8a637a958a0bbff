package org.leverplus.vlm.input;

import org.junit.jupiter.api.Test;
import org.leverplus.vlm.PreprocessorConfig;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.Segment;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ModelInputBuilderTest {
    static Path img(String name) throws URISyntaxException {
        return Path.of(ModelInputBuilderTest.class.getResource("/org/leverplus/vlm/image/" + name).toURI());
    }

    static ModelInputBuilder builder() {
        return new ModelInputBuilder(new QwenImageProcessor(PreprocessorConfig.defaults()), IcdPromptBuilder.leverPlus(TestTokenizers.qwen25()), 151655, 2);
    }

    @Test void imagesTokensAndPositionsAgree() throws Exception {
        List<ImageQuestion> icds = List.of(new ImageQuestion(img("coco-640x480.jpg"), "What is on the plate?", "pizza"),
                new ImageQuestion(img("rgb-70x50.png"), "How many?", "2"));
        ImageQuestion q = ImageQuestion.query(img("rgb-100x75.png"), "What color is the bus?");
        ModelInputs in = builder().teacherForced(icds, q, "red");
        assertEquals(List.of(new ImageGrid(1, 34, 46), new ImageGrid(1, 4, 4), new ImageGrid(1, 6, 8)), in.pixels().grids());
        assertEquals(1564 + 16 + 48, in.pixels().rows());
        int pads = (int) Arrays.stream(in.prompt().ids()).filter(id -> id == 151655).count();
        assertEquals(in.pixels().rows() / 4, pads);                       // 4 patches per LLM token
        assertEquals(in.prompt().length(), in.positions().length());
        assertArrayEquals(new int[]{1151}, in.prompt().answerIds());
        assertEquals(Segment.Kind.ANSWER, in.prompt().segmentAt(in.prompt().answerStart()).kind());
        // Same inputs without the answer: the generation prompt shares everything before the answer.
        ModelInputs gen = builder().generation(icds, q);
        assertArrayEquals(Arrays.copyOf(gen.prompt().ids(), in.prompt().answerStart()), Arrays.copyOf(in.prompt().ids(), in.prompt().answerStart()));
        assertArrayEquals(gen.pixels().data(), in.pixels().data());
    }

    @Test void missingIcdAnswerNamesTheImage() throws Exception {
        Path a = img("rgb-84x56.png");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder().generation(List.of(ImageQuestion.query(a, "q")), ImageQuestion.query(a, "q")));
        assertTrue(e.getMessage().contains("icd[0]") && e.getMessage().contains("rgb-84x56.png"), e.getMessage());
    }
}
