/** Qwen2.5-VL text side: the byte-level BPE tokenizer, the ICD prompt in Qwen's chat template, and M-RoPE positions. */
package org.leverplus.vlm.text;
