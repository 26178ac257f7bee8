/** The Stacks API takes at most 1000 jobs or notifications per request. */
export const STACK_BATCH_LIMIT = 1000;

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
