/**
 * The texts the watchers send to Buildkite, byte for byte as upstream renders them: go-pretty
 * `StyleRounded` tables (numeric columns right-aligned, soft-wrapped message column), Go time and
 * duration strings, and Kubernetes' `HumanDuration`.
 */
import type { KubeEvent } from '../kube/types.js';
import { goQuote } from '../podspec/image-ref.js';

export type TableCell = string | number;

export interface TableColumn {
  readonly header: string;
  /** Soft-wraps cells at this many columns (go-pretty `WidthMax` with `WrapSoft`). */
  readonly maxWidth?: number;
}

/**
 * go-pretty `StyleRounded`: columns whose every row cell is a number are right-aligned (header too),
 * others left-aligned; a column is as wide as its longest line, capped at `maxWidth`.
 */
export function roundedTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly TableCell[])[],
): string {
  const numeric = columns.map((_, col) => rows.every((row) => typeof row[col] === 'number'));
  const text = (cell: TableCell | undefined): string =>
    String(cell ?? '')
      .replaceAll('\t', '    ')
      .replaceAll('\r', '');
  const body = rows.map((row) => columns.map((_, col) => text(row[col])));
  const widths = columns.map((column, col) => {
    const longest = Math.max(displayWidth(column.header), ...body.map((row) => longestLine(row[col] ?? '')));
    return column.maxWidth === undefined ? longest : Math.min(longest, column.maxWidth);
  });
  const rule = (left: string, middle: string, right: string): string =>
    left + widths.map((w) => '─'.repeat(w + 2)).join(middle) + right;
  const lines = (cells: readonly string[]): string[] => {
    const wrapped = cells.map((cell, col) => {
      const max = columns[col]?.maxWidth;
      return (max === undefined ? cell : wrapSoft(cell, max)).split('\n');
    });
    const height = Math.max(...wrapped.map((cellLines) => cellLines.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++) {
      const parts = wrapped.map((cellLines, col) => {
        const cell = cellLines[i] ?? '';
        const pad = ' '.repeat(Math.max(0, (widths[col] ?? 0) - displayWidth(cell)));
        return ` ${numeric[col] === true ? pad + cell : cell + pad} `;
      });
      out.push(`│${parts.join('│')}│`);
    }
    return out;
  };
  return [
    rule('╭', '┬', '╮'),
    ...lines(columns.map((c) => c.header)),
    rule('├', '┼', '┤'),
    ...body.flatMap(lines),
    rule('╰', '┴', '╯'),
  ].join('\n');
}

function longestLine(cell: string): number {
  return Math.max(0, ...cell.split('\n').map(displayWidth));
}

const zeroWidth = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const wide =
  /^[\u{1100}-\u{115F}\u{2E80}-\u{303E}\u{3041}-\u{33FF}\u{3400}-\u{4DBF}\u{4E00}-\u{9FFF}\u{A000}-\u{A4CF}\u{AC00}-\u{D7A3}\u{F900}-\u{FAFF}\u{FE30}-\u{FE4F}\u{FF00}-\u{FF60}\u{FFE0}-\u{FFE6}\u{1F300}-\u{1F64F}\u{1F900}-\u{1F9FF}\u{20000}-\u{3FFFD}]$/u;

/** Terminal columns a string takes: East Asian wide = 2, combining = 0. */
export function displayWidth(s: string): number {
  let width = 0;
  for (const ch of s) width += zeroWidth.test(ch) ? 0 : wide.test(ch) ? 2 : 1;
  return width;
}

/**
 * go-pretty's `text.WrapSoft`: text of at most `width` characters is kept as is; otherwise each
 * paragraph (split on blank lines) is re-flowed word by word, full lines padded with spaces to
 * `width`, and words longer than a line broken hard.
 */
export function wrapSoft(input: string, width: number): string {
  const str = input.replaceAll('\t', '    ');
  // Go counts runes (code points), not UTF-16 units.
  if (Array.from(str).length <= width) return str;
  return str
    .split('\n\n')
    .map((paragraph) => wrapParagraph(paragraph, width))
    .join('\n\n');
}

function wrapParagraph(paragraph: string, width: number): string {
  const words = paragraph.split(/\s+/u).filter((w) => w !== '');
  let out = '';
  let lineLen = 0;
  const endLine = (): void => {
    out += ' '.repeat(Math.max(0, width - lineLen)) + '\n';
    lineLen = 0;
  };
  words.forEach((word, index) => {
    const wordLen = displayWidth(word);
    const spacing = lineLen > 0 ? 1 : 0;
    if (lineLen + spacing + wordLen <= width) {
      out += (spacing === 1 ? ' ' : '') + word;
      lineLen += spacing + wordLen;
    } else {
      if (lineLen > 0) endLine();
      if (wordLen <= width) {
        out += word;
        lineLen = wordLen;
      } else {
        for (const ch of word) {
          if (lineLen === width) {
            out += '\n';
            lineLen = 0;
          }
          out += ch;
          lineLen++;
        }
      }
    }
    if (lineLen === width && index < words.length - 1) endLine();
  });
  return out;
}

/** k8s.io/apimachinery `duration.HumanDuration`, e.g. `45s`, `2m30s`, `3h`, `2d4h`. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const years = Math.trunc(hours / 24 / 365);
  if (hours < 24 * 365 * 8) {
    const days = Math.trunc(hours / 24) % 365;
    return days === 0 ? `${years}y` : `${years}y${days}d`;
  }
  return `${years}y`;
}

/** Go's `time.Duration.Round(time.Second).String()`, e.g. `15m0s`, `1h0m5s`, `45s`. */
export function goSecondsDuration(ms: number): string {
  const total = Math.round(Math.abs(ms) / 1000) * Math.sign(ms);
  if (total === 0) return '0s';
  const sign = total < 0 ? '-' : '';
  let rest = Math.abs(total);
  const hours = Math.trunc(rest / 3600);
  rest %= 3600;
  const minutes = Math.trunc(rest / 60);
  const seconds = rest % 60;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}s`;
  return `${sign}${seconds}s`;
}

const ISO_UTC = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/;

/**
 * Go's `time.Time.String()` of a Kubernetes timestamp, in UTC:
 * `2024-05-01 10:00:00.123456 +0000 UTC`; absent is Go's zero time.
 */
export function goTime(value: Timestamp): string {
  const timestamp = isoOf(value);
  if (timestamp === undefined) return '0001-01-01 00:00:00 +0000 UTC';
  let match = ISO_UTC.exec(timestamp);
  if (match === null) {
    const parsed = new Date(timestamp);
    if (Number.isNaN(parsed.getTime())) return timestamp;
    match = ISO_UTC.exec(parsed.toISOString());
    if (match === null) return timestamp;
  }
  const fraction = (match[3] ?? '').replace(/0+$/, '');
  return `${match[1] ?? ''} ${match[2] ?? ''}${fraction === '' ? '' : `.${fraction}`} +0000 UTC`;
}

/** Kubernetes timestamps arrive revived as `Date`, except in fields the reviver does not know. */
export type Timestamp = Date | string | undefined | null;

function isoOf(value: Timestamp): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
}

/** Milliseconds since the epoch; Go's zero time when absent. */
export function millisOf(value: Timestamp): number {
  return Date.parse(isoOf(value) ?? '0001-01-01T00:00:00Z');
}

/**
 * The Job's events as upstream shows them under a failure message: old-style events (count,
 * first/last timestamp) and event series (`x<n> over <duration>`), message wrapped at 50 columns.
 */
export function formatEvents(events: readonly KubeEvent[]): string {
  if (events.length === 0) return 'Events: none';
  const rows = events.map((event): TableCell[] => {
    const start = isoOf(event.eventTime) ?? isoOf(event.firstTimestamp);
    const type = event.type ?? '';
    const reason = event.reason ?? '';
    const message = event.message ?? '';
    const series = event.series;
    if (series === undefined) {
      const count = event.count ?? 0;
      if (count > 1) return [goTime(event.lastTimestamp), `x${String(count)}`, type, reason, message];
      return [goTime(start), '-', type, reason, message];
    }
    const last = series.lastObservedTime as Timestamp;
    const over = humanDuration(millisOf(last) - millisOf(start));
    return [goTime(last), `x${String(series.count ?? 0)} over ${over}`, type, reason, message];
  });
  return roundedTable(
    [
      { header: 'LAST EVENT' },
      { header: 'REPEATED' },
      { header: 'TYPE' },
      { header: 'REASON' },
      { header: 'MESSAGE', maxWidth: 50 },
    ],
    rows,
  );
}

export interface TerminatedInitContainer {
  readonly name: string;
  readonly exitCode: number;
  readonly signal: number;
  readonly reason: string;
  readonly message: string;
}

export const INIT_CONTAINERS_FAILED = 'The following init containers failed:';

export function formatInitContainerFailures(failures: readonly TerminatedInitContainer[]): string {
  const sorted = [...failures].sort((a, b) => compareBytes(a.name, b.name));
  const table = roundedTable(
    ['CONTAINER', 'EXIT CODE', 'SIGNAL', 'REASON', 'MESSAGE'].map((header) => ({ header })),
    sorted.map((f) => [f.name, f.exitCode, f.signal, f.reason, f.message]),
  );
  return `${INIT_CONTAINERS_FAILED}\n\n${table}`;
}

export interface WaitingContainer {
  readonly name: string;
  readonly image: string;
  readonly reason: string;
  readonly message: string;
}

export const IMAGE_FAILURE_PREFIX =
  'The following containers could not be created or their images could not be pulled:';

export function formatImageFailures(containers: readonly WaitingContainer[]): string {
  const sorted = [...containers].sort((a, b) => compareBytes(a.name, b.name));
  const table = roundedTable(
    ['CONTAINER', 'IMAGE REF', 'REASON', 'MESSAGE'].map((header) => ({ header })),
    sorted.map((c) => [c.name, goQuote(c.image), c.reason, c.message]),
  );
  return `${IMAGE_FAILURE_PREFIX}\n\n${table}`;
}

export const IMAGE_FAILURE_NOTIFICATION = 'Image pull failure; the job will fail once the agent times out. ';

/** One line for a stack notification: `<container>: <Reason> (<message>)` joined by `; `. */
export function formatImageFailureNotification(containers: readonly WaitingContainer[]): string {
  const parts = [...containers]
    .sort((a, b) => compareBytes(a.name, b.name))
    .map((c) => `${c.name}: ${c.reason}${c.message === '' ? '' : ` (${c.message})`}`);
  return IMAGE_FAILURE_NOTIFICATION + parts.join('; ');
}

export interface PodConditionText {
  readonly type: string;
  readonly status: string;
  readonly reason?: string | undefined;
  readonly message?: string | undefined;
}

export function formatPendingTimeout(pendingMs: number, conditions: readonly PodConditionText[]): string {
  let message = `The pod has been in Pending state for ${goSecondsDuration(pendingMs)} without starting.\n`;
  if (conditions.length > 0) {
    message += '\nPod Conditions:\n';
    for (const c of conditions) {
      message += `  - ${c.type}: ${c.status} (Reason: ${c.reason ?? ''}, Message: ${c.message ?? ''})\n`;
    }
  }
  return message;
}

/** Go sorts strings by bytes; so do we, so the row order matches upstream for any name. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
