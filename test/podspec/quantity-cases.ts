/** Quantities and the form Go encodes them in (imported by tests only). */

// Each row (text as written; what Go sends, or undefined when Go refuses it) worked through by hand from
// k8s.io/apimachinery v0.36.3 pkg/api/resource (ParseQuantity's int64 fast path and its exact path,
// CanonicalizeBytes, the suffixer); the cluster tier asks a real API server (test/cluster/quantity.test.ts).
export const GO_QUANTITY_FORMS: readonly (readonly [string, string | undefined])[] = [
  ['1000m', '1'],
  ['0.5', '500m'],
  ['1.5', '1500m'],
  ['1Gi', '1Gi'],
  ['1024Mi', '1Gi'],
  ['1536Mi', '1536Mi'],
  ['1.5Gi', '1536Mi'],
  ['0.5Gi', '512Mi'],
  ['2048Ki', '2Mi'],
  ['8Ki', '8Ki'],
  ['0.1Ki', '102400m'],
  ['-1.5Gi', '-1536Mi'],
  ['1000000', '1M'],
  ['2048', '2048'],
  ['100m', '100m'],
  ['1k', '1k'],
  ['0', '0'],
  ['-0', '0'],
  ['00', '0'],
  // Text Go finds already canonical in shape is kept byte for byte.
  ['1e3', '1e3'],
  ['1E3', '1E3'],
  ['+1', '+1'],
  ['01', '01'],
  ['1.500', '1.500'],
  // Exponent forms stay exponent forms.
  ['1e4', '10e3'],
  ['5e-1', '500e-3'],
  ['1.5e3', '1500'],
  ['1e999999999', '1e999999999'],
  ['1e-999999999', '1e-9'],
  // Rounded up to the nano; binary capped at 2^63-1.
  ['0.0000000001', '1n'],
  ['0.9n', '1n'],
  ['1.5n', '2n'],
  ['8Ei', '9223372036854775807'],
  ['16Ei', '9223372036854775807'],
  // v0.36.3 has no suffix past E and silently drops the exponent (fixed in later apimachinery).
  ['1000E', '1'],
  ['18446744073709551616', '18446744073709551616'],
  [' 250m ', '250m'],
  // Go refuses these.
  ['', undefined],
  ['abc', undefined],
  ['1.2.3', undefined],
  ['1Ki2', undefined],
  ['1mk', undefined],
  ['1-', undefined],
];
