/** Everything the Qwen2.5-VL model consumes for one ICD prompt, built from image files and VQA text in one call. */
package org.leverplus.vlm.input;
