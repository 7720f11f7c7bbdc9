import type { NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import type { AddressFilter } from '#shared/application/contact-ports.ts';
import { addressFilterValue, type Address } from '#shared/domain/contact-details.ts';
import type { CustomFieldFilter } from '#shared/domain/custom-fields.ts';
import type { PageRequest } from './table.ts';

// The FilterExpression of a list (leads, contacts) built one condition at a time: whatever
// no index key serves is filtered on the partitions the list reads, page by page.

/** Address parts as lists filter them (normalised, see addressFilterValue): internal attributes. */
export function addressFilterAttributes(address: Address): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const part of ['city', 'state', 'country', 'postal_code'] as const) {
    const value = addressFilterValue(address[part]);
    if (value !== null) attributes[`_address_${part}`] = value;
  }
  return attributes;
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

  /** A list attribute holding every one of the values (tags). */
  containsAll(attribute: string, values: readonly NativeAttributeValue[] | undefined): this {
    for (const value of values ?? []) this.#conditions.push(`contains(${this.#name(attribute)}, ${this.#value(value)})`);
    return this;
  }

  /** Address parts, on the normalised attributes of addressFilterAttributes. */
  address(filter: AddressFilter | undefined): this {
    for (const [part, value] of Object.entries(filter ?? {})) this.eq(`_address_${part}`, value);
    return this;
  }

  /** Custom field filters, on the record's `custom_fields` map (values by field id). */
  customFields(filters: readonly CustomFieldFilter[] | undefined): this {
    for (const filter of filters ?? []) {
      const path = `${this.#name('custom_fields')}.${this.#name(filter.fieldId)}`;
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
