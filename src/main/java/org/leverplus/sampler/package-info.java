/**
 * The anchor set and per-anchor candidate pools of Lever-Plus (pipeline stage 1): {@link org.leverplus.sampler.Samplers}
 * implements the original's RandSampler (CPython's {@code random}, bit for bit, through {@link org.leverplus.sampler.PyRandom}),
 * the text/image similarity samplers (exact cosine top-k over feature rows) and the mix sampler; {@link org.leverplus.sampler.PoolFiles}
 * reads and writes the original's cache formats.
 */
package org.leverplus.sampler;
