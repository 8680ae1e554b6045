// Searches a Hub server (tests/peers/hub-server.js) with the real @huggingface/hub client's
// listModels, most downloaded first with the file paths, and prints what it found as one JSON
// line: [{name, downloads, likes, gated, filePaths}], so a test compares it with ModelFloat's
// own search of the same server.
//   node hub-search-check.mjs <hubUrl> <query> [limit]
import { listModels } from '@huggingface/hub';

const [hubUrl, query, limit] = process.argv.slice(2);
const found = [];
try {
  for await (const m of listModels({
    hubUrl, search: { query }, sort: 'downloads', additionalFields: ['filePaths'],
    limit: limit ? Number(limit) : undefined,
  })) {
    found.push({ name: m.name, downloads: m.downloads, likes: m.likes, gated: m.gated, filePaths: m.filePaths });
  }
  console.log(JSON.stringify(found));
} catch (e) {
  console.log(JSON.stringify({ error: String(e) }));
  process.exit(1);
}
