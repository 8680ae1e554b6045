// Small helpers to build the page from data without ever parsing it as HTML.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function formatBytes(n) {
  if (!Number.isFinite(n)) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; ++i; }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
}

// 8030261248 -> "8.03B": parameter counts as model cards write them.
export function formatCount(n) {
  if (!Number.isFinite(n) || n <= 0) return '';
  const steps = [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of steps) if (n >= size) return (n / size).toFixed(n / size < 10 ? 2 : 1) + unit;
  return String(n);
}

// "2026-11-26 23:47" in this browser's time zone: the same text the server writes into the
// list it renders into the page (core/api/webformat.cpp), so the rows read the same once the
// page's modules take them over.
export function formatDate(iso) {
  if (!iso) return 'never';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}`;
}

// Puts `nodes` in `parent` in place of its children, keeping each child that is equal to its new
// one: what did not change stays the same node (with the focus or selection a person has in it).
export function replaceChanged(parent, nodes) {
  const old = [...parent.children];
  nodes.forEach((node, i) => {
    if (i >= old.length) parent.append(node);
    else if (!old[i].isEqualNode(node)) old[i].replaceWith(node);
  });
  for (const extra of old.slice(nodes.length)) extra.remove();
}

export function showStatus(main, text, isError = false) {
  main.replaceChildren(el('p', { class: isError ? 'status error' : 'status', role: isError ? 'alert' : 'status' }, text));
}
