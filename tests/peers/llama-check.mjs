// Has llama.cpp itself (node-llama-cpp's prebuilt Linux binary, CPU only, never built or
// downloaded here) load a GGUF and answer a prompt. The model is either a file (as
// `materialize --layout hf` wrote it into a Hugging Face cache) or a Hugging Face URI
// ("hf:org/name/path/file.gguf") that node-llama-cpp resolves and downloads through the endpoint
// in MODEL_ENDPOINT (or HF_ENDPOINT), as llama.cpp's -hf does, with HF_TOKEN as the token.
// Prints one JSON line; exits 0 when the model answered.
//   node llama-check.mjs <file | hf:URI> [download-dir]
import { getLlama, resolveModelFile, LlamaCompletion } from 'node-llama-cpp';

const [model, directory] = process.argv.slice(2);
const result = { ok: false };
try {
  let modelPath = model;
  if (model.startsWith('hf:')) {
    modelPath = await resolveModelFile(model, {
      directory,
      cli: false,
      verify: true, // the download's size against the server's answer
      ...(process.env.HF_TOKEN ? { tokens: { huggingFace: process.env.HF_TOKEN } } : {}),
    });
  }
  result.path = modelPath;
  const llama = await getLlama({ gpu: false, build: 'never', skipDownload: true, progressLogs: false, logLevel: 'error' });
  const loaded = await llama.loadModel({ modelPath });
  result.architecture = loaded.fileInfo.metadata.general.architecture;
  result.vocabulary = loaded.tokens.bos !== null ? 'spm' : 'none';
  // One thread: llama.cpp's workers spin while they wait for each other, and on a busy machine
  // (the test command runs two suites at once on two cores) six tokens of this tiny model took
  // 6 s with the default thread count against 10 ms with one.
  const context = await loaded.createContext({ contextSize: 128, threads: 1 });
  const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
  // Random weights: any tokens will do, as long as llama.cpp evaluates the prompt and samples.
  const text = await completion.generateCompletion('hello world', { maxTokens: 6, temperature: 0 });
  result.answer = text;
  result.answerTokens = loaded.tokenize(text).length;
  result.ok = result.answerTokens > 0;
  await context.dispose();
  await loaded.dispose();
  await llama.dispose();
} catch (e) {
  result.error = `${e.name}: ${e.message}`;
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
