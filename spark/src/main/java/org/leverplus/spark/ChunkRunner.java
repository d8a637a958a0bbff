package org.leverplus.spark;

import java.io.Serializable;
import java.util.List;

/** What a Spark task does with one chunk: its output lines, computed on {@code device} ("cpu" or "cuda:N"). */
@FunctionalInterface
public interface ChunkRunner extends Serializable {
    List<String> run(Chunk chunk, String device) throws Exception;
}
