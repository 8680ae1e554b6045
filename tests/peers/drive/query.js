// The Drive v3 search syntax (`q` of files.list), as documented in "Search query terms and
// operators": <term> <operator> <value>, combined with and / or / not and parentheses; strings in
// single quotes with \' and \\ escaped. Parses into a predicate over a file record.
'use strict';

class QueryError extends Error {}

function tokenize(text) {
  const tokens = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) throw new QueryError('Unterminated string');
        const d = text[i];
        if (d === '\\') {
          if (i + 1 >= text.length) throw new QueryError('Bad escape');
          value += text[i + 1];
          i += 2;
          continue;
        }
        if (d === "'") { i++; break; }
        value += d;
        i++;
      }
      tokens.push({ type: 'string', value });
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '!=' || two === '<=' || two === '>=') { tokens.push({ type: 'op', value: two }); i += 2; continue; }
    if ('=<>(){}'.includes(c)) { tokens.push({ type: c === '=' || c === '<' || c === '>' ? 'op' : c, value: c }); i++; continue; }
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(text.slice(i));
    if (m) { tokens.push({ type: 'word', value: m[0] }); i += m[0].length; continue; }
    const n = /^-?[0-9]+/.exec(text.slice(i));
    if (n) { tokens.push({ type: 'number', value: n[0] }); i += n[0].length; continue; }
    throw new QueryError(`Unexpected character ${c}`);
  }
  return tokens;
}

function parse(text) {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = () => tokens[pos];
  const next = () => tokens[pos++];
  const expect = (type, value) => {
    const t = next();
    if (!t || t.type !== type || (value !== undefined && t.value.toLowerCase() !== value)) {
      throw new QueryError(`Expected ${value || type}`);
    }
    return t;
  };
  const isWord = (t, w) => t && t.type === 'word' && t.value.toLowerCase() === w;

  function orExpr() {
    let left = andExpr();
    while (isWord(peek(), 'or')) { next(); const right = andExpr(); const l = left; left = (f, ctx) => l(f, ctx) || right(f, ctx); }
    return left;
  }
  function andExpr() {
    let left = notExpr();
    while (isWord(peek(), 'and')) { next(); const right = notExpr(); const l = left; left = (f, ctx) => l(f, ctx) && right(f, ctx); }
    return left;
  }
  function notExpr() {
    if (isWord(peek(), 'not')) { next(); const inner = notExpr(); return (f, ctx) => !inner(f, ctx); }
    return primary();
  }
  function value() {
    const t = next();
    if (!t) throw new QueryError('Missing value');
    if (t.type === 'string') return t.value;
    if (t.type === 'word' && (t.value === 'true' || t.value === 'false')) return t.value === 'true';
    if (t.type === 'number') return Number(t.value);
    throw new QueryError(`Bad value ${t.value}`);
  }
  function compare(a, op, b) {
    switch (op) {
      case '=': return a === b;
      case '!=': return a !== b;
      case '<': return a < b;
      case '<=': return a <= b;
      case '>': return a > b;
      case '>=': return a >= b;
      default: throw new QueryError(`Bad operator ${op}`);
    }
  }
  function hasClause() {
    // { key='k' and value='v' }
    expect('{');
    expect('word', 'key'); expect('op', '='); const key = value();
    expect('word', 'and');
    expect('word', 'value'); expect('op', '='); const val = value();
    expect('}');
    return { key, val };
  }
  function primary() {
    const t = peek();
    if (!t) throw new QueryError('Unexpected end of query');
    if (t.type === '(') { next(); const e = orExpr(); expect(')'); return e; }
    if (t.type === 'string') {
      // '<id>' in parents
      const id = next().value;
      expect('word', 'in');
      const field = expect('word').value;
      if (field !== 'parents') throw new QueryError(`Unsupported collection ${field}`);
      return (f, ctx) => (f.parents || []).includes(id === 'root' ? ctx.rootId : id);
    }
    const term = expect('word').value;
    if (term === 'appProperties' || term === 'properties') {
      expect('word', 'has');
      const { key, val } = hasClause();
      return (f, ctx) => {
        const props = term === 'appProperties' ? (f.appProperties[ctx.clientId] || {}) : f.properties;
        return props[key] === val;
      };
    }
    const opTok = next();
    if (!opTok) throw new QueryError('Missing operator');
    if (opTok.type === 'word' && opTok.value === 'contains') {
      const v = value();
      if (term === 'name' || term === 'fullText') return (f) => String(f.name).includes(v);
      if (term === 'mimeType') return (f) => String(f.mimeType).includes(v);
      throw new QueryError(`contains is not supported for ${term}`);
    }
    if (opTok.type !== 'op') throw new QueryError(`Bad operator ${opTok.value}`);
    const v = value();
    const get = {
      name: (f) => f.name,
      mimeType: (f) => f.mimeType,
      trashed: (f) => !!f.trashed,
      starred: (f) => !!f.starred,
      modifiedTime: (f) => f.modifiedTime,
      createdTime: (f) => f.createdTime,
    }[term];
    if (!get) throw new QueryError(`Unsupported term ${term}`);
    return (f) => compare(get(f), opTok.value, v);
  }

  const predicate = orExpr();
  if (pos !== tokens.length) throw new QueryError('Unexpected text after the query');
  return predicate;
}

module.exports = { parse, QueryError };
