#!/usr/bin/env node
// Static check of a Terraform tree without the terraform binary: parses every
// .tf file with @cdktf/hcl2json and checks that
//  - every var.X is declared in its module, every local.X defined;
//  - every module.M.O names a module block M whose source declares output O,
//    and each module call passes every required variable and no unknown one;
//  - every referenced resource and data source is declared in its module;
//  - every schedule expression (schedule_expression literals, defaults of
//    variables named *schedule*, and *schedule* values in *.tfvars*) is
//    valid EventBridge syntax (checked by `rnr schedule check`);
//  - IAM policy statements never use a "*" or wildcard action, and use a
//    "*" resource only with a sid and a comment right above the statement
//    saying why AWS requires it;
//  - every file is laid out as `terraform fmt -check` wants (tf_fmt.js:
//    indentation, "=" alignment over consecutive attribute lines).
// usage: check_terraform.js DIR RNR_BIN   (exit 0 clean, 1 with findings)
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const { parse } = require('@cdktf/hcl2json');
const { fmtFindings } = require('./tf_fmt');

const root = path.resolve(process.argv[2] || '.');
const rnrBin = process.argv[3] || process.env.RNR_BIN;
const findings = [];
const problem = (file, msg) => findings.push(`${path.relative(root, file) || file}: ${msg}`);

async function loadModule(dir) {
  const mod = { dir, files: [], variable: {}, output: {}, resource: {}, data: {}, module: {}, locals: {} };
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    let json;
    try {
      json = await parse(file, text);
    } catch (e) {
      problem(file, `does not parse as HCL: ${e.message || e}`);
      continue;
    }
    mod.files.push({ file, text, json });
    for (const f of fmtFindings(text)) problem(file, `line ${f.line}: terraform fmt: ${f.msg}`);
    for (const [k, v] of Object.entries(json.variable || {})) mod.variable[k] = { file, block: v[0] };
    for (const [k, v] of Object.entries(json.output || {})) mod.output[k] = { file, block: v[0] };
    for (const [t, byName] of Object.entries(json.resource || {}))
      for (const n of Object.keys(byName)) mod.resource[`${t}.${n}`] = file;
    for (const [t, byName] of Object.entries(json.data || {}))
      for (const [n, blocks] of Object.entries(byName)) mod.data[`${t}.${n}`] = { file, block: blocks[0] };
    for (const [k, v] of Object.entries(json.module || {})) mod.module[k] = { file, block: v[0] };
    for (const l of json.locals || []) for (const k of Object.keys(l)) mod.locals[k] = file;
  }
  return mod;
}

// Every ${...} expression inside any string of a parsed value.
function expressions(value, out = []) {
  if (typeof value === 'string') {
    for (let i = value.indexOf('${'); i >= 0; i = value.indexOf('${', i + 2)) {
      let depth = 0, j = i + 2;
      for (; j < value.length; j++) {
        if (value[j] === '{') depth++;
        else if (value[j] === '}') { if (depth === 0) break; depth--; }
      }
      out.push(value.slice(i + 2, j));
    }
  } else if (Array.isArray(value)) {
    value.forEach((v) => expressions(v, out));
  } else if (value && typeof value === 'object') {
    Object.values(value).forEach((v) => expressions(v, out));
  }
  return out;
}

function checkReferences(mod, modules) {
  for (const { file, json } of mod.files) {
    for (const expr of expressions(json)) {
      const clean = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
      for (const m of clean.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g))
        if (!mod.variable[m[1]]) problem(file, `var.${m[1]} is not declared in ${path.relative(root, mod.dir) || '.'}`);
      for (const m of clean.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g))
        if (!mod.locals[m[1]]) problem(file, `local.${m[1]} is not defined`);
      for (const m of clean.matchAll(/(?<![\w.])module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)/g)) {
        const call = mod.module[m[1]];
        if (!call) { problem(file, `module.${m[1]} is not a module block`); continue; }
        const child = modules.get(path.resolve(mod.dir, call.block.source));
        if (child && !child.output[m[2]]) problem(file, `module.${m[1]}.${m[2]}: module ${m[1]} has no output ${m[2]}`);
      }
      for (const m of clean.matchAll(/(?<![\w.])data\.([a-z][\w]*)\.([A-Za-z_][\w-]*)/g))
        if (!mod.data[`${m[1]}.${m[2]}`]) problem(file, `data.${m[1]}.${m[2]} is not declared`);
      for (const m of clean.matchAll(/(?<![\w.])((?:aws|random)_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g))
        if (!mod.resource[`${m[1]}.${m[2]}`]) problem(file, `resource ${m[1]}.${m[2]} is not declared`);
    }
  }
}

function checkModuleCalls(mod, modules) {
  const meta = new Set(['source', 'version', 'count', 'for_each', 'providers', 'depends_on']);
  for (const [name, { file, block }] of Object.entries(mod.module)) {
    const child = modules.get(path.resolve(mod.dir, block.source));
    if (!child) { problem(file, `module ${name}: source ${block.source} has no .tf files`); continue; }
    for (const arg of Object.keys(block))
      if (!meta.has(arg) && !child.variable[arg]) problem(file, `module ${name}: argument ${arg} is not a variable of ${block.source}`);
    for (const [v, { block: vb }] of Object.entries(child.variable))
      if (!('default' in vb) && !(v in block)) problem(file, `module ${name}: required variable ${v} is not passed`);
  }
}

function collectSchedules(mod, tfvarsFiles) {
  const out = [];
  for (const { file, json } of mod.files) {
    (function walk(v) {
      if (Array.isArray(v)) return v.forEach(walk);
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === 'schedule_expression' && typeof x === 'string' && !x.includes('${')) out.push({ file, expr: x });
        walk(x);
      }
    })(json.resource || {});
  }
  for (const [name, { file, block }] of Object.entries(mod.variable))
    if (/schedule/.test(name) && typeof block.default === 'string') out.push({ file, expr: block.default });
  for (const file of tfvarsFiles) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/^\s*(\w*schedule\w*)\s*=\s*"([^"]*)"/gm))
      out.push({ file, expr: m[2] });
  }
  return out;
}

function checkSchedules(list) {
  for (const { file, expr } of list) {
    try {
      execFileSync(rnrBin, ['schedule', 'check', expr], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      problem(file, `invalid schedule expression ${JSON.stringify(expr)}: ${String(e.stderr || '').trim()}`);
    }
  }
}

function checkIam(mod) {
  for (const [key, { file, block }] of Object.entries(mod.data)) {
    if (!key.startsWith('aws_iam_policy_document.')) continue;
    const text = fs.readFileSync(file, 'utf8');
    const dynamic = [].concat((block.dynamic || {}).statement || []).flatMap((d) => d.content || []);
    for (const st of [].concat(block.statement || [], dynamic)) {
      const label = `${key} statement ${st.sid || '(no sid)'}`;
      for (const a of [].concat(st.actions || [], st.not_actions || []))
        if (a.includes('*')) problem(file, `${label}: wildcard action ${a}`);
      if (st.not_actions) problem(file, `${label}: NotAction grants everything else`);
      if (![].concat(st.resources || []).some((r) => r === '*' || r === 'arn:aws:*')) continue;
      if (!st.sid) { problem(file, `${label}: resource "*" needs a sid and a comment saying why`); continue; }
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.includes(`sid`) && l.includes(`"${st.sid}"`));
      let s = at;
      while (s > 0 && !/^\s*statement\s*\{/.test(lines[s])) s--;
      if (at < 0 || s <= 0 || !/^\s*#/.test(lines[s - 1]))
        problem(file, `${label}: resource "*" without a comment above the statement saying why AWS requires it`);
    }
  }
}

(async () => {
  if (!rnrBin) { console.error('check_terraform: give the rnr binary (argument 2 or RNR_BIN)'); process.exit(2); }
  const dirs = [];
  (function walk(d) {
    if (fs.readdirSync(d).some((f) => f.endsWith('.tf'))) dirs.push(d);
    for (const f of fs.readdirSync(d)) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory() && !f.startsWith('.')) walk(p);
    }
  })(root);
  const modules = new Map();
  for (const d of dirs) modules.set(path.resolve(d), await loadModule(d));
  const tfvars = fs.readdirSync(root).filter((f) => /\.tfvars(\.example)?$/.test(f)).map((f) => path.join(root, f));
  let schedules = [];
  for (const mod of modules.values()) {
    checkReferences(mod, modules);
    checkModuleCalls(mod, modules);
    checkIam(mod);
    schedules = schedules.concat(collectSchedules(mod, mod.dir === root ? tfvars : []));
  }
  checkSchedules(schedules);
  const files = [...modules.values()].reduce((n, m) => n + m.files.length, 0);
  if (findings.length) {
    findings.forEach((f) => console.log(f));
    console.log(`check_terraform: ${findings.length} finding(s) in ${files} files`);
    process.exit(1);
  }
  console.log(`check_terraform: ${files} files in ${modules.size} modules, ${schedules.length} schedule expressions: clean`);
})();
