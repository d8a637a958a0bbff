package org.leverplus.vlm.text;

import org.junit.jupiter.api.Test;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.image.ImageGrid;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Position ids against hand-computed cases of get_rope_index. */
class MRopeIndexTest {
    static final int IMG = 151655, VS = 151652, VE = 151653;

    static void assertAxis(long[] want, long[] got) { assertArrayEquals(want, got); }

    @Test void textOnlyIsOrdinaryPositions() {
        PositionIds p = MRopeIndex.compute(new int[]{10, 11, 12, 13}, List.of(), IMG, 2);
        for (int a = 0; a < 3; a++) assertAxis(new long[]{0, 1, 2, 3}, p.positions()[a]);
        assertEquals(0, p.ropeDelta());
    }

    @Test void oneImage() {
        // "a b" <vs> 4 pads (grid 1x4x4 -> merged 2x2) <ve> "c"
        int[] ids = {1, 2, VS, IMG, IMG, IMG, IMG, VE, 3};
        PositionIds p = MRopeIndex.compute(ids, List.of(new ImageGrid(1, 4, 4)), IMG, 2);
        assertAxis(new long[]{0, 1, 2, 3, 3, 3, 3, 5, 6}, p.positions()[0]);
        assertAxis(new long[]{0, 1, 2, 3, 3, 4, 4, 5, 6}, p.positions()[1]);
        assertAxis(new long[]{0, 1, 2, 3, 4, 3, 4, 5, 6}, p.positions()[2]);
        assertEquals(7 - 9, p.ropeDelta());
    }

    @Test void severalImagesOfDifferentSizes() {
        // <vs> [grid 1x2x6: merged 1x3] <ve> x <vs> [grid 1x6x2: merged 3x1] <ve> [grid 1x4x6: merged 2x3, no separators]
        int[] ids = {VS, IMG, IMG, IMG, VE, 7, VS, IMG, IMG, IMG, VE, IMG, IMG, IMG, IMG, IMG, IMG};
        PositionIds p = MRopeIndex.compute(ids, List.of(new ImageGrid(1, 2, 6), new ImageGrid(1, 6, 2), new ImageGrid(1, 4, 6)), IMG, 2);
        // vs=0; image s=1: (1,1,1) (1,1,2) (1,1,3); next = 1+3 = 4: ve=4, x=5, vs=6;
        // image s=7: (7,7,7) (7,8,7) (7,9,7); next = 10: ve=10; image s=11: rows 11..12, cols 11..13; next = 14.
        assertAxis(new long[]{0, 1, 1, 1, 4, 5, 6, 7, 7, 7, 10, 11, 11, 11, 11, 11, 11}, p.positions()[0]);
        assertAxis(new long[]{0, 1, 1, 1, 4, 5, 6, 7, 8, 9, 10, 11, 11, 11, 12, 12, 12}, p.positions()[1]);
        assertAxis(new long[]{0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 10, 11, 12, 13, 11, 12, 13}, p.positions()[2]);
        assertEquals(14 - 17, p.ropeDelta());
    }

    @Test void cocoImageAdvancesByTheLongerMergedSide() {
        PromptTokens prompt = IcdPromptBuilder.leverPlus(TestTokenizers.qwen25())
                .generation(List.of(), VqaItem.query(new ImageGrid(1, 34, 46), "What is it?"));
        PositionIds p = MRopeIndex.compute(prompt.ids(), prompt.grids(), IMG, 2);
        Segment img = prompt.segments().get(1);
        int firstPad = img.start() + 1, lastPad = img.end() - 2;
        long s = p.positions()[0][firstPad];
        assertEquals(firstPad, s);                                   // only text before it
        assertEquals(s + 16, p.positions()[1][lastPad]);             // 17 merged rows
        assertEquals(s + 22, p.positions()[2][lastPad]);             // 23 merged columns
        assertEquals(s + 23, p.positions()[0][img.end() - 1]);      // <|vision_end|> continues at max + 1
        assertEquals(-(391 - 23), p.ropeDelta());
        long max = 0;
        for (long[] axis : p.positions()) for (long v : axis) max = Math.max(max, v);
        assertEquals(max + 1 - prompt.length(), p.ropeDelta());
    }

    @Test void mismatchedShapesAreClearErrors() {
        int[] ids = {1, VS, IMG, IMG, IMG, VE};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MRopeIndex.compute(ids, List.of(new ImageGrid(1, 4, 4)), IMG, 2));
        assertTrue(e.getMessage().contains("needs 4 consecutive image tokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MRopeIndex.compute(ids, List.of(), IMG, 2));
        assertTrue(e.getMessage().contains("only 0 image grid"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MRopeIndex.compute(new int[]{1, 2}, List.of(new ImageGrid(1, 2, 2)), IMG, 2));
        assertTrue(e.getMessage().contains("1 image grid(s) given"), e.getMessage());
    }

    @Test void leftPaddedRowFillsPadsWithOne() {
        int[] ids = {151643, 151643, 1, 2, VS, IMG, IMG, IMG, IMG, VE, 3};
        boolean[] mask = {false, false, true, true, true, true, true, true, true, true, true};
        PositionIds p = MRopeIndex.computeMasked(ids, mask, List.of(new ImageGrid(1, 4, 4)), IMG, 2);
        assertAxis(new long[]{1, 1, 0, 1, 2, 3, 3, 3, 3, 5, 6}, p.positions()[0]);
        assertAxis(new long[]{1, 1, 0, 1, 2, 3, 3, 4, 4, 5, 6}, p.positions()[1]);
        assertAxis(new long[]{1, 1, 0, 1, 2, 3, 4, 3, 4, 5, 6}, p.positions()[2]);
        assertEquals(7 - 11, p.ropeDelta());   // transformers: max + 1 - padded row length
    }
}
