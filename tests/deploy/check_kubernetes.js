// check_kubernetes.js - render the Helm chart (helm_render.js) with its
// default values and with each deployment variant, then check every
// manifest against the Kubernetes and KEDA OpenAPI schemas
// (kubernetes-models, @kubernetes-models/keda: JSON Schema validation with
// ajv) and the chart's own promises: graceful termination longer than the
// worker's grace period, probes on /healthz and /readyz, secrets that exist,
// selectors that match, KEDA on the same backlog threshold as the AWS
// autoscaler.
//   node check_kubernetes.js CHART_DIR TERRAFORM_VARIABLES_TF
// Prints one line per finding and exits 1 when there is any.
'use strict';
const fs = require('fs');
const YAML = require('yaml');
const { renderChart } = require('./helm_render');

const [chartDir, tfVars] = process.argv.slice(2);
const findings = [];
let validated = 0;
const fail = (variant, msg) => findings.push(`${variant}: ${msg}`);

function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : [null, apiVersion];
  const mod = group === 'keda.sh' ? `@kubernetes-models/keda/keda.sh/${version}/${kind}`
    : group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
  try { return require(mod)[kind]; } catch (e) { return null; }
}

function documents(rendered) {
  const docs = [];
  for (const r of rendered) {
    for (const part of r.text.split(/^---\s*$/m)) {
      if (!part.trim() || !part.replace(/#.*$/gm, '').trim()) continue;
      let doc;
      try { doc = YAML.parse(part); } catch (e) { throw new Error(`${r.file}: not YAML: ${e.message}`); }
      if (doc) docs.push({ file: r.file, doc });
    }
  }
  return docs;
}

function tfDefault(name) {
  const src = fs.readFileSync(tfVars, 'utf8');
  const m = src.match(new RegExp(`variable\\s+"${name}"\\s*{[^}]*?default\\s*=\\s*([0-9.]+)`, 's'));
  return m ? Number(m[1]) : null;
}

function podSpecs(doc) {
  if (doc.kind === 'Deployment' || doc.kind === 'Job') return [doc.spec.template.spec];
  if (doc.kind === 'CronJob') return [doc.spec.jobTemplate.spec.template.spec];
  return [];
}

function checkVariant(variant, overrides, expect) {
  let docs;
  try { docs = documents(renderChart(chartDir, overrides)); } catch (e) { fail(variant, `render: ${e.message}`); return; }
  const byKind = (k) => docs.filter((d) => d.doc.kind === k).map((d) => d.doc);
  for (const { file, doc } of docs) {
    const Model = modelFor(doc.apiVersion || '', doc.kind || '');
    if (!Model) { fail(variant, `${file}: no schema for ${doc.apiVersion} ${doc.kind}`); continue; }
    validated++;
    try { new Model(doc).validate(); } catch (e) { fail(variant, `${file}: ${doc.kind} ${doc.metadata && doc.metadata.name}: ${e.message}`); }
  }
  const secrets = new Set(byKind('Secret').map((s) => s.metadata.name).concat(expect.externalSecrets || []));
  const claims = new Set(byKind('PersistentVolumeClaim').map((c) => c.metadata.name).concat(expect.externalClaims || []));
  for (const d of docs) {
    for (const spec of podSpecs(d.doc)) {
      for (const c of (spec.containers || []).concat(spec.initContainers || [])) {
        for (const e of c.env || []) {
          const ref = e.valueFrom && e.valueFrom.secretKeyRef;
          if (ref && !secrets.has(ref.name)) fail(variant, `${d.file}: env ${e.name} reads secret ${ref.name}, which is neither rendered nor declared external`);
        }
      }
      for (const v of spec.volumes || []) {
        if (v.persistentVolumeClaim && !claims.has(v.persistentVolumeClaim.claimName)) fail(variant, `${d.file}: volume ${v.name} claims ${v.persistentVolumeClaim.claimName}, which does not exist`);
      }
    }
  }
  const worker = byKind('Deployment').find((d) => d.metadata.name.endsWith('-worker'));
  if (!worker) { fail(variant, 'no worker Deployment'); return; }
  const pod = worker.spec.template;
  const sel = worker.spec.selector.matchLabels;
  for (const k of Object.keys(sel)) if (pod.metadata.labels[k] !== sel[k]) fail(variant, `worker selector ${k} does not match the pod labels`);
  const c = pod.spec.containers[0];
  const env = Object.fromEntries((c.env || []).filter((e) => 'value' in e).map((e) => [e.name, e.value]));
  const grace = Number(env.RNR_GRACE_SECONDS);
  if (!(pod.spec.terminationGracePeriodSeconds > grace)) fail(variant, `terminationGracePeriodSeconds ${pod.spec.terminationGracePeriodSeconds} must exceed RNR_GRACE_SECONDS ${grace}`);
  const probePath = (p) => p && p.httpGet && p.httpGet.path;
  if (probePath(c.livenessProbe) !== '/healthz') fail(variant, 'worker liveness probe is not GET /healthz');
  if (probePath(c.readinessProbe) !== '/readyz') fail(variant, 'worker readiness probe is not GET /readyz');
  const httpArg = (c.args || []).join(' ');
  const port = (c.ports || []).find((p) => p.name === 'http');
  if (!port || !httpArg.includes(`--http 0.0.0.0:${port.containerPort}`)) fail(variant, 'worker --http does not listen on the probed port');
  for (const svc of byKind('Service')) {
    for (const [k, v] of Object.entries(svc.spec.selector)) if (pod.metadata.labels[k] !== v) fail(variant, `service ${svc.metadata.name} selector ${k} does not match the worker`);
  }
  for (const want of expect.env || []) if (!(want[0] in env) || (want[1] !== undefined && env[want[0]] !== want[1])) fail(variant, `worker env ${want[0]} want ${want[1]} got ${env[want[0]]}`);
  for (const absent of expect.noEnv || []) if ((c.env || []).some((e) => e.name === absent)) fail(variant, `worker env ${absent} should not be set`);
  const cron = byKind('CronJob').map((j) => j.spec.jobTemplate.spec.template.spec.containers[0].command.join(' ')).sort();
  if (JSON.stringify(cron) !== JSON.stringify(['rnr postprocess', 'rnr producer'])) fail(variant, `CronJobs run ${JSON.stringify(cron)}, want producer and postprocess`);
  const so = byKind('ScaledObject');
  if (expect.keda) {
    if (so.length !== 1) { fail(variant, 'want one ScaledObject'); return; }
    const s = so[0].spec;
    if (s.scaleTargetRef.name !== worker.metadata.name) fail(variant, 'ScaledObject does not target the worker Deployment');
    if ('replicas' in worker.spec) fail(variant, 'worker replicas must be left to KEDA');
    const trig = s.triggers[0];
    const out = tfDefault('scale_out_backlog');
    if (trig.type !== 'rabbitmq' || trig.metadata.mode !== 'QueueLength') fail(variant, 'trigger is not rabbitmq QueueLength');
    if (Number(trig.metadata.value) !== out) fail(variant, `KEDA target ${trig.metadata.value} differs from terraform scale_out_backlog ${out}`);
    const ta = byKind('TriggerAuthentication').find((t) => t.metadata.name === trig.authenticationRef.name);
    if (!ta) fail(variant, 'trigger authentication missing');
    else if (!secrets.has(ta.spec.secretTargetRef[0].name)) fail(variant, 'trigger authentication reads a missing secret');
    const amqp = byKind('Secret').find((x) => x.data && x.data.amqpUrl);
    if (amqp && expect.amqpUrl && Buffer.from(amqp.data.amqpUrl, 'base64').toString() !== expect.amqpUrl) fail(variant, `amqpUrl is ${Buffer.from(amqp.data.amqpUrl, 'base64').toString()}`);
  } else if (so.length) fail(variant, 'ScaledObject rendered with keda disabled');
}

checkVariant('defaults', [{ broker: { password: 'p@ss/word' } }], {
  keda: true, amqpUrl: 'amqps://rnr:p%40ss%2Fword@rabbitmq.example.internal:5671/',
  env: [['RNR_CACHE_URL', 'rediss://redis.example.internal:6379/0'], ['RNR_HYDROFABRIC', '/hydrofabric/conus_nextgen.gpkg'], ['RNR_GRACE_SECONDS', '30']],
  noEnv: ['AWS_ACCESS_KEY_ID', 'REDIS_PASSWORD', 'HYDROFABRIC_S3_KEY'],
});
checkVariant('no-keda, s3 hydrofabric, keys, plain redis', [{
  keda: { enabled: false }, worker: { replicas: 3, graceSeconds: 120 },
  hydrofabric: { mode: 's3', s3Key: 'hydrofabric/v2.2/conus' },
  s3: { accessKeyId: 'AKIA', secretAccessKey: 'x', endpoint: 'http://minio:9000' },
  redis: { tls: false, password: 'pw' },
}], {
  keda: false,
  env: [['HYDROFABRIC_S3_KEY', 'hydrofabric/v2.2/conus'], ['RNR_CACHE_URL', 'redis://redis.example.internal:6379/0'], ['AWS_ENDPOINT_URL_S3', 'http://minio:9000'], ['RNR_GRACE_SECONDS', '120']],
  noEnv: ['RNR_HYDROFABRIC'],
});
checkVariant('existing secrets and claim', [{
  broker: { existingSecret: 'mq-creds' }, redis: { existingSecret: 'redis-creds' }, s3: { existingSecret: 's3-creds' },
  hydrofabric: { existingClaim: 'hf-conus' },
}], { keda: true, externalSecrets: ['mq-creds', 'redis-creds', 's3-creds'], externalClaims: ['hf-conus'], env: [] });

// The checks must bite: a broken variant has to be reported.
const before = findings.length;
checkVariant('SELFTEST', [{ worker: { httpPort: 'eighty', terminationMargin: -60 }, keda: { scaleOutBacklog: 7 } }], { keda: true, env: [] });
const self = findings.splice(before);
for (const want of ['containerPort', 'terminationGracePeriodSeconds', 'differs from terraform']) {
  if (!self.some((f) => f.includes(want))) findings.push(`selftest: a broken chart was not caught (${want}): ${self.join(' | ')}`);
}
try { renderChart(chartDir, [{ hydrofabric: { mode: 's3', s3Key: '' } }]); findings.push('selftest: s3 mode without s3Key rendered'); } catch (e) {
  if (!/hydrofabric.s3Key is required/.test(e.message)) findings.push(`selftest: wrong error for a missing s3Key: ${e.message}`);
}

for (const f of findings) console.log(f);
if (findings.length) process.exit(1);
console.log(`kubernetes chart: 3 variants, ${validated} manifests checked against the Kubernetes and KEDA schemas`);
