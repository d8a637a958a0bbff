package org.leverplus.vlm.text;

/**
 * The ids of the Qwen2.5-VL chat-template and vision tokens, looked up in the loaded {@code tokenizer.json} (not
 * hard-coded), so a tokenizer that lacks one fails at load time with the token named.
 *
 * @param endOfText   {@code <|endoftext|>} (151643, also the pad token)
 * @param imStart     {@code <|im_start|>} (151644)
 * @param imEnd       {@code <|im_end|>} (151645, eos of the instruct model)
 * @param visionStart {@code <|vision_start|>} (151652)
 * @param visionEnd   {@code <|vision_end|>} (151653)
 * @param imagePad    {@code <|image_pad|>} (151655)
 * @param videoPad    {@code <|video_pad|>} (151656)
 */
public record SpecialTokens(int endOfText, int imStart, int imEnd, int visionStart, int visionEnd, int imagePad, int videoPad) {
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String VISION_START = "<|vision_start|>";
    public static final String VISION_END = "<|vision_end|>";
    public static final String IMAGE_PAD = "<|image_pad|>";
    public static final String VIDEO_PAD = "<|video_pad|>";

    static SpecialTokens resolve(QwenTokenizer t) {
        return new SpecialTokens(t.singleTokenId(END_OF_TEXT), t.singleTokenId(IM_START), t.singleTokenId(IM_END),
                t.singleTokenId(VISION_START), t.singleTokenId(VISION_END), t.singleTokenId(IMAGE_PAD), t.singleTokenId(VIDEO_PAD));
    }
}
