import { createHash } from 'node:crypto';

/** A seeded pseudo-random source returning floats in [0, 1). */
export type Random = () => number;

/**
 * Creates a mulberry32 generator: a 32-bit state, fast, and good enough for test data.
 * The same seed always yields the same sequence.
 */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;

  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent generator for one purpose, so streams do not shift each other. */
export function derivedRandom(seed: number, purpose: string): Random {
  const digest = createHash('sha256').update(`${seed}:${purpose}`).digest();
  return mulberry32(digest.readUInt32LE(0));
}

/** Derives a hex string of `length` digits from the seed, for keys and secrets. */
export function derivedHex(seed: number, purpose: string, length: number): string {
  const digest = createHash('sha256').update(`nymble-sim:${seed}:${purpose}`).digest('hex');
  return digest.slice(0, length);
}

/** Returns an integer in [min, max], both inclusive. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  if (item === undefined) {
    throw new RangeError('pick() needs a non-empty list');
  }
  return item;
}

/** Returns `count` distinct indices in [0, size), in random order. */
export function sampleIndices(random: Random, size: number, count: number): number[] {
  const sampleSize = Math.min(count, size);

  // Rejection sampling keeps small samples from large stores cheap; it needs few retries
  // while the sample is under a quarter of the store.
  if (sampleSize * 4 <= size) {
    const chosen = new Set<number>();
    while (chosen.size < sampleSize) {
      chosen.add(Math.floor(random() * size));
    }
    return [...chosen];
  }

  const indices = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < sampleSize; i++) {
    const j = i + Math.floor(random() * (size - i));
    const swap = indices[i] as number;
    indices[i] = indices[j] as number;
    indices[j] = swap;
  }
  return indices.slice(0, sampleSize);
}

/** Picks a key with probability proportional to its weight. */
export function pickWeighted<T extends string>(
  random: Random,
  weights: Readonly<Record<T, number>>,
): T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  let target = random() * total;

  for (const [key, weight] of entries) {
    target -= weight;
    if (target < 0) {
      return key;
    }
  }
  return (entries[entries.length - 1] as [T, number])[0];
}
