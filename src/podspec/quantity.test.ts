import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalQuantity, withCanonicalQuantities } from './quantity.js';
import { renderJob } from './build.js';
import { defaultConfig, jobWith } from '../../test/podspec/support.js';
import { GO_QUANTITY_FORMS } from '../../test/podspec/quantity-cases.js';

describe('canonicalQuantity', () => {
  it.each(GO_QUANTITY_FORMS)('%j is encoded by Go as %j', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  const suffix = fc.constantFrom('', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'Ki', 'Mi', 'Gi', 'Ti', 'e3', 'E-2');
  const quantity = fc
    .tuple(
      fc.constantFrom('', '-', '+'),
      fc.stringMatching(/^\d{1,9}$/),
      fc.option(fc.stringMatching(/^\d{0,6}$/), { nil: undefined }),
      suffix,
    )
    .map(
      ([sign, whole, fraction, unit]) =>
        `${sign}${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`,
    );

  it('is stable: the encoded form encodes to itself', () => {
    fc.assert(
      fc.property(quantity, (text) => {
        const once = canonicalQuantity(text);
        expect(once).toBeDefined();
        expect(canonicalQuantity(once ?? '')).toBe(once);
      }),
    );
  });

  it('keeps the value exactly when no rounding applies', () => {
    fc.assert(
      fc.property(quantity, (text) => {
        const before = exactValue(text);
        // Finer than the nano rounds up; binary quantities past 2^63-1 are capped.
        fc.pre(before !== undefined && before.places <= 9 && !(/[KMGT]i$/.test(text) && beyondInt64(before)));
        const after = exactValue(canonicalQuantity(text) ?? '');
        if (after === undefined) throw new Error(`${text} was encoded as something unreadable`);
        // a/10^p == b/10^q  <=>  a*10^q == b*10^p
        expect(before.units * 10n ** BigInt(after.places)).toBe(after.units * 10n ** BigInt(before.places));
      }),
    );
  });

  it('rewrites only into suffix-minimal form', () => {
    fc.assert(
      fc.property(quantity, (text) => {
        const out = canonicalQuantity(text) ?? '';
        if (out === text.trim() || out === '0') return;
        expect(out).toMatch(/^-?[1-9]\d*(?:[numkMGTPE]|Ki|Mi|Gi|Ti|Pi|Ei|e-?\d+)?$/);
        // A trailing 000 would have moved into a larger decimal suffix.
        if (!/[KMGTPE]i$/.test(out)) expect(out).not.toMatch(/000(?:[numkMGTPE]|e-?\d+)?$/);
      }),
    );
  });
});

function beyondInt64({ units, places }: { units: bigint; places: number }): boolean {
  const magnitude = units < 0n ? -units : units;
  return magnitude > (2n ** 63n - 1n) * 10n ** BigInt(places);
}

/** The value of a quantity as units / 10^places, for suffixes the generator uses; independent of Go's code. */
function exactValue(text: string): { units: bigint; places: number } | undefined {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE]-?\d+)?$/.exec(
    text.trim(),
  );
  if (match === null) return undefined;
  const [, sign = '', whole = '', fraction = '', unit = ''] = match;
  let units = BigInt(`${whole}${fraction}` || '0') * (sign === '-' ? -1n : 1n);
  let places = fraction.length;
  const decimal: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
  const binary: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
  const exponent = decimal[unit] ?? (/^[eE]/.test(unit) ? Number(unit.slice(1)) : 0);
  const shift = binary[unit];
  if (shift !== undefined) units <<= BigInt(shift);
  places -= exponent;
  if (places < 0) {
    units *= 10n ** BigInt(-places);
    places = 0;
  }
  return { units, places };
}

describe('withCanonicalQuantities', () => {
  it('rewrites every quantity field of a pod spec and leaves the rest alone', () => {
    const spec = {
      containers: [
        {
          name: 'a',
          resources: { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: 0.5 } },
          env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1000m' } } }],
        },
      ],
      overhead: { cpu: '0.25' },
      resources: { requests: { memory: '2048Ki' } },
      volumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '1.5Gi' } },
        {
          name: 'scratch',
          ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '1000Mi' } } } } },
        },
      ],
      nodeSelector: { cpu: '1000m' },
    };
    expect(withCanonicalQuantities(spec)).toEqual({
      containers: [
        {
          name: 'a',
          resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } },
          env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } }],
        },
      ],
      overhead: { cpu: '250m' },
      resources: { requests: { memory: '2Mi' } },
      volumes: [
        { name: 'tmp', emptyDir: { sizeLimit: '1536Mi' } },
        {
          name: 'scratch',
          ephemeral: { volumeClaimTemplate: { spec: { resources: { requests: { storage: '1000Mi' } } } } },
        },
      ],
      nodeSelector: { cpu: '1000m' },
    });
  });

  it('returns the same object when nothing changes, and leaves unparseable values for validation', () => {
    const spec = { containers: [{ name: 'a', resources: { limits: { cpu: '2', memory: 'lots' } } }] };
    expect(withCanonicalQuantities(spec)).toBe(spec);
  });

  it('gives the Job the quantities upstream would send, from a resource class and a podSpecPatch', () => {
    const config = defaultConfig({
      'resource-classes': { big: { resource: { requests: { cpu: '2000m' }, limits: { memory: '0.5Gi' } } } },
    });
    const job = jobWith({
      command: 'make',
      agentQueryRules: ['resource_class=big'],
      plugin: { podSpecPatch: { containers: [{ name: 'agent', resources: { requests: { cpu: '0.1' } } }] } },
    });
    const result = renderJob(job, config);
    if (!result.ok) throw new Error(result.message);
    const spec = result.job.spec?.template.spec;
    const byName = new Map(spec?.containers.map((c) => [c.name, c.resources]));
    expect(byName.get('container-0')).toEqual({ requests: { cpu: '2' }, limits: { memory: '512Mi' } });
    expect(byName.get('agent')).toEqual({ requests: { cpu: '100m' } });
  });
});
