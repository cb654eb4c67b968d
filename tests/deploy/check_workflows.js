#!/usr/bin/env node
// Checks that each GitHub Actions workflow is valid YAML with the keys
// GitHub requires: `on`, `jobs`; each job `runs-on` (or a reusable `uses`)
// and `steps`; each step exactly one of `uses` or `run`; `needs` naming
// existing jobs. usage: check_workflows.js DIR
'use strict';
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const dir = process.argv[2];
const problems = [];
const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
if (!files.length) problems.push(`${dir}: no workflow files`);
for (const f of files) {
  const where = (m) => problems.push(`${f}: ${m}`);
  const doc = YAML.parseDocument(fs.readFileSync(path.join(dir, f), 'utf8'));
  if (doc.errors.length) { doc.errors.forEach((e) => where(`YAML error: ${e.message}`)); continue; }
  const wf = doc.toJS();
  if (!wf || typeof wf !== 'object') { where('not a mapping'); continue; }
  if (!('on' in wf)) where('missing "on"');
  if (!wf.jobs || typeof wf.jobs !== 'object' || !Object.keys(wf.jobs).length) { where('missing "jobs"'); continue; }
  for (const [id, job] of Object.entries(wf.jobs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id)) where(`job id ${id} is not valid`);
    if (job.uses) continue;
    if (!job['runs-on']) where(`job ${id}: missing runs-on`);
    if (!Array.isArray(job.steps) || !job.steps.length) { where(`job ${id}: missing steps`); continue; }
    for (const n of [].concat(job.needs || [])) if (!wf.jobs[n]) where(`job ${id}: needs unknown job ${n}`);
    job.steps.forEach((s, i) => {
      if (('uses' in s) === ('run' in s)) where(`job ${id} step ${i + 1}: needs exactly one of uses/run`);
      if (s.uses && !/^[\w.-]+\/[\w./-]+@[\w.-]+$|^\.\/|^docker:\/\//.test(s.uses)) where(`job ${id} step ${i + 1}: uses "${s.uses}" is not owner/repo@ref`);
    });
  }
}
if (problems.length) { problems.forEach((p) => console.log(p)); process.exit(1); }
console.log(`check_workflows: ${files.length} workflows valid`);
