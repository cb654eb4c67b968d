// helm_render.js - render a Helm chart's templates without the helm binary
// (none is packaged for Debian 12), for the chart tests.
//
// It implements the part of Go's text/template and of Helm's function set
// that deploy/kubernetes/rnr uses: actions with {{- -}} trimming, pipelines,
// parenthesised calls, variables, if/else if/else, range (lists and maps,
// with $k, $v), with, define/include/template, and the functions listed in
// FUNCS. Anything else is an error, so a template that strays outside the
// subset fails the test instead of rendering wrongly.
//   node helm_render.js CHART_DIR [values-override.yaml ...]  -> YAML on stdout
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

// ---- lexer: text and actions -------------------------------------------
function lex(src, name) {
  const out = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { out.push({ text: src.slice(i) }); break; }
    let text = src.slice(i, open);
    let j = open + 2;
    if (src[j] === '-' && /\s/.test(src[j + 1])) { text = text.replace(/\s+$/, ''); j += 2; }
    const close = src.indexOf('}}', j);
    if (close < 0) throw new Error(`${name}: unclosed action`);
    let body = src.slice(j, close);
    let k = close + 2;
    if (/\s-$/.test(body)) { body = body.slice(0, -2); while (k < src.length && /\s/.test(src[k])) k++; }
    out.push({ text });
    const t = body.trim();
    if (!t.startsWith('/*')) out.push({ action: t });
    i = k;
  }
  return out;
}

// ---- parser: a tree of text, actions and blocks -------------------------
function parse(tokens, name, defines) {
  let pos = 0;
  function block(stopAt) {
    const nodes = [];
    while (pos < tokens.length) {
      const t = tokens[pos++];
      if (t.text !== undefined) { if (t.text) nodes.push({ type: 'text', text: t.text }); continue; }
      const a = t.action;
      const word = a.split(/\s+/)[0];
      if (stopAt.includes(word)) { pos--; return nodes; }
      if (word === 'if' || word === 'with' || word === 'range') {
        const node = { type: word, expr: a.slice(word.length).trim(), body: [], elses: [] };
        node.body = block(['else', 'end']);
        for (;;) {
          const t2 = tokens[pos++];
          if (!t2) throw new Error(`${name}: missing {{ end }} for ${word}`);
          if (t2.action === 'end') break;
          const rest = t2.action.slice(4).trim();
          const cond = rest.startsWith('if ') ? rest.slice(3).trim() : null;
          node.elses.push({ cond, body: block(['else', 'end']) });
        }
        nodes.push(node);
      } else if (word === 'define') {
        const m = a.match(/^define\s+"([^"]+)"$/);
        if (!m) throw new Error(`${name}: bad define: ${a}`);
        const body = block(['end']);
        pos++;
        defines[m[1]] = body;
      } else if (word === 'end' || word === 'else') {
        throw new Error(`${name}: unexpected {{ ${a} }}`);
      } else {
        nodes.push({ type: 'action', expr: a });
      }
    }
    if (stopAt.length) throw new Error(`${name}: missing {{ end }}`);
    return nodes;
  }
  return block([]);
}

// ---- expressions ---------------------------------------------------------
function tokenizeExpr(s) {
  const toks = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:=|=|\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|\.[A-Za-z0-9_.]*|-?\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|,)/y;
  let m;
  re.lastIndex = 0;
  while (re.lastIndex < s.length) {
    const at = re.lastIndex;
    m = re.exec(s);
    if (!m) { if (/^\s*$/.test(s.slice(at))) break; throw new Error(`cannot parse expression: ${s}`); }
    toks.push(m[1]);
  }
  return toks;
}

function lookup(obj, parts) {
  let v = obj;
  for (const p of parts) {
    if (p === '') continue;
    if (v === null || v === undefined) return undefined;
    v = v[p];
  }
  return v;
}

function truthy(v) {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

function toYaml(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && Object.keys(v).length === 0) return Array.isArray(v) ? '[]' : '{}';
  return YAML.stringify(v, { lineWidth: 0 }).replace(/\n$/, '');
}

function goSprintf(fmt, args) {
  let i = 0;
  return fmt.replace(/%[sdvq%]/g, (m) => {
    if (m === '%%') return '%';
    const a = args[i++];
    if (m === '%q') return JSON.stringify(String(a));
    return String(a);
  });
}

function makeFuncs(ctx) {
  return {
    include: (name, dot) => renderNodes(ctx.defines[name] || (() => { throw new Error(`include: no template "${name}"`); })(), dot, ctx, {}),
    quote: (...a) => a.map((x) => JSON.stringify(x === undefined || x === null ? '' : String(x))).join(' '),
    squote: (x) => `'${String(x)}'`,
    default: (d, v) => (truthy(v) ? v : d),
    required: (msg, v) => { if (!truthy(v)) throw new Error(`required: ${msg}`); return v; },
    toYaml,
    toString: (v) => String(v),
    nindent: (n, s) => '\n' + String(s).split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n'),
    indent: (n, s) => String(s).split('\n').map((l) => (l ? ' '.repeat(n) + l : l)).join('\n'),
    b64enc: (s) => Buffer.from(String(s)).toString('base64'),
    printf: (fmt, ...a) => goSprintf(fmt, a),
    urlquery: (s) => encodeURIComponent(String(s)),
    regexReplaceAll: (re, s, repl) => String(s).replace(new RegExp(re, 'g'), String(repl).replace(/\$\{(\d+)\}/g, '$$$1')),
    trunc: (n, s) => String(s).slice(0, n),
    trimSuffix: (suf, s) => (String(s).endsWith(suf) ? String(s).slice(0, -suf.length) : String(s)),
    eq: (a, b) => a === b,
    ne: (a, b) => a !== b,
    not: (a) => !truthy(a),
    and: (...a) => a.reduce((x, y) => (truthy(x) ? y : x)),
    or: (...a) => a.reduce((x, y) => (truthy(x) ? x : y)),
    add: (...a) => a.reduce((x, y) => Number(x) + Number(y), 0),
    int: (a) => Math.trunc(Number(a)),
    list: (...a) => a,
    index: (obj, ...keys) => keys.reduce((o, k) => (o === undefined || o === null ? undefined : o[k]), obj),
    ternary: (a, b, c) => (truthy(c) ? a : b),
  };
}

function evalExpr(src, dot, ctx, vars) {
  const toks = tokenizeExpr(src);
  let p = 0;
  const funcs = makeFuncs(ctx);
  function operand() {
    const t = toks[p++];
    if (t === undefined) throw new Error(`expression ends early: ${src}`);
    if (t === '(') { const v = pipeline(); if (toks[p++] !== ')') throw new Error(`missing ) in ${src}`); return v; }
    if (t[0] === '"') return JSON.parse(t);
    if (t[0] === '`') return t.slice(1, -1);
    if (/^-?\d/.test(t)) return Number(t);
    if (t === 'true' || t === 'false') return t === 'true';
    if (t === 'nil') return null;
    if (t[0] === '.') return t === '.' ? dot : lookup(dot, t.slice(1).split('.'));
    if (t[0] === '$') {
      const [v, ...rest] = t.split('.');
      const base = v === '$' ? ctx.root : vars[v];
      if (v !== '$' && !(v in vars)) throw new Error(`undefined variable ${v} in ${src}`);
      return lookup(base, rest);
    }
    return { fn: t };
  }
  function command() {
    const parts = [];
    while (p < toks.length && toks[p] !== '|' && toks[p] !== ')') parts.push(operand());
    return parts;
  }
  function call(parts, piped) {
    const [head, ...args] = parts;
    if (head && typeof head === 'object' && head.fn) {
      const f = funcs[head.fn];
      if (!f) throw new Error(`unknown function ${head.fn} in ${src}`);
      if (piped.length) args.push(piped[0]);
      return f(...args);
    }
    if (parts.length !== 1 || piped.length) throw new Error(`cannot call a value in ${src}`);
    return head;
  }
  function pipeline() {
    let v = call(command(), []);
    while (toks[p] === '|') { p++; v = call(command(), [v]); }
    return v;
  }
  return pipeline();
}

function show(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function renderNodes(nodes, dot, ctx, vars) {
  let out = '';
  for (const n of nodes) {
    if (n.type === 'text') { out += n.text; continue; }
    if (n.type === 'action') {
      const m = n.expr.match(/^(\$[A-Za-z0-9_]+)\s*:?=\s*(.*)$/);
      if (m) { vars[m[1]] = evalExpr(m[2], dot, ctx, vars); continue; }
      const t = n.expr.match(/^template\s+"([^"]+)"\s*(.*)$/);
      if (t) { out += renderNodes(ctx.defines[t[1]], t[2] ? evalExpr(t[2], dot, ctx, vars) : dot, ctx, {}); continue; }
      out += show(evalExpr(n.expr, dot, ctx, vars));
      continue;
    }
    if (n.type === 'if' || n.type === 'with') {
      const v = evalExpr(n.expr, dot, ctx, vars);
      if (truthy(v)) { out += renderNodes(n.body, n.type === 'with' ? v : dot, ctx, vars); continue; }
      for (const e of n.elses) {
        if (e.cond === null || truthy(evalExpr(e.cond, dot, ctx, vars))) { out += renderNodes(e.body, dot, ctx, vars); break; }
      }
      continue;
    }
    if (n.type === 'range') {
      const m = n.expr.match(/^(?:(\$[A-Za-z0-9_]+)\s*(?:,\s*(\$[A-Za-z0-9_]+))?\s*:=\s*)?(.*)$/);
      const coll = evalExpr(m[3], dot, ctx, vars);
      const entries = Array.isArray(coll) ? coll.map((v, i) => [i, v])
        : coll && typeof coll === 'object' ? Object.keys(coll).sort().map((k) => [k, coll[k]]) : [];
      if (!entries.length) { for (const e of n.elses) out += renderNodes(e.body, dot, ctx, vars); continue; }
      for (const [k, v] of entries) {
        const inner = Object.assign({}, vars);
        if (m[1] && m[2]) { inner[m[1]] = k; inner[m[2]] = v; } else if (m[1]) inner[m[1]] = v;
        out += renderNodes(n.body, v, ctx, inner);
      }
    }
  }
  return out;
}

function deepMerge(a, b) {
  if (b === null || typeof b !== 'object' || Array.isArray(b)) return b;
  const out = Object.assign({}, a);
  for (const k of Object.keys(b)) out[k] = (a && typeof a[k] === 'object' && !Array.isArray(a[k])) ? deepMerge(a[k], b[k]) : b[k];
  return out;
}

// Render every template of the chart; returns [{ file, text }].
function renderChart(dir, overrides = [], release = { Name: 'rnr', Namespace: 'default' }) {
  const chart = YAML.parse(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'));
  let values = YAML.parse(fs.readFileSync(path.join(dir, 'values.yaml'), 'utf8')) || {};
  for (const o of overrides) values = deepMerge(values, o);
  const tdir = path.join(dir, 'templates');
  const files = fs.readdirSync(tdir).sort();
  const ctx = { defines: {}, root: null };
  const trees = [];
  for (const f of files) {
    const tree = parse(lex(fs.readFileSync(path.join(tdir, f), 'utf8'), f), f, ctx.defines);
    if (!f.startsWith('_')) trees.push([f, tree]);
  }
  const Chart = { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion };
  ctx.root = { Values: values, Release: { Name: release.Name, Namespace: release.Namespace, Service: 'Helm' }, Chart };
  return trees.map(([f, tree]) => {
    try { return { file: f, text: renderNodes(tree, ctx.root, ctx, {}) }; }
    catch (e) { throw new Error(`${f}: ${e.message}`); }
  });
}

module.exports = { renderChart };

if (require.main === module) {
  const [dir, ...ov] = process.argv.slice(2);
  const overrides = ov.map((f) => YAML.parse(fs.readFileSync(f, 'utf8')));
  for (const r of renderChart(dir, overrides)) {
    if (r.text.trim()) process.stdout.write(`---\n# Source: ${r.file}\n${r.text.trim()}\n`);
  }
}
