package org.leverplus.train;

import org.leverplus.io.AtomicOutput;
import org.leverplus.io.DirectoryLock;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.reward.GrpoAdvantages;
import org.leverplus.reward.RceTemperatureSchedule;
import org.leverplus.reward.RewardGroups;
import org.leverplus.selector.Embeddings;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.selector.Tensors;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Runs the selector's training phases SFT → RCE → GRPO (spec 6, 10) into a run directory:
 * {@code {sft,rce,grpo}_epoch{e}.safetensors} after every epoch, {@code metrics.jsonl} (one line per step and per
 * epoch), {@code run.json} (configuration, data hashes, versions, best epochs) and {@code state.safetensors} (the last
 * completed epoch's model and optimizer state, for {@code --resume}).
 * <p>
 * Guards: a run directory that already holds outputs is refused unless {@code overwrite} (outputs deleted first) or
 * {@code resume}; checkpoint files are never overwritten, so a later phase can never replace an earlier phase's file;
 * a phase with 0 epochs does not run and writes nothing. Randomness (shuffling, dropout) is re-seeded per epoch from
 * the run seed, so a resumed run repeats the uninterrupted one exactly.
 */
public final class Trainer {
    public enum PhaseName {
        SFT, RCE, GRPO;
        public String id() { return name().toLowerCase(); }
    }

    static final String STATE = "state.safetensors", METRICS = "metrics.jsonl", RUN = "run.json", GRPO_REF = "grpo_reference.safetensors",
            BEST = "best.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainConfig cfg;
    private final PrintStream log;
    private String device = "cpu";
    private PhaseName stopAfterPhase;   // test hook: simulate an interruption
    private int stopAfterEpoch;

    public Trainer(TrainConfig cfg, PrintStream log) {
        this.cfg = cfg;
        this.log = log;
    }

    /** Thrown by the test hook after the chosen epoch's outputs are written. */
    public static final class Interrupted extends RuntimeException {
        Interrupted() { super("interrupted by test hook"); }
    }

    /**
     * Device for the model and the embedding matrix ("cpu" default, or "cuda", "cuda:N"): every batch tensor is
     * created next to the embeddings. Checkpoints are written from host copies.
     */
    public Trainer device(String d) {
        if (d == null || !(d.equals("cpu") || d.matches("cuda(:\\d+)?")))
            throw new IllegalArgumentException("--device: expected cpu, cuda or cuda:N but found '" + d + "'");
        this.device = d;
        return this;
    }

    private boolean onCpu() { return device.equals("cpu"); }

    void stopAfter(PhaseName phase, int epoch) {
        this.stopAfterPhase = phase;
        this.stopAfterEpoch = epoch;
    }

    /** Result: the final checkpoint path (null if no phase ran) and the best epoch per phase. */
    public record Result(Path finalCheckpoint, Map<String, Map<String, Object>> best) {}

    // ------------------------------------------------------------------ run

    public Result run() throws IOException {
        TorchRuntime.init();
        Path dir = cfg.runDir().toAbsolutePath();
        if (Files.exists(dir) && !Files.isDirectory(dir))
            throw new IllegalArgumentException(dir + ": --run-dir exists and is not a directory");
        boolean created = !Files.exists(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IOException(dir + ": cannot create the run directory: " + AtomicOutput.reason(e));
        }
        boolean ok = false;
        try (DirectoryLock lock = DirectoryLock.acquire(dir, "run directory")) {
            try {
                Result r = runLocked(dir);
                ok = true;
                return r;
            } finally {
                if (!ok) removeFailedRun(dir);
            }
        } finally {
            if (!ok && created) deleteIfOnlyLock(dir);
        }
    }

    /**
     * After a failure before any epoch completed (no {@value #STATE}), removes what the run wrote (run.json,
     * metrics.jsonl), so a rerun needs no --overwrite. A run with a completed epoch keeps everything: --resume continues it.
     */
    private void removeFailedRun(Path dir) {
        if (cfg.resume() || Files.exists(dir.resolve(STATE))) return;
        try {
            deleteOutputs(dir);
        } catch (IOException ignored) {
            // best effort: the original error is the one to report
        }
    }

    /** Deletes a run directory this run created if it holds nothing but the lock file. */
    private static void deleteIfOnlyLock(Path dir) {
        try {
            try (var s = Files.list(dir)) {
                if (s.anyMatch(f -> !f.getFileName().toString().equals(DirectoryLock.FILE))) return;
            }
            Files.deleteIfExists(dir.resolve(DirectoryLock.FILE));
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // best effort
        }
    }

    private Result runLocked(Path dir) throws IOException {
        Map<String, String> resumeMeta = null;
        if (hasOutputs(dir)) {
            if (cfg.resume()) {
                if (!Files.exists(dir.resolve(STATE)))
                    throw new IllegalStateException(dir + ": --resume but no " + STATE + " (no epoch completed yet; start again with --overwrite)");
                try (SafetensorsFile f = Safetensors.open(dir.resolve(STATE))) { resumeMeta = new LinkedHashMap<>(f.metadata()); }
                String fp = fingerprint();
                if (!fp.equals(resumeMeta.get("config_fingerprint")) && !canExtend(dir, resumeMeta))
                    throw new IllegalStateException(dir + ": --resume with a different configuration than the interrupted run "
                            + "(run.json holds the original; fingerprint " + resumeMeta.get("config_fingerprint") + " vs " + fp
                            + "); only the epoch counts of a finished run may change, to add epochs");
            } else if (cfg.overwrite()) {
                deleteOutputs(dir);
            } else {
                throw new IllegalStateException(dir + ": run directory already holds outputs (run.json, metrics.jsonl or checkpoints); "
                        + "use --overwrite to replace them or --resume to continue");
            }
        } else if (cfg.resume()) {
            throw new IllegalStateException(dir + ": --resume but the run directory holds no outputs");
        }

        boolean anyRl = cfg.rce().epochs() > 0 || cfg.grpo().epochs() > 0;
        if (anyRl && cfg.rlData() == null) throw new IllegalArgumentException("RCE/GRPO epochs > 0 need --rl-data");
        if (cfg.sft().epochs() > 0 && cfg.sftData() == null) throw new IllegalArgumentException("--sft-epochs > 0 needs --sft-data");
        Tensor emb = Embeddings.load(cfg.embeddings());
        if (!onCpu()) {
            if (TorchRuntime.cudaDeviceCount() == 0) throw new IllegalStateException("--device " + device + ": no CUDA device is visible to LibTorch");
            emb = emb.to(new org.bytedeco.pytorch.Device(device), org.bytedeco.pytorch.global.torch.ScalarType.Float);
        }
        if (emb.size(1) != cfg.selector().dModel())
            throw new IllegalArgumentException(cfg.embeddings() + ": embedding dimension " + emb.size(1) + " does not match the selector's d_model "
                    + cfg.selector().dModel() + " (--d-model)");

        List<TrainGroup> rlTrain = List.of(), rlVal = List.of(), sftTrain = List.of(), sftVal = List.of();
        if (anyRl) {
            RlData data = RlDataReader.read(cfg.rlData());
            List<RlQuery> qs = new ArrayList<>(data.queries());
            qs.sort(Comparator.comparingInt(RlQuery::index));
            int nTrain = (int) (cfg.trainRatio() * qs.size());
            rlTrain = groups(qs.subList(0, nTrain));
            rlVal = groups(qs.subList(nTrain, qs.size()));
            if (rlTrain.isEmpty()) throw new IllegalArgumentException(cfg.rlData() + ": no training group left after the split and candidate filtering");
            log.printf("RL data: %d queries -> %d train groups, %d validation groups%n", qs.size(), rlTrain.size(), rlVal.size());
        }
        if (cfg.sft().epochs() > 0) {
            List<TrainGroup> all = SftGroups.read(cfg.sftData(), cfg.sftPools());
            int nTrain = (int) (0.9 * all.size());        // the original's SFT data_split(train_ratio=0.9)
            sftTrain = all.subList(0, nTrain);
            sftVal = all.subList(nTrain, all.size());
            log.printf("SFT data: %d anchors -> %d train, %d validation%n", all.size(), sftTrain.size(), sftVal.size());
        }

        Map<String, Map<String, Object>> best = new LinkedHashMap<>();
        if (resumeMeta != null && resumeMeta.containsKey("best")) best = readBest(resumeMeta.get("best"));
        if (resumeMeta == null) writeRunJson(dir, "running", best);
        else trimMetrics(dir, PhaseName.valueOf(resumeMeta.get("phase").toUpperCase()), Integer.parseInt(resumeMeta.get("epoch")));

        PointerSelector model = null;
        Path last = null;
        try {
            if (resumeMeta != null) {
                model = PointerSelector.create(cfg.selector(), cfg.seed());
                if (!onCpu()) model.to(new org.bytedeco.pytorch.Device(device));
                try (SafetensorsFile f = Safetensors.open(dir.resolve(STATE))) { model.copyFrom(modelTensors(f)); }
                last = resumeMeta.containsKey("last_checkpoint") ? dir.resolve(resumeMeta.get("last_checkpoint")) : null;
            }
            PhaseName resumePhase = resumeMeta == null ? null : PhaseName.valueOf(resumeMeta.get("phase").toUpperCase());
            for (PhaseName p : PhaseName.values()) {
                TrainConfig.Phase pc = phase(p);
                if (pc.epochs() <= 0) continue;
                int startEpoch = 1;
                if (resumePhase != null) {
                    if (p.ordinal() < resumePhase.ordinal()) continue;
                    if (p == resumePhase) {
                        startEpoch = Integer.parseInt(resumeMeta.get("epoch")) + 1;
                        if (startEpoch > pc.epochs()) continue;
                    }
                }
                boolean resumingThis = resumePhase == p && startEpoch > 1;
                if (!resumingThis && (resumePhase == null || p.ordinal() > resumePhase.ordinal() || startEpoch == 1)) {
                    PointerSelector init = initialModel(p, pc, model);
                    if (init != model && model != null) model.close();
                    if (init != model && !onCpu()) init.to(new org.bytedeco.pytorch.Device(device));
                    model = init;
                }
                List<TrainGroup> train = p == PhaseName.SFT ? sftTrain : rlTrain;
                List<TrainGroup> val = p == PhaseName.SFT ? sftVal : rlVal;
                last = runPhase(p, pc, model, emb, train, val, startEpoch, resumingThis ? resumeMeta : null, best, rlTrain);
            }
            writeRunJson(dir, "complete", best);
            return new Result(last, best);
        } finally {
            if (model != null) model.close();
        }
    }

    private List<TrainGroup> groups(List<RlQuery> qs) {
        List<TrainGroup> out = new ArrayList<>();
        for (RlQuery q : qs) {
            try {
                RewardGroups.build(q, cfg.reward()).ifPresent(g -> out.add(TrainGroup.of(g)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(cfg.rlData() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private TrainConfig.Phase phase(PhaseName p) {
        return switch (p) { case SFT -> cfg.sft(); case RCE -> cfg.rce(); case GRPO -> cfg.grpo(); };
    }

    /** The phase's starting model: its --init checkpoint, else the previous phase's model, else a seeded fresh one. */
    private PointerSelector initialModel(PhaseName p, TrainConfig.Phase pc, PointerSelector previous) throws IOException {
        if (pc.init() != null) {
            SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(pc.init(), new SelectorCheckpoint.LoadOptions(cfg.selector(),
                    cfg.allowMissing(), cfg.ignoreUnexpected()));
            if (!l.match().allowedMissing().isEmpty() || !l.match().ignoredUnexpected().isEmpty())
                log.println(p.id() + " init " + pc.init() + ":\n" + l.match().report());
            else log.println(p.id() + " init: " + pc.init() + " (all " + l.match().matched() + " parameters matched)");
            return l.model();
        }
        if (previous != null) return previous;
        log.println(p.id() + " init: fresh " + cfg.selector().arch().id + " selector (seed " + cfg.seed() + ")");
        return PointerSelector.create(cfg.selector(), cfg.seed());
    }

    // ------------------------------------------------------------------ one phase

    private Path runPhase(PhaseName p, TrainConfig.Phase pc, PointerSelector model, Tensor emb, List<TrainGroup> train,
                          List<TrainGroup> val, int startEpoch, Map<String, String> resumeMeta,
                          Map<String, Map<String, Object>> best, List<TrainGroup> rlTrain) throws IOException {
        Path dir = cfg.runDir();
        TrainConfig.GrpoOptions go = cfg.grpoOptions();
        Map<String, Tensor> trainable = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) {
            boolean frozen = p == PhaseName.GRPO && go.freezeBackbone()
                    && (e.getKey().contains("input_proj") || e.getKey().contains("query_proj") || e.getKey().contains("cand_proj"));
            e.getValue().requires_grad_(!frozen);
            if (!frozen) trainable.put(e.getKey(), e.getValue());
        }
        AdamW opt = new AdamW(trainable, pc.lr(), pc.weightDecay());
        TensorVector trainableVec = vector(trainable);
        double beta = go.klBeta();
        long globalStep = 0;
        if (resumeMeta != null) {
            try (SafetensorsFile f = Safetensors.open(dir.resolve(STATE))) {
                Map<String, Tensor> st = new HashMap<>();
                for (String n : f.names()) if (n.startsWith("adam.")) st.put(n, f.get(n));
                opt.restore(st, Long.parseLong(resumeMeta.get("optimizer_steps")));
            }
            beta = Double.parseDouble(resumeMeta.getOrDefault("beta", Double.toString(beta)));
        }
        if (p == PhaseName.RCE && startEpoch == 1 && cfg.grpo().epochs() > 0 && go.reference() == TrainConfig.GrpoReference.BEFORE_RCE
                && !Files.exists(dir.resolve(GRPO_REF)))
            SelectorCheckpoint.save(dir.resolve(GRPO_REF), model, Map.of("phase", "grpo_reference"));
        int batches = (train.size() + cfg.batchGroups() - 1) / cfg.batchGroups();
        RceTemperatureSchedule schedule = new RceTemperatureSchedule(cfg.rceTempStart(), cfg.rceTempEnd(), (long) pc.epochs() * batches);

        // GRPO reference log-probs (eval mode, computed once per run of the phase)
        Map<String, double[]> oldLp = null;
        if (p == PhaseName.GRPO) {
            Path refFile = dir.resolve(GRPO_REF);
            if (!Files.exists(refFile)) SelectorCheckpoint.save(refFile, model, Map.of("phase", "grpo_reference"));
            try (SelectorCheckpoint.Loaded ref = SelectorCheckpoint.load(refFile, SelectorCheckpoint.LoadOptions.strict().withConfig(cfg.selector()))) {
                if (!onCpu()) ref.model().to(new org.bytedeco.pytorch.Device(device));
                oldLp = referenceLogprobs(ref.model(), emb, train);
            }
        }

        Path last = null;
        for (int epoch = startEpoch; epoch <= pc.epochs(); epoch++) {
            List<TrainGroup> order = new ArrayList<>(train);
            if (cfg.shuffle()) Collections.shuffle(order, new Random(cfg.seed() * 1_000_003L + p.ordinal() * 10_007L + epoch));
            torch.manual_seed(cfg.seed() + 7919L * p.ordinal() + 104_729L * epoch);
            long t0 = System.nanoTime();
            double lossSum = 0;
            int groupsDone = 0;
            try (BufferedWriter metrics = Files.newBufferedWriter(dir.resolve(METRICS), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                 org.leverplus.io.Progress bar = org.leverplus.io.Progress.start(p.id() + " epoch " + epoch + "/" + pc.epochs(), order.size(), "groups")) {
                for (int bi = 0; bi < batches; bi++) {
                    List<TrainGroup> part = order.subList(bi * cfg.batchGroups(), Math.min(order.size(), (bi + 1) * cfg.batchGroups()));
                    long s0 = System.nanoTime();
                    long step = (long) (epoch - 1) * batches + bi;
                    ObjectNode m = JSON.createObjectNode();
                    m.put("phase", p.id()).put("epoch", epoch).put("step", step).put("type", "step");
                    try (TensorScope scope = TensorScope.open()) {
                        model.train(true);
                        opt.zeroGrad();
                        if (p == PhaseName.GRPO) {
                            int topK = !go.curriculum() ? Integer.MAX_VALUE : (epoch - 1 < go.earlyEpochs() ? go.earlyTopK() : go.lateTopK());
                            List<TrainGroup> sel = new ArrayList<>();
                            List<double[]> olds = new ArrayList<>();
                            for (TrainGroup g : part) {
                                int[] idx = GrpoAdvantages.topK(g.normalizedRewards(), topK);
                                sel.add(g.subset(idx));
                                double[] o = oldLp.get(g.key()), so = new double[idx.length];
                                for (int i = 0; i < idx.length; i++) so[i] = o[idx[i]];
                                olds.add(so);
                            }
                            GroupBatch b = GroupBatch.of(sel, emb);
                            Map<TrainGroup, double[]> oldBy = new HashMap<>();
                            for (int i = 0; i < sel.size(); i++) oldBy.put(sel.get(i), olds.get(i));
                            Tensor old = b.perRow(oldBy::get, 0f);
                            Tensor adv = b.perRow(g -> GrpoAdvantages.zScore(g.normalizedRewards()), 0f);
                            SelectorLosses.Grpo gr = TrainSteps.grpo(model, opt, trainableVec, b, old, adv, go.clipEpsilon(), beta,
                                    go.ppoOnly(), cfg.dropoutSharing(), cfg.gradClip());
                            m.put("ppo_loss", gr.ppo()).put("kl", gr.kl()).put("kl_loss", beta * gr.kl()).put("beta", beta)
                                    .put("mean_ratio", gr.ratioMean()).put("mean_advantage", gr.advMean())
                                    .put("std_advantage", gr.advStd()).put("max_advantage", gr.advAbsMax());
                            if (go.adaptiveKl()) beta = TrainSteps.adaptBeta(beta, gr.kl());
                            double lv = gr.loss().item_double();
                            if (!Double.isFinite(lv)) throw new IllegalStateException(p.id() + " epoch " + epoch + " step " + step + " (" + queries(part) + "): loss is " + lv);
                            lossSum += lv * part.size();
                            groupsDone += part.size();
                            m.put("loss", lv).put("grad_norm", gr.gradNorm()).put("lr", pc.lr()).put("groups", part.size())
                                    .put("groups_per_s", part.size() / ((System.nanoTime() - s0) / 1e9));
                        } else {
                            GroupBatch b = GroupBatch.of(part, emb);
                            Tensor loss;
                            if (p == PhaseName.SFT) {
                                loss = SelectorLosses.sft(model, b, cfg.sftLabelSmoothing(), cfg.dropoutSharing());
                            } else {
                                double tau = schedule.at(step);
                                m.put("temperature", tau);
                                loss = SelectorLosses.rce(model, b, SelectorLosses.rceWeights(b, tau, false), cfg.dropoutSharing());
                            }
                            loss.backward();
                            double gradNorm = torch.clip_grad_norm_(trainableVec, cfg.gradClip());
                            opt.step();
                            double lv = loss.item_double();
                            if (!Double.isFinite(lv)) throw new IllegalStateException(p.id() + " epoch " + epoch + " step " + step + " (" + queries(part) + "): loss is " + lv);
                            lossSum += lv * part.size();
                            groupsDone += part.size();
                            double secs = (System.nanoTime() - s0) / 1e9;
                            m.put("loss", lv).put("grad_norm", gradNorm).put("lr", pc.lr()).put("groups", part.size()).put("groups_per_s", part.size() / secs);
                        }
                    }
                    metrics.write(JSON.writeValueAsString(m));
                    metrics.newLine();
                    globalStep++;
                    bar.advance(part.size());
                }
                bar.close();
                double secs = (System.nanoTime() - t0) / 1e9;
                double valLoss = validate(model, emb, val, p);
                double trainLoss = lossSum / Math.max(1, groupsDone);
                ObjectNode em = JSON.createObjectNode();
                em.put("phase", p.id()).put("epoch", epoch).put("type", "epoch").put("train_loss", trainLoss);
                if (Double.isNaN(valLoss)) em.putNull("val_loss"); // no validation data (--train-ratio 1): null, valid JSON
                else em.put("val_loss", valLoss);
                em.put("seconds", secs).put("groups_per_s", groupsDone / secs);
                if (p == PhaseName.GRPO) em.put("beta", beta);
                metrics.write(JSON.writeValueAsString(em));
                metrics.newLine();
                if (Double.isNaN(valLoss))
                    log.printf("%s epoch %d/%d: train loss %.5f, no validation data, %.1f groups/s%n", p.id(), epoch, pc.epochs(), trainLoss, groupsDone / secs);
                else
                    log.printf("%s epoch %d/%d: train loss %.5f, val loss %.5f, %.1f groups/s%n", p.id(), epoch, pc.epochs(), trainLoss, valLoss, groupsDone / secs);

                Map<String, Object> b = best.get(p.id());
                boolean newBest = !Double.isNaN(valLoss) && (b == null || valLoss < ((Number) b.get("val_loss")).doubleValue());
                if (newBest) {
                    Map<String, Object> nb = new LinkedHashMap<>();
                    nb.put("epoch", epoch);
                    nb.put("val_loss", valLoss);
                    nb.put("checkpoint", p.id() + "_epoch" + epoch + ".safetensors");
                    best.put(p.id(), nb);
                }
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("phase", p.id());
                meta.put("epoch", Integer.toString(epoch));
                meta.put("beta", Double.toString(beta));
                Map<String, Object> metricsMeta = new java.util.TreeMap<>();
                metricsMeta.put("train_loss", trainLoss);
                metricsMeta.put("val_loss", Double.isNaN(valLoss) ? null : valLoss);
                meta.put("metrics", JSON.writeValueAsString(metricsMeta));
                meta.put("seed", Long.toString(cfg.seed()));
                Path ckpt = dir.resolve(p.id() + "_epoch" + epoch + ".safetensors");
                if (Files.exists(ckpt) && resumeMeta == null)
                    throw new IllegalStateException(ckpt + ": refusing to overwrite an existing checkpoint");
                model.train(false);
                SelectorCheckpoint.save(ckpt, model, meta);
                last = ckpt;
                // the best validation epoch of the phase that ran last, as a file of its own
                if (newBest) AtomicOutput.writeBytes(dir.resolve(BEST), Files.readAllBytes(ckpt), true);
                // resume state: model + optimizer after this completed epoch
                Map<String, Tensor> st = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) st.put("model." + e.getKey(), e.getValue().detach());
                st.putAll(opt.state());
                Map<String, String> sm = new LinkedHashMap<>(meta);
                sm.put("optimizer_steps", Long.toString(opt.steps()));
                sm.put("config_fingerprint", fingerprint());
                sm.put("config_fingerprint_sans_epochs", fingerprintSansEpochs());
                sm.put("phase_epochs", cfg.sft().epochs() + "," + cfg.rce().epochs() + "," + cfg.grpo().epochs());
                sm.put("last_checkpoint", ckpt.getFileName().toString());
                sm.put("best", JSON.writeValueAsString(best));
                Safetensors.write(dir.resolve(STATE), st, sm);
            }
            if (stopAfterPhase == p && stopAfterEpoch == epoch) throw new Interrupted();
        }
        for (Tensor t : model.parameters().values()) t.requires_grad_(true);
        return last;
    }

    /** The query keys of a batch, for messages. */
    private static String queries(List<TrainGroup> part) {
        StringBuilder b = new StringBuilder(part.size() == 1 ? "query " : "queries ");
        for (int i = 0; i < part.size() && i < 8; i++) b.append(i == 0 ? "" : ", ").append(part.get(i).key());
        if (part.size() > 8) b.append(", ...");
        return b.toString();
    }

    /** Validation: RCE loss at temperature 1 with raw rewards, eval mode, mean over groups (NaN without groups). */
    double validate(PointerSelector model, Tensor emb, List<TrainGroup> val, PhaseName p) {
        if (val.isEmpty()) return Double.NaN;
        model.train(false);
        double sum = 0;
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            for (int i = 0; i < val.size(); i += cfg.batchGroups()) {
                List<TrainGroup> part = val.subList(i, Math.min(val.size(), i + cfg.batchGroups()));
                try (TensorScope s = TensorScope.open()) {
                    GroupBatch b = GroupBatch.of(part, emb);
                    Tensor loss = p == PhaseName.SFT ? SelectorLosses.sft(model, b, cfg.sftLabelSmoothing(), cfg.dropoutSharing())
                            : SelectorLosses.rce(model, b, SelectorLosses.rceWeights(b, 1.0, true), cfg.dropoutSharing());
                    sum += loss.item_double() * part.size();
                }
            }
        }
        return sum / val.size();
    }

    private Map<String, double[]> referenceLogprobs(PointerSelector ref, Tensor emb, List<TrainGroup> train) {
        ref.train(false);
        Map<String, double[]> out = new HashMap<>();
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            for (int i = 0; i < train.size(); i += cfg.batchGroups()) {
                List<TrainGroup> part = train.subList(i, Math.min(train.size(), i + cfg.batchGroups()));
                try (TensorScope s = TensorScope.open()) {
                    GroupBatch b = GroupBatch.of(part, emb);
                    float[] lp = Tensors.toFloats(SelectorLosses.sequenceLogprobs(ref, b, cfg.dropoutSharing()));
                    for (int g = 0; g < part.size(); g++) {
                        double[] v = new double[part.get(g).size()];
                        for (int r = 0; r < v.length; r++) v[r] = lp[g * b.n() + r];
                        out.put(part.get(g).key(), v);
                    }
                }
            }
        }
        return out;
    }

    private static TensorVector vector(Map<String, Tensor> ps) {
        TensorVector v = new TensorVector();
        for (Tensor t : ps.values()) v.push_back(t);
        return v;
    }

    private static Map<String, Tensor> modelTensors(SafetensorsFile f) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : f.names()) if (n.startsWith("model.")) m.put(n.substring("model.".length()), f.get(n));
        return m;
    }

    // ------------------------------------------------------------------ run directory

    static boolean isOutput(String name) {
        return name.equals(RUN) || name.equals(METRICS) || name.equals(STATE) || name.equals(GRPO_REF) || name.equals(BEST)
                || name.matches("(sft|rce|grpo)_epoch\\d+\\.safetensors");
    }

    private static boolean hasOutputs(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.anyMatch(f -> isOutput(f.getFileName().toString()));
        }
    }

    private static void deleteOutputs(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) if (isOutput(f.getFileName().toString())) Files.delete(f);
        }
    }

    /** Drops metric lines of epochs after the resume point (written by the interrupted run after its last state). */
    private static void trimMetrics(Path dir, PhaseName phase, int epoch) throws IOException {
        Path m = dir.resolve(METRICS);
        if (!Files.exists(m)) return;
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(m, StandardCharsets.UTF_8)) {
            try {
                var n = JSON.readTree(line);
                PhaseName p = PhaseName.valueOf(n.get("phase").asText().toUpperCase());
                int e = n.get("epoch").asInt();
                if (p.ordinal() < phase.ordinal() || (p == phase && e <= epoch)) keep.add(line);
            } catch (Exception ignored) {
                // a torn last line of the interrupted run
            }
        }
        StringBuilder text = new StringBuilder();
        for (String line : keep) text.append(line).append('\n');
        AtomicOutput.writeBytes(m, text.toString().getBytes(StandardCharsets.UTF_8), true);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> readBest(String json) throws IOException {
        return JSON.readValue(json, LinkedHashMap.class);
    }

    /** A hash of the configuration that decides the run's results (paths and resume/overwrite flags excluded). */
    /**
     * Whether {@code --resume} may extend a finished run: the run completed, everything but the epoch counts is the
     * same, and no phase has fewer epochs than before. The RCE temperature schedule then spans the new total.
     */
    private boolean canExtend(Path dir, Map<String, String> resumeMeta) throws IOException {
        String sans = resumeMeta.get("config_fingerprint_sans_epochs"), epochs = resumeMeta.get("phase_epochs");
        if (sans == null || epochs == null || !sans.equals(fingerprintSansEpochs())) return false;
        var run = JSON.readTree(dir.resolve(RUN).toFile());
        if (run == null || !"complete".equals(run.path("status").asText())) return false;
        String[] old = epochs.split(",");
        int[] now = {cfg.sft().epochs(), cfg.rce().epochs(), cfg.grpo().epochs()};
        for (int i = 0; i < 3; i++) if (now[i] < Integer.parseInt(old[i])) return false;
        log.printf("extending the finished run: epochs (sft, rce, grpo) %s -> %d,%d,%d%n", epochs, now[0], now[1], now[2]);
        return true;
    }

    /** The configuration without the phases' epoch counts (what must match to extend a finished run). */
    String fingerprintSansEpochs() {
        TrainConfig c = cfg;
        String s = String.join("|", c.selector().toString(), c.reward().toString(), Long.toString(c.seed()), Boolean.toString(c.shuffle()),
                Integer.toString(c.batchGroups()), c.dropoutSharing().name(), Double.toString(c.gradClip()), Double.toString(c.trainRatio()),
                phaseKey(c.sft().withEpochs(0)), phaseKey(c.rce().withEpochs(0)), phaseKey(c.grpo().withEpochs(0)), Double.toString(c.sftLabelSmoothing()),
                Double.toString(c.rceTempStart()), Double.toString(c.rceTempEnd()), c.grpoOptions().toString());
        return sha256(s.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    String fingerprint() {
        TrainConfig c = cfg;
        String s = String.join("|", c.selector().toString(), c.reward().toString(), Long.toString(c.seed()), Boolean.toString(c.shuffle()),
                Integer.toString(c.batchGroups()), c.dropoutSharing().name(), Double.toString(c.gradClip()), Double.toString(c.trainRatio()),
                phaseKey(c.sft()), phaseKey(c.rce()), phaseKey(c.grpo()), Double.toString(c.sftLabelSmoothing()),
                Double.toString(c.rceTempStart()), Double.toString(c.rceTempEnd()), c.grpoOptions().toString());
        return sha256(s.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
    }

    private static String phaseKey(TrainConfig.Phase p) {
        return p.epochs() + "/" + p.lr() + "/" + p.weightDecay() + "/" + (p.init() == null ? "" : p.init().getFileName());
    }

    private void writeRunJson(Path dir, String status, Map<String, Map<String, Object>> best) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("status", status);
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("rl_data", str(cfg.rlData()));
        c.put("sft_data", str(cfg.sftData()));
        c.put("sft_pools", str(cfg.sftPools()));
        c.put("embeddings", str(cfg.embeddings()));
        c.put("selector", cfg.selector().toMetadata());
        c.put("reward", cfg.reward().toString());
        c.put("seed", cfg.seed());
        c.put("shuffle", cfg.shuffle());
        c.put("batch_groups", cfg.batchGroups());
        c.put("dropout_sharing", cfg.dropoutSharing().name().toLowerCase());
        c.put("grad_clip", cfg.gradClip());
        c.put("train_ratio", cfg.trainRatio());
        for (PhaseName p : PhaseName.values()) {
            TrainConfig.Phase pc = phase(p);
            Map<String, Object> pm = new LinkedHashMap<>();
            pm.put("epochs", pc.epochs());
            pm.put("lr", pc.lr());
            pm.put("weight_decay", pc.weightDecay());
            pm.put("init", str(pc.init()));
            c.put(p.id(), pm);
        }
        c.put("sft_label_smoothing", cfg.sftLabelSmoothing());
        c.put("rce_temperature", List.of(cfg.rceTempStart(), cfg.rceTempEnd()));
        c.put("grpo_options", cfg.grpoOptions().toString());
        c.put("allow_missing", cfg.allowMissing());
        c.put("ignore_unexpected", cfg.ignoreUnexpected());
        c.put("fingerprint", fingerprint());
        r.put("config", c);
        Map<String, Object> h = new LinkedHashMap<>();
        for (Path p : new Path[]{cfg.rlData(), cfg.sftData(), cfg.sftPools(), cfg.embeddings(), cfg.sft().init(), cfg.rce().init(), cfg.grpo().init()})
            if (p != null && Files.isRegularFile(p)) h.put(p.toString(), fileSha256(p));
        r.put("data_sha256", h);
        Map<String, Object> v = new LinkedHashMap<>();
        String lv = Trainer.class.getPackage().getImplementationVersion();
        v.put("lever", lv == null ? "dev" : lv);
        v.put("libtorch", TorchRuntime.libtorchVersion());
        v.put("java", System.getProperty("java.version"));
        v.put("threads", TorchRuntime.threads());
        r.put("versions", v);
        r.put("best", best);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r);
        AtomicOutput.writeBytes(dir.resolve(RUN), bytes, true);
    }

    private static String str(Path p) { return p == null ? null : p.toString(); }

    private static String fileSha256(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
