// One model: the facts its files' headers give, its files with their hashes, and a download
// link per file (the browser's own download; the file endpoint takes Range, so it resumes).
import { api, fileUrl, modelPath } from './api.js';
import { el, formatBytes, formatDate, showStatus } from './dom.js';
import { healthReason } from './models.js';

const factNames = {
  architecture: 'Architecture', format: 'Format', quantization: 'Quantization',
  parameters: 'Parameters', parameter_count: 'Parameters', context_length: 'Context length',
  dtype: 'Data type', tensors: 'Tensors',
};

function facts(files) {
  const out = [];
  for (const f of files) {
    for (const [key, value] of Object.entries(f.metadata || {})) {
      if (value === null || typeof value === 'object') continue;
      const label = factNames[key] || key;
      if (!out.some(([l, v]) => l === label && v === String(value))) out.push([label, String(value)]);
    }
  }
  return out.slice(0, 24);
}

function copyButton(text, what) {
  const button = el('button', { type: 'button', 'aria-label': 'Copy the ' + what }, 'Copy');
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Copy failed';
    }
  });
  return button;
}

export async function showModel(main, name) {
  showStatus(main, 'Loading ' + name + '…');
  let info;
  try {
    info = await api(modelPath(name));
  } catch (e) {
    showStatus(main, e.message, true);
    return;
  }
  const providers = (info.providers || []).map((p) => `${p.name} (${p.chunks} chunks)`).join(', ');
  const summary = [
    ['Source', info.source || '—'],
    ['Health', info.health + (healthReason(info) ? ' — ' + healthReason(info) : '')],
    ['Size', formatBytes(info.bytes)],
    ['Copies', String(info.min_replicas)],
    ['Providers', providers || '—'],
    ['Last checked', formatDate(info.checked_at)],
    ['Model CID', info.cid || '—'],
    ...facts(info.files || []),
  ];
  const rows = (info.files || []).map((f) => el('tr', {},
    el('td', { 'data-label': 'File' }, f.path),
    el('td', { 'data-label': 'Size', class: 'num' }, formatBytes(f.size)),
    el('td', { 'data-label': 'SHA-256', class: 'hash' }, f.sha256),
    el('td', { 'data-label': 'CID', class: 'hash' }, f.cid || '—', ' ',
      f.cid ? copyButton(f.cid, 'CID of ' + f.path) : null),
    el('td', { 'data-label': 'Download' }, f.complete
      ? el('a', { class: 'download', href: fileUrl(info.name, f.path),
        download: f.path.split('/').pop(), 'aria-label': 'Download ' + f.path }, 'Download')
      : 'not complete')));
  main.replaceChildren(
    el('p', {}, el('a', { href: '#/' }, '← All models')),
    el('h1', {}, info.name),
    el('dl', { class: 'facts' }, summary.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)])),
    el('h2', {}, 'Files'),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['File', 'Size', 'SHA-256', 'CID', 'Download'].map((h) =>
        el('th', { scope: 'col', class: h === 'Size' ? 'num' : null }, h)))),
      el('tbody', {}, rows))));
}
