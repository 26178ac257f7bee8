/**
 * Logger factory. Every line carries `component`; `json` writes pino's JSON lines, `logfmt` writes
 * human-readable `time=… level=… component=… msg=… key=value` lines (coloured levels on a TTY).
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';
export type LogFormat = 'json' | 'logfmt';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  /** `debug: true` in the config forces debug level, as upstream. */
  readonly debug?: boolean;
  readonly color?: boolean;
  /** Where lines go; standard output by default. */
  readonly write?: (line: string) => void;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const LEVEL_COLORS: Record<string, string> = {
  debug: '\x1b[90m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
};
const RESET = '\x1b[0m';

/** Creates the root logger; components take `logger.child({ component: 'name' })`. */
export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const destination: DestinationStream = {
    write:
      options.format === 'json'
        ? write
        : (line: string) => {
            write(formatLogfmt(JSON.parse(line) as Record<string, unknown>, options.color ?? false));
          },
  };
  return pino(
    {
      level: options.debug === true ? 'debug' : options.level,
      base: { component: 'controller' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['token', 'headers.authorization', 'headers.Authorization'], censor: '<redacted>' },
    },
    destination,
  );
}

/** One logfmt line: time, level, component, msg first, then the remaining fields in their order. */
export function formatLogfmt(record: Record<string, unknown>, color: boolean): string {
  const { time, level, component, msg, pid: _pid, hostname: _hostname, ...rest } = record;
  const levelName = typeof level === 'number' ? (LEVEL_NAMES[level] ?? String(level)) : String(level);
  const shownLevel = color ? `${LEVEL_COLORS[levelName] ?? ''}${levelName}${RESET}` : levelName;
  const parts = [`time=${logfmtValue(time)}`, `level=${shownLevel}`];
  if (component !== undefined) parts.push(`component=${logfmtValue(component)}`);
  if (msg !== undefined) parts.push(`msg=${logfmtValue(msg)}`);
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}=${logfmtValue(value)}`);
  return parts.join(' ') + '\n';
}

function logfmtValue(value: unknown): string {
  // JSON.stringify(undefined) is undefined at run time despite its declared type.
  const text = typeof value === 'string' ? value : ((JSON.stringify(value) as string | undefined) ?? 'null');
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}
