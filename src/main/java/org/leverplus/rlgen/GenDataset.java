package org.leverplus.rlgen;

import org.leverplus.data.DatasetItem;
import org.leverplus.data.Items;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dataset RL generation reads: the official questions + annotations files with a COCO image folder, or an items file of JSON Lines
 * {@code {"id", "image", "question", "answer"?, "answers"?}} (images relative to the file). The global id is the row
 * in id order: sorted by question_id for official files, by id for an items file (spec 2), as every stage reads it.
 */
public final class GenDataset {
    private final List<GenItem> items;
    private final String split;

    private GenDataset(List<GenItem> items, String split) {
        this.items = List.copyOf(items);
        this.split = split;
    }

    public static GenDataset official(Path questions, Path annotations, String split, Path imageDir) throws IOException {
        VqaDataset d = VqaDataset.load(questions, annotations, split);
        List<GenItem> out = new ArrayList<>(d.size());
        for (VqaRecord r : d.records())
            out.add(new GenItem(r.idx(), r.questionId(), r.imageId(), r.question(), r.imagePath(imageDir), r.answer(),
                    r.answers(), Long.toString(r.questionId())));
        return new GenDataset(out, split);
    }

    /**
     * An items file, read by the reader every stage shares ({@link Items#fromJsonl}): global ids are ranks in id order,
     * as for {@code lever embed} and {@code lever sample}, so embeddings rows, pools and RL keys name the same items.
     */
    public static GenDataset items(Path file, String split) throws IOException {
        List<GenItem> out = new ArrayList<>();
        for (DatasetItem d : Items.fromJsonl(file))
            out.add(new GenItem(d.id(), d.sourceId(), null, d.question(), d.image(), d.answer(),
                    d.answers().isEmpty() ? null : d.answers(), Long.toString(d.sourceId())));
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no items");
        return new GenDataset(out, split);
    }

    public int size() { return items.size(); }

    /** The item with global id {@code idx}; a clear error for an unknown id. */
    public GenItem get(int idx) {
        if (idx < 0 || idx >= items.size())
            throw new IllegalArgumentException("unknown id " + idx + ": the dataset has ids 0.." + (items.size() - 1));
        return items.get(idx);
    }

    public String split() { return split; }

    public List<GenItem> items() { return items; }
}
