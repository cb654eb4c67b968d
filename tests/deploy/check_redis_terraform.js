#!/usr/bin/env node
// Static check of the dedup cache in a Terraform tree (no terraform binary):
//  - the cache is an aws_elasticache_replication_group (no plain
//    aws_elasticache_cluster) with in-transit and at-rest encryption taken
//    from variables that default to true at the root and in the module;
//  - its auth_token is the module's token, which is also the secret string
//    of an aws_secretsmanager_secret_version; the token variables are
//    sensitive and no output exposes the token;
//  - a replica in a second zone is an option: num_cache_clusters, multi_az
//    and automatic failover follow one variable, exposed at the root;
//  - the app gets REDIS_TLS, the producer Lambda REDIS_SECRET_ARN (and only
//    it), nobody a REDIS_PASSWORD value; the producer role may read the secret.
// usage: check_redis_terraform.js DIR...  (exit 0 all clean, 1 with findings;
// each finding line starts with "DIR: " when more than one DIR is given)
'use strict';
const fs = require('fs');
const path = require('path');
const { parse } = require('@cdktf/hcl2json');

let findings = [];
const problem = (msg) => findings.push(msg);

async function load(dir) {
  const merged = { variable: {}, output: {}, resource: {}, data: {}, module: {}, locals: {}, text: '' };
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    const j = await parse(name, text);
    merged.text += text;
    for (const k of ['variable', 'output', 'module'])
      for (const [n, v] of Object.entries(j[k] || {})) merged[k][n] = v[0];
    for (const k of ['resource', 'data'])
      for (const [t, byName] of Object.entries(j[k] || {}))
        for (const [n, v] of Object.entries(byName)) merged[k][`${t}.${n}`] = v[0];
    for (const l of j.locals || []) Object.assign(merged.locals, l);
  }
  return merged;
}

const str = (v) => JSON.stringify(v === undefined ? null : v);
function expect(cond, msg) { if (!cond) problem(msg); }

function checkDataStores(ds) {
  expect(!Object.keys(ds.resource).some((r) => r.startsWith('aws_elasticache_cluster.')),
    'data_stores: the cache is a plain aws_elasticache_cluster (no TLS with AUTH, no replica)');
  const rg = ds.resource['aws_elasticache_replication_group.redis'];
  if (!rg) return problem('data_stores: no aws_elasticache_replication_group.redis');
  expect(rg.transit_encryption_enabled === '${var.transit_encryption}',
    `data_stores: transit_encryption_enabled is ${str(rg.transit_encryption_enabled)}, not var.transit_encryption`);
  expect(rg.at_rest_encryption_enabled === '${var.at_rest_encryption}',
    `data_stores: at_rest_encryption_enabled is ${str(rg.at_rest_encryption_enabled)}, not var.at_rest_encryption`);
  for (const v of ['transit_encryption', 'at_rest_encryption'])
    expect(ds.variable[v] && ds.variable[v].default === true, `data_stores: variable ${v} must default to true`);
  expect(rg.auth_token === '${local.redis_auth_token}', `data_stores: auth_token is ${str(rg.auth_token)}`);
  const sv = ds.resource['aws_secretsmanager_secret_version.redis_auth'];
  expect(sv && sv.secret_string === '${local.redis_auth_token}',
    'data_stores: the auth token is not stored in aws_secretsmanager_secret_version.redis_auth');
  expect(/random_password\.redis_auth|var\.redis_auth_token/.test(str(ds.locals.redis_auth_token)),
    'data_stores: local.redis_auth_token comes from neither random_password nor var.redis_auth_token');
  expect(ds.variable.redis_auth_token && ds.variable.redis_auth_token.sensitive === true,
    'data_stores: variable redis_auth_token is not sensitive');
  for (const [n, o] of Object.entries(ds.output))
    expect(!/redis_auth_token|random_password/.test(str(o.value)), `data_stores: output ${n} exposes the auth token`);
  expect(/var\.multi_az \? 2 : 1/.test(str(rg.num_cache_clusters)),
    `data_stores: num_cache_clusters ${str(rg.num_cache_clusters)} does not add a replica with var.multi_az`);
  for (const a of ['multi_az_enabled', 'automatic_failover_enabled'])
    expect(rg[a] === '${var.multi_az}', `data_stores: ${a} is ${str(rg[a])}, not var.multi_az`);
  expect(ds.variable.multi_az && ds.variable.multi_az.default === false, 'data_stores: multi_az must default to false');
  expect(/primary_endpoint_address/.test(str((ds.output.redis_host || {}).value)),
    'data_stores: redis_host is not the primary endpoint (a failover would strand rnr)');
  expect(/aws_secretsmanager_secret\.redis_auth/.test(str((ds.output.redis_secret_arns || {}).value)),
    'data_stores: no redis_secret_arns output from the secret');
}

function checkRoot(top) {
  const call = top.module.data_stores || {};
  const want = { transit_encryption: 'redis_transit_encryption', at_rest_encryption: 'redis_at_rest_encryption',
    redis_auth_token: 'redis_auth_token', multi_az: 'redis_multi_az' };
  for (const [arg, v] of Object.entries(want)) {
    expect(call[arg] === `\${var.${v}}`, `root: module data_stores gets ${arg} = ${str(call[arg])}, not var.${v}`);
    expect(top.variable[v], `root: variable ${v} is not declared`);
  }
  for (const v of ['redis_transit_encryption', 'redis_at_rest_encryption'])
    expect(top.variable[v] && top.variable[v].default === true, `root: variable ${v} must default to true`);
  expect(top.variable.redis_auth_token && top.variable.redis_auth_token.sensitive === true,
    'root: variable redis_auth_token is not sensitive');
  for (const m of ['app', 'iam_roles'])
    expect((top.module[m] || {}).redis_secret_arns === '${module.data_stores.redis_secret_arns}',
      `root: module ${m} does not get module.data_stores.redis_secret_arns`);
  expect((top.module.app || {}).redis_tls === '${module.data_stores.redis_tls}', 'root: module app does not get redis_tls');
}

function checkApp(app, iam) {
  expect(/var\.redis_tls/.test(str(app.locals.common_env && app.locals.common_env.REDIS_TLS)),
    'app: REDIS_TLS is not in the environment');
  const fn = app.resource['aws_lambda_function.handler'] || {};
  const env = str(fn.environment);
  expect(env.includes('REDIS_SECRET_ARN') && env.includes('if each.key == \\"producer\\"'),
    'app: the producer Lambda does not get REDIS_SECRET_ARN (only it)');
  expect(!/REDIS_PASSWORD/.test(app.text), 'app: a REDIS_PASSWORD value is set in plain environment');
  const pol = iam.data['aws_iam_policy_document.producer'] || {};
  const stmts = [...(pol.statement || []), ...((pol.dynamic || {}).statement || []).flatMap((d) => d.content || [])];
  expect(stmts.some((s) => str(s.actions).includes('secretsmanager:GetSecretValue') &&
    str(s.resources).includes('var.redis_secret_arns')),
  'iam_roles: the producer may not read the cache AUTH secret');
}

async function checkTree(root) {
  findings = [];
  const mods = path.join(root, 'modules');
  const [top, ds, app, iam] = await Promise.all([root, path.join(mods, 'data_stores'),
    path.join(mods, 'app'), path.join(mods, 'iam_roles')].map(load));
  checkDataStores(ds);
  checkRoot(top);
  checkApp(app, iam);
  return findings;
}

(async () => {
  const dirs = process.argv.slice(2).length ? process.argv.slice(2) : ['.'];
  let total = 0;
  for (const d of dirs) {
    const got = await checkTree(path.resolve(d));
    for (const f of got) console.log(dirs.length > 1 ? `${d}: ${f}` : f);
    total += got.length;
  }
  console.log(total ? `check_redis_terraform: ${total} finding(s)` : 'check_redis_terraform: ok');
  process.exit(total ? 1 : 0);
})().catch((e) => { console.error(`check_redis_terraform: ${e.message || e}`); process.exit(1); });
