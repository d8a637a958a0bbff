package org.leverplus.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file whose header or layout breaks the format; the message names the file and what is wrong. */
public final class MalformedSafetensorsException extends IOException {
    public MalformedSafetensorsException(Path file, String problem) {
        super(file + ": not a valid safetensors file: " + problem);
    }
}
