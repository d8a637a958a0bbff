/** Selector training: SFT, RCE and GRPO phases with checkpoints, validation, metrics and resume. */
package org.leverplus.train;
