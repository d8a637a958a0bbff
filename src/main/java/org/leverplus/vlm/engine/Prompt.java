package org.leverplus.vlm.engine;

import java.util.List;

/** Token ids of one prompt (image-pad runs already expanded) and its images in order of appearance. */
public record Prompt(int[] ids, List<ImageInput> images) {
    public Prompt {
        ids = ids.clone();
        images = List.copyOf(images);
    }

    @Override public int[] ids() { return ids.clone(); }

    public int length() { return ids.length; }

    /** This prompt with {@code more} tokens appended (no new images). */
    public Prompt append(int... more) {
        int[] n = java.util.Arrays.copyOf(ids, ids.length + more.length);
        System.arraycopy(more, 0, n, ids.length, more.length);
        return new Prompt(n, images);
    }
}
