/**
 * SFT data (pipeline stage 2): {@link org.leverplus.sft.InfoScoreBeamSearch} is Lever-Plus's InfoScore beam search
 * over an anchor's candidate pool; {@link org.leverplus.sft.SftGenerator} runs it for a pools file with the in-process
 * VLM, journaled and resumable, and writes the original's SFT JSON.
 */
package org.leverplus.sft;
