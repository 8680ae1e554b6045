// Transfers followed live: one EventSource on GET /api/v1/events (every transfer as it is, then
// each change) for the whole page; a list shows those a filter picks, with progress, rate, time
// left and Pause / Resume / Cancel (POST /api/v1/transfers/{id}/{action}).
import { api } from './api.js';
import { el, formatBytes } from './dom.js';

const transfers = new Map();
const listeners = new Set();
let source = null;

function follow() {
  if (source) return;
  source = new EventSource('/api/v1/events');
  source.addEventListener('transfer', (e) => {
    const t = JSON.parse(e.data);
    transfers.set(t.id, t);
    listeners.forEach((l) => l());
  });
  source.addEventListener('removed', (e) => {
    transfers.delete(JSON.parse(e.data).id);
    listeners.forEach((l) => l());
  });
}

const finished = new Set(['done', 'degraded', 'failed', 'cancelled']);

function item(t) {
  const total = Math.max(1, t.totalBytes || 0);
  const percent = Math.floor((100 * (t.doneBytes || 0)) / total);
  const left = t.etaSeconds >= 0 ? `, ${Math.ceil(t.etaSeconds)} s left` : '';
  const rate = t.bytesPerSecond > 0 ? `, ${formatBytes(t.bytesPerSecond)}/s` : '';
  const act = (action) => el('button', { type: 'button', 'aria-label': `${action[0].toUpperCase()}${action.slice(1)} ${t.title}`,
    onclick: () => api(`/transfers/${t.id}/${action}`, { method: 'POST', body: {} }).catch(() => {}) },
  action[0].toUpperCase() + action.slice(1));
  return el('li', { class: 'upload', 'data-transfer': t.id, 'data-state': t.state },
    el('span', { class: 'upload-name' }, `${t.title}`),
    el('progress', { max: total, value: t.doneBytes || 0, 'aria-label': `Progress of ${t.title}` }),
    el('span', { class: t.error ? 'reason error' : 'reason' },
      `${t.state} ${percent} %${finished.has(t.state) ? '' : rate + left}${t.error ? ' — ' + t.error : ''}`),
    t.state === 'running' || t.state === 'queued' ? act('pause') : null,
    t.state === 'paused' ? act('resume') : null,
    finished.has(t.state) ? null : act('cancel'));
}

// A live list of the transfers `pick` takes; it stops following when it leaves the document.
export function transferList(pick, label) {
  follow();
  const list = el('ul', { class: 'uploads', 'aria-label': label, 'aria-live': 'polite' });
  const render = () => {
    if (!list.isConnected && list.dataset.shown) { listeners.delete(render); return; }
    list.dataset.shown = '1';
    list.replaceChildren(...[...transfers.values()].filter(pick).map(item));
  };
  listeners.add(render);
  render();
  list.refresh = render; // when what `pick` takes changed
  return list;
}
