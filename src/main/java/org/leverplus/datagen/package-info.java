/** SFT data generation: the InfoScore beam search over each anchor's candidate pool, its journal, shards and run driver. */
package org.leverplus.datagen;
