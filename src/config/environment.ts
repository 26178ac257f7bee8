/** The process environment: read here only, and passed down (DESIGN §2: no env reads elsewhere). */
export function processEnvironment(): Readonly<Record<string, string | undefined>> {
  return process.env;
}
