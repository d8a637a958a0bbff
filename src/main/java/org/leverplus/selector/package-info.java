/** The pointer selector (V3 and V4-5 additive), its decoding, checkpoints, Lever-Plus checkpoint import and the embeddable {@link org.leverplus.selector.IcdSelector} API. */
package org.leverplus.selector;
