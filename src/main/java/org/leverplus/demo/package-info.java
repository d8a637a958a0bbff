/**
 * The demo world behind {@code lever demo}: a synthetic VQA dataset in the official VQAv2 file format and a tiny
 * Qwen2.5-VL snapshot trained on it, shipped as classpath resources (made by {@code tools/demo/}) and written to a
 * directory by {@link org.leverplus.demo.DemoWorld}. See {@code docs/demo.md}.
 */
package org.leverplus.demo;
