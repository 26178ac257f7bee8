import { describe, expect, it } from 'vitest';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';

function matches(selector: string, labels: Record<string, string> | undefined): boolean {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.selector(labels);
}

describe('label selectors', () => {
  const labels = { app: 'agent', 'buildkite.com/job-uuid': 'u1', tier: 'ci' };

  it.each([
    ['', true],
    ['app=agent', true],
    ['app==agent', true],
    ['app!=agent', false],
    ['app!=other', true],
    ['missing!=x', true],
    ['buildkite.com/job-uuid', true],
    ['!buildkite.com/job-uuid', false],
    ['!buildkite.com/controller-id', true],
    ['tier in (ci, prod)', true],
    ['tier in (prod)', false],
    ['tier notin (prod)', true],
    ['missing notin (prod)', true],
    ['missing in (prod)', false],
    ['buildkite.com/job-uuid,!buildkite.com/controller-id,tier in (ci,x)', true],
    ['app=agent,tier=prod', false],
  ])('%s -> %s', (selector, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });

  it('treats missing labels as empty', () => {
    expect(matches('a', undefined)).toBe(false);
    expect(matches('!a', undefined)).toBe(true);
  });

  it('rejects malformed selectors with the requirement that failed', () => {
    expect(parseLabelSelector('a in (b')).toEqual({
      ok: false,
      message: 'unable to parse requirement: "a in (b"',
    });
    expect(parseLabelSelector('=x').ok).toBe(false);
    expect(parseLabelSelector('a=b c').ok).toBe(false);
  });
});

describe('field selectors', () => {
  const event = { metadata: { name: 'e1', namespace: 'ns' }, involvedObject: { kind: 'Job', name: 'j1' } };

  it('matches dotted paths with =, == and !=', () => {
    const select = (text: string): boolean => {
      const parsed = parseFieldSelector(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.selector(event);
    };
    expect(select('involvedObject.name=j1,involvedObject.kind==Job')).toBe(true);
    expect(select('involvedObject.name!=j1')).toBe(false);
    expect(select('metadata.namespace=other')).toBe(false);
    expect(select('status.phase=')).toBe(true);
  });

  it('rejects a requirement without an operator', () => {
    expect(parseFieldSelector('metadata.name').ok).toBe(false);
  });
});
