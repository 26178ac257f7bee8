import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractDebianPackages, parsePrintUris } from './sources.js';

const sha = 'ab'.repeat(32);

describe('parsePrintUris', () => {
  it('reads file names and SHA-256 sums, whatever order apt prints them in', () => {
    const output =
      `'http://deb.example/pool/libgcc-s1_12.2.0-14%2bdeb12u1_amd64.deb' libgcc-s1_12.2.0-14+deb12u1_amd64.deb 49856 SHA256:${sha}\n` +
      `'http://deb.example/pool/libc6_2.36-9%2bdeb12u14_amd64.deb' libc6_2.36-9+deb12u14_amd64.deb 2759320 SHA256:${sha}\n`;
    expect(parsePrintUris(output)).toEqual([
      { file: 'libgcc-s1_12.2.0-14+deb12u1_amd64.deb', sha256: sha },
      { file: 'libc6_2.36-9+deb12u14_amd64.deb', sha256: sha },
    ]);
  });

  it('refuses a line it does not understand, quoting it', () => {
    expect(() => parsePrintUris(`'http://x/a.deb' a.deb 12 MD5Sum:abc\n`)).toThrow(
      /unexpected line: 'http:\/\/x\/a.deb'/,
    );
  });
});

describe('extractDebianPackages', () => {
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'deb-test-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('keeps libraries and copyright notices, drops docs, lintian data and gconv modules', async () => {
    const pkg = join(work, 'pkg');
    const files = {
      'DEBIAN/control':
        'Package: libtest\nVersion: 1\nArchitecture: all\nMaintainer: t <t@example.org>\nDescription: t\n',
      'lib/x86_64-linux-gnu/libtest.so.1': 'elf',
      'usr/lib/x86_64-linux-gnu/gconv/UTF-7.so': 'gconv',
      'usr/lib/x86_64-linux-gnu/libmore.so.1': 'elf',
      'usr/share/doc/libtest/copyright': 'MIT',
      'usr/share/doc/libtest/changelog.gz': 'log',
      'usr/share/lintian/overrides/libtest': 'x',
    };
    for (const [path, content] of Object.entries(files)) {
      await mkdir(join(pkg, path, '..'), { recursive: true });
      await writeFile(join(pkg, path), content);
    }
    const deb = join(work, 'libtest.deb');
    execFileSync('dpkg-deb', ['--root-owner-group', '-b', pkg, deb], { stdio: 'ignore' });

    const root = join(work, 'root');
    await extractDebianPackages([deb], root);
    const kept = (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .sort();
    expect(kept).toEqual([
      'lib/x86_64-linux-gnu/libtest.so.1',
      'usr/lib/x86_64-linux-gnu/libmore.so.1',
      'usr/share/doc/libtest/copyright',
    ]);
  });
});
