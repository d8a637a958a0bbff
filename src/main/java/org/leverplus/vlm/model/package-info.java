/** The Qwen2.5-VL network in LibTorch: vision tower, Qwen2 decoder with M-RoPE, one class per reference block. */
package org.leverplus.vlm.model;
