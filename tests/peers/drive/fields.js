// Partial responses: the `fields` parameter ("nextPageToken,files(id,name,size)", "*",
// "files/id") selects what a response carries.
'use strict';

// Returns a tree: {name: subtree | true}; `true` at the root means everything.
function parseFields(text) {
  if (!text || text.trim() === '*') return true;
  let pos = 0;
  function list() {
    const out = {};
    for (;;) {
      while (text[pos] === ' ') pos++;
      let name = '';
      while (pos < text.length && !',()'.includes(text[pos])) name += text[pos++];
      name = name.trim();
      let sub = true;
      if (text[pos] === '(') { pos++; sub = list(); pos++; }
      if (name) {
        // a/b/c is a(b(c))
        const parts = name.split('/');
        let node = out;
        for (let i = 0; i < parts.length - 1; i++) {
          node[parts[i]] = node[parts[i]] === true ? true : (node[parts[i]] || {});
          if (node[parts[i]] === true) { node = null; break; }
          node = node[parts[i]];
        }
        if (node) node[parts[parts.length - 1]] = name === '*' ? true : sub;
        if (name === '*') return true;
      }
      if (text[pos] === ',') { pos++; continue; }
      return out;
    }
  }
  return list();
}

function select(value, tree) {
  if (tree === true || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => select(v, tree));
  if (tree['*'] === true) return value;
  const out = {};
  for (const [k, sub] of Object.entries(tree)) {
    if (value[k] !== undefined) out[k] = select(value[k], sub);
  }
  return out;
}

module.exports = { parseFields, select };
