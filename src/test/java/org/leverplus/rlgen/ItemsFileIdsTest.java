package org.leverplus.rlgen;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.DatasetItem;
import org.leverplus.data.Items;
import org.leverplus.datagen.SftInputs;
import org.leverplus.datagen.SftItem;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every stage reads an items file the same way: {@code lever embed}/{@code sample} (Items), {@code generate sft}
 * (SftInputs) and {@code generate rl} (GenDataset) give each line the same global id (its rank in id order, spec 2), so
 * embedding rows, pools, SFT anchors and RL keys name the same items even when the ids are sparse and out of order.
 * (Before: SFT used the id value and RL the line order.)
 */
class ItemsFileIdsTest {
    @TempDir Path dir;

    @Test void sparseOutOfOrderIdsGetTheSameGlobalIdInEveryStage() throws Exception {
        Path f = dir.resolve("items.jsonl");
        Files.writeString(f, """
                {"id": 30, "image": "c.png", "question": "Q30?", "answers": ["x", "y", "x"]}
                {"id": 10, "image": "a.png", "question": "Q10?", "answer": "ten"}

                {"id": 20, "image": "b.png", "question": "Q20?", "answer": "twenty", "answers": ["twenty", "20"]}
                """);
        List<DatasetItem> shared = Items.fromJsonl(f);
        SftInputs.Items sft = SftInputs.readItems(f);
        GenDataset rl = GenDataset.items(f, "train");
        assertEquals(3, shared.size());
        assertEquals(3, sft.size());
        assertEquals(3, rl.size());
        String[] questions = {"Q10?", "Q20?", "Q30?"};
        for (int id = 0; id < 3; id++) {
            DatasetItem d = shared.get(id);
            SftItem s = sft.get(id);
            GenItem g = rl.get(id);
            assertEquals(id, d.id());
            assertEquals(questions[id], d.question());
            assertEquals(d.question(), s.question());
            assertEquals(d.question(), g.question());
            assertEquals(d.image(), s.image());
            assertEquals(d.image(), g.image());
            assertEquals(d.answer(), s.answer());
            assertEquals(d.answer(), g.answer());
            assertEquals(Long.toString(d.sourceId()), g.annotationKey());
        }
        assertEquals("x", rl.get(2).answer());                 // most frequent human answer
        assertEquals(List.of("twenty", "20"), rl.get(1).answers());
        assertNull(rl.get(0).answers());                       // no human answers: none, not an empty list
        assertNull(sft.get(3));
        assertThrows(IllegalArgumentException.class, () -> rl.get(3));
    }

    @Test void sftNeedsAnAnswerOnEveryItem() throws Exception {
        Path f = dir.resolve("noanswer.jsonl");
        Files.writeString(f, "{\"id\": 4, \"image\": \"a.png\", \"question\": \"Q?\"}\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SftInputs.readItems(f));
        assertTrue(e.getMessage().startsWith(f + ": id 4: missing field \"answer\""), e.getMessage());
        assertEquals(1, GenDataset.items(f, "train").size()); // RL queries need no shown answer
    }
}
