import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A throwaway self-signed EC key pair from the openssl CLI (node:crypto cannot issue certificates). */
export function selfSigned(
  dir: string,
  name: string,
  subjectAltName?: string,
): { key: string; cert: string } {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      keyPath,
      '-out',
      certPath,
      ...(subjectAltName === undefined ? [] : ['-addext', `subjectAltName=${subjectAltName}`]),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyPath, 'utf8'), cert: readFileSync(certPath, 'utf8') };
}
