/** Evaluation: ICD retrievers (selector, random, similarity, zero), generation and grading, bootstrap statistics. */
package org.leverplus.eval;
