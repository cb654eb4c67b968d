// s3_count_proxy.mjs - an HTTP proxy between rnr and s3rver that logs
// every request it receives, before forwarding it, as one JSON line
// {"method", "path", "query", "range", "ifNoneMatch"}: the test counts the GETs of the
// hydrofabric's data from it. With --drop-range it removes the Range
// header, so the server answers with whole objects (a server that does
// not honour Range). Node standard library only.
//
//   node s3_count_proxy.mjs --upstream http://127.0.0.1:PORT --port-file F --log L [--drop-range]
import http from 'node:http';
import fs from 'node:fs';

const o = {upstream: null, portFile: null, log: null, dropRange: false};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--drop-range') o.dropRange = true;
  else if (a === '--upstream') o.upstream = new URL(process.argv[++i]);
  else if (a === '--port-file') o.portFile = process.argv[++i];
  else if (a === '--log') o.log = process.argv[++i];
  else throw new Error('unknown argument ' + a);
}
if (!o.upstream || !o.portFile || !o.log) throw new Error('--upstream, --port-file and --log are required');
const logFd = fs.openSync(o.log, 'a');

const server = http.createServer((req, res) => {
  const [path, query] = req.url.split('?');
  // written before forwarding: the line exists before rnr sees the answer
  fs.writeSync(logFd, JSON.stringify({method: req.method, path: decodeURIComponent(path), query: query || '',
                                      range: req.headers.range || '',
                                      ifNoneMatch: req.headers['if-none-match'] || '',
                                      ifMatch: req.headers['if-match'] || ''}) + '\n');
  const headers = Object.assign({}, req.headers);
  if (o.dropRange) delete headers.range;
  const up = http.request({host: o.upstream.hostname, port: o.upstream.port, method: req.method, path: req.url,
                           headers}, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    ur.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502); res.end('upstream: ' + e.message + '\n'); });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(o.portFile + '.tmp', server.address().port + '\n');
  fs.renameSync(o.portFile + '.tmp', o.portFile);
});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
