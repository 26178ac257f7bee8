/**
 * OCI image layout assembly: layers from directory trees, the image config, manifest and index, and the
 * layout written as one tarball. Archives come from GNU tar with fixed owners, mtimes and order, so the same
 * trees give the same digests.
 */
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { runCommand } from './command.js';

export const MEDIA_TYPES = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
}

/** A compressed layer blob: `digest` names the gzip blob, `diffId` the uncompressed tar it holds. */
export interface Layer extends Descriptor {
  readonly diffId: string;
  /** What the layer holds, for the config's history. */
  readonly comment: string;
}

/** The process the image runs, as the image config's `config` object states it. */
export interface ImageProcess {
  readonly user: string;
  readonly entrypoint: readonly string[];
  readonly env: readonly string[];
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Options that make GNU tar's output depend only on the tree's names, contents and modes. */
export const REPRODUCIBLE_TAR_FLAGS = [
  '--format=gnu',
  '--sort=name',
  '--mtime=@0',
  '--owner=0',
  '--group=0',
  '--numeric-owner',
] as const;

export function sha256(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Node's `process.arch` as OCI names it; undefined for architectures we build no image for. */
export function ociArchitecture(nodeArch: string): 'amd64' | 'arm64' | undefined {
  if (nodeArch === 'x64') return 'amd64';
  if (nodeArch === 'arm64') return 'arm64';
  return undefined;
}

export function imageConfig(input: {
  readonly architecture: string;
  readonly process: ImageProcess;
  readonly layers: readonly Layer[];
}): object {
  const p = input.process;
  return {
    // The epoch keeps the config, and so the image digest, the same for the same inputs.
    created: '1970-01-01T00:00:00Z',
    architecture: input.architecture,
    os: 'linux',
    config: {
      User: p.user,
      Entrypoint: [...p.entrypoint],
      Env: [...p.env],
      WorkingDir: p.workingDir,
      Labels: { ...p.labels },
    },
    rootfs: { type: 'layers', diff_ids: input.layers.map((l) => l.diffId) },
    history: input.layers.map((l) => ({ created: '1970-01-01T00:00:00Z', comment: l.comment })),
  };
}

export function imageManifest(config: Descriptor, layers: readonly Descriptor[]): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.manifest,
    config: descriptorOf(config),
    layers: layers.map(descriptorOf),
  };
}

/** The layout's index: one manifest, named by `refName` so `oci-archive:<file>:<refName>` finds it. */
export function imageIndex(manifest: Descriptor, refName: string, architecture: string): object {
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.index,
    manifests: [
      {
        ...descriptorOf(manifest),
        platform: { architecture, os: 'linux' },
        annotations: { 'org.opencontainers.image.ref.name': refName },
      },
    ],
  };
}

/** Docker's `manifest.json`, so `docker load` accepts the same tarball (as `docker save` writes it too). */
export function dockerLoadManifest(
  config: Descriptor,
  layers: readonly Descriptor[],
  repoTag: string,
): object {
  return [
    { Config: blobPath(config.digest), RepoTags: [repoTag], Layers: layers.map((l) => blobPath(l.digest)) },
  ];
}

/** `/etc/passwd` and `/etc/group` with root and one unprivileged user that owns nothing in the image. */
export function accountFiles(user: { readonly name: string; readonly uid: number; readonly gid: number }): {
  passwd: string;
  group: string;
} {
  return {
    passwd:
      'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
      `${user.name}:x:${user.uid}:${user.gid}:${user.name}:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\n${user.name}:x:${user.gid}:\n`,
  };
}

export function blobPath(digest: string): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/** Writes `bytes` as a blob of the layout at `layoutDir` and returns its descriptor. */
export async function writeBlob(layoutDir: string, mediaType: string, bytes: string): Promise<Descriptor> {
  const digest = sha256(bytes);
  await mkdir(join(layoutDir, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(layoutDir, blobPath(digest)), bytes);
  return { mediaType, digest, size: Buffer.byteLength(bytes) };
}

/**
 * Archives the tree under `rootDir` as a gzip layer blob of the layout, hashing the tar (diff_id) and the
 * gzip stream (digest) as they pass, so the uncompressed tar never touches the disk.
 */
export async function writeLayer(layoutDir: string, rootDir: string, comment: string): Promise<Layer> {
  const entries = (await readdir(rootDir)).sort();
  if (entries.length === 0) throw new Error(`layer "${comment}": ${rootDir} is empty`);
  const blobDir = join(layoutDir, 'blobs', 'sha256');
  await mkdir(blobDir, { recursive: true });
  const partial = join(blobDir, `partial-${String(process.pid)}`);

  const tar = spawn('tar', [...REPRODUCIBLE_TAR_FLAGS, '-C', rootDir, '-cf', '-', '--', ...entries], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  tar.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', resolve);
  });
  const diffId = hashingStream();
  const digest = hashingStream();
  await pipeline(
    tar.stdout,
    diffId.stream,
    createGzip({ level: 6 }),
    digest.stream,
    createWriteStream(partial),
  );
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${rootDir} exited ${String(code)}: ${stderr.trim()}`);

  const layer: Layer = {
    mediaType: MEDIA_TYPES.layer,
    digest: digest.digest(),
    size: digest.size(),
    diffId: diffId.digest(),
    comment,
  };
  await rename(partial, join(layoutDir, blobPath(layer.digest)));
  return layer;
}

/** Writes `oci-layout`, `index.json` and Docker's `manifest.json`, then archives the layout as one tarball. */
export async function writeLayoutArchive(input: {
  readonly layoutDir: string;
  readonly manifest: Descriptor;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly refName: string;
  readonly repoTag: string;
  readonly architecture: string;
  readonly output: string;
}): Promise<void> {
  const { layoutDir } = input;
  await writeFile(join(layoutDir, 'oci-layout'), `${JSON.stringify({ imageLayoutVersion: '1.0.0' })}\n`);
  await writeFile(
    join(layoutDir, 'index.json'),
    JSON.stringify(imageIndex(input.manifest, input.refName, input.architecture)),
  );
  await writeFile(
    join(layoutDir, 'manifest.json'),
    JSON.stringify(dockerLoadManifest(input.config, input.layers, input.repoTag)),
  );
  await runCommand('tar', [
    ...REPRODUCIBLE_TAR_FLAGS,
    '-C',
    layoutDir,
    '-cf',
    input.output,
    'oci-layout',
    'index.json',
    'manifest.json',
    'blobs',
  ]);
}

function descriptorOf(d: Descriptor): Descriptor {
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

/** A pass-through stream that hashes and counts what flows through it. */
function hashingStream(): { stream: Transform; digest: () => string; size: () => number } {
  const hash = createHash('sha256');
  let size = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, digest: () => `sha256:${hash.digest('hex')}`, size: () => size };
}
