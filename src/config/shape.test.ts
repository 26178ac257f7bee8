import { describe, expect, it } from 'vitest';
import { decode, type FieldType } from './shape.js';

const container: FieldType = { kind: 'object', shape: 'V1Container' };

describe('Kubernetes string enums', () => {
  it('are checked in strict mode, with "" allowed as unset', () => {
    expect(decode(container, { imagePullPolicy: 'IfNotPresent' }, { mode: 'strict' }).ok).toBe(true);
    expect(decode(container, { imagePullPolicy: '' }, { mode: 'strict' }).ok).toBe(true);
    expect(decode(container, { imagePullPolicy: 'always' }, { mode: 'strict', path: ['c'] })).toEqual({
      ok: false,
      issues: [
        {
          path: ['c', 'imagePullPolicy'],
          message: 'must be one of Always, IfNotPresent, Never; got "always"',
        },
      ],
    });
  });

  it('decode any string in go mode, as Go does, and name the Go type on a kind mismatch', () => {
    expect(decode(container, { imagePullPolicy: 'always' }, { mode: 'go' })).toEqual({
      ok: true,
      value: { imagePullPolicy: 'always' },
    });
    expect(decode(container, { imagePullPolicy: 1 }, { mode: 'go' })).toEqual({
      ok: false,
      issues: [
        {
          path: ['imagePullPolicy'],
          message:
            'json: cannot unmarshal number into Go struct field Container.imagePullPolicy of type v1.PullPolicy',
        },
      ],
    });
  });
});
