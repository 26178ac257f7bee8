import { describe, expect, it } from 'vitest';
import { interposedCommand, quoteWord, shellJoin } from './shellquote.js';

describe('TestInterposer (command_params_test.go)', () => {
  const command = ['one', 'two', 'three', 'four', 'five six seven eight'];
  const args = ['nine', 'ten', 'eleven twelve'];
  it.each([
    ['buildkite', "one\ntwo\nthree\nfour\nfive six seven eight nine ten 'eleven twelve'"],
    ['', "one\ntwo\nthree\nfour\nfive six seven eight nine ten 'eleven twelve'"],
    ['vector', "one two three four 'five six seven eight' nine ten 'eleven twelve'"],
    ['legacy', 'one two three four five six seven eight nine ten eleven twelve'],
  ] as const)('%s', (interposer, expected) => {
    expect(interposedCommand(interposer, command, args)).toBe(expected);
  });

  it('buildkite without args joins the command lines only', () => {
    expect(interposedCommand('buildkite', ['set -e', 'echo hi'], [])).toBe('set -e\necho hi');
  });
});

describe('go-shellquote Join', () => {
  it.each([
    ['', "''"],
    ['hello world', "'hello world'"],
    ['a=b', 'a=b'],
    ['$HOME', '\\$HOME'],
    ["it's", "it\\'s"],
    ["it's ok", "'it'\\''s ok'"],
    ["'leading quote", "\\''leading quote'"],
    ["trailing quote'", "'trailing quote'\\'"],
    ['~user', '\\~user'],
    ['a~b', 'a~b'],
    ['tab\there', "'tab\there'"],
    ['line\nbreak', "'line\nbreak'"],
    ['cr\rhere', 'cr\rhere'],
    ['a*b?c!', 'a\\*b\\?c\\!'],
    ['{x}[y]', '\\{x}\\[y]'],
    ['$x y', "'$x y'"],
    ['héllo', 'héllo'],
  ])('%j -> %j', (word, expected) => {
    expect(quoteWord(word)).toBe(expected);
  });

  it('joins quoted words with one space', () => {
    expect(shellJoin(['echo', 'a b', ''])).toBe("echo 'a b' ''");
  });
});
