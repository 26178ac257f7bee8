import { readFileSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { KUBERNETES_MODELS_FILE, kubernetesModelsSource } from '../../scripts/kubernetes-models.js';
import { KUBERNETES_MODELS } from './kubernetes-models.js';
import { shapeOf } from './shape.js';

describe('the extracted Kubernetes model tables', () => {
  it('are what the installed client-node generates (run `npm run docs` after upgrading it)', async () => {
    expect(readFileSync(KUBERNETES_MODELS_FILE, 'utf8')).toBe(await kubernetesModelsSource());
  });

  it('match the library model by model, field by field', () => {
    const library = k8s as unknown as Record<string, { getAttributeTypeMap(): { baseName: string }[] }>;
    for (const [name, fields] of Object.entries(KUBERNETES_MODELS)) {
      const model = library[name];
      expect(model, name).toBeDefined();
      expect(fields.map(([field]) => field)).toEqual(model?.getAttributeTypeMap().map((a) => a.baseName));
    }
  });

  it('cover every model a PodSpec reaches; other names stay unknown', () => {
    expect(Object.keys(KUBERNETES_MODELS)).toEqual(
      expect.arrayContaining(['V1PodSpec', 'V1Container', 'V1Volume', 'V1Probe', 'V1SecurityContext']),
    );
    expect(shapeOf('V1Probe').fields.get('timeoutSeconds')).toEqual({ kind: 'int', goType: 'int32' });
    expect(shapeOf('V1PodSpec').fields.get('activeDeadlineSeconds')).toEqual({
      kind: 'int',
      goType: 'int64',
    });
    expect(() => shapeOf('V1Deployment')).toThrow('unknown shape V1Deployment');
  });
});
