/**
 * A Hugging Face snapshot directory, shared by every model family: JSON configs, safetensors shards and their index,
 * key layouts, dtypes, strict weight matching and zero-copy weight views.
 */
package org.leverplus.hf;
