package org.leverplus.rlgen;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The diversity augmentation's query classes (spec 8.5) and its success rule per class. */
class DiversityClassifyTest {
    @Test void classes() {
        assertEquals("all0", DiversityAugmenter.classify(List.of(0.0, 0.0, 0.0)));
        assertEquals("all1", DiversityAugmenter.classify(List.of(1.0, 1.0)));
        assertEquals("all06", DiversityAugmenter.classify(List.of(0.6, 0.6, 0.6)));
        assertEquals("all06", DiversityAugmenter.classify(List.of(0.6000000000000001)));   // within 1e-6, as the original
        assertEquals("all0", DiversityAugmenter.classify(List.of(0.0)));
        assertEquals("diverse", DiversityAugmenter.classify(List.of(0.0, 1.0)));
        assertEquals("diverse", DiversityAugmenter.classify(List.of(0.6, 0.6, 1.0)));
        assertEquals("diverse", DiversityAugmenter.classify(List.of(0.0, 0.3)));
        assertEquals("diverse", DiversityAugmenter.classify(List.of(0.3, 0.3)));          // another single value: left alone
        assertEquals("diverse", DiversityAugmenter.classify(List.of(0.9)));
        assertEquals("empty", DiversityAugmenter.classify(List.of()));
    }

    @Test void successRules() {
        assertTrue(DiversityAugmenter.success("all0", 0.3));
        assertFalse(DiversityAugmenter.success("all0", 0.0));
        assertTrue(DiversityAugmenter.success("all1", 0.9));
        assertTrue(DiversityAugmenter.success("all1", 0.0));
        assertFalse(DiversityAugmenter.success("all1", 1.0));
        assertTrue(DiversityAugmenter.success("all06", 0.0));
        assertTrue(DiversityAugmenter.success("all06", 1.0));
        assertFalse(DiversityAugmenter.success("all06", 0.6));
    }
}
