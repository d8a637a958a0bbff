package org.leverplus.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * SFT beam data (spec 5.3: {@code {"<anchor>": {"id_list": [[c_a, c_b, q], ...], "score_list": [...]}}}) as training
 * groups with the INTENDED labels: each beam's ICDs as positions in the anchor's candidate pool (not the original's
 * {@code idx % K}, spec 6.3). The pool comes from a pools file {@code {"<anchor>": [global ids]}} (the sampler's 64
 * candidates); without one it is the sorted set of ICDs the anchor's beams use.
 */
public final class SftBeamData {
    private SftBeamData() {}

    public static List<TrainGroup> read(Path beams, Path pools) throws IOException {
        ObjectMapper om = new ObjectMapper();
        if (!Files.isRegularFile(beams)) throw new java.io.FileNotFoundException(beams + ": SFT beam file not found");
        JsonNode root = om.readTree(beams.toFile());
        JsonNode poolRoot = pools == null ? null : om.readTree(pools.toFile());
        Map<Integer, TrainGroup> byKey = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int anchor;
            try { anchor = Integer.parseInt(e.getKey()); } catch (NumberFormatException ex) { continue; }
            JsonNode ids = e.getValue().get("id_list");
            if (ids == null || !ids.isArray() || ids.isEmpty())
                throw new IllegalArgumentException(beams + ": anchor " + e.getKey() + ": field 'id_list' must be a non-empty list");
            List<int[]> seqs = new ArrayList<>();
            for (JsonNode seq : ids) {
                if (!seq.isArray() || seq.size() < 2) throw new IllegalArgumentException(beams + ": anchor " + e.getKey() + ": id_list entries must be [icd..., query]");
                int[] icds = new int[seq.size() - 1];
                for (int i = 0; i < icds.length; i++) icds[i] = seq.get(i).asInt();
                seqs.add(icds);
            }
            int[] pool;
            if (poolRoot != null) {
                JsonNode p = poolRoot.get(e.getKey());
                if (p == null || !p.isArray()) throw new IllegalArgumentException(pools + ": no candidate pool for anchor " + e.getKey());
                pool = new int[p.size()];
                for (int i = 0; i < pool.length; i++) pool[i] = p.get(i).asInt();
            } else {
                TreeSet<Integer> u = new TreeSet<>();
                for (int[] s : seqs) for (int v : s) u.add(v);
                pool = u.stream().mapToInt(Integer::intValue).toArray();
            }
            int[][] labels = new int[seqs.size()][];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = new int[seqs.get(i).length];
                for (int t = 0; t < labels[i].length; t++) {
                    int id = seqs.get(i)[t], pos = indexOf(pool, id);
                    if (pos < 0) throw new IllegalArgumentException(beams + ": anchor " + e.getKey() + ": ICD " + id + " is not in the anchor's candidate pool " + Arrays.toString(pool));
                    labels[i][t] = pos;
                }
            }
            double[] ones = new double[labels.length];
            Arrays.fill(ones, 1.0);
            byKey.put(anchor, new TrainGroup(e.getKey(), anchor, pool, labels, ones, ones, ones));
        }
        return new ArrayList<>(byKey.values());
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
