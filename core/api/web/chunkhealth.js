// A model's chunk health as a small picture: one cell per chunk (or per run of chunks, the
// worst of them, when there are more than fit), coloured by its good copies against the
// vault's wanted number; with a text equivalent for screen readers. Also when its copies were
// last read back and checked.
import { el, formatDate } from './dom.js';

const MaxCells = 512;

function goodCopies(chunk) {
  return (chunk.placements || []).filter((p) => p.state === 'stored').length;
}

export function chunkHealth(info) {
  const wanted = info.wanted_copies || 1;
  const copies = (info.files || []).flatMap((f) => (f.manifest || []).map(goodCopies));
  const lost = copies.filter((n) => n === 0).length;
  const short = copies.filter((n) => n > 0 && n < wanted).length;
  const perCell = Math.max(1, Math.ceil(copies.length / MaxCells));
  const cells = [];
  for (let i = 0; i < copies.length; i += perCell) {
    const worst = Math.min(...copies.slice(i, i + perCell));
    cells.push(el('span', { class: worst === 0 ? 'cell lost' : worst < wanted ? 'cell short' : 'cell ok' }));
  }
  const words = `${copies.length} chunks: ${copies.length - lost - short} with ${wanted} or more ` +
    `good copies, ${short} with fewer, ${lost} with none`;
  return el('figure', { class: 'chunks' },
    el('div', { class: 'cells', role: 'img', 'aria-label': 'Chunk health: ' + words }, cells),
    el('figcaption', { class: 'reason' }, words + (perCell > 1 ? ` (each cell: ${perCell} chunks, the worst)` : '')));
}

// The oldest time any good copy of the model was last read back and checked; "never" while
// some copy never was.
export function lastVerified(info) {
  let oldest = null;
  for (const f of info.files || []) {
    for (const c of f.manifest || []) {
      for (const p of c.placements || []) {
        if (p.state !== 'stored') continue;
        if (!p.verified_at) return 'never, for some copies';
        if (!oldest || p.verified_at < oldest) oldest = p.verified_at;
      }
    }
  }
  return oldest ? formatDate(oldest) : 'never';
}
