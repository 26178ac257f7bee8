/** Entry point: parses argv and dispatches to a subcommand. Returns the process exit status. */
export function main(argv: readonly string[]): Promise<number> {
  process.stderr.write(`agent-stack-k8s: not yet implemented (${argv.join(' ')})\n`);
  return Promise.resolve(1);
}
