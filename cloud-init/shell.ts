/** Shell quoting for the few values that are interpolated into scripts (already validated by validate.ts). */

/** Quotes one word for POSIX sh: `it's` -> `'it'\''s'`. */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Quotes and joins argv into one command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}
