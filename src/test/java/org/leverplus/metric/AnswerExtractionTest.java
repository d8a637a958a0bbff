package org.leverplus.metric;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Lever-Plus' postprocess_vqa_generation, cases worked out by hand from re.split semantics. */
class AnswerExtractionTest {
    @Test void cutsAtStopWordsThenComma() {
        assertEquals("pizza", AnswerExtraction.extract("pizza"));
        assertEquals("red ", AnswerExtraction.extract("red Question: what"));
        assertEquals("two", AnswerExtraction.extract("two, three Answer"));
        assertEquals("a,b ", AnswerExtraction.extract("a,b Short"));
        assertEquals("", AnswerExtraction.extract("Short answer: x"));
        assertEquals(" yes", AnswerExtraction.extract(" yes, no"));
        assertEquals("", AnswerExtraction.extract(null));
    }
}
