/**
 * Lever's GPU-bound stages on Apache Spark. The driver splits a stage's records into the fixed chunks a one-machine
 * run processes ({@link org.leverplus.spark.Chunk}), Spark runs one chunk per task (one task per GPU, the device
 * taken from the task's GPU address), each task commits its chunk file atomically ({@link org.leverplus.spark.ChunkStore}),
 * and the driver turns the chunk files into the file a one-machine run writes: concatenated ({@code vlm score|generate}),
 * assembled into safetensors ({@code embed}), or imported into the stage's journal, which the ordinary one-machine code
 * then finishes without loading a model ({@code eval}, {@code generate sft}, {@code generate rl}). Models are loaded
 * once per executor JVM ({@link org.leverplus.spark.ExecutorModels}).
 */
package org.leverplus.spark;
