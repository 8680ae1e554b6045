// The model list: every model is fetched in pages of a thousand (the first page shows as soon as
// it comes), then searched, filtered and sorted here as the person types; only one page of rows
// is in the document at a time, so ten thousand models do not stall the page.
import { api } from './api.js';
import { el, formatBytes, formatDate, formatCount, replaceChanged } from './dom.js';
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

// The list's controls and table. For a signed-in browser the server renders them, with the first
// page of rows, into the page it serves at "/" (core/api/weblisthtml.cpp, the same columns,
// order and text as here): those are taken over as they are, once, so that the rows on the first
// paint stay (no flash, no second copy) and a person who reached them first keeps focus there.
function listParts(main) {
  if (main.dataset.rendered === 'models') {
    delete main.dataset.rendered;
    const find = (selector) => main.querySelector(selector);
    return { adopted: true, search: find('#search'), health: find('#health-filter'),
      sortBy: find('#sort-by'), count: find('#count'), body: find('tbody'),
      headRow: find('thead tr'), pager: find('nav.pager') };
  }
  const parts = {
    adopted: false,
    search: el('input', { type: 'search', id: 'search', autocomplete: 'off',
      placeholder: 'Name, source, format or quantization', value: state.query }),
    health: el('select', { id: 'health-filter' },
      ['', 'healthy', 'degraded', 'damaged', 'incomplete'].map((h) =>
        el('option', { value: h, selected: h === state.health }, h || 'Any'))),
    sortBy: el('select', { id: 'sort-by' },
      columns.map((c) => el('option', { value: c.key, selected: c.key === state.sort }, c.label))),
    count: el('p', { class: 'status', role: 'status', 'aria-live': 'polite', id: 'count' }),
    body: el('tbody'),
    headRow: el('tr'),
    pager: el('nav', { class: 'pager', 'aria-label': 'Pages' }),
  };
  main.replaceChildren(
    el('h1', {}, 'Models'),
    el('div', { class: 'filters', role: 'search' },
      el('label', { for: 'search' }, 'Search', parts.search),
      el('label', { for: 'health-filter' }, 'Health', parts.health),
      el('label', { for: 'sort-by' }, 'Sort by', parts.sortBy)),
    parts.count,
    el('div', { class: 'table-wrap' },
      el('table', { 'aria-describedby': 'count' },
        el('caption', { class: 'skip' }, 'Floating models'), el('thead', {}, parts.headRow), parts.body)),
    parts.pager);
  return parts;
}

export function showModels(main) {
  const { adopted, search, health, sortBy, count, body, headRow, pager } = listParts(main);
  // What a person typed or chose before the page's modules ran counts.
  state.query = search.value;
  state.health = health.value;
  if (sortBy.value !== state.sort) { state.sort = sortBy.value; state.descending = false; }

  function render() {
    const rows = visible();
    const pages = Math.max(1, Math.ceil(rows.length / PageRows));
    state.page = Math.min(state.page, pages - 1);
    const loaded = state.models.length < state.total ? ` (loaded ${state.models.length} of ${state.total})` : '';
    const counted = `${rows.length} of ${state.total} models${loaded}`;
    if (count.textContent !== counted) count.textContent = counted;
    replaceChanged(headRow, columns.map((c) => {
      const sorted = state.sort === c.key;
      return el('th', { scope: 'col', class: c.num ? 'num' : null,
        'aria-sort': sorted ? (state.descending ? 'descending' : 'ascending') : 'none' },
      el('button', { type: 'button', 'data-sort': c.key },
        c.label + (sorted ? (state.descending ? ' ▼' : ' ▲') : '')));
    }));
    replaceChanged(body, rows.slice(state.page * PageRows, (state.page + 1) * PageRows).map(row));
    // For bench/web_first_load.sh: when the page's own code first had rows in the list.
    if (rows.length && !performance.getEntriesByName('mf-first-rows').length)
      performance.mark('mf-first-rows');
    replaceChanged(pager, [
      el('button', { type: 'button', disabled: state.page === 0, 'data-page': state.page - 1 }, 'Previous'),
      el('span', {}, `Page ${state.page + 1} of ${pages}`),
      el('button', { type: 'button', disabled: state.page >= pages - 1, 'data-page': state.page + 1 }, 'Next')]);
  }

  // One listener each for the column headings and the pager, whoever made their buttons.
  headRow.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-sort]');
    if (!button) return;
    const key = button.dataset.sort;
    state.descending = state.sort === key ? !state.descending : false;
    state.sort = key;
    sortBy.value = key;
    render();
  });
  pager.addEventListener('click', (event) => {
    const button = event.target.closest('button[data-page]');
    if (!button || button.disabled) return;
    state.page = Number(button.dataset.page);
    render();
  });
  search.addEventListener('input', () => { state.query = search.value; state.page = 0; render(); });
  health.addEventListener('change', () => { state.health = health.value; state.page = 0; render(); });
  sortBy.addEventListener('change', () => { state.sort = sortBy.value; state.descending = false; render(); });

  main.append(
    uploadPanel(() => {
      loading = loadAll();
      loading.catch(() => {}); // the next showModels() says why
    }),
    el('h2', {}, 'Transfers'), transferList(() => true, 'Every transfer'));
  // The rows the server rendered stay until the models come: an empty list drawn before that
  // would be the flash this avoids.
  if (!adopted || state.models.length) render();
  // Batches show as they come, also those of a prefetch under way.
  refresh = render;
  if (!loading) loading = loadAll();
  loading.then(render, (e) => {
    loading = null; // asked again when next shown
    count.textContent = e.message;
    count.classList.add('error');
  });
}
