import { describe, expect, it } from 'vitest';
import { ValidationError } from '#shared/kernel/errors.ts';
import {
  firstHitPerRecord,
  MAX_SEARCH_TERM_LENGTH,
  MAX_SEARCH_TERMS,
  normalizeSearchText,
  parseSearchQuery,
  searchHitSchema,
  searchTerms,
  type SearchHit,
} from '#shared/search/domain.ts';

// F1.6: what a record is found by, and what a typed search means.

describe('normalizeSearchText', () => {
  it.each([
    ['Zoë Müller', 'zoe muller'],
    ['ZOË MÜLLER', 'zoe muller'],
    ['François Lefèvre', 'francois lefevre'],
    ['Ångström Ærø', 'angstrom aero'],
    ['Łódź', 'lodz'],
    ['Straße', 'strasse'],
    ['Søren Kierkegaard', 'soren kierkegaard'],
    ['Œuvre Þór Đorđe', 'oeuvre thor dorde'],
    ['İstanbul Işık', 'istanbul isik'],
    ['ΟΔΥΣΣΕΥΣ', 'οδυσσευσ'],
    ['Ｆｕｌｌ　Ｗｉｄｔｈ ﬁle', 'full width file'],
  ])('folds case and accents: %s → %s', (input, expected) => {
    expect(normalizeSearchText(input)).toBe(expected);
  });

  it('makes a run of spaces and punctuation one space, and trims', () => {
    expect(normalizeSearchText('  Acme,   Inc. — (EMEA) / 2024!  ')).toBe('acme inc emea 2024');
    expect(normalizeSearchText('Jean-Luc   Picard')).toBe('jean luc picard');
    expect(normalizeSearchText('AT&T')).toBe('at t');
    expect(normalizeSearchText('tab\tand\nnewline')).toBe('tab and newline');
  });

  it("drops apostrophes inside words: O'Brien, O’Brien and OBrien are the same", () => {
    expect(normalizeSearchText("O'Brien")).toBe('obrien');
    expect(normalizeSearchText('O’Brien')).toBe('obrien');
    expect(normalizeSearchText("L'Oréal")).toBe('loreal');
  });

  it('reads e-mail addresses by their words, so a half-typed address still matches', () => {
    expect(normalizeSearchText('Zoe.Muller+crm@Example.COM')).toBe('zoe muller crm example com');
    expect(normalizeSearchText('zoe.mu')).toBe('zoe mu');
  });

  it('keeps letters of other scripts, digits and pictographs (emoji sequences whole), and nothing else', () => {
    expect(normalizeSearchText('東京 Ltd')).toBe('東京 ltd');
    // Cyrillic й loses its breve as ё would its diaeresis: stored and typed text alike.
    expect(normalizeSearchText('Дмитрий Ёлкин')).toBe('дмитрии елкин');
    expect(normalizeSearchText('Deal ² 🚀 #42')).toBe('deal 2 🚀 42');
    expect(normalizeSearchText('🚀 — !')).toBe('🚀');
    expect(normalizeSearchText('🛶')).toBe('🛶');
    // A family emoji is three pictographs joined by U+200D: kept as one word.
    expect(normalizeSearchText('👩\u200d👩\u200d👧 Co')).toBe('👩\u200d👩\u200d👧 co');
    expect(normalizeSearchText('a \u200d b')).toBe('a b');
  });

  it('keeps a text with no letter, digit or pictograph as it was typed, so it can still be found', () => {
    expect(normalizeSearchText('!!!')).toBe('!!!');
    expect(normalizeSearchText('  ++   -- ')).toBe('++ --');
    expect(normalizeSearchText('   ')).toBe('');
  });

  it('reads text typed with combining marks like text typed precomposed', () => {
    expect(normalizeSearchText('Zoe\u0308')).toBe(normalizeSearchText('Zo\u00eb'));
  });
});

describe('searchTerms', () => {
  it('indexes the whole name and the name from each later word', () => {
    expect(searchTerms(['Zoë Anna Müller'])).toEqual(['zoe anna muller', 'anna muller', 'muller']);
  });

  it('indexes each e-mail address whole, after the names and before later words', () => {
    expect(searchTerms(['Zoë Müller'], ['Zoe@Example.com'])).toEqual(['zoe muller', 'zoe example com', 'muller']);
  });

  it('skips empty, null and blank names and addresses, and repeats; punctuation alone is kept as typed', () => {
    expect(searchTerms([null, undefined, '', '  ', 'Acme', 'ACME'], [null, '', 'acme'])).toEqual(['acme']);
    expect(searchTerms(['—', '🛶'])).toEqual(['—', '🛶']);
    expect(searchTerms([])).toEqual([]);
  });

  it(`keeps at most ${MAX_SEARCH_TERMS} terms, and whole names and e-mails before later words`, () => {
    const long = 'One Two Three Four Five Six Seven Eight Nine';
    const terms = searchTerms([long, 'Acme Corp'], ['ceo@acme.com', 'sales@acme.com']);
    expect(terms).toEqual([
      'one two three four five six seven eight nine',
      'acme corp',
      'ceo acme com',
      'sales acme com',
      // Then the second word of each name before the third word of any.
      'two three four five six seven eight nine',
      'corp',
      'three four five six seven eight nine',
      'four five six seven eight nine',
    ]);
    expect(terms).toHaveLength(MAX_SEARCH_TERMS);
  });

  it(`cuts terms to ${MAX_SEARCH_TERM_LENGTH} characters, at a word end without a trailing space, never inside a character`, () => {
    const name = `${'a'.repeat(MAX_SEARCH_TERM_LENGTH - 1)} bcd`;
    const [whole, tail] = searchTerms([name]);
    expect(whole).toBe('a'.repeat(MAX_SEARCH_TERM_LENGTH - 1));
    expect(tail).toBe('bcd');
    const astral = '𠀀'.repeat(MAX_SEARCH_TERM_LENGTH + 5);
    const [cut] = searchTerms([astral]);
    expect(Array.from(cut!)).toHaveLength(MAX_SEARCH_TERM_LENGTH);
    expect(cut).toBe('𠀀'.repeat(MAX_SEARCH_TERM_LENGTH));
  });

  it('lets the later words of a long name be found past the cut', () => {
    const name = `${'Very '.repeat(15)}Findable`;
    const terms = searchTerms([name]);
    expect(terms[0]!.includes('findable')).toBe(false);
    // The whole name and seven tails: the last kept tail still holds "findable".
    expect(terms.at(-1)).toMatch(/findable$/);
  });
});

describe('parseSearchQuery', () => {
  const fields = { q: 'query.q', types: 'query.types' };

  it('normalises the text and asks for every kind by default', () => {
    expect(parseSearchQuery({ q: '  ZOË ' }, fields)).toEqual({ prefix: 'zoe', kinds: ['lead', 'contact', 'deal'] });
  });

  it('reads types in the plural, in any case and order, once each, in a fixed order', () => {
    expect(parseSearchQuery({ q: 'a', types: 'Deals, leads,deals' }, fields).kinds).toEqual(['lead', 'deal']);
  });

  const problems = (input: { q: string; types?: string }) => {
    try {
      parseSearchQuery(input, fields);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return (error as ValidationError).problems;
    }
    throw new Error('accepted');
  };

  it('refuses only a blank text, naming query.q', () => {
    expect(problems({ q: '' })).toEqual([{ field: 'query.q', message: 'must not be blank' }]);
    expect(problems({ q: ' \t ' })[0]!.field).toBe('query.q');
  });

  it('takes any text that is not blank: pictographs, and punctuation alone, as it was saved', () => {
    expect(parseSearchQuery({ q: '🛶' }, fields).prefix).toBe('🛶');
    expect(parseSearchQuery({ q: ' -- ' }, fields).prefix).toBe('--');
  });

  it(`refuses a text over ${MAX_SEARCH_TERM_LENGTH} characters once normalised, and takes one at the limit`, () => {
    expect(problems({ q: 'x'.repeat(MAX_SEARCH_TERM_LENGTH + 1) })[0]!.field).toBe('query.q');
    expect(parseSearchQuery({ q: `  ${'x'.repeat(MAX_SEARCH_TERM_LENGTH)} !!` }, fields).prefix).toHaveLength(
      MAX_SEARCH_TERM_LENGTH,
    );
    // Accents do not count: "é" typed decomposed is two code units, one letter once folded.
    expect(parseSearchQuery({ q: 'e\u0301'.repeat(MAX_SEARCH_TERM_LENGTH) }, fields).prefix).toBe('e'.repeat(60));
  });

  it('refuses an unknown or empty type, naming query.types and the type', () => {
    expect(problems({ q: 'a', types: 'deals,notes' })).toEqual([
      { field: 'query.types', message: expect.stringContaining('"notes"') },
    ]);
    expect(problems({ q: 'a', types: '' })[0]!.field).toBe('query.types');
    expect(problems({ q: 'a', types: 'deals,' })[0]!.field).toBe('query.types');
    expect(problems({ q: 'a', types: 'deal' })[0]!.message).toContain('leads, contacts, deals');
    expect(problems({ q: 'a', types: 'constructor' })[0]!.field).toBe('query.types');
  });

  it('reports both fields at once', () => {
    expect(problems({ q: ' ', types: 'x' }).map((p) => p.field)).toEqual(['query.q', 'query.types']);
  });
});

describe('firstHitPerRecord', () => {
  const hit = (kind: SearchHit['kind'], id: string, name = id): SearchHit => ({ kind, id, name, email: null, owner_id: 'o' });

  it('keeps the first hit of each record, in order, up to the limit', () => {
    const hits = [hit('deal', '1', 'first'), hit('contact', '1'), hit('deal', '1', 'second'), hit('lead', '2'), hit('deal', '3')];
    expect(firstHitPerRecord(hits, 10)).toEqual([
      hit('deal', '1', 'first'),
      hit('contact', '1'),
      hit('lead', '2'),
      hit('deal', '3'),
    ]);
    expect(firstHitPerRecord(hits, 2)).toEqual([hit('deal', '1', 'first'), hit('contact', '1')]);
    expect(firstHitPerRecord(hits, 0)).toEqual([]);
  });

  it('matches the response schema', () => {
    expect(searchHitSchema.safeParse(hit('lead', '1')).success).toBe(true);
    expect(searchHitSchema.safeParse({ ...hit('lead', '1'), kind: 'note' }).success).toBe(false);
  });
});
