/** docs/troubleshooting.md quotes the failure texts the code sends; a changed text must be changed there too. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UNCLUSTERED_TOKEN_MESSAGE } from '../../src/buildkite/token.js';
import { BUILD_PREFIX, PARSE_PREFIX, REJECTED } from '../../src/podspec/build.js';
import { PROHIBITED_MESSAGE } from '../../src/podspec/plugins.js';
import { REJECTED_PREFIX } from '../../src/scheduler/scheduler.js';
import {
  IMAGE_FAILURE_NOTIFICATION,
  IMAGE_FAILURE_PREFIX,
  INIT_CONTAINERS_FAILED,
  formatPendingTimeout,
} from '../../src/watchers/format.js';
import {
  FAILED_BEFORE_ACQUIRE,
  FINISHED_WITHOUT_POD,
  stalledMessage,
} from '../../src/watchers/job-watcher.js';

// Markdown wraps lines, so compare with runs of whitespace collapsed.
const flat = (text: string): string => text.replace(/\s+/g, ' ').trim();
const page = flat(readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8'));

describe('docs/troubleshooting.md', () => {
  it.each([
    ['parse prefix', PARSE_PREFIX],
    ['build prefix', BUILD_PREFIX],
    ['pre-flight rejection', REJECTED],
    ['API server rejection', REJECTED_PREFIX],
    ['prohibited plugin', PROHIBITED_MESSAGE],
    ['podless Job ended', FINISHED_WITHOUT_POD],
    ['pod failed before acquire', FAILED_BEFORE_ACQUIRE],
    ['init containers', INIT_CONTAINERS_FAILED],
    ['image failures', IMAGE_FAILURE_PREFIX],
    ['image failure notification', IMAGE_FAILURE_NOTIFICATION],
    ['unclustered token', UNCLUSTERED_TOKEN_MESSAGE.split(':')[0] ?? ''],
  ])('quotes the %s text exactly', (_name, text) => {
    expect(page).toContain(flat(text));
  });

  it('quotes the stalled and pending-timeout texts around their durations', () => {
    const [stalledBefore, stalledAfter] = stalledMessage(0).split('0s');
    expect(page).toContain(`${flat(stalledBefore ?? '')} <duration> ${flat(stalledAfter ?? '')}`);
    const [pendingBefore, pendingAfter] = formatPendingTimeout(0, []).split('0s');
    expect(page).toContain(`${flat(pendingBefore ?? '')} <duration> ${flat(pendingAfter ?? '')}`);
  });
});
