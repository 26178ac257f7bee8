/**
 * Reads an OCI layout tarball back, checking every digest on the way, and applies its layers in order to a
 * directory: what a container runtime does before it starts the image, minus the container.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { runCommand } from './command.js';
import { blobPath, fileDigest, sha256 } from './oci.js';

export interface UnpackedImage {
  readonly manifestDigest: string;
  readonly config: ImageConfigFile;
  /** Paths of the gzip layer blobs, bottom first, with the diff_id each must have. */
  readonly layers: readonly { readonly path: string; readonly diffId: string }[];
}

/** The parts of an image config that running the image needs. */
export interface ImageConfigFile {
  readonly architecture: string;
  readonly os: string;
  readonly config: {
    readonly User?: string;
    readonly Entrypoint?: string[];
    readonly Env?: string[];
    readonly WorkingDir?: string;
  };
  readonly rootfs: { readonly diff_ids: string[] };
}

interface DescriptorJson {
  readonly digest: string;
  readonly size: number;
}

/** Extracts the layout tarball into `dir` and checks the index, manifest, config and layer digests. */
export async function readLayoutArchive(archive: string, dir: string): Promise<UnpackedImage> {
  await runCommand('tar', ['-xf', archive, '-C', dir]);
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as {
    manifests?: DescriptorJson[];
  };
  if (index.manifests?.length !== 1 || !index.manifests[0]) {
    throw new Error(`${archive}: index.json must list exactly one manifest`);
  }
  const manifestDigest = index.manifests[0].digest;
  const manifest = JSON.parse(await readVerifiedBlob(dir, index.manifests[0])) as {
    config: DescriptorJson;
    layers: DescriptorJson[];
  };
  const config = JSON.parse(await readVerifiedBlob(dir, manifest.config)) as ImageConfigFile;
  if (config.rootfs.diff_ids.length !== manifest.layers.length) {
    throw new Error(
      `${archive}: ${String(manifest.layers.length)} layers but ${String(config.rootfs.diff_ids.length)} diff_ids`,
    );
  }
  const layers = [];
  for (const [i, layer] of manifest.layers.entries()) {
    const path = join(dir, blobPath(layer.digest));
    const actual = await fileDigest(path);
    if (actual.digest !== layer.digest || actual.size !== layer.size) {
      throw new Error(
        `layer ${layer.digest}: blob has digest ${actual.digest}, ${String(actual.size)} bytes`,
      );
    }
    layers.push({ path, diffId: config.rootfs.diff_ids[i] ?? '' });
  }
  return { manifestDigest, config, layers };
}

/**
 * Applies the layers in order to `rootfs` with GNU tar, after checking each uncompressed tar against its
 * diff_id. Whiteouts (files deleted by a later layer) are refused: our images only add files.
 */
export async function applyLayers(image: UnpackedImage, rootfs: string): Promise<void> {
  for (const layer of image.layers) {
    const hash = createHash('sha256');
    await pipeline(createReadStream(layer.path), createGunzip(), async (tar: AsyncIterable<Buffer>) => {
      for await (const chunk of tar) hash.update(chunk);
    });
    const diffId = `sha256:${hash.digest('hex')}`;
    if (diffId !== layer.diffId) {
      throw new Error(`layer ${layer.path}: diff_id ${diffId}, config says ${layer.diffId}`);
    }
    await runCommand('tar', ['-xzpf', layer.path, '--numeric-owner', '-C', rootfs]);
  }
  const whiteouts = (await readdir(rootfs, { recursive: true })).filter((p) => /(^|\/)\.wh\./.test(p));
  if (whiteouts.length > 0) throw new Error(`whiteouts are not supported: ${whiteouts.join(', ')}`);
}

async function readVerifiedBlob(dir: string, descriptor: DescriptorJson): Promise<string> {
  const bytes = await readFile(join(dir, blobPath(descriptor.digest)));
  const digest = sha256(bytes);
  if (digest !== descriptor.digest || bytes.length !== descriptor.size) {
    throw new Error(`blob ${descriptor.digest}: content has digest ${digest}, ${String(bytes.length)} bytes`);
  }
  return bytes.toString('utf8');
}
