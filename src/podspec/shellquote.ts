/**
 * `BUILDKITE_COMMAND` from a container's `command`/`args`, with the quoting rules of go-shellquote's
 * `Join` (kballard/go-shellquote 95032a8), which upstream uses for the `buildkite` and `vector` interposers.
 */
import type { Interposer } from '../config/params.js';

const SPECIAL = new Set([
  '\\',
  "'",
  '"',
  '`',
  '$',
  '{',
  '[',
  '|',
  '&',
  ';',
  '<',
  '>',
  '(',
  ')',
  '*',
  '?',
  '!',
]);
const SPLIT = new Set([' ', '\t', '\n']);

/** Quotes one word so a POSIX shell reads it back unchanged. */
export function quoteWord(word: string): string {
  if (word === '') return "''";
  let out = '';
  let plainStart = 0;
  let index = 0;
  for (const char of word) {
    if (SPLIT.has(char)) return quoteWhole(word);
    if (SPECIAL.has(char) || (index === 0 && char === '~')) {
      out += word.slice(plainStart, index) + '\\' + char;
      plainStart = index + char.length;
    }
    index += char.length;
  }
  return out + word.slice(plainStart);
}

// Single quotes around the word; an embedded quote closes, escapes and reopens (no empty '' at either end).
function quoteWhole(word: string): string {
  let out = '';
  let rest = word;
  while (rest !== '') {
    const quote = rest.indexOf("'");
    if (quote === -1) return `${out}'${rest}'`;
    if (quote > 0) out += `'${rest.slice(0, quote)}'`;
    out += "\\'";
    rest = rest.slice(quote + 1);
  }
  return out;
}

/** go-shellquote `Join`: every word quoted, joined by one space. */
export function shellJoin(words: readonly string[]): string {
  return words.map(quoteWord).join(' ');
}

/** The interposer's `BUILDKITE_COMMAND` for a container command and its args; `''` means `buildkite`. */
export function interposedCommand(
  interposer: Interposer | undefined,
  command: readonly string[],
  args: readonly string[],
): string {
  switch (interposer) {
    case 'vector':
      return shellJoin([...command, ...args]);
    case 'legacy':
      return [...command, ...args].join(' ');
    default:
      return args.length === 0 ? command.join('\n') : `${command.join('\n')} ${shellJoin(args)}`;
  }
}
