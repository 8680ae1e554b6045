// The model list: every model is fetched in pages of a thousand (the first page shows as soon as
// it comes), then searched, filtered and sorted here as the person types; only one page of rows
// is in the document at a time, so ten thousand models do not stall the page.
import { api } from './api.js';
import { el, formatBytes, formatDate, formatCount } from './dom.js';
import { transferList } from './transfers.js';
import { uploadPanel } from './upload.js';

const PageRows = 50;
// The first request is small, so that the first rows show at once; the rest come in large ones.
// index.html preloads it: the two must ask for the same address.
const FirstBatch = 100;
const FetchBatch = 1000;
const columns = [
  { key: 'name', label: 'Name' },
  { key: 'format', label: 'Format' },
  { key: 'quantization', label: 'Quantization' },
  { key: 'parameters', label: 'Parameters', num: true, show: formatCount },
  { key: 'bytes', label: 'Size', num: true, show: formatBytes },
  { key: 'health', label: 'Health' },
  { key: 'min_replicas', label: 'Copies', num: true },
  { key: 'files', label: 'Files', num: true },
  { key: 'source', label: 'Source' },
  { key: 'created', label: 'Floated', show: formatDate },
];

// Why a model is not healthy, in words.
export function healthReason(m) {
  if (m.health === 'incomplete') return 'its float has not finished';
  if (m.lost) return `${m.lost} chunk${m.lost === 1 ? ' has' : 's have'} no good copy`;
  if (m.under_replicated)
    return `${m.under_replicated} chunk${m.under_replicated === 1 ? ' has' : 's have'} fewer copies than wanted`;
  return '';
}

// What the search box looks in.
const searched = ['name', 'source', 'format', 'quantization', 'architecture'];

const state = { models: [], total: 0, query: '', health: '', sort: 'name', descending: false, page: 0 };
let loading = null;
let refresh = () => {}; // the list on screen, redrawn as batches come

async function loadAll() {
  state.models = [];
  for (let offset = 0; ;) {
    const limit = offset === 0 ? FirstBatch : FetchBatch;
    const batch = await api(`/models?limit=${limit}&offset=${offset}`);
    state.models.push(...batch.models);
    state.total = batch.total;
    refresh();
    offset += batch.models.length;
    if (batch.models.length < limit || offset >= batch.total) break;
  }
}

// One collator for every comparison: String.localeCompare with options builds one per call,
// which makes sorting ten thousand models take a good part of a second.
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function visible() {
  const q = state.query.trim().toLowerCase();
  const rows = state.models.filter((m) =>
    (!q || searched.some((key) => String(m[key] ?? '').toLowerCase().includes(q))) &&
    (!state.health || m.health === state.health));
  const key = state.sort;
  const sign = state.descending ? -1 : 1;
  rows.sort((a, b) => {
    const x = a[key], y = b[key];
    const order = typeof x === 'number' && typeof y === 'number' ? x - y
      : collator.compare(String(x ?? ''), String(y ?? ''));
    return sign * order || collator.compare(a.name, b.name);
  });
  return rows;
}

function row(m) {
  return el('tr', {}, columns.map((c) => {
    const value = c.show ? c.show(m[c.key]) : m[c.key];
    if (c.key === 'name')
      return el('td', { 'data-label': c.label },
        el('a', { href: '#/model/' + encodeURIComponent(m.name) }, m.name));
    if (c.key === 'health') {
      const reason = healthReason(m);
      return el('td', { 'data-label': c.label, class: 'health-' + m.health },
        m.health, reason ? el('span', { class: 'reason' }, ' — ' + reason) : null);
    }
    return el('td', { 'data-label': c.label, class: c.num ? 'num' : null },
      value === '' || value === undefined ? null : value);
  }));
}

// Starts fetching the models before the list is shown (while the page checks its session),
// so that the first rows do not wait for one request after another.
export function prefetchModels() {
  if (loading) return;
  loading = loadAll();
  loading.catch(() => {}); // showModels() says what went wrong, if it is shown

}

// The list is fetched again when next shown (a model was added or removed).
export function reloadModels() {
  loading = null;
}

export function showModels(main) {
  const search = el('input', { type: 'search', id: 'search', autocomplete: 'off',
    placeholder: 'Name, source, format or quantization', value: state.query });
  const health = el('select', { id: 'health-filter' },
    ['', 'healthy', 'degraded', 'damaged', 'incomplete'].map((h) =>
      el('option', { value: h, selected: h === state.health }, h || 'Any')));
  const sortBy = el('select', { id: 'sort-by' },
    columns.map((c) => el('option', { value: c.key, selected: c.key === state.sort }, c.label)));
  const count = el('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'count' });
  const body = el('tbody');
  const headRow = el('tr');
  const pager = el('nav', { class: 'pager', 'aria-label': 'Pages' });
  const table = el('table', { 'aria-describedby': 'count' },
    el('caption', { class: 'skip' }, 'Floating models'), el('thead', {}, headRow), body);

  function render() {
    const rows = visible();
    const pages = Math.max(1, Math.ceil(rows.length / PageRows));
    state.page = Math.min(state.page, pages - 1);
    const loaded = state.models.length < state.total ? ` (loaded ${state.models.length} of ${state.total})` : '';
    count.textContent = `${rows.length} of ${state.total} models${loaded}`;
    headRow.replaceChildren(...columns.map((c) => {
      const sorted = state.sort === c.key;
      return el('th', { scope: 'col', class: c.num ? 'num' : null,
        'aria-sort': sorted ? (state.descending ? 'descending' : 'ascending') : 'none' },
      el('button', { type: 'button', onclick: () => {
        state.descending = sorted ? !state.descending : false;
        state.sort = c.key;
        sortBy.value = c.key;
        render();
      } }, c.label + (sorted ? (state.descending ? ' ▼' : ' ▲') : '')));
    }));
    body.replaceChildren(...rows.slice(state.page * PageRows, (state.page + 1) * PageRows).map(row));
    // For bench/web_first_load.sh: when the first rows were on the page, by the page's clock.
    if (rows.length && !performance.getEntriesByName('mf-first-rows').length)
      performance.mark('mf-first-rows');
    const go = (page) => () => { state.page = page; render(); };
    pager.replaceChildren(
      el('button', { type: 'button', disabled: state.page === 0, onclick: go(state.page - 1) }, 'Previous'),
      el('span', {}, `Page ${state.page + 1} of ${pages}`),
      el('button', { type: 'button', disabled: state.page >= pages - 1, onclick: go(state.page + 1) }, 'Next'));
  }

  search.addEventListener('input', () => { state.query = search.value; state.page = 0; render(); });
  health.addEventListener('change', () => { state.health = health.value; state.page = 0; render(); });
  sortBy.addEventListener('change', () => { state.sort = sortBy.value; state.descending = false; render(); });

  main.replaceChildren(
    el('h1', {}, 'Models'),
    el('div', { class: 'filters', role: 'search' },
      el('label', { for: 'search' }, 'Search', search),
      el('label', { for: 'health-filter' }, 'Health', health),
      el('label', { for: 'sort-by' }, 'Sort by', sortBy)),
    count, el('div', { class: 'table-wrap' }, table), pager,
    uploadPanel(() => {
      loading = loadAll();
      loading.catch(() => {}); // the next showModels() says why
    }),
    el('h2', {}, 'Transfers'), transferList(() => true, 'Every transfer'));
  render();
  // Batches show as they come, also those of a prefetch under way.
  refresh = render;
  if (!loading) loading = loadAll();
  loading.then(render, (e) => {
    loading = null; // asked again when next shown
    count.textContent = e.message;
    count.classList.add('error');
  });
}
