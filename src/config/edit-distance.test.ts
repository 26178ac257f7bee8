import { describe, expect, it } from 'vitest';
import { editDistance } from './edit-distance.js';

describe('editDistance', () => {
  it.each([
    ['max-in-flight', 'max-in-flight', 0],
    ['max-in-flight', 'max-inflight', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['podSpec', 'podspec', 1],
  ])('%s ~ %s = %d', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});
