import type { DealMover } from '#shared/pipelines/ports.ts';
import { dealMover as moverOver } from './use-cases.ts';
import { dealAdapters } from './runtime.ts';

// Stage deletion moves deals through the deals module: each move is a real stage change
// (history, counters, deal.stage_changed), never a raw rewrite of deal items.
export function dealMover(): DealMover {
  return moverOver(dealAdapters());
}
