import { describe, expect, it } from 'vitest';
import { parsePipelineYaml } from './document.js';

const text = `steps:
  - command: make
    plugins:
      - Kubernetes:
          PodSpec:
            containers:
              - image: alpine
base: &base
  queue: x
other:
  <<: *base
`;

describe('parsePipelineYaml', () => {
  const parsed = parsePipelineYaml(text, { file: 'p.yml' });
  if (!parsed.ok) throw new Error('fixture must parse');
  const { document } = parsed;

  it('reads YAML 1.2 with merge keys', () => {
    expect(parsePipelineYaml('a: yes\nb: on\nc: true\n', { file: 'p.yml' })).toMatchObject({
      ok: true,
      document: { value: { a: 'yes', b: 'on', c: true } },
    });
    expect(document.value).toMatchObject({ other: { queue: 'x' } });
  });

  it('reads integers as yaml.v3 does: leading-zero octal, 0b binary, underscores', () => {
    const numbers = parsePipelineYaml('[0644, -010, 0b101, 1_000, 0o17, 0x1F, 09, 0, "0644", 1.5]', {
      file: 'p.yml',
    });
    expect(numbers).toMatchObject({
      ok: true,
      document: { value: [420, -8, 5, 1000, 15, 31, 9, 0, '0644', 1.5] },
    });
  });

  it('locates keys, sequence items and case-folded keys', () => {
    expect(document.positionOf([])).toEqual({ line: 1, col: 1 });
    expect(document.positionOf(['steps', 0])).toEqual({ line: 2, col: 5 });
    expect(document.positionOf(['steps', 0, 'plugins', 0, 'kubernetes', 'podSpec'])).toEqual({
      line: 5,
      col: 11,
    });
    expect(
      document.positionOf(['steps', 0, 'plugins', 0, 'Kubernetes', 'PodSpec', 'containers', 0, 'image']),
    ).toEqual({ line: 7, col: 17 });
  });

  it('falls back to the deepest written node for paths it cannot follow', () => {
    expect(document.positionOf(['steps', 0, 'plugins', 0, 'kubernetes', 'nope', 'deeper'])).toEqual({
      line: 4,
      col: 9,
    });
    expect(document.positionOf(['other', 'queue'])).toEqual({ line: 10, col: 1 });
  });

  it('refuses alias bombs instead of expanding them', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    expect(parsePipelineYaml(lines.join('\n'), { file: 'p.yml' })).toEqual({
      ok: false,
      errors: [
        {
          file: 'p.yml',
          line: 1,
          col: 1,
          message: 'invalid YAML: Excessive alias count indicates a resource exhaustion attack',
        },
      ],
    });
  });

  it('reports syntax errors and duplicate keys with their line', () => {
    expect(parsePipelineYaml('steps:\n  - command: a\n  - [unclosed\n', { file: 'p.yml' })).toMatchObject({
      ok: false,
      errors: [{ file: 'p.yml', line: 4, message: expect.stringMatching(/^invalid YAML: /) as unknown }],
    });
    const duplicate = parsePipelineYaml('steps: []\nenv: {}\nsteps: []\n', { file: 'p.yml' });
    expect(duplicate).toEqual({
      ok: false,
      errors: [{ file: 'p.yml', line: 3, col: 1, message: 'invalid YAML: Map keys must be unique' }],
    });
  });
});
