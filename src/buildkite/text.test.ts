import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cropUtf8, railsPathEscape } from './text.js';

describe('railsPathEscape', () => {
  it('escapes like Go url.PathEscape and writes dots as %2E', () => {
    expect(railsPathEscape('my-stack_1~')).toBe('my-stack_1~');
    expect(railsPathEscape('a.b')).toBe('a%2Eb');
    expect(railsPathEscape('a/b c?d')).toBe('a%2Fb%20c%3Fd');
    expect(railsPathEscape("$&+:=@!*'()")).toBe('$&+:=@%21%2A%27%28%29');
    expect(railsPathEscape('é')).toBe('%C3%A9');
  });

  it('round-trips through decodeURIComponent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const escaped = railsPathEscape(s);
        expect(escaped).not.toMatch(/[./?#\s]/);
        expect(decodeURIComponent(escaped)).toBe(Buffer.from(s, 'utf8').toString('utf8'));
      }),
    );
  });
});

describe('cropUtf8', () => {
  it('leaves text that fits alone', () => {
    expect(cropUtf8('short', 10, '…')).toBe('short');
    expect(cropUtf8('x'.repeat(10), 10, '…')).toBe('x'.repeat(10));
  });

  it('never exceeds the limit, never splits a character, and ends with the suffix', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 400 }),
        fc.integer({ min: 20, max: 300 }),
        (s, max) => {
          const out = cropUtf8(s, max, '… (cropped)');
          expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
          if (Buffer.byteLength(s) > max) {
            expect(out.endsWith('… (cropped)')).toBe(true);
            expect(
              Buffer.from(s)
                .subarray(0, Buffer.byteLength(out) - Buffer.byteLength('… (cropped)'))
                .toString(),
            ).toBe(out.slice(0, out.length - '… (cropped)'.length));
          } else {
            expect(out).toBe(s);
          }
        },
      ),
    );
  });
});
