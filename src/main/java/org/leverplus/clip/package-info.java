/** CLIP (Hugging Face {@code CLIPModel}) in LibTorch: config, weights, tokenizer glue, image processor and batched embedding. */
package org.leverplus.clip;
