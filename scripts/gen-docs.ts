/** Writes the generated references under docs/. */
import { writeFileSync } from 'node:fs';
import { configurationReference } from '../src/config/reference.js';
import { metricsReference } from '../src/observability/reference.js';

writeFileSync(new URL('../docs/configuration.md', import.meta.url), configurationReference());
writeFileSync(new URL('../docs/metrics.md', import.meta.url), await metricsReference());
