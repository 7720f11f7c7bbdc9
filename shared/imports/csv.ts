import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';

// Reading and writing CSV files with csv-parse and csv-stringify (streamed: a 100,000-row file
// is never held whole). Files saved by spreadsheet programs are read as they come: the encoding
// (UTF-8 with or without a byte order mark, UTF-16 with one, else Windows-1252, what Excel's
// "CSV" writes in Western locales) and the delimiter (`,`, `;` in locales whose decimal mark is
// a comma, or a tab) are detected from the file's start. Written files are UTF-8 with a byte
// order mark, so spreadsheet programs read accents, and cells that a spreadsheet would run as a
// formula are neutralised.

/** The largest cell accepted, in characters (a description is at most 65,535). */
const MAX_CELL = 70_000;

/** Bytes read before the encoding is decided (the header and the first rows of any real file). */
const SNIFF_BYTES = 64 * 1024;

/** The encodings a file is read in. */
export type CsvEncoding = 'utf-8' | 'utf-16le' | 'windows-1252';
/** The delimiters a file may use. */
export type CsvDelimiter = ',' | ';' | '\t';
/** How a file was read. */
export interface CsvFormat {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
}

type Chunks = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/**
 * A file's encoding from a sample of its bytes: a byte order mark at its start (`atStart`) says
 * it (UTF-8 or UTF-16 LE); a sample that ends before the file does (`whole` false) may cut a
 * character; otherwise bytes that are valid UTF-8 are read as UTF-8, anything else as
 * Windows-1252 (a superset of Latin-1 that decodes every byte).
 */
export function detectEncoding(head: Uint8Array, whole: boolean, atStart = true): CsvEncoding {
  if (atStart && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (atStart && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  try {
    // stream: a multi-byte character cut by the end of the sample is not an error.
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !whole });
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/**
 * The delimiter of a file from its header line: whichever of `,`, `;` and tab occurs most
 * outside quotes (`,` when none does).
 */
export function detectDelimiter(text: string): CsvDelimiter {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === '\n' || char === '\r')) break;
    else if (!quoted && char in counts) counts[char as CsvDelimiter]++;
  }
  const best = (Object.entries(counts) as [CsvDelimiter, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : ',';
}

const isAscii = (bytes: Uint8Array): boolean => bytes.every((b) => b < 0x80);

/**
 * The file as text, the byte order mark dropped. Plain ASCII reads the same in every encoding
 * offered, so the encoding is decided on the SNIFF_BYTES from the first byte that is not ASCII
 * (a Windows-1252 file whose first accent is deep in the file is still read as one).
 */
async function* decoded(source: Chunks, detected: (encoding: CsvEncoding) => void): AsyncGenerator<string> {
  const head: Uint8Array[] = [];
  let size = 0;
  let atStart = true;
  let decoder: TextDecoder | undefined;
  const decide = (whole: boolean) => {
    const bytes = Buffer.concat(head);
    const encoding = detectEncoding(bytes, whole, atStart);
    detected(encoding);
    // Fatal for UTF-8: a file that stops being UTF-8 past the sample is refused, not garbled.
    decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8' });
    return decoder.decode(bytes, { stream: true });
  };
  for await (const chunk of source) {
    if (typeof chunk === 'string') {
      yield chunk;
    } else if (decoder) {
      yield decoder.decode(chunk, { stream: true });
    } else if (size === 0 && isAscii(chunk)) {
      if (chunk.length > 0) atStart = false;
      yield Buffer.from(chunk).toString('latin1');
    } else {
      head.push(chunk);
      size += chunk.length;
      if (size >= SNIFF_BYTES) yield decide(false);
    }
  }
  if (!decoder && size > 0) yield decide(true);
  if (decoder) yield decoder.decode();
  else detected('utf-8');
}

/**
 * The rows of a CSV file, the header first, as arrays of cells. Bytes are decoded as detected
 * (see detectEncoding; strings are taken as they are), a leading byte order mark dropped, the
 * delimiter detected on the header line (see detectDelimiter); blank lines are skipped.
 * `detected` hears the format once the file is read. Throws on malformed quoting, naming the line, and
 * on a UTF-8 file holding bytes that are not UTF-8.
 */
export async function* csvRows(source: Chunks, detected?: (format: CsvFormat) => void): AsyncGenerator<string[]> {
  let encoding: CsvEncoding = 'utf-8';
  const text = decoded(source, (e) => (encoding = e));
  // The first text up to its first line break (or all of it) decides the delimiter.
  let start = '';
  let first = await text.next();
  while (!first.done) {
    start += first.value;
    if (/[\r\n]/.test(start) || start.length >= SNIFF_BYTES) break;
    first = await text.next();
  }
  if (start === '' && first.done) return;
  const delimiter = detectDelimiter(start);
  const parser = parse({
    bom: true,
    delimiter,
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_CELL * 10,
  });
  const feed = (async () => {
    try {
      const write = async (chunk: string) => {
        if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
      };
      await write(start);
      if (!first.done) for await (const chunk of text) await write(chunk);
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  for await (const record of parser) yield record as string[];
  await feed;
  detected?.({ encoding, delimiter });
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * A signed number or phone number ("-5", "+34 612 345 678", "+1 (555) 010-2000"): digits with
 * spaces, dots, dashes and brackets call no function, so it is written as it is (an apostrophe
 * would turn -5 into text and spoil a phone number on re-import).
 */
const SIGNED_NUMBER = /^[+-][\d\s().-]*\d[\d\s().-]*$/;

/**
 * A cell as written: one that would start a formula is prefixed with `'` (shown as text),
 * except a signed number or phone number (SIGNED_NUMBER). OWASP's CSV injection advice.
 */
export const safeCell = (value: string): string =>
  FORMULA_START.test(value) && !SIGNED_NUMBER.test(value) ? `'${value}` : value;

/** The byte order mark that opens every file we write. */
export const BOM = '\uFEFF';

/** CSV text of `rows` (cells neutralised), CRLF line ends; `withBom` opens it with the BOM. */
export function csvText(rows: readonly (readonly string[])[], options: { withBom: boolean }): string {
  const body = stringify(
    rows.map((r) => r.map(safeCell)),
    { record_delimiter: 'windows' },
  );
  return options.withBom ? BOM + body : body;
}
