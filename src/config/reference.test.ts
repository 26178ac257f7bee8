import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationReference } from './reference.js';
import { CONFIG_KEYS, OPTIONS } from './schema.js';

describe('docs/configuration.md', () => {
  const reference = configurationReference();

  it('is up to date (run `npm run docs` after changing the schema)', () => {
    expect(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8')).toBe(reference);
  });

  it('documents every public key', () => {
    for (const key of CONFIG_KEYS) {
      const spec = OPTIONS[key];
      if ('hidden' in spec && spec.hidden) continue;
      expect(reference).toContain(`| \`${key}\` |`);
    }
  });
});
