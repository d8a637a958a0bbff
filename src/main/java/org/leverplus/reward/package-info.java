/** Rewards for RL training: per-candidate reward modes, per-group normalisation, RCE weights and GRPO advantages. */
package org.leverplus.reward;
