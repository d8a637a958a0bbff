package org.leverplus.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.SftBeamData;
import org.leverplus.data.SftBeamEntry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;

/**
 * SFT training groups from a beam file ({@link SftBeamData}, spec 5.3) with the INTENDED labels: each beam's ICDs as
 * positions in the anchor's candidate pool (not the original's {@code idx % K}, spec 6.3). The pool comes from a
 * pools file {@code {"<anchor>": [global ids]}} (the sampler's candidates); without one it is the sorted set of ICDs
 * the anchor's beams use. Groups are sorted by anchor id (the original's split sorts anchors).
 */
public final class SftGroups {
    private SftGroups() {}

    public static List<TrainGroup> read(Path beams, Path pools) throws IOException {
        if (!Files.isRegularFile(beams)) throw new java.io.FileNotFoundException(beams + ": SFT beam file not found");
        SftBeamData data = SftBeamData.read(beams);
        JsonNode poolRoot = pools == null ? null : new ObjectMapper().readTree(pools.toFile());
        List<TrainGroup> out = new ArrayList<>();
        for (SftBeamEntry e : data.entries()) {
            int n = e.idList().size();
            if (n == 0) throw new IllegalArgumentException(beams + ": anchor " + e.key() + ": field 'id_list' is empty");
            int[] pool;
            if (poolRoot != null) {
                JsonNode p = poolRoot.get(e.key());
                if (p == null || !p.isArray()) throw new IllegalArgumentException(pools + ": no candidate pool for anchor " + e.key());
                pool = new int[p.size()];
                for (int i = 0; i < pool.length; i++) pool[i] = p.get(i).asInt();
            } else {
                TreeSet<Integer> u = new TreeSet<>();
                for (int b = 0; b < n; b++) for (int v : e.icds(b)) u.add(v);
                pool = u.stream().mapToInt(Integer::intValue).toArray();
            }
            int[][] labels = new int[n][];
            for (int b = 0; b < n; b++) {
                int[] icds = e.icds(b);
                labels[b] = new int[icds.length];
                for (int t = 0; t < icds.length; t++) {
                    int pos = indexOf(pool, icds[t]);
                    if (pos < 0) throw new IllegalArgumentException(beams + ": anchor " + e.key() + ": id_list[" + b + "] ICD " + icds[t]
                            + " is not in the anchor's candidate pool " + Arrays.toString(pool));
                    labels[b][t] = pos;
                }
            }
            double[] ones = new double[n];
            Arrays.fill(ones, 1.0);
            out.add(new TrainGroup(e.key(), e.index(), pool, labels, ones, ones, ones));
        }
        out.sort(Comparator.comparingInt(TrainGroup::queryIndex));
        return out;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }
}
