/**
 * The syntax errors Go's encoding/json reports, for messages users see in Buildkite
 * (`failed parsing plugins: invalid character 'x' looking for beginning of value`). JSON.parse does the
 * parsing; this scanner runs only when JSON.parse has already failed, to find Go's wording.
 */

/** Go's text for the first syntax error in `text`, or undefined when Go would accept it. */
export function goJsonSyntaxError(text: string): string | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    scanner.value();
    scanner.skipSpace();
    if (scanner.pos < text.length) scanner.fail('after top-level value');
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxFailure) return error.message;
    throw error;
  }
}

class SyntaxFailure extends Error {}

const SPACE = new Set([' ', '\t', '\n', '\r']);
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

class Scanner {
  pos = 0;
  constructor(private readonly text: string) {}

  private peek(): string {
    if (this.pos >= this.text.length) throw new SyntaxFailure('unexpected end of JSON input');
    return this.text[this.pos] ?? '';
  }

  fail(context: string): never {
    const char = String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0);
    throw new SyntaxFailure(`invalid character ${quoteChar(char)} ${context}`);
  }

  skipSpace(): void {
    while (this.pos < this.text.length && SPACE.has(this.text[this.pos] ?? '')) this.pos++;
  }

  value(): void {
    const c = this.peek();
    if (c === '{') {
      this.object();
      return;
    }
    if (c === '[') {
      this.array();
      return;
    }
    if (c === '"') {
      this.string('in string literal');
      return;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      this.number();
      return;
    }
    if (c === 't') {
      this.literal('true');
      return;
    }
    if (c === 'f') {
      this.literal('false');
      return;
    }
    if (c === 'n') {
      this.literal('null');
      return;
    }
    this.fail('looking for beginning of value');
  }

  private object(): void {
    this.pos++;
    this.skipSpace();
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.peek() !== '"') this.fail('looking for beginning of object key string');
      this.string('in string literal');
      this.skipSpace();
      if (this.peek() !== ':') this.fail('after object key');
      this.pos++;
      this.skipSpace();
      this.value();
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === '}') return;
      if (next !== ',') {
        this.pos--;
        this.fail('after object key:value pair');
      }
      this.skipSpace();
    }
  }

  private array(): void {
    this.pos++;
    this.skipSpace();
    if (this.peek() === ']') {
      this.pos++;
      return;
    }
    for (;;) {
      this.value();
      this.skipSpace();
      const next = this.peek();
      this.pos++;
      if (next === ']') return;
      if (next !== ',') {
        this.pos--;
        this.fail('after array element');
      }
      this.skipSpace();
    }
  }

  private string(context: string): void {
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        this.pos++;
        return;
      }
      if (c < ' ') this.fail(context);
      if (c === '\\') {
        this.pos++;
        const e = this.peek();
        if (e === 'u') {
          for (let i = 0; i < 4; i++) {
            this.pos++;
            if (!/[0-9a-fA-F]/.test(this.peek())) this.fail('in \\u hexadecimal character escape');
          }
        } else if (!ESCAPES.has(e)) {
          this.fail('in string escape code');
        }
      }
      this.pos += c.length;
    }
  }

  private digits(): number {
    const start = this.pos;
    while (this.pos < this.text.length && /[0-9]/.test(this.text[this.pos] ?? '')) this.pos++;
    return this.pos - start;
  }

  private number(): void {
    if (this.peek() === '-') {
      this.pos++;
      if (!/[0-9]/.test(this.peek())) this.fail('in numeric literal');
    }
    if (this.peek() === '0') this.pos++;
    else this.digits();
    if (this.pos < this.text.length && this.text[this.pos] === '.') {
      this.pos++;
      if (!/[0-9]/.test(this.peek())) this.fail('after decimal point in numeric literal');
      this.digits();
    }
    if (this.pos < this.text.length && /[eE]/.test(this.text[this.pos] ?? '')) {
      this.pos++;
      if (/[+-]/.test(this.peek())) this.pos++;
      if (!/[0-9]/.test(this.peek())) this.fail('in exponent of numeric literal');
      this.digits();
    }
  }

  private literal(word: string): void {
    for (let i = 0; i < word.length; i++) {
      const c = this.peek();
      if (c !== word[i]) this.fail(`in literal ${word} (expecting ${quoteChar(word[i] ?? '')})`);
      this.pos++;
    }
  }
}

/** Go's `quoteChar`: `'x'`, with `'\''` and `'"'` special-cased. */
function quoteChar(char: string): string {
  if (char === "'") return `'\\''`;
  if (char === '"') return `'"'`;
  const quoted = JSON.stringify(char);
  return `'${quoted.slice(1, -1)}'`;
}
