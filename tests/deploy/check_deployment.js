#!/usr/bin/env node
// check_deployment.js - what the Terraform tree must provide to run on a real
// AWS account, each a defect found in review (issue 9):
//  - the ECS task execution role can pull the worker image: ECR pull actions,
//    and optional repositoryCredentials (a private registry such as a
//    private GHCR package) with GetSecretValue on that secret;
//  - a dead autoscaler alerts: an alarm on BacklogPerTask that treats missing
//    data as breaching, and Lambda Errors alarms on the autoscaler and the
//    post-processor;
//  - the post-process Lambda has ephemeral storage and memory variables
//    sized for the real hydrofabric (the CONUS GeoPackage is 4.6 GB);
//  - every EventBridge Scheduler target retries and has an SQS dead-letter
//    queue the scheduler role may send to;
//  - the root module carries a commented S3 backend block for remote state.
// usage: check_deployment.js DIR   (exit 0 clean, 1 with findings)
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

const root = path.resolve(process.argv[2] || '.');
const findings = [];
const problem = (msg) => findings.push(msg);
// Hydrofabric size and what one post-process window adds, in MB.
const HYDROFABRIC_MB = 4700;

async function loadTree(dir) {
  const all = { resource: [], data: [], variable: {}, module: [], rootText: '' };
  const walk = async (d, isRoot) => {
    for (const f of fs.readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (fs.statSync(p).isDirectory()) { if (!f.startsWith('.')) await walk(p, false); continue; }
      if (!f.endsWith('.tf')) continue;
      const text = fs.readFileSync(p, 'utf8');
      if (isRoot) all.rootText += text;
      const json = await parse(p, text);
      for (const [type, byName] of Object.entries(json.resource || {}))
        for (const [name, blocks] of Object.entries(byName)) all.resource.push({ type, name, block: blocks[0], file: p });
      for (const [type, byName] of Object.entries(json.data || {}))
        for (const [name, blocks] of Object.entries(byName)) all.data.push({ type, name, block: blocks[0], file: p });
      for (const [name, blocks] of Object.entries(json.variable || {}))
        if (isRoot) all.variable[name] = blocks[0];
      for (const [name, blocks] of Object.entries(json.module || {})) all.module.push({ name, block: blocks[0] });
    }
  };
  await walk(dir, true);
  return all;
}

const resources = (t, type) => t.resource.filter((r) => r.type === type);
const text = (v) => JSON.stringify(v);

// The statements of a policy document, dynamic ones included.
function statements(doc) {
  const dyn = [].concat(((doc.block.dynamic || {}).statement) || []).flatMap((d) => d.content || []);
  return [].concat(doc.block.statement || [], dyn);
}
const actionsOf = (doc) => new Set(statements(doc).flatMap((s) => [].concat(s.actions || [])));

function checkImagePull(t) {
  const exec = t.data.find((d) => d.type === 'aws_iam_policy_document' && /execution/.test(d.name));
  if (!exec) { problem('no task execution policy document (aws_iam_policy_document named *execution*)'); return; }
  const acts = actionsOf(exec);
  for (const a of ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'])
    if (!acts.has(a)) problem(`task execution role: no ${a} (the tasks cannot pull the image from ECR)`);
  const tasks = resources(t, 'aws_ecs_task_definition');
  // In the container definitions or a local of the same file they merge in.
  const withCreds = (r) => {
    const defs = text(r.block.container_definitions), file = fs.readFileSync(r.file, 'utf8');
    const local = /local\.([\w-]+)/g;
    const sources = [defs].concat([...defs.matchAll(local)].map((m) => {
      const at = file.search(new RegExp(`^\\s*${m[1]}\\s*=`, 'm'));
      return at < 0 ? '' : file.slice(at, at + 400);
    }));
    return sources.some((x) => /repositoryCredentials/.test(x) && /credentialsParameter/.test(x));
  };
  if (!tasks.some(withCreds))
    problem('worker task definition: no repositoryCredentials (a private registry image cannot be pulled)');
  if (!acts.has('secretsmanager:GetSecretValue'))
    problem('task execution role: no secretsmanager:GetSecretValue for the registry credentials');
}

function checkAlarms(t) {
  const alarms = resources(t, 'aws_cloudwatch_metric_alarm').map((r) => r.block);
  if (!alarms.some((a) => a.metric_name === 'BacklogPerTask' && a.treat_missing_data === 'breaching'))
    problem('no alarm on missing BacklogPerTask data (treat_missing_data = "breaching"): a dead autoscaler goes unnoticed');
  const errors = alarms.filter((a) => a.namespace === 'AWS/Lambda' && a.metric_name === 'Errors');
  for (const h of ['autoscaler', 'postprocess'])
    if (!errors.some((a) => text(a.dimensions).includes(`"${h}"`) || text(a.dimensions).includes(`[\\"${h}\\"]`) ||
                           (a.for_each && text(a.dimensions).includes('each.key') && text(a.for_each).includes(`"${h}"`))))
      problem(`no Lambda Errors alarm on the ${h} handler`);
}

// The default of root variable `name` (a number), or NaN.
const rootDefault = (t, name) => Number((t.variable[name] || {}).default);

function checkPostprocessSizing(t) {
  const fns = resources(t, 'aws_lambda_function');
  if (!fns.some((r) => r.block.ephemeral_storage)) problem('Lambda functions have no ephemeral_storage (512 MB default)');
  const storage = Object.keys(t.variable).find((v) => /postprocess.*(storage|ephemeral)/.test(v));
  const memory = Object.keys(t.variable).find((v) => /postprocess.*memory/.test(v));
  if (!storage) problem('no variable for the post-process ephemeral storage');
  else if (!(rootDefault(t, storage) >= HYDROFABRIC_MB))
    problem(`${storage} defaults to ${t.variable[storage].default} MB, less than the ${HYDROFABRIC_MB} MB hydrofabric`);
  if (!memory) problem('no variable for the post-process memory');
  else if (!(rootDefault(t, memory) >= 2048)) problem(`${memory} defaults to ${t.variable[memory].default} MB (under 2048)`);
  for (const v of [storage, memory].filter(Boolean))
    if (!t.module.some((m) => text(m.block).includes(`var.${v}`))) problem(`variable ${v} is passed to no module`);
}

// A value, or the default of the variable it names (root or module).
function numberOf(t, v) {
  const m = /^\$\{var\.([\w-]+)\}$/.exec(String(v));
  if (!m) return Number(v);
  return rootDefault(t, m[1]);
}

function checkScheduler(t) {
  const scheds = resources(t, 'aws_scheduler_schedule');
  if (!scheds.length) return;
  for (const s of scheds) {
    for (const target of [].concat(s.block.target || [])) {
      const rp = [].concat(target.retry_policy || [])[0];
      if (!rp || !(numberOf(t, rp.maximum_retry_attempts) > 0))
        problem(`schedule ${s.name}: no retries (retry_policy.maximum_retry_attempts ${rp ? rp.maximum_retry_attempts : 'unset'})`);
      const dl = [].concat(target.dead_letter_config || [])[0];
      if (!dl || !/aws_sqs_queue\./.test(String(dl.arn))) problem(`schedule ${s.name}: no dead_letter_config with an SQS queue`);
    }
  }
  const pol = t.data.find((d) => d.type === 'aws_iam_policy_document' && d.name === 'scheduler');
  if (!pol || !actionsOf(pol).has('sqs:SendMessage')) problem('scheduler role: no sqs:SendMessage on its dead-letter queue');
}

function checkBackend(t) {
  if (!/^\s*#\s*backend\s+"s3"\s*\{/m.test(t.rootText)) problem('no commented backend "s3" block for remote state in the root module');
}

(async () => {
  const t = await loadTree(root);
  checkImagePull(t);
  checkAlarms(t);
  checkPostprocessSizing(t);
  checkScheduler(t);
  checkBackend(t);
  if (findings.length) {
    findings.forEach((f) => console.log(f));
    console.log(`check_deployment: ${findings.length} finding(s)`);
    process.exit(1);
  }
  console.log(`check_deployment: ${t.resource.length} resources: image pull, alarms, post-process sizing, scheduler, backend: ok`);
})();
