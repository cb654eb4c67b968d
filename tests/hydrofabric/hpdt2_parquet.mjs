// hpdt2_parquet.mjs - test data from writers rnr did not write: the layers
// of a hydrofabric GeoPackage as parquet directories (the reference's
// layout) written by DuckDB in several variants, and by parquetjs-lite
// with data page v2; and a comparison of DuckDB's reading of a parquet file
// with `rnr hydrofabric dump`.
//
//   node hpdt2_parquet.mjs write H.gpkg OUTDIR [LAKES.csv]
//   node hpdt2_parquet.mjs compare RNR FILE.parquet...
//
// The GeoPackage is read with the sqlite3 CLI (node 20 has no SQLite) as
// CSV; geometry goes out as WKB (the GeoPackage header stripped) with
// GeoParquet 'geo' metadata. Needs no network.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const parquetjs = require('parquetjs-lite');

const LAYERS = ['network', 'flowpaths', 'flowpath-attributes', 'lakes', 'divides', 'nexus', 'pois',
  'hydrolocations'];
// Columns that hold integers however the GeoPackage stores them.
const INT_COLS = new Set(['hf_id', 'hf_mainstem', 'poi_id', 'order', 'mainstem']);

function sqlite(gpkg, args, sql) {
  return execFileSync('sqlite3', ['-bail', ...args, gpkg, sql], { maxBuffer: 1 << 30 }).toString();
}

function layerColumns(gpkg, layer) {
  const cols = JSON.parse(sqlite(gpkg, ['-json'], `SELECT name, type FROM pragma_table_info('${layer}')`) || '[]');
  const geom = JSON.parse(sqlite(gpkg, ['-json'],
    `SELECT column_name FROM gpkg_geometry_columns WHERE table_name = '${layer}'`) || '[]');
  const g = geom.length ? geom[0].column_name : null;
  return cols.filter((c) => c.name !== 'fid').map((c) => ({
    name: c.name,
    geom: c.name === g,
    type: c.name === g ? 'VARCHAR' : /REAL|FLOAT|DOUBLE/i.test(c.type) ? 'DOUBLE'
      : /INT/i.test(c.type) ? 'BIGINT' : 'VARCHAR',
  }));
}

// The WKB after the GeoPackage header (8 bytes + the envelope), as hex.
function wkbHex(col) {
  const q = `"${col}"`;
  return `hex(substr(${q}, 9 + CASE (unicode(substr(${q}, 4, 1)) >> 1) & 7 WHEN 1 THEN 32 WHEN 2 THEN 48`
    + ` WHEN 3 THEN 48 WHEN 4 THEN 64 ELSE 0 END))`;
}

async function loadLayer(con, gpkg, layer, tmp) {
  const have = sqlite(gpkg, [], `SELECT count(*) FROM sqlite_master WHERE name = '${layer}'`).trim() === '1';
  if (!have)
    return null;
  const cols = layerColumns(gpkg, layer);
  // REALs through quote(): the CLI's CSV prints 15 digits, quote() round-trips
  const sel = cols.map((c) => (c.geom ? `${wkbHex(c.name)} AS "${c.name}"`
    : c.type === 'DOUBLE' ? `CASE WHEN typeof("${c.name}") = 'real' THEN quote("${c.name}") ELSE "${c.name}" END`
      + ` AS "${c.name}"` : `"${c.name}"`)).join(', ');
  const csv = join(tmp, `${layer}.csv`);
  writeFileSync(csv, sqlite(gpkg, ['-csv', '-header', '-nullvalue', '\\N'], `SELECT ${sel} FROM "${layer}" ORDER BY fid`));
  const types = cols.map((c) => `'${c.name}': '${c.type}'`).join(', ');
  const t = `src_${layer.replace(/-/g, '_')}`;
  await con.run(`CREATE TABLE ${t} AS SELECT * FROM read_csv('${csv}', header = true, nullstr = '\\N',
    quote = '"', escape = '"', columns = {${types}})`);
  return { table: t, cols };
}

const GEO = JSON.stringify({
  version: '1.0.0', primary_column: 'geometry',
  columns: { geometry: { encoding: 'WKB', geometry_types: [], crs: { id: { authority: 'EPSG', code: 5070 } } } },
});

// The SELECT list of one variant: geometry as a BLOB named "geometry",
// integer columns cast as the variant wants.
function selectList(cols, ints) {
  return cols.map((c) => {
    const q = `"${c.name}"`;
    if (c.geom)
      return `from_hex(${q}) AS geometry`;
    if (INT_COLS.has(c.name) && ints === 'bigint')
      return `CAST(${q} AS BIGINT) AS ${q}`;
    if (INT_COLS.has(c.name) && ints === 'string')
      return `CAST(CAST(${q} AS BIGINT) AS VARCHAR) AS ${q}`;
    if (c.name === 'hf_id' && ints === 'half') // one row's hf_id is not an integer
      return `CASE WHEN rowid = 3 THEN ${q} + 0.5 ELSE ${q} END AS ${q}`;
    return q;
  }).join(', ');
}

const VARIANTS = [
  { name: 'zstd', opts: 'COMPRESSION zstd' },
  { name: 'snappy', opts: 'COMPRESSION snappy' },
  { name: 'uncompressed', opts: 'COMPRESSION uncompressed' },
  { name: 'gzip', opts: 'COMPRESSION gzip' },
  // several row groups in every layer: DuckDB cuts them at vector boundaries,
  // so the rows are fed in small batches (see below)
  { name: 'rowgroups', opts: 'COMPRESSION zstd, ROW_GROUP_SIZE 16', batch: 16 },
  { name: 'v2enc', opts: 'COMPRESSION zstd, PARQUET_VERSION v2' },
  { name: 'ints', opts: 'COMPRESSION snappy', ints: 'bigint' },
  { name: 'strings', opts: 'COMPRESSION zstd, PARQUET_VERSION v2', ints: 'string' },
  // flowpaths out of id order after the first 25 rows, and four ids again
  // after their first row with other values (the first row must win)
  { name: 'mixed', opts: 'COMPRESSION zstd', mixed: true },
  // bad input: a codec rnr does not read, a non-integer hf_id, a missing column
  { name: 'lz4', opts: 'COMPRESSION lz4' },
  { name: 'badint', opts: 'COMPRESSION zstd', ints: 'half' },
  { name: 'nocol', opts: 'COMPRESSION zstd', drop: 'hf_hydroseq' },
];

async function writeVariant(con, layers, out, v) {
  mkdirSync(out, { recursive: true });
  for (const [layer, l] of Object.entries(layers)) {
    const file = join(out, `${layer}.parquet`);
    const geo = l.cols.some((c) => c.geom) ? `, KV_METADATA {geo: '${GEO}'}` : '';
    const cols = l.cols.filter((c) => c.name !== v.drop);
    let src = `SELECT ${selectList(cols, v.ints)} FROM ${l.table}`;
    if (v.batch) { // DuckDB flushes row groups between chunks: one UNION ALL branch per batch
      const n = Number((await con.runAndReadAll(`SELECT count(*) FROM ${l.table}`)).getRows()[0][0]);
      const parts = [];
      for (let k = 0; k < n; k += v.batch)
        parts.push(`${src} WHERE rowid >= ${k} AND rowid < ${k + v.batch}`);
      if (parts.length > 1)
        src = parts.join(' UNION ALL ');
    }
    if (v.mixed && layer === 'flowpaths') {
      const base = `SELECT ${selectList(cols, v.ints)}, row_number() OVER (ORDER BY id) AS r FROM ${l.table}`;
      src = `SELECT * EXCLUDE (r, k) FROM (
        SELECT *, CASE WHEN r <= 25 THEN r ELSE 1000 - r END AS k FROM (${base})
        UNION ALL SELECT * REPLACE (lengthkm * 3 AS lengthkm, hydroseq + 1 AS hydroseq), 2000 + r AS k
          FROM (${base}) WHERE r IN (3, 10, 20, 40)) ORDER BY k`;
    }
    await con.run(`COPY (${src}) TO '${file}' (FORMAT parquet, ${v.opts}${geo})`);
  }
}

// Data page v2 and nullable columns from parquetjs-lite (GZIP, SNAPPY).
async function writePageV2(con, layers, out) {
  mkdirSync(out, { recursive: true });
  for (const [layer, l] of Object.entries(layers)) {
    const fields = {};
    for (const c of l.cols) {
      const name = c.geom ? 'geometry' : c.name;
      fields[name] = { optional: true, compression: c.type === 'DOUBLE' ? 'SNAPPY' : 'GZIP',
        type: c.geom ? 'BYTE_ARRAY' : c.type === 'DOUBLE' ? 'DOUBLE' : c.type === 'BIGINT' ? 'INT64' : 'UTF8' };
    }
    const reader = await con.runAndReadAll(`SELECT ${selectList(l.cols, null)} FROM ${l.table}`);
    const rows = reader.getRowObjects();
    const w = await parquetjs.ParquetWriter.openFile(new parquetjs.ParquetSchema(fields), join(out, `${layer}.parquet`),
      { useDataPageV2: true });
    w.setRowGroupSize(64);
    if (l.cols.some((c) => c.geom))
      w.setMetadata('geo', GEO);
    for (const r of rows) {
      const o = {};
      for (const [k, val] of Object.entries(r)) {
        if (val === null || val === undefined)
          continue;
        o[k] = typeof val === 'bigint' ? Number(val) : val && val.bytes ? Buffer.from(val.bytes) : val;
      }
      await w.appendRow(o);
    }
    await w.close();
  }
}

async function write(gpkg, outdir, lakesCsv) {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const tmp = join(outdir, 'csv');
  mkdirSync(tmp, { recursive: true });
  const layers = {};
  for (const layer of LAYERS) {
    const l = await loadLayer(con, gpkg, layer, tmp);
    if (l)
      layers[layer] = l;
  }
  const lakeCols = [{ name: 'poi_id', type: 'DOUBLE' }, { name: 'hf_id', type: 'DOUBLE' }];
  if (!layers.lakes) { // small subsets have no lakes layer; the layout requires the file
    await con.run('CREATE TABLE src_lakes (poi_id DOUBLE, hf_id DOUBLE)');
    layers.lakes = { table: 'src_lakes', cols: lakeCols };
  }
  for (const v of VARIANTS)
    await writeVariant(con, layers, join(outdir, v.name), v);
  await writePageV2(con, layers, join(outdir, 'pagev2'));
  if (lakesCsv) { // the zstd variant with these lakes
    await con.run(`CREATE TABLE fixture_lakes AS SELECT * FROM read_csv('${lakesCsv}', header = true,
      columns = {'poi_id': 'DOUBLE', 'hf_id': 'DOUBLE'})`);
    await writeVariant(con, { ...layers, lakes: { table: 'fixture_lakes', cols: lakeCols } }, join(outdir, 'lakes'),
      VARIANTS[0]);
  }
}

// DuckDB's value as `rnr hydrofabric dump` prints it.
function fmt(v) {
  if (v === null || v === undefined)
    return '\\N';
  if (typeof v === 'boolean')
    return v ? '1' : '0';
  if (typeof v === 'bigint')
    return v.toString();
  if (typeof v === 'number')
    return v;
  if (typeof v === 'string')
    return v.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');
  if (v.bytes)
    return '0x' + Buffer.from(v.bytes).toString('hex');
  return String(v);
}

async function compare(rnr, files) {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  let bad = 0, values = 0;
  for (const f of files) {
    const ours = execFileSync(rnr, ['hydrofabric', 'dump', f], { maxBuffer: 1 << 30 }).toString().split('\n');
    ours.pop();
    const header = ours.shift().split('\t').map((h) => h.replace(/:\d+$/, ''));
    const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${f}')`);
    const names = reader.columnNames();
    const rows = reader.getRows();
    if (JSON.stringify(names) !== JSON.stringify(header) || rows.length !== ours.length) {
      console.error(`${f}: columns ${header} / ${names}, rows ${ours.length} / ${rows.length}`);
      bad++;
      continue;
    }
    rows.forEach((row, i) => {
      const mine = ours[i].split('\t');
      row.forEach((v, k) => {
        values++;
        const want = fmt(v);
        // reals: ours has round-trip precision, so the parsed numbers must be equal
        const same = typeof want === 'number' ? mine[k] !== '\\N' && Number(mine[k]) === want : mine[k] === want;
        if (!same && bad++ < 10)
          console.error(`${f}: row ${i} column ${names[k]}: rnr '${mine[k]}', DuckDB '${want}'`);
      });
    });
  }
  console.log(`compared ${values} values in ${files.length} files: ${bad} differences`);
  process.exit(bad ? 1 : 0);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'write' && args.length >= 2 && existsSync(args[0]))
  await write(args[0], args[1], args[2]);
else if (cmd === 'compare' && args.length >= 2)
  await compare(args[0], args.slice(1));
else {
  console.error('usage: hpdt2_parquet.mjs write H.gpkg OUTDIR [LAKES.csv] | compare RNR FILE...');
  process.exit(2);
}
