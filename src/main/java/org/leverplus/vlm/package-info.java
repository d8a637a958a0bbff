/** The in-process Qwen2.5-VL engine: snapshot loading, configuration, and the inputs and model built on them. */
package org.leverplus.vlm;
