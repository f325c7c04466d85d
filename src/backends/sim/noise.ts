// Seeded, stateless randomness for the simulation: every value is a hash of
// (seed, what, when), so a reading depends only on the seed and the time it
// is taken for, never on how often or in which order anything was sampled.

/** 32-bit integer mix (the murmur3 finaliser). */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform value in [0, 1) determined by the integers given. */
export function unit(...keys: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const k of keys) h = mix(h ^ mix(Math.trunc(k) | 0) ^ Math.trunc(k / 0x1_0000_0000));
  return mix(h) / 0x1_0000_0000;
}

/** A uniform value in [-1, 1) determined by the integers given. */
export function signed(...keys: readonly number[]): number {
  return unit(...keys) * 2 - 1;
}

/**
 * A smooth function of time in [0, 1] for one seed: a few slow sine waves
 * with seeded periods and phases, like a server's workload over minutes.
 */
export function smoothLoad(seed: number, tMs: number): number {
  const base = 0.15 + 0.3 * unit(seed, 1);
  let v = base;
  const waves: readonly [amplitude: number, periodMs: number][] = [
    [0.18, 300_000],
    [0.1, 70_000],
    [0.05, 17_000],
  ];
  waves.forEach(([amplitude, period], i) => {
    const p = period * (0.75 + 0.5 * unit(seed, 10 + i));
    const phase = 2 * Math.PI * unit(seed, 20 + i);
    v += amplitude * Math.sin((2 * Math.PI * tMs) / p + phase);
  });
  return Math.min(1, Math.max(0, v));
}
