import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { PageRequest } from './table.ts';
import { tagKey } from '#shared/kernel/tags.ts';

// The FilterExpression of a list (leads, contacts, deals) built one condition at a time: whatever
// no index key serves is filtered on the partitions the list reads, page by page.

/** One entry of a map attribute compared to a value (custom fields, by field id). */
export interface MapEntryFilter {
  fieldId: string;
  /** "contains" when the entry is a list that must hold the value; "eq" otherwise. */
  operator: 'eq' | 'contains';
  value: NativeAttributeValue;
}

/** The internal attribute holding a record's tags as they match (tagKey): lists filter on it. */
const TAG_KEYS = '_tag_keys';

/** The internal attributes a record with tags is stored with, for ListFilter.tagged. */
export function tagFilterAttributes(tags: readonly string[]): { [TAG_KEYS]: string[] } {
  return { [TAG_KEYS]: [...new Set(tags.map(tagKey))] };
}

export class ListFilter {
  readonly #conditions: string[] = [];
  readonly #names: Record<string, string> = {};
  readonly #values: Record<string, NativeAttributeValue> = {};
  #n = 0;

  #name(attribute: string): string {
    const existing = Object.entries(this.#names).find(([, a]) => a === attribute)?.[0];
    if (existing) return existing;
    const placeholder = `#f${Object.keys(this.#names).length}`;
    this.#names[placeholder] = attribute;
    return placeholder;
  }

  #value(value: NativeAttributeValue): string {
    const placeholder = `:f${this.#n++}`;
    this.#values[placeholder] = value;
    return placeholder;
  }

  /** attribute = value, when a value is given. */
  eq(attribute: string, value: NativeAttributeValue | undefined): this {
    if (value !== undefined) this.#conditions.push(`${this.#name(attribute)} = ${this.#value(value)}`);
    return this;
  }

  /** attribute is one of values (an owner in the caller's scope). */
  in(attribute: string, values: readonly NativeAttributeValue[]): this {
    this.#conditions.push(`${this.#name(attribute)} IN (${values.map((v) => this.#value(v)).join(', ')})`);
    return this;
  }

  /** from <= attribute <= to, for each bound given (dates, amounts in minor units). */
  range(attribute: string, from: NativeAttributeValue | undefined, to: NativeAttributeValue | undefined): this {
    if (from !== undefined) this.#conditions.push(`${this.#name(attribute)} >= ${this.#value(from)}`);
    if (to !== undefined) this.#conditions.push(`${this.#name(attribute)} <= ${this.#value(to)}`);
    return this;
  }

  /**
   * Records carrying every one of `tags`, ignoring case: on TAG_KEYS (see tagFilterAttributes);
   * a record written before that attribute existed is matched on `tags` as written.
   */
  tagged(tags: readonly string[] | undefined): this {
    for (const tag of tags ?? []) {
      const keys = this.#name(TAG_KEYS);
      this.#conditions.push(
        `(contains(${keys}, ${this.#value(tagKey(tag))}) OR (attribute_not_exists(${keys}) AND contains(${this.#name('tags')}, ${this.#value(tag)})))`,
      );
    }
    return this;
  }

  /** prefix + key = value for each entry given (address parts on their normalised attributes). */
  eqEach(prefix: string, values: Readonly<Record<string, NativeAttributeValue | undefined>> | undefined): this {
    for (const [key, value] of Object.entries(values ?? {})) this.eq(`${prefix}${key}`, value);
    return this;
  }

  /** Entries of a map attribute (custom field filters on `custom_fields`, values by field id). */
  mapEntries(attribute: string, filters: readonly MapEntryFilter[] | undefined): this {
    for (const filter of filters ?? []) {
      const path = `${this.#name(attribute)}.${this.#name(filter.fieldId)}`;
      const value = this.#value(filter.value);
      this.#conditions.push(filter.operator === 'contains' ? `contains(${path}, ${value})` : `${path} = ${value}`);
    }
    return this;
  }

  /** The filter for Table.page, or undefined when there is nothing to filter. */
  build(): PageRequest['filter'] {
    if (this.#conditions.length === 0) return undefined;
    return { expression: this.#conditions.join(' AND '), names: { ...this.#names }, values: { ...this.#values } };
  }
}
