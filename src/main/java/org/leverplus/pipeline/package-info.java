/**
 * {@code lever pipeline}: every stage of Lever-Plus in order (sample, embed, SFT data, SFT training, RL data, RCE/GRPO
 * training, evaluation, report) from one YAML file. Each stage writes into its own folder with a manifest of its
 * inputs' hashes and settings ({@link org.leverplus.pipeline.Manifest}); a stage whose manifest matches is skipped, a
 * changed setting reruns that stage and everything downstream, and an interrupted stage resumes through its own
 * journal. {@link org.leverplus.pipeline.Pipeline} is the engine; {@link org.leverplus.pipeline.PipelineConfig} the file.
 */
package org.leverplus.pipeline;
