/** File formats: safetensors reading (memory-mapped, zero-copy) and writing, byte-compatible with the Python library. */
package org.leverplus.io;
