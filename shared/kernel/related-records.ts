import * as z from 'zod/mini';
import { idSchema } from './schema.ts';

// The records notes and tasks attach to (Sell's resource_type / resource_id, X6). Whoever can
// see the record can see its notes; its owner is what the visibility policy asks about.

export const RELATED_RECORD_TYPES = ['lead', 'contact', 'deal'] as const;
export type RelatedRecordType = (typeof RELATED_RECORD_TYPES)[number];

export interface RecordRef {
  resource_type: RelatedRecordType;
  resource_id: string;
}

export const relatedRecordTypeSchema = z.enum(RELATED_RECORD_TYPES);
export const recordRefFields = { resource_type: relatedRecordTypeSchema, resource_id: idSchema };

/** One string per record, e.g. "deal#01J...": map keys, index partitions. */
export const recordRefKey = (ref: RecordRef): string => `${ref.resource_type}#${ref.resource_id}`;
