/** Anchor sets and per-anchor candidate pools: CPython-exact random sampling, exact similarity top-k, and the mix. */
package org.leverplus.sampler;
