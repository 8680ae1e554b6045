// One model: the facts its files' headers give, its files with their hashes, and a download
// link per file (the browser's own download; the file endpoint takes Range, so it resumes).
import { api, fileUrl, modelPath } from './api.js';
import { el, formatBytes, formatDate, showStatus } from './dom.js';
import { chunkHealth, lastVerified } from './chunkhealth.js';
import { healthReason, reloadModels } from './models.js';
import { transferList } from './transfers.js';

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

// Verify, restore into a folder of the server's computer, remove (it asks, naming what is freed).
function actions(info, main) {
  const started = new Set();
  const follow = (promise) => promise.then((r) => {
    started.add(r.transfer);
    list.refresh();
  }).catch((e) => {
    note.textContent = e.message;
  });
  const list = transferList((t) => started.has(t.id), 'Transfers of this model');
  const note = el('p', { class: 'reason', role: 'status' });
  const folder = el('input', { type: 'text', id: 'restore-to', autocomplete: 'off',
    placeholder: '/home/me/models' });
  const verify = el('button', { type: 'button' }, 'Verify every copy');
  verify.addEventListener('click', () => follow(api(modelPath(info.name) + '/verify', { method: 'POST', body: {} })));
  const restore = el('button', { type: 'button' }, 'Restore');
  restore.addEventListener('click', () => follow(api(modelPath(info.name) + '/restore',
    { method: 'POST', body: { destination: folder.value } })));
  const remove = el('button', { type: 'button', class: 'danger' }, 'Remove…');
  remove.addEventListener('click', async () => {
    const frees = Math.max(0, (info.unique_bytes || 0) - (info.shared_bytes || 0));
    const shared = info.shared_bytes ? `; ${formatBytes(info.shared_bytes)} other models also use stays` : '';
    if (!confirm(`Remove “${info.name}” from the vault? This frees up to ${formatBytes(frees)} ` +
      `on every provider that holds it${shared}. It cannot be undone.`)) return;
    try {
      const r = await api(modelPath(info.name), { method: 'DELETE' });
      reloadModels();
      showStatus(main, `Removed “${r.removed}”: ${formatBytes(r.bytesFreed)} freed` +
        (r.bytesWaiting ? `, ${formatBytes(r.bytesWaiting)} more after the grace period` : '') + '.');
    } catch (e) {
      note.textContent = e.message;
    }
  });
  return el('section', { 'aria-label': 'Actions' },
    el('h2', {}, 'Actions'),
    el('div', { class: 'filters' }, verify,
      el('label', { for: 'restore-to' }, 'Restore into a folder of the server\'s computer', folder), restore, remove),
    note, list);
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
    ['Last verified', lastVerified(info)],
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
    el('h2', {}, 'Chunk health'), chunkHealth(info),
    el('h2', {}, 'Files'),
    el('div', { class: 'table-wrap' }, el('table', {},
      el('thead', {}, el('tr', {}, ['File', 'Size', 'SHA-256', 'CID', 'Download'].map((h) =>
        el('th', { scope: 'col', class: h === 'Size' ? 'num' : null }, h)))),
      el('tbody', {}, rows))),
    actions(info, main));
}
