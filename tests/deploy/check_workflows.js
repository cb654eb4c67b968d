#!/usr/bin/env node
// Checks that each GitHub Actions workflow is valid YAML with the keys
// GitHub requires: `on`, `jobs`; each job `runs-on` (or a reusable `uses`)
// and `steps`; each step exactly one of `uses` or `run`; `needs` naming
// existing jobs. Two deployment rules on top:
//  - a job that scans an image with Trivy scans a tag its
//    docker/metadata-action step produced, of an image built with
//    `load: true` before the scan, and pushes that image (docker push, only
//    off pull requests) instead of rebuilding it after the scan;
//  - a job that runs scripts/test.sh in a container runs it --privileged:
//    the read-only Lambda test needs mount namespaces.
// usage: check_workflows.js DIR
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

// The image-scanning rule for one job (see the top).
function checkImageScan(id, job, where) {
  const steps = job.steps || [];
  const uses = (s, what) => typeof s.uses === 'string' && s.uses.startsWith(what);
  const scanAt = steps.findIndex((s) => uses(s, 'aquasecurity/trivy-action'));
  if (scanAt < 0) return;
  const meta = steps.find((s) => uses(s, 'docker/metadata-action'));
  const ref = String(((steps[scanAt].with || {})['image-ref']) || '');
  if (!meta || !meta.id) where(`job ${id}: the Trivy scan has no docker/metadata-action step with an id to take its tag from`);
  else if (!ref.includes(`steps.${meta.id}.outputs.`))
    where(`job ${id}: Trivy scans "${ref}", not a tag of steps.${meta.id}.outputs (the tags built and pushed)`);
  const builds = steps.map((s, i) => ({ s, i })).filter(({ s }) => uses(s, 'docker/build-push-action'));
  if (!builds.some(({ s, i }) => i < scanAt && (s.with || {}).load === true))
    where(`job ${id}: no build with load: true before the Trivy scan (the scan needs the image locally, also on pull requests)`);
  for (const { s, i } of builds) {
    const push = (s.with || {}).push;
    if (i < scanAt && push !== false) where(`job ${id} step ${i + 1}: builds before the scan without push: false (an unscanned image could be pushed)`);
    if (i > scanAt && push) where(`job ${id} step ${i + 1}: rebuilds and pushes after the scan: push the scanned image instead`);
  }
  steps.forEach((s, i) => {
    if (typeof s.run === 'string' && /docker push/.test(s.run)) {
      if (i < scanAt) where(`job ${id} step ${i + 1}: pushes before the Trivy scan`);
      if (!/github\.event_name != 'pull_request'/.test(String(s.if || ''))) where(`job ${id} step ${i + 1}: docker push also runs on pull requests`);
    }
  });
}

// The privileged-container rule for one job (see the top).
function checkTestContainer(id, job, where) {
  if (!job.container || !(job.steps || []).some((s) => typeof s.run === 'string' && /scripts\/test\.sh/.test(s.run))) return;
  const opts = typeof job.container === 'object' ? String(job.container.options || '') : '';
  if (!/--privileged/.test(opts))
    where(`job ${id}: runs scripts/test.sh in a container without --privileged (the read-only Lambda test needs mount namespaces)`);
}

for (const f of files) {
  const where = (m) => problems.push(`${f}: ${m}`);
  const doc = YAML.parseDocument(fs.readFileSync(path.join(dir, f), 'utf8'));
  if (doc.errors.length) continue;
  const wf = doc.toJS();
  for (const [id, job] of Object.entries((wf && wf.jobs) || {})) {
    if (!job || typeof job !== 'object') continue;
    checkImageScan(id, job, where);
    checkTestContainer(id, job, where);
  }
}

if (problems.length) { problems.forEach((p) => console.log(p)); process.exit(1); }
console.log(`check_workflows: ${files.length} workflows valid`);
