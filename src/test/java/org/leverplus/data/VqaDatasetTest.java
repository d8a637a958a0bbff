package org.leverplus.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class VqaDatasetTest {
    @TempDir Path dir;

    private static String answers(String... a) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < a.length; i++)
            sb.append(i == 0 ? "" : ",").append("{\"answer\": \"").append(a[i]).append("\", \"answer_confidence\": \"yes\", \"answer_id\": ").append(i + 1).append("}");
        return sb.append("]").toString();
    }

    @Test
    void vqav2SortsByQuestionIdAndUsesMultipleChoiceAnswer() throws Exception {
        Path q = dir.resolve(VqaDataset.Kind.VQAV2.questionsFile("val"));
        Path a = dir.resolve(VqaDataset.Kind.VQAV2.annotationsFile("val"));
        assertEquals("v2_OpenEnded_mscoco_val2014_questions.json", q.getFileName().toString());
        assertEquals("v2_mscoco_val2014_annotations.json", a.getFileName().toString());
        Files.writeString(q, "{\"info\": {}, \"task_type\": \"Open-Ended\", \"questions\": ["
                + "{\"image_id\": 42, \"question\": \"What color?\", \"question_id\": 420002},"
                + "{\"image_id\": 7, \"question\": \"How many?\", \"question_id\": 70001}], \"license\": {}}");
        Files.writeString(a, "{\"annotations\": ["
                + "{\"question_type\": \"what color\", \"multiple_choice_answer\": \"red\", \"answers\": " + answers("red", "blue", "blue") + ", \"image_id\": 42, \"answer_type\": \"other\", \"question_id\": 420002},"
                + "{\"question_type\": \"how many\", \"multiple_choice_answer\": \"2\", \"answers\": " + answers("2", "two") + ", \"image_id\": 7, \"answer_type\": \"number\", \"question_id\": 70001}"
                + "], \"info\": {}}");
        VqaDataset ds = VqaDataset.load(VqaDataset.Kind.VQAV2, dir, "val");
        assertEquals(2, ds.size());
        VqaRecord r0 = ds.get(0);
        assertEquals(70001, r0.questionId());
        assertEquals(0, r0.idx());
        assertEquals("How many?", r0.question());
        assertEquals("2", r0.answer());
        assertEquals("COCO_val2014_000000000007.jpg", r0.imageFileName());
        assertEquals(Path.of("/coco/COCO_val2014_000000000007.jpg"), r0.imagePath(Path.of("/coco")));
        VqaRecord r1 = ds.get(1);
        assertEquals("red", r1.answer());            // multiple_choice_answer, even though "blue" is more frequent
        assertEquals(List.of("red", "blue", "blue"), r1.answers());
        assertEquals(1, ds.indexOf(420002));
        assertEquals(-1, ds.indexOf(5));
        assertEquals("Question:What color? Answer: red", r1.qa());
    }

    @Test
    void okvqaUsesMostFrequentAnswerFirstOccurrenceWinsTies() throws Exception {
        Path q = dir.resolve(VqaDataset.Kind.OKVQA.questionsFile("train"));
        Path a = dir.resolve(VqaDataset.Kind.OKVQA.annotationsFile("train"));
        assertEquals("OpenEnded_mscoco_train2014_questions.json", q.getFileName().toString());
        Files.writeString(q, "{\"questions\": [{\"image_id\": 1, \"question\": \"q1\", \"question_id\": 10},"
                + "{\"image_id\": 2, \"question\": \"q2\", \"question_id\": 20}]}");
        Files.writeString(a, "{\"annotations\": ["
                + "{\"answers\": " + answers("dog", "cat", "cat", "dog", "bird") + ", \"image_id\": 1, \"question_id\": 10, \"answer_type\": \"other\", \"question_type\": \"eight\"},"
                + "{\"answers\": " + answers("x", "y", "y") + ", \"image_id\": 2, \"question_id\": 20}]}");
        VqaDataset ds = VqaDataset.load(VqaDataset.Kind.OKVQA, dir, "train");
        assertEquals("dog", ds.get(0).answer());     // dog and cat both twice: dog came first
        assertNull(ds.get(0).multipleChoiceAnswer());
        assertEquals("y", ds.get(1).answer());
        assertEquals("COCO_train2014_000000000002.jpg", ds.get(1).imageFileName());
        assertEquals("dog", VqaDataset.mostFrequent(List.of("dog", "cat", "cat", "dog")));
        assertEquals("cat", VqaDataset.mostFrequent(List.of("dog", "cat", "cat")));
    }

    @Test
    void mismatchedOrTruncatedFilesAreNamed() throws Exception {
        Path q = dir.resolve("q.json"), a = dir.resolve("a.json");
        Files.writeString(q, "{\"questions\": [{\"image_id\": 1, \"question\": \"q1\", \"question_id\": 10}]}");
        Files.writeString(a, "{\"annotations\": [{\"answers\": " + answers("x") + ", \"image_id\": 1, \"question_id\": 11}]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VqaDataset.load(q, a, "val"));
        assertTrue(e.getMessage().contains("a.json: annotations[0]: question_id 11 has no question"), e.getMessage());
        // a question without an annotation is named too (it would otherwise silently shift every later global id)
        Files.writeString(q, "{\"questions\": [{\"image_id\": 1, \"question\": \"q1\", \"question_id\": 10}, {\"image_id\": 1, \"question\": \"q2\", \"question_id\": 11}]}");
        e = assertThrows(IllegalArgumentException.class, () -> VqaDataset.load(q, a, "val"));
        assertTrue(e.getMessage().contains("q.json: question_id 10 has no annotation in "), e.getMessage());
        Files.writeString(a, "{\"annotations\": [{\"answers\": " + answers("x"));
        IllegalArgumentException t = assertThrows(IllegalArgumentException.class, () -> VqaDataset.load(q, a, "val"));
        assertTrue(t.getMessage().contains("a.json") && t.getMessage().contains("truncated"), t.getMessage());
    }
}
