#!/usr/bin/env node
// s3_fault_proxy.js - an HTTP proxy between rnr and an S3 server (s3rver)
// that injects faults and keeps a write log. Node standard library only.
//
//   node s3_fault_proxy.js --upstream http://127.0.0.1:4578 --port-file F
//        [--log WRITES.jsonl] [--seed N] [--error-rate P] [--reset-rate P]
//        [--delay-rate P] [--delay-ms MS] [--sequence F1,F2,...]
//
// Faults, drawn per request from a seeded generator (so a run can be
// repeated): a 500/503 S3 error answered by the proxy (the request never
// reaches S3); a connection reset, half of them before forwarding (S3 never
// sees the request) and half after S3 answered (the write happened, the
// client never hears it); a delay of up to --delay-ms before forwarding.
// --sequence gives the first requests their faults in order (error,
// reset-before, reset-after, delay or none), so a short run hits each kind
// for sure; the random draws take over after it. POST /_faults with a JSON object ({"error_rate": 0.2, ...}) changes the
// rates while running; GET /_faults shows them.
//
// The write log has one JSON line per request that S3 answered and whose
// answer reached the client in full: {"method", "key", "status", "md5",
// "bytes", "t0", "t1"} (times in ms since the epoch). A PUT with a 2xx
// there is a write rnr knows succeeded: counting them per key finds second
// writes of the same key; md5 says whether they stored the same bytes.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');

function parseArgs(argv) {
  const o = {upstream: null, port: 0, portFile: null, log: null, seed: 1,
             error_rate: 0, reset_rate: 0, delay_rate: 0, delay_ms: 0, sequence: []};
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const take = () => { i++; if (v === undefined) throw new Error(a + ' needs a value'); return v; };
    switch (a) {
      case '--upstream': o.upstream = new URL(take()); break;
      case '--port': o.port = Number(take()); break;
      case '--port-file': o.portFile = take(); break;
      case '--log': o.log = take(); break;
      case '--seed': o.seed = Number(take()); break;
      case '--error-rate': o.error_rate = Number(take()); break;
      case '--reset-rate': o.reset_rate = Number(take()); break;
      case '--delay-rate': o.delay_rate = Number(take()); break;
      case '--delay-ms': o.delay_ms = Number(take()); break;
      case '--sequence': o.sequence = take().split(',').filter((f) => f); break;
      default: throw new Error('unknown argument ' + a);
    }
  }
  if (!o.upstream) throw new Error('--upstream URL is required');
  return o;
}

// mulberry32: a small seeded generator, so a fault run can be replayed.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const opt = parseArgs(process.argv);
const rand = rng(opt.seed);
const logFd = opt.log ? fs.openSync(opt.log, 'a') : null;
const counts = {requests: 0, errors: 0, resets_before: 0, resets_after: 0, delays: 0};

function logWrite(rec) {
  if (logFd !== null) fs.writeSync(logFd, JSON.stringify(rec) + '\n');
}

function s3Error(res, status) {
  const code = status === 503 ? 'SlowDown' : 'InternalError';
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>' + code +
    '</Code><Message>injected by s3_fault_proxy</Message></Error>';
  res.writeHead(status, {'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body)});
  res.end(body);
}

function control(req, res, body) {
  if (req.method === 'POST') {
    try {
      const j = JSON.parse(body.toString('utf8') || '{}');
      for (const k of ['error_rate', 'reset_rate', 'delay_rate', 'delay_ms'])
        if (typeof j[k] === 'number') opt[k] = j[k];
    } catch (e) {
      res.writeHead(400); res.end('bad JSON: ' + e.message + '\n'); return;
    }
  }
  const out = JSON.stringify({error_rate: opt.error_rate, reset_rate: opt.reset_rate,
    delay_rate: opt.delay_rate, delay_ms: opt.delay_ms, counts}) + '\n';
  res.writeHead(200, {'Content-Type': 'application/json'});
  res.end(out);
}

function forward(req, res, body, t0, resetAfter) {
  const headers = Object.assign({}, req.headers);
  const up = http.request({host: opt.upstream.hostname, port: opt.upstream.port, method: req.method,
                           path: req.url, headers}, (ur) => {
    const chunks = [];
    ur.on('data', (c) => chunks.push(c));
    ur.on('end', () => {
      if (resetAfter) { counts.resets_after++; req.socket.destroy(); return; }
      const data = Buffer.concat(chunks);
      res.writeHead(ur.statusCode, ur.headers);
      res.end(data, () => {
        logWrite({method: req.method, key: decodeURIComponent(req.url.split('?')[0]),
                  query: req.url.includes('?') ? req.url.split('?')[1] : '',
                  status: ur.statusCode, bytes: body.length,
                  md5: req.method === 'PUT' ? crypto.createHash('md5').update(body).digest('hex') : '',
                  t0, t1: Date.now()});
      });
    });
  });
  up.on('error', (e) => { res.writeHead(502); res.end('upstream: ' + e.message + '\n'); });
  up.end(body);
}

// One request's fault from the rates: error, reset-before, reset-after,
// delay or none.
function draw() {
  const r = rand();
  let p = opt.error_rate;
  if (r < p) return 'error';
  p += opt.reset_rate;
  if (r < p) return rand() < 0.5 ? 'reset-before' : 'reset-after';
  p += opt.delay_rate;
  return r < p ? 'delay' : 'none';
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (req.url.startsWith('/_faults')) return control(req, res, body);
    counts.requests++;
    const t0 = Date.now();
    const fault = opt.sequence.length ? opt.sequence.shift() : draw();
    if (fault === 'error') { counts.errors++; return s3Error(res, rand() < 0.5 ? 500 : 503); }
    if (fault === 'reset-before') { counts.resets_before++; req.socket.destroy(); return; }
    if (fault === 'reset-after') return forward(req, res, body, t0, true);
    if (fault === 'delay' && opt.delay_ms > 0) {
      counts.delays++;
      const ms = Math.floor(rand() * opt.delay_ms);
      setTimeout(() => forward(req, res, body, t0, false), ms);
      return;
    }
    forward(req, res, body, t0, false);
  });
});

server.listen(opt.port, '127.0.0.1', () => {
  const port = server.address().port;
  if (opt.portFile) {
    fs.writeFileSync(opt.portFile + '.tmp', port + '\n');
    fs.renameSync(opt.portFile + '.tmp', opt.portFile);
  }
  process.stdout.write('s3_fault_proxy listening on http://127.0.0.1:' + port + '\n');
});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
