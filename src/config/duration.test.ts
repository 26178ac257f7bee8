import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatGoDuration, parseGoDuration, parseGoDurationNs } from './duration.js';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['90s', 90_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1.5h', 5_400_000],
    ['2h45m', 9_900_000],
    ['-5s', -5000],
    ['+1s', 1000],
    ['1500us', 2],
    ['.5s', 500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(['', '5', 's', '1x', '1m 30s', '1.2.3s', 'm5', '-'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });

  it('keeps nanosecond precision before rounding', () => {
    expect(parseGoDurationNs('1µs')).toBe(1000);
    expect(parseGoDurationNs('3ns')).toBe(3);
  });
});

describe('formatGoDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [1000, '1s'],
    [30_000, '30s'],
    [60_000, '1m0s'],
    [90_000, '1m30s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
    [5_400_500, '1h30m0.5s'],
    [-1500, '-1.5s'],
  ])('%d ms is %s, as Go prints it', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through the parser', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 24 * 3_600_000 }), (ms) => {
        expect(parseGoDuration(formatGoDuration(ms))).toBe(ms);
      }),
    );
  });
});
