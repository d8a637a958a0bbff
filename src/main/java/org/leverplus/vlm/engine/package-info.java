/** Batched answer scoring and generation on the Qwen2.5-VL model, with image-embedding and shared-prefix KV caches. */
package org.leverplus.vlm.engine;
