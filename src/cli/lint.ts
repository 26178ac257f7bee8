/** `agent-stack-k8s lint pipeline.yml...`: checks the kubernetes plugin blocks of pipeline files. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { lintPipeline } from '../pipeline/lint.js';
import type { CliIO } from './main.js';

const HELP = `
Checks every "kubernetes" plugin block, in every command step and group, strictly against the plugin's
schema (docs/kubernetes-plugin.schema.json): unknown fields, wrong types, invalid quantities and enums,
image references the controller would refuse (the step's image: too), podSpecPatch command changes to the agent/checkout containers, and podSpec set together with podTemplate.

Findings go to stdout, one per line, as "file:line:col: path: message" ("warning: " before the path for
warnings), followed by a count. Unreadable files go to stderr.

Exit status: 0 no errors (warnings allowed), 1 errors found, 2 usage error, unreadable file or invalid YAML.`;

export function addLintCommand(program: Command, io: CliIO, exit: (code: number) => void): void {
  program
    .command('lint')
    .description('Check the kubernetes plugin config of Buildkite pipeline files')
    .argument('<files...>', 'pipeline YAML files ("-" for standard input)')
    .addHelpText('after', HELP)
    .action((files: string[]) => {
      exit(lintFiles(files, io));
    });
}

function lintFiles(files: readonly string[], io: CliIO): number {
  // `-` reads standard input, for generated pipelines: `./gen-pipeline | agent-stack-k8s lint -`.
  const readFile = io.readFile ?? ((path: string) => readFileSync(path === '-' ? 0 : path, 'utf8'));
  let status = 0;
  let errors = 0;
  let warnings = 0;
  for (const file of files) {
    let text: string;
    try {
      text = readFile(file);
    } catch (error) {
      io.stderr(
        `agent-stack-k8s lint: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      status = 2;
      continue;
    }
    const result = lintPipeline(text, { file: file === '-' ? '<stdin>' : file });
    if (!result.ok) {
      for (const error of result.errors)
        io.stdout(`${error.file}:${error.line}:${error.col}: ${error.message}\n`);
      errors += result.errors.length;
      status = 2;
      continue;
    }
    for (const finding of result.findings) {
      const label = finding.severity === 'warning' ? 'warning: ' : '';
      io.stdout(`${finding.file}:${finding.line}:${finding.col}: ${label}${finding.message}\n`);
      if (finding.severity === 'error') errors++;
      else warnings++;
    }
  }
  if (errors + warnings > 0) io.stdout(`${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  return status === 2 ? 2 : errors > 0 ? 1 : 0;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
