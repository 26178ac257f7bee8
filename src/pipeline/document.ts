/**
 * A pipeline YAML file parsed once, with its plain JSON value and a way back from a path inside that value
 * to a line and column in the file.
 *
 * YAML dialect: `buildkite-agent pipeline upload` parses pipelines with Go's yaml.v3, which follows YAML 1.2
 * (`yes`/`no`/`on`/`off` are strings, only `true`/`false` are booleans) and supports `<<` merge keys. We use
 * the `yaml` package in YAML 1.2 core mode with merge keys to match, and reject duplicate keys as yaml.v3 does.
 * yaml.v3 also reads integers as Go does, which matters for e.g. `defaultMode: 0644` (octal, 420).
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
  type ScalarTag,
} from 'yaml';
import type { PathSegment } from '../config/shape.js';

export interface Position {
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly col: number;
}

/** A problem with a pipeline file, located in it. */
export interface PipelineError extends Position {
  readonly file: string;
  readonly message: string;
}

export type ParseResult = { ok: true; document: PipelineDocument } | { ok: false; errors: PipelineError[] };

/** yaml.v3's extra integer spellings: `0644` (octal), `0b101`, and `_` between digits (`1_000`). */
const goInt: ScalarTag = {
  tag: 'tag:yaml.org,2002:int',
  default: true,
  test: /^[-+]?(?:0b[01_]+|0[0-7_]+|[0-9][0-9_]*_[0-9_]*)$/,
  resolve(text: string): number {
    const digits = text.replace(/^[-+]/, '').replace(/_/g, '');
    const value = digits.startsWith('0b')
      ? parseInt(digits.slice(2), 2)
      : digits.length > 1 && digits.startsWith('0')
        ? parseInt(digits.slice(1), 8)
        : Number(digits);
    return text.startsWith('-') ? -value : value;
  },
};

export function parsePipelineYaml(text: string, options: { file: string }): ParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    merge: true,
    customTags: (tags) => [goInt, ...tags],
    lineCounter,
    // Library warnings (e.g. a mapping used as a key) would go to the process's stderr; they are not ours.
    logLevel: 'error',
  });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((error) => {
        const at = error.linePos?.[0] ?? { line: 1, col: 1 };
        // The library appends its own position and a source excerpt; we print `file:line:col` instead.
        const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return { file: options.file, line: at.line, col: at.col, message: `invalid YAML: ${message}` };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (error) {
    // The only expected failure: alias expansion beyond the library's limit (a "billion laughs" file).
    const message = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      errors: [{ file: options.file, line: 1, col: 1, message: `invalid YAML: ${message}` }],
    };
  }
  return { ok: true, document: new PipelineDocument({ file: options.file, doc, lineCounter, value }) };
}

export class PipelineDocument {
  readonly file: string;
  /** The whole file as plain JSON-like data (merge keys and aliases resolved). */
  readonly value: unknown;
  private readonly doc: Document;
  private readonly lineCounter: LineCounter;

  constructor(options: { file: string; doc: Document; lineCounter: LineCounter; value: unknown }) {
    this.file = options.file;
    this.doc = options.doc;
    this.lineCounter = options.lineCounter;
    this.value = options.value;
  }

  /**
   * Where the value at `path` is written: the key for a mapping member, the item for a sequence member.
   * Keys match exactly first, then case-insensitively (as the plugin decoder matches field names). A path
   * that leaves the written nodes (e.g. through a merge key) resolves to the deepest node still found.
   */
  positionOf(path: readonly PathSegment[]): Position {
    let node: unknown = this.doc.contents;
    let offset = this.offsetOf(node) ?? 0;
    for (const segment of path) {
      if (typeof segment === 'number' && isSeq(node)) {
        node = node.items[segment];
        const at = this.offsetOf(node);
        if (at === undefined) break;
        offset = at;
        continue;
      }
      if (typeof segment !== 'string' || !isMap(node)) break;
      const pair = findPair(node.items, segment);
      if (pair === undefined) break;
      offset = this.offsetOf(pair.key) ?? offset;
      node = pair.value;
    }
    return this.lineCounter.linePos(offset);
  }

  private offsetOf(node: unknown): number | undefined {
    return isScalar(node) || isMap(node) || isSeq(node) ? (node as Node).range?.[0] : undefined;
  }
}

function findPair(items: readonly unknown[], key: string): { key: unknown; value: unknown } | undefined {
  const pairs = items.filter(isPair);
  const keyText = (pair: (typeof pairs)[number]): string | undefined =>
    isScalar(pair.key) ? String(pair.key.value) : undefined;
  const folded = key.toLowerCase();
  return (
    pairs.find((pair) => keyText(pair) === key) ??
    pairs.find((pair) => keyText(pair)?.toLowerCase() === folded)
  );
}
