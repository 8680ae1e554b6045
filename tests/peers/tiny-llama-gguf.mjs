// Writes a tiny but complete llama-architecture GGUF (v3, little-endian, F32 tensors) that
// llama.cpp loads and runs: a SentencePiece-style vocabulary of the three special tokens, the
// 256 byte tokens (llama.cpp falls back to them for any text) and a few words, two layers of
// random weights (seeded, so the same file every time). Written from the GGUF layout in
// /work/shared/protocols/huggingface.md section 7.2 and the tensor names and metadata keys
// llama.cpp reads for the "llama" architecture (src/llama-arch.cpp, src/llama-model.cpp).
//   node tiny-llama-gguf.mjs OUT.gguf [seed]
import { writeFileSync } from 'node:fs';

const [out, seedText] = process.argv.slice(2);
let seed = Number(seedText ?? 1) >>> 0 || 1;
const random = () => {
  // xorshift32: deterministic, good enough for weights nobody reads.
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 4294967296 - 0.5;
};

const nEmbd = 64, nHead = 4, nLayer = 2, nFf = 128, nCtx = 256;
const words = ['▁the', '▁model', '▁floats', '▁hello', '▁world', '▁a', '▁is', '.'];
const tokens = ['<unk>', '<s>', '</s>'];
const types = [2, 3, 3]; // unknown, control, control
for (let b = 0; b < 256; ++b) {
  tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  types.push(6); // byte
}
for (const w of words) { tokens.push(w); types.push(1); } // normal
const nVocab = tokens.length;

const parts = [];
const u32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32LE(v); parts.push(b); };
const i32 = (v) => { const b = Buffer.alloc(4); b.writeInt32LE(v); parts.push(b); };
const u64 = (v) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); parts.push(b); };
const f32 = (v) => { const b = Buffer.alloc(4); b.writeFloatLE(v); parts.push(b); };
const str = (s) => { const b = Buffer.from(s, 'utf8'); u64(b.length); parts.push(b); };
const T = { U32: 4, I32: 5, F32: 6, STRING: 8, ARRAY: 9 };

const kvs = [
  ['general.architecture', T.STRING, 'llama'],
  ['general.name', T.STRING, 'tiny-llama-test'],
  ['general.alignment', T.U32, 32],
  ['general.file_type', T.U32, 0], // all F32
  ['llama.context_length', T.U32, nCtx],
  ['llama.embedding_length', T.U32, nEmbd],
  ['llama.block_count', T.U32, nLayer],
  ['llama.feed_forward_length', T.U32, nFf],
  ['llama.attention.head_count', T.U32, nHead],
  ['llama.attention.head_count_kv', T.U32, nHead],
  ['llama.rope.dimension_count', T.U32, nEmbd / nHead],
  ['llama.attention.layer_norm_rms_epsilon', T.F32, 1e-5],
  ['llama.vocab_size', T.U32, nVocab],
  ['tokenizer.ggml.model', T.STRING, 'llama'],
  ['tokenizer.ggml.tokens', T.ARRAY, [T.STRING, tokens]],
  ['tokenizer.ggml.scores', T.ARRAY, [T.F32, tokens.map((_, i) => -i)]],
  ['tokenizer.ggml.token_type', T.ARRAY, [T.I32, types]],
  ['tokenizer.ggml.bos_token_id', T.U32, 1],
  ['tokenizer.ggml.eos_token_id', T.U32, 2],
  ['tokenizer.ggml.unknown_token_id', T.U32, 0],
];

// ggml's dimension order: the first is the one that varies fastest (a row's length).
const tensors = [['token_embd.weight', [nEmbd, nVocab]], ['output_norm.weight', [nEmbd]],
  ['output.weight', [nEmbd, nVocab]]];
for (let l = 0; l < nLayer; ++l) {
  const p = `blk.${l}.`;
  tensors.push([p + 'attn_norm.weight', [nEmbd]], [p + 'attn_q.weight', [nEmbd, nEmbd]],
    [p + 'attn_k.weight', [nEmbd, nEmbd]], [p + 'attn_v.weight', [nEmbd, nEmbd]],
    [p + 'attn_output.weight', [nEmbd, nEmbd]], [p + 'ffn_norm.weight', [nEmbd]],
    [p + 'ffn_gate.weight', [nEmbd, nFf]], [p + 'ffn_down.weight', [nFf, nEmbd]],
    [p + 'ffn_up.weight', [nEmbd, nFf]]);
}

const align = (n) => Math.ceil(n / 32) * 32;
parts.push(Buffer.from('GGUF', 'latin1'));
u32(3);
u64(tensors.length);
u64(kvs.length);
const value = (type, v) => {
  if (type === T.U32) u32(v);
  else if (type === T.I32) i32(v);
  else if (type === T.F32) f32(v);
  else if (type === T.STRING) str(v);
  else { u32(v[0]); u64(v[1].length); for (const item of v[1]) value(v[0], item); }
};
for (const [key, type, v] of kvs) { str(key); u32(type); value(type, v); }
let offset = 0;
for (const [name, dims] of tensors) {
  str(name);
  u32(dims.length);
  for (const d of dims) u64(d);
  u32(0); // GGML_TYPE_F32
  u64(offset);
  offset = align(offset + dims.reduce((a, b) => a * b, 1) * 4);
}
let head = Buffer.concat(parts);
head = Buffer.concat([head, Buffer.alloc(align(head.length) - head.length)]);
const data = Buffer.alloc(offset);
let at = 0;
for (const [name, dims] of tensors) {
  const n = dims.reduce((a, b) => a * b, 1);
  // Norm weights at 1 keep activations in range; the rest small random numbers.
  for (let i = 0; i < n; ++i) data.writeFloatLE(name.includes('norm') ? 1 : random() * 0.2, at + 4 * i);
  at = align(at + 4 * n);
}
writeFileSync(out, Buffer.concat([head, data]));
console.log(JSON.stringify({ file: out, bytes: head.length + data.length, vocab: nVocab }));
