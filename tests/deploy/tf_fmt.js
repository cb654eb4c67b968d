#!/usr/bin/env node
// tf_fmt.js - the layout rules `terraform fmt -check` enforces, checked
// without the terraform binary (there is none in the build environment).
//
// terraform fmt formats a file line by line (a "line" ends at a newline that
// is not inside a heredoc or a /* */ comment):
//  - indentation: two spaces per open bracket level, where a line that opens
//    more brackets ({ [ ( and ${ inside strings) than it closes indents the
//    lines after it, and a line that closes more dedents itself;
//  - attribute alignment: a line "name = value" whose value closes every
//    bracket it opens is an assignment line; consecutive assignment lines
//    (no blank line, comment line, block header or multi-line value between
//    them) form a chain, and fmt pads every "=" in a chain to one column:
//    one space after the longest name of the chain;
//  - exactly one space after "=", no trailing whitespace, no tabs.
// Exported: fmtFindings(text) -> [{line, msg}]. Run directly,
// `tf_fmt.js FILE...` prints FILE:LINE: findings and exits 1 if any.
'use strict';
const fs = require('fs');

const OPEN = new Set(['{', '[', '(', '${', '%{']);
const CLOSE = new Set(['}', ']', ')']);

// Tokens of an HCL file: {t: type, v: text, line, col, end}. Quoted strings
// are one token (their ${...} net to zero on one line); a heredoc is one
// token from "<<MARK" to its closing marker; comments keep their text.
function tokenize(text) {
  const toks = [];
  let i = 0, line = 1, col = 0;
  const push = (t, start, sline, scol) => toks.push({ t, v: text.slice(start, i), line: sline, col: scol });
  const advance = (to) => {
    for (; i < to; i++) {
      if (text[i] === '\n') { line++; col = 0; } else col++;
    }
  };
  while (i < text.length) {
    const c = text[i], start = i, sline = line, scol = col;
    if (c === '\n') { advance(i + 1); push('nl', start, sline, scol); continue; }
    if (c === ' ' || c === '\t' || c === '\r') { advance(i + 1); continue; }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      let e = text.indexOf('\n', i);
      if (e < 0) e = text.length;
      advance(e);
      push('comment', start, sline, scol);
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      let e = text.indexOf('*/', i + 2);
      e = e < 0 ? text.length : e + 2;
      advance(e);
      push('comment', start, sline, scol);
      continue;
    }
    if (c === '<' && text[i + 1] === '<' && /^<<-?[A-Za-z_]/.test(text.slice(i, i + 4))) {
      const m = /^<<-?([A-Za-z_][\w-]*)\n/.exec(text.slice(i));
      if (m) {
        const close = new RegExp(`^[ \\t]*${m[1]}[ \\t]*$`, 'm');
        const body = text.slice(i + m[0].length);
        const cm = close.exec(body);
        const e = cm ? i + m[0].length + cm.index + cm[0].length : text.length;
        advance(e);
        push('heredoc', start, sline, scol);
        continue;
      }
    }
    if (c === '"') {
      let j = i + 1, depth = 0;
      for (; j < text.length; j++) {
        if (text[j] === '\\') { j++; continue; }
        if (depth === 0 && text[j] === '"') break;
        if ((text[j] === '$' || text[j] === '%') && text[j + 1] === '{') { depth++; j++; continue; }
        if (depth > 0 && text[j] === '}') depth--;
        if (depth === 0 && text[j] === '\n') break;
      }
      advance(Math.min(j + 1, text.length));
      push('string', start, sline, scol);
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['==', '!=', '<=', '>=', '=>', '&&', '||', '${', '%{'].includes(two)) {
      advance(i + 2);
      push(two === '${' || two === '%{' ? 'open' : 'op', start, sline, scol);
      continue;
    }
    if (c === '=') { advance(i + 1); push('eq', start, sline, scol); continue; }
    if (OPEN.has(c)) { advance(i + 1); push('open', start, sline, scol); continue; }
    if (CLOSE.has(c)) { advance(i + 1); push('close', start, sline, scol); continue; }
    const m = /^[A-Za-z0-9_.\-*:?!<>+/%,]+/.exec(text.slice(i));
    const n = m ? m[0].length : 1;
    advance(i + n);
    push('word', start, sline, scol);
  }
  return toks;
}

const bracketChange = (tok) => (tok.t === 'open' ? 1 : tok.t === 'close' ? -1 : 0);

// Lines as fmt sees them: {line, tokens (without the newline), comment}.
function formatLines(toks) {
  const lines = [];
  let cur = [];
  for (const tok of toks) {
    if (tok.t === 'nl') { lines.push(cur); cur = []; continue; }
    cur.push(tok);
  }
  lines.push(cur);
  return lines.map((lead) => {
    const out = { lead, assign: null, comment: null };
    if (lead.length > 1 && lead[lead.length - 1].t === 'comment') {
      out.comment = lead[lead.length - 1];
      out.lead = lead.slice(0, -1);
    }
    const eq = out.lead.findIndex((tok, k) => k > 0 && tok.t === 'eq');
    if (eq > 0 && out.lead.slice(eq).reduce((n, tok) => n + bracketChange(tok), 0) === 0) {
      out.assign = out.lead.slice(eq);
      out.lead = out.lead.slice(0, eq);
    }
    return out;
  });
}

// The indentation fmt gives each line (its bracket stack rule).
function expectedIndents(lines) {
  const stack = [];
  return lines.map((l) => {
    if (l.lead.length === 0) return 0;
    const net = [...l.lead, ...(l.assign || [])].reduce((n, tok) => n + bracketChange(tok), 0);
    if (net > 0) {
      const at = 2 * stack.length;
      stack.push(net);
      return at;
    }
    for (let closed = -net; closed > 0 && stack.length;) {
      const top = stack[stack.length - 1];
      if (closed >= top) { closed -= top; stack.pop(); } else { stack[stack.length - 1] -= closed; closed = 0; }
    }
    return 2 * stack.length;
  });
}

function fmtFindings(text) {
  const findings = [];
  const src = text.split('\n');
  const lines = formatLines(tokenize(text));
  const indents = expectedIndents(lines);
  const leadWidth = (l, k) => {
    const last = l.lead[l.lead.length - 1];
    return indents[k] + (last.col + last.v.length - l.lead[0].col);
  };
  lines.forEach((l, k) => {
    if (!l.lead.length) return;
    const no = l.lead[0].line, raw = src[no - 1];
    const ws = /^[ \t]*/.exec(raw)[0];
    if (ws.includes('\t')) findings.push({ line: no, msg: 'tab in the indentation (fmt indents with spaces)' });
    else if (ws.length !== indents[k])
      findings.push({ line: no, msg: `indented ${ws.length} spaces, fmt indents ${indents[k]}` });
  });
  // Trailing whitespace on any line that is not inside a heredoc.
  const inHeredoc = new Set();
  for (const l of lines)
    for (const tok of l.lead.concat(l.assign || []))
      if (tok.t === 'heredoc') for (let n = tok.line + 1; n <= tok.line + tok.v.split('\n').length - 1; n++) inHeredoc.add(n);
  src.forEach((raw, n) => {
    if (!inHeredoc.has(n + 1) && /[ \t]+\r?$/.test(raw)) findings.push({ line: n + 1, msg: 'trailing whitespace' });
  });
  // "=" alignment over each chain of consecutive assignment lines.
  let chain = [];
  const closeChain = () => {
    if (!chain.length) return;
    const widest = Math.max(...chain.map((k) => leadWidth(lines[k], k)));
    const first = lines[chain[0]].lead[0].line, last = lines[chain[chain.length - 1]].lead[0].line;
    for (const k of chain) {
      const l = lines[k], end = l.lead[l.lead.length - 1], eq = l.assign[0];
      const want = widest - leadWidth(l, k) + 1, have = eq.line === end.line ? eq.col - (end.col + end.v.length) : -1;
      if (have !== want)
        findings.push({ line: eq.line, msg: `"=" after ${l.lead.map((t) => t.v).join(' ')} is ${have} spaces from the name, ` +
          `fmt puts ${want} (aligned over the attribute lines ${first}-${last})` });
      const next = l.assign[1];
      if (next && next.line === eq.line && next.col !== eq.col + 2)
        findings.push({ line: eq.line, msg: `${next.col - eq.col - 1} spaces after "=", fmt puts 1` });
    }
    chain = [];
  };
  lines.forEach((l, k) => {
    if (l.assign) chain.push(k);
    else closeChain();
  });
  closeChain();
  return findings.sort((a, b) => a.line - b.line);
}

module.exports = { fmtFindings };

if (require.main === module) {
  let n = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of fmtFindings(fs.readFileSync(file, 'utf8'))) {
      console.log(`${file}:${f.line}: ${f.msg}`);
      n++;
    }
  }
  process.exit(n ? 1 : 0);
}
