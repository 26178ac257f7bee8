import { describe, expect, it } from 'vitest';
import { createLogger, formatLogfmt } from './logger.js';

function capture(format: 'json' | 'logfmt', level: 'debug' | 'info' = 'info', debug = false) {
  const lines: string[] = [];
  const logger = createLogger({ format, level, debug, write: (line) => lines.push(line) });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes JSON with the component of the child logger', () => {
    const { logger, lines } = capture('json');
    logger.child({ component: 'limiter' }).info({ 'job-uuid': 'abc' }, 'queued');
    const record = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
    expect(record).toMatchObject({ level: 'info', component: 'limiter', msg: 'queued', 'job-uuid': 'abc' });
  });

  it('labels lines from the root logger with component=controller', () => {
    const { logger, lines } = capture('logfmt');
    logger.warn('hello world');
    expect(lines[0]).toMatch(/^time=\S+ level=warn component=controller msg="hello world"\n$/);
  });

  it('honours the level and lets debug: true force debug', () => {
    const quiet = capture('json', 'info');
    quiet.logger.debug('hidden');
    expect(quiet.lines).toHaveLength(0);
    const loud = capture('json', 'info', true);
    loud.logger.debug('shown');
    expect(loud.lines).toHaveLength(1);
  });

  it('redacts a token field', () => {
    const { logger, lines } = capture('json');
    logger.info({ token: 'secret-value' }, 'x');
    expect(lines[0]).not.toContain('secret-value');
    expect(lines[0]).toContain('<redacted>');
  });
});

describe('formatLogfmt', () => {
  it('quotes values with spaces, quotes or equals signs and serialises objects', () => {
    const line = formatLogfmt(
      { time: 't', level: 30, msg: 'a=b', n: 3, o: { k: 'v' }, s: 'say "hi"' },
      false,
    );
    expect(line).toBe('time=t level=info msg="a=b" n=3 o="{\\"k\\":\\"v\\"}" s="say \\"hi\\""\n');
  });

  it('colours the level only when asked', () => {
    expect(formatLogfmt({ time: 't', level: 'error', msg: 'x' }, true)).toContain('\x1b[31merror\x1b[0m');
  });
});
