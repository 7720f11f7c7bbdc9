import { describe, expect, it } from 'vitest';
import { csvRows, detectDelimiter, detectEncoding, type CsvFormat } from '#shared/imports/csv.ts';

// Files as spreadsheet programs save them (known failure kind 9): Excel in a Catalan (or any
// comma-decimal) locale writes `;` between cells, CRLF line ends, and either UTF-8 with a byte
// order mark or Windows-1252; it quotes only cells holding `;`, quotes or line breaks.

const HEADER = 'Nom;Cognoms;Correu;Telèfon;Codi postal;Adreça';
const ROW = 'Núria;Ferrer i Solà;nuria@exemple.example;+34 612 345 678;08001;"Carrer Major, 5\r\n2n 1a"';
const SECOND = 'Jordi;Puig;jordi@exemple.example;+34 600 000 000;17001;Plaça del Vi, 3';
const EXPECTED = [
  ['Nom', 'Cognoms', 'Correu', 'Telèfon', 'Codi postal', 'Adreça'],
  ['Núria', 'Ferrer i Solà', 'nuria@exemple.example', '+34 612 345 678', '08001', 'Carrer Major, 5\r\n2n 1a'],
  ['Jordi', 'Puig', 'jordi@exemple.example', '+34 600 000 000', '17001', 'Plaça del Vi, 3'],
];
const excelText = `${HEADER}\r\n${ROW}\r\n${SECOND}\r\n`;

/** The text in Windows-1252 (the characters used here are Latin-1's, plus € at 0x80). */
const windows1252 = (text: string): Buffer =>
  Buffer.from([...text].map((c) => (c === '€' ? 0x80 : c.charCodeAt(0))).map((b) => (b > 0xff ? 0x3f : b)));

/** Bytes handed over in small chunks, as S3 streams them: a character may be cut between two. */
async function* chunked(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function read(bytes: Uint8Array): Promise<{ rows: string[][]; format: CsvFormat | undefined }> {
  const rows: string[][] = [];
  let format: CsvFormat | undefined;
  for await (const row of csvRows(chunked(bytes), (f) => (format = f))) rows.push(row);
  return { rows, format };
}

describe('CSV files saved by Excel', () => {
  it('reads a UTF-8 file with a byte order mark and `;` between cells (an unquoted comma stays in its cell)', async () => {
    const { rows, format } = await read(Buffer.from(`\uFEFF${excelText}`, 'utf8'));
    expect(rows).toEqual(EXPECTED);
    expect(rows[0]![0]).toBe('Nom'); // not "\uFEFFNom"
    expect(format).toEqual({ encoding: 'utf-8', delimiter: ';' });
  });

  it('reads a Windows-1252 file: accents intact, € included', async () => {
    const { rows, format } = await read(windows1252(`${excelText}Anna;Vidal;anna@exemple.example;;08002;Preu 5 €\r\n`));
    expect(rows.slice(0, 3)).toEqual(EXPECTED);
    expect(rows[3]![5]).toBe('Preu 5 €');
    expect(format).toEqual({ encoding: 'windows-1252', delimiter: ';' });
  });

  it('reads a Windows-1252 file whose first accent comes after the first 64 KiB', async () => {
    const ascii = 'Nom;Cognoms;Correu';
    const filler = Array.from({ length: 3000 }, (_, i) => `Nom ${i};Cognom;x${i}@exemple.example`).join('\r\n');
    const { rows, format } = await read(windows1252(`${ascii}\r\n${filler}\r\nNúria;Solà;n@exemple.example\r\n`));
    expect(rows).toHaveLength(3002);
    expect(rows.at(-1)).toEqual(['Núria', 'Solà', 'n@exemple.example']);
    expect(format?.encoding).toBe('windows-1252');
  });

  it('refuses a UTF-8 file that holds a byte that is not UTF-8 past its first 64 KiB, instead of garbling it', async () => {
    const filler = Array.from({ length: 6000 }, (_, i) => `Núria ${i};Solà`).join('\r\n');
    const bytes = Buffer.concat([Buffer.from(`Nom;Cognoms\r\n${filler}\r\n`, 'utf8'), Buffer.from([0x41, 0xe8, 0x3b, 0x42])]);
    await expect(read(bytes)).rejects.toThrow(/not valid|invalid|encoded/i);
  });

  it('keeps a `;` inside an unquoted cell of a comma-separated file', async () => {
    const { rows, format } = await read(Buffer.from('First Name,Last Name,Tags\r\nAna,Ruiz,vip;2026\r\n', 'utf8'));
    expect(rows).toEqual([
      ['First Name', 'Last Name', 'Tags'],
      ['Ana', 'Ruiz', 'vip;2026'],
    ]);
    expect(format?.delimiter).toBe(',');
  });

  it('reads a tab-separated file, and a UTF-16 one with its byte order mark', async () => {
    const text = 'Nom\tCognoms\r\nNúria\tSolà\r\n';
    expect((await read(Buffer.from(text, 'utf8'))).rows).toEqual([
      ['Nom', 'Cognoms'],
      ['Núria', 'Solà'],
    ]);
    const utf16 = await read(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expect(utf16.rows[1]).toEqual(['Núria', 'Solà']);
    expect(utf16.format?.encoding).toBe('utf-16le');
  });

  it('detects the encoding and the delimiter from the start of the file', () => {
    expect(detectEncoding(Buffer.from('Telèfon', 'utf8'), true)).toBe('utf-8');
    expect(detectEncoding(Buffer.from('Telèfon', 'latin1'), true)).toBe('windows-1252');
    // A character cut by the end of the sample is no reason to leave UTF-8.
    expect(detectEncoding(Buffer.from('Telè', 'utf8').subarray(0, 4), false)).toBe('utf-8');
    expect(detectDelimiter('"a;b",c,d\r\n1;2;3;4;5')).toBe(',');
    expect(detectDelimiter('a;"b,c";d')).toBe(';');
    expect(detectDelimiter('single')).toBe(',');
  });
});
