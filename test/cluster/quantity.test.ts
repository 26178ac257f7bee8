/**
 * The API server's encoding of resource quantities against `canonicalQuantity`: the hand-checked table and a
 * generated set, sent as emptyDir size limits in `dryRun=All` PodTemplate creates and read back. (Not as
 * container resources: the server rounds every resource list value up to the milli before storing it, a
 * default applied after upstream has sent the Job.)
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalQuantity } from '../../src/podspec/quantity.js';
import { GO_QUANTITY_FORMS } from '../podspec/quantity-cases.js';
import { createPodTemplate, fieldErrors, inBatches, openOracleApi, type OracleApi } from './oracle-api.js';

let api: OracleApi;

beforeAll(async () => {
  api = await openOracleApi();
});

afterAll(async () => {
  await api.close();
});

const PER_TEMPLATE = 50;

/** What the server stores for each quantity (pod validation refuses negative ones). */
async function serverForms(quantities: readonly string[]): Promise<string[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < quantities.length; i += PER_TEMPLATE)
    chunks.push(quantities.slice(i, i + PER_TEMPLATE));
  const forms = await inBatches(chunks, 4, async (chunk) => {
    const volumes = chunk.map((sizeLimit, i) => ({ name: `v${String(i)}`, emptyDir: { sizeLimit } }));
    const spec = { containers: [{ name: 'c', image: 'busybox' }], volumes };
    const created = await createPodTemplate(api, spec, { dryRun: true });
    if (!created.ok) throw new Error(`dry run refused: ${fieldErrors(created.error).join('; ')}`);
    return (created.value.template.spec.volumes ?? []).map((v) => v.emptyDir?.sizeLimit ?? '<missing>');
  });
  return forms.flat();
}

const generated = fc.sample(
  fc
    .tuple(
      fc.constantFrom('', '+', '0'),
      fc.stringMatching(/^\d{1,10}$/),
      fc.option(fc.stringMatching(/^\d{0,11}$/), { nil: undefined }),
      fc.constantFrom(
        '',
        'n',
        'u',
        'm',
        'k',
        'M',
        'G',
        'T',
        'P',
        'E',
        'Ki',
        'Mi',
        'Gi',
        'Ti',
        'Pi',
        'Ei',
        'e3',
        'E-4',
        'e+2',
        'e7',
      ),
    )
    .map(
      ([lead, whole, fraction, unit]) =>
        `${lead}${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`,
    ),
  { numRuns: 400, seed: 20261128 },
);

describe('quantities as the API server encodes them', () => {
  it('matches the hand-checked table (non-negative rows Go accepts)', async () => {
    // Exponents like 1e999999999 leave the server computing a billion-digit power of ten (our form is
    // instant): left to the unit table.
    const rows = GO_QUANTITY_FORMS.filter(
      ([input, form]) =>
        form !== undefined && !form.startsWith('-') && input.trim() !== '' && !/e-?\d{4,}$/.test(input),
    );
    const forms = await serverForms(rows.map(([input]) => input.trim()));
    expect(forms).toEqual(rows.map(([, form]) => form));
  });

  it('matches canonicalQuantity on a generated set', async () => {
    const forms = await serverForms(generated);
    expect(forms).toEqual(generated.map((q) => canonicalQuantity(q)));
  });
});
