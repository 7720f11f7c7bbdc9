import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify/sync';

// Reading and writing CSV files with csv-parse and csv-stringify (streamed: a 100,000-row file
// is never held whole). Written files are UTF-8 with a byte order mark, so spreadsheet programs
// read accents, and cells that a spreadsheet would run as a formula are neutralised.

/** The largest cell accepted, in characters (a description is at most 65,535). */
const MAX_CELL = 70_000;

/**
 * The rows of a CSV file, the header first, as arrays of cells. A leading byte order mark is
 * dropped; `,` or `;` as the delimiter (spreadsheets of some locales write `;`); blank lines are
 * skipped. Throws on malformed quoting, naming the line.
 */
export async function* csvRows(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>,
): AsyncGenerator<string[]> {
  const parser = parse({
    bom: true,
    delimiter: [',', ';'],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: MAX_CELL * 10,
  });
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (!parser.write(chunk)) await new Promise((resolve) => parser.once('drain', resolve));
      }
      parser.end();
    } catch (error) {
      parser.destroy(error as Error);
    }
  })();
  for await (const record of parser) yield record as string[];
  await feed;
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
