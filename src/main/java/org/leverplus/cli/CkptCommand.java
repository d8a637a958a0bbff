package org.leverplus.cli;

import org.leverplus.selector.CheckpointImport;
import org.leverplus.selector.ParameterMatch;
import org.leverplus.selector.SelectorArch;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever ckpt check|import}: selector checkpoint matching and conversion of Lever-Plus checkpoints. */
@Command(name = "ckpt", mixinStandardHelpOptions = true, description = "Selector checkpoints: check parameter matching, import Lever-Plus .pt/.ckpt files.",
        subcommands = {CkptCommand.Check.class, CkptCommand.Import.class})
final class CkptCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { LeverCli.missingSubcommand(spec); }

    @Command(name = "check", mixinStandardHelpOptions = true, description = "Match a checkpoint against a selector architecture; exit 1 on any mismatch.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "CKPT", description = "Selector checkpoint (.safetensors).") Path ckpt;
        @Option(names = "--arch", description = "Expected architecture (v3, v4_5_additive); default: the checkpoint's metadata.") String arch;
        @Option(names = "--d-model", description = "Expected embedding width; default: the checkpoint's metadata.") Integer dModel;
        @Option(names = "--hidden-dim", description = "Expected hidden size; default: the checkpoint's metadata.") Integer hidden;
        @Option(names = "--num-layers", description = "Expected cross-attention layers (0..64); default: the checkpoint's metadata.") Integer layers;
        @Option(names = "--allow-missing", split = ",", description = "Glob patterns of parameters the checkpoint may lack.") List<String> allowMissing = new ArrayList<>();
        @Option(names = "--ignore-unexpected", split = ",", description = "Glob patterns of extra tensors to ignore.") List<String> ignoreUnexpected = new ArrayList<>();
        @Option(names = "--json", description = "Print the match as JSON (ok, matched, missing, unexpected, shape_mismatches, ...).") boolean json;

        @Override public Integer call() throws Exception {
            TorchRuntime.init();
            SelectorConfig c = null;
            if (arch != null || dModel != null || hidden != null || layers != null) {
                SelectorConfig base;
                try (org.leverplus.io.SafetensorsFile f = org.leverplus.io.Safetensors.open(ckpt)) { base = SelectorCheckpoint.configOf(f); }
                c = new SelectorConfig(arch == null ? base.arch() : SelectorArch.parse(arch), dModel == null ? base.dModel() : dModel,
                        hidden == null ? base.hiddenDim() : hidden, layers == null ? base.numLayers() : layers, 1,
                        base.dropout(), base.attnDropout(), base.temperature(), base.stepEmbRows());
            }
            try (TensorScope s = TensorScope.open()) {
                ParameterMatch m = SelectorCheckpoint.check(ckpt, c, allowMissing, ignoreUnexpected);
                if (json) {
                    var o = LeverCli.matchJson(m);
                    o.put("file", ckpt.toString());
                    LeverCli.printJson(o);
                    return m.ok() ? 0 : LeverCli.EXIT_FAILURE;
                }
                System.out.println(ckpt + ":");
                System.out.println(m.report());
                return m.ok() ? 0 : LeverCli.EXIT_FAILURE;
            }
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Convert a Lever-Plus RL .pt or Lightning .ckpt selector checkpoint to safetensors.")
    static final class Import implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "IN", description = "Lever-Plus .pt (RL) or Lightning .ckpt (SFT) checkpoint.") Path in;
        @Option(names = "--out", required = true, description = "Output .safetensors file.") Path out;
        @Option(names = "--overwrite", description = "Replace an existing output file.") boolean overwrite;
        @Option(names = "--json", description = "Print a JSON summary (out, tensors, arch, d_model, hidden_dim, num_layers, notices, match).") boolean json;

        @Override public Integer call() throws Exception {
            TorchRuntime.init();
            try (TensorScope s = TensorScope.open()) {
                CheckpointImport.Result r = CheckpointImport.run(in, out, overwrite);
                SelectorConfig c = r.config();
                if (json) {
                    ParameterMatch m = SelectorCheckpoint.check(out, null, List.of(), List.of());
                    var o = LeverCli.jsonSummary();
                    o.put("input", in.toString());
                    o.put("out", out.toString());
                    o.put("tensors", r.tensors().size());
                    o.put("arch", c.arch().id);
                    o.put("d_model", c.dModel());
                    o.put("hidden_dim", c.hiddenDim());
                    o.put("num_layers", c.numLayers());
                    o.set("notices", org.leverplus.io.JsonSupport.mapper().valueToTree(r.notices()));
                    o.set("match", LeverCli.matchJson(m));
                    LeverCli.printJson(o);
                    return 0;
                }
                for (String n : r.notices()) System.out.println("notice: " + n);
                System.out.printf("wrote %s: %d tensors, %s selector (d_model %d, hidden %d, layers %d)%n", out, r.tensors().size(),
                        c.arch().id, c.dModel(), c.hiddenDim(), c.numLayers());
                ParameterMatch m = SelectorCheckpoint.check(out, null, List.of(), List.of());
                System.out.println(m.report());
                if (!m.ok()) System.out.println("note: load it with --allow-missing for the listed parameters to start them at initialisation");
                return 0;
            }
        }
    }
}
