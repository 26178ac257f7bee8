import { describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE, matchJobTags, normaliseRules, parseTags, resolveQueue } from './tags.js';

describe('resolveQueue', () => {
  it('prefers the queue key, then the queue tag, then the default queue', () => {
    expect(resolveQueue('q', parseTags(['queue=t']))).toBe('q');
    expect(resolveQueue('', parseTags(['queue=t']))).toBe('t');
    expect(resolveQueue('', parseTags(['os=linux']))).toBe(DEFAULT_QUEUE);
  });
});

describe('normaliseRules', () => {
  it('drops the queue rule on the default queue and its aliases', () => {
    for (const queue of ['_default', '~', '-']) {
      expect(normaliseRules(['queue=x', 'os=linux'], queue)).toEqual(['os=linux']);
    }
  });

  it('sets the queue rule to the served queue, in place, once', () => {
    expect(normaliseRules(['os=linux', 'queue=other', 'arch=arm', 'queue=x'], 'k8s')).toEqual([
      'os=linux',
      'queue=k8s',
      'arch=arm',
    ]);
    expect(normaliseRules(['os=linux'], 'k8s')).toEqual(['os=linux', 'queue=k8s']);
  });
});

describe('matchJobTags', () => {
  const ours = parseTags(['queue=k8s', 'os=linux', 'arch=amd64']);

  it('matches when every job tag is ours with the same value', () => {
    expect(matchJobTags(ours, ['queue=k8s', 'os=linux'])).toEqual({ matches: true });
    expect(matchJobTags(ours, [])).toEqual({ matches: true });
  });

  it('treats * as any value and ignores resource_class and malformed rules', () => {
    expect(matchJobTags(ours, ['os=*', 'resource_class=large', 'nonsense'])).toEqual({ matches: true });
  });

  it('rejects unknown keys and different values with a reason', () => {
    expect(matchJobTags(ours, ['gpu=true'])).toEqual({
      matches: false,
      reason: 'the controller has no tag gpu',
    });
    expect(matchJobTags(ours, ['os=windows'])).toEqual({
      matches: false,
      reason: 'tag os=windows does not match os=linux',
    });
  });
});
