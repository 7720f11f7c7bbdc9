// Lengths as the API states them: in characters, meaning Unicode code points, the unit of
// JSON Schema's maxLength (JSON Schema Validation §6.3.1, after RFC 8259) and of zod's string
// checks; never UTF-16 code units, which count "𠮷" twice.

/** How many characters (code points) `text` has. */
export function charLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** The first `max` characters (code points) of `text`; never ends inside a surrogate pair. */
export function firstChars(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count++ === max) break;
    out += char;
  }
  return out;
}
