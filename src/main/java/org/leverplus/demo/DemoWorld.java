package org.leverplus.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.VqaDataset;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The embedded demo world, materialised into a directory from the classpath (nothing is downloaded):
 * <pre>
 * DIR/dataset/v2_OpenEnded_mscoco_{train,val}2014_questions.json   official VQAv2 question files
 * DIR/dataset/v2_mscoco_{train,val}2014_annotations.json           official VQAv2 annotation files
 * DIR/dataset/images/COCO_{train,val}2014_{image_id:012d}.jpg      56x56 rendered scenes
 * DIR/vlm/                                                         Qwen2.5-VL-architecture snapshot (tiny, trained)
 * DIR/clip/                                                        CLIP snapshot (tiny, trained on the demo's scenes)
 * </pre>
 * The dataset loads with {@code VqaDataset.load(VqaDataset.Kind.VQAV2, world.dataset(), split)} and each record's
 * image is {@code world.images().resolve(record.imageFileName())}. The resources are made by
 * {@code tools/demo/demo_world.py}, {@code tools/demo/train_vlm.py} and {@code tools/demo/train_clip.py};
 * {@code docs/demo.md} describes them.
 */
public final class DemoWorld {
    /** Classpath folder holding the world. */
    public static final String RESOURCE_ROOT = "/org/leverplus/demo/";
    /** The dataset kind whose official file names the demo uses. */
    public static final VqaDataset.Kind KIND = VqaDataset.Kind.VQAV2;
    /** The splits shipped. */
    public static final List<String> SPLITS = List.of("train", "val");
    /** Files of the VLM snapshot. */
    public static final List<String> VLM_FILES = List.of("config.json", "model.safetensors", "generation_config.json",
            "preprocessor_config.json", "tokenizer.json");
    /** Files of the CLIP snapshot (the {@code lever clip make-tiny --geometry b32} layout, trained weights). */
    public static final List<String> CLIP_FILES = List.of("config.json", "model.safetensors", "preprocessor_config.json",
            "tokenizer.json");

    /**
     * Where the world was written.
     *
     * @param root    the directory given
     * @param dataset folder with the official question/annotation files
     * @param images  folder with the COCO-named images
     * @param vlm     the VLM snapshot folder
     * @param clip    the CLIP snapshot folder
     */
    public record Paths(Path root, Path dataset, Path images, Path vlm, Path clip) {
        /** The question file of a split. */
        public Path questions(String split) { return dataset.resolve(KIND.questionsFile(split)); }

        /** The annotation file of a split. */
        public Path annotations(String split) { return dataset.resolve(KIND.annotationsFile(split)); }

        /** Loads a split through the project's loader. */
        public VqaDataset load(String split) throws IOException { return VqaDataset.load(KIND, dataset, split); }
    }

    private DemoWorld() {}

    /**
     * Writes the world into {@code dir} (created if needed). Existing files of the world are replaced; other files in
     * {@code dir} are left alone. Each file is written to a temporary name and moved into place.
     */
    public static Paths materialise(Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        Paths p = new Paths(root, root.resolve("dataset"), root.resolve("dataset").resolve("images"), root.resolve("vlm"),
                root.resolve("clip"));
        Files.createDirectories(p.images());
        Files.createDirectories(p.vlm());
        Files.createDirectories(p.clip());
        ObjectMapper json = new ObjectMapper();
        for (String split : SPLITS) {
            copy("dataset/" + KIND.questionsFile(split), p.questions(split));
            copy("dataset/" + KIND.annotationsFile(split), p.annotations(split));
            TreeSet<Long> imageIds = new TreeSet<>();
            for (JsonNode q : json.readTree(p.questions(split).toFile()).get("questions")) imageIds.add(q.get("image_id").longValue());
            for (long id : imageIds) {
                String name = imageFile(split, id);
                copy("dataset/images/" + name, p.images().resolve(name));
            }
        }
        for (String f : VLM_FILES) copy("vlm/" + f, p.vlm().resolve(f));
        for (String f : CLIP_FILES) copy("clip/" + f, p.clip().resolve(f));
        return p;
    }

    /** {@code COCO_{split}2014_{image_id:012d}.jpg}, as {@link org.leverplus.data.VqaRecord#imageFileName()} names it. */
    public static String imageFile(String split, long imageId) {
        return String.format(Locale.ROOT, "COCO_%s2014_%012d.jpg", split, imageId);
    }

    private static void copy(String resource, Path to) throws IOException {
        try (InputStream in = DemoWorld.class.getResourceAsStream(RESOURCE_ROOT + resource)) {
            if (in == null) throw new NoSuchFileException(RESOURCE_ROOT + resource, null, "demo world resource missing from the classpath");
            Path tmp = Files.createTempFile(to.getParent(), "." + to.getFileName(), ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
