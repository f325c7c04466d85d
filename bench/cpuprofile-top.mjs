// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per
// function (name, file:line), heaviest first, and the share spent in GC,
// idle and the program itself. Used by `npm run bench -- --profile` and by
// hand: node bench/cpuprofile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** @returns {{ totalMs: number, idleMs: number, gcMs: number, top: { fn: string, where: string, selfMs: number, pct: number }[] }} */
export function topFunctions(profile, n = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (deltas[i] ?? 0) / 1000;
    total += dt;
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + dt);
  }
  const agg = new Map();
  for (const [id, ms] of self) {
    const cf = byId.get(id)?.callFrame;
    if (!cf) continue;
    const file = cf.url ? cf.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/') : '';
    const key = `${cf.functionName || '(anonymous)'}\t${file ? `${file}:${cf.lineNumber + 1}` : '(native)'}`;
    agg.set(key, (agg.get(key) ?? 0) + ms);
  }
  const get = (name) => [...agg].filter(([k]) => k.startsWith(`${name}\t`)).reduce((a, [, v]) => a + v, 0);
  const idleMs = get('(idle)');
  const busy = total - idleMs;
  const top = [...agg]
    .filter(([k]) => !k.startsWith('(idle)\t'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => {
      const [fn, where] = k.split('\t');
      return { fn, where, selfMs: Math.round(ms), pct: Math.round((ms / busy) * 1000) / 10 };
    });
  return { totalMs: Math.round(total), idleMs: Math.round(idleMs), gcMs: Math.round(get('(garbage collector)')), top };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/cpuprofile-top.mjs FILE.cpuprofile [N]');
    process.exit(2);
  }
  const r = topFunctions(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 30));
  console.log(`total ${r.totalMs} ms, idle ${r.idleMs} ms, GC ${r.gcMs} ms; self time of the busy part:`);
  for (const t of r.top) console.log(`${String(t.pct).padStart(5)}%  ${String(t.selfMs).padStart(6)} ms  ${t.fn}  ${t.where}`);
}
