package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.text.QwenTokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lever vlm tokenize}: JSON strings on stdin, one per line, to JSON arrays of token ids, one per line. */
@Command(name = "tokenize", description = {
        "Tokenize text with the snapshot's tokenizer.json (no special tokens added; literal ones like <|im_start|> are matched).",
        "Reads one JSON-encoded string per line from stdin and prints one JSON array of ids per line."})
final class VlmTokenizeCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "Snapshot directory (only tokenizer.json is read).")
    Path snapshot;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        ObjectMapper json = new ObjectMapper();
        PrintWriter out = spec.commandLine().getOut();
        try (QwenTokenizer tok = QwenTokenizer.load(Qwen25VlSnapshot.open(snapshot).tokenizerJson());
             BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                JsonNode s;
                try {
                    s = json.readTree(line);
                } catch (Exception e) {
                    throw new IllegalArgumentException("stdin line " + n + ": expected a JSON string (e.g. \"hello\") but the line is not valid JSON");
                }
                if (s == null || !s.isTextual())
                    throw new IllegalArgumentException("stdin line " + n + ": expected a JSON string but found " + (s == null ? "an empty line" : s.getNodeType().toString().toLowerCase()));
                out.println(json.writeValueAsString(tok.encode(s.asText())));
            }
            out.flush();
        }
        return 0;
    }
}
