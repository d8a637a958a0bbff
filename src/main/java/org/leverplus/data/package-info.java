/** Datasets and Lever-Plus data files (VQA questions, SFT beams, RL candidates, embeddings), read and written without loss. */
package org.leverplus.data;
