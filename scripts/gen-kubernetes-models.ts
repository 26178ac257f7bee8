/** Writes src/config/kubernetes-models.ts from the installed @kubernetes/client-node (run by `npm run docs`). */
import { writeFileSync } from 'node:fs';
import { KUBERNETES_MODELS_FILE, kubernetesModelsSource } from './kubernetes-models.js';

writeFileSync(KUBERNETES_MODELS_FILE, await kubernetesModelsSource());
process.stdout.write(`wrote ${KUBERNETES_MODELS_FILE}\n`);
