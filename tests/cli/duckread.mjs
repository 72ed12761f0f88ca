// duckread.mjs DIR - s3put's objects read back by DuckDB (its Node API,
// @duckdb/node-api from build/npm, see tests/deps.sh), as users read
// them: read_json(FILE, format='newline_delimited', compression='gzip'),
// the columns inferred.  For each object of DIR/keys (DIR/NNN.gz, its
// input lines DIR/NNN.jsonl, as tests/cli/readcheck.py split writes
// them): count(*), sum(volume), and every row's symbol and name in order
// (so the first and the last), against JSON.parse of the input lines.
// Prints one line per problem and "objects N ok M rows R".
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(join(process.env.QP_ROOT, 'build/npm/package.json'));
const { DuckDBInstance } = require('@duckdb/node-api');
const dir = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const keys = readFileSync(join(dir, 'keys'), 'utf8').split('\n').filter((k) => k !== '');
let good = 0, rows = 0;
for (const [n, key] of keys.entries()) {
	const base = join(dir, String(n).padStart(3, '0'));
	const want = readFileSync(base + '.jsonl', 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l));
	const src = `read_json('${(base + '.gz').replaceAll("'", "''")}', format='newline_delimited', compression='gzip')`;
	const bad = [];
	try {
		const agg = (await con.runAndReadAll(`SELECT count(*)::VARCHAR, sum(volume)::VARCHAR FROM ${src}`)).getRowsJson()[0];
		const got = (await con.runAndReadAll(`SELECT symbol, name FROM ${src}`)).getRowsJson();
		const vol = want.reduce((s, r) => s + BigInt(r.volume ?? 0), 0n);
		if (agg[0] !== String(want.length)) bad.push(`count(*) ${agg[0]}, want ${want.length}`);
		if (agg[1] !== String(vol)) bad.push(`sum(volume) ${agg[1]}, want ${vol}`);
		for (let i = 0; i < Math.min(got.length, want.length) && bad.length < 5; i++) {
			for (const [c, f] of [[0, 'symbol'], [1, 'name']]) {
				if (got[i][c] !== (want[i][f] ?? null))
					bad.push(`row ${i} ${f}: ${JSON.stringify(got[i][c])?.slice(0, 80)}, want ${JSON.stringify(want[i][f])?.slice(0, 80)}`);
			}
		}
		rows += got.length;
	} catch (e) {
		bad.push(String(e).slice(0, 300));
	}
	if (bad.length) console.log(`${key}: ${bad.join('; ')}`);
	else good++;
}
console.log(`objects ${keys.length} ok ${good} rows ${rows}`);
