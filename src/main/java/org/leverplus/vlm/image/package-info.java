/** Qwen2.5-VL image preprocessing: decoding as PIL does, smart_resize, PIL's bicubic resize, normalisation and patch flattening. */
package org.leverplus.vlm.image;
