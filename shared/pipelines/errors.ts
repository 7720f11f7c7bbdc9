import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes pipelines, stages, reasons and sources answer with (docs/error-codes.md lists them all).

export const pipelineErrorCodes = /* @__PURE__ */ defineErrorCodes('pipelines', {
  'pipeline.not_found': {
    status: 404,
    title: 'Pipeline not found',
    description: 'No pipeline has this id (a deleted one still reads, with deleted_at, but cannot change).',
  },
  'stage.not_found': {
    status: 404,
    title: 'Stage not found',
    description: 'No stage has this id (a deleted one still reads, with deleted_at, but cannot change).',
  },
  'loss_reason.not_found': { status: 404, title: 'Loss reason not found', description: 'No loss reason has this id.' },
  'deal_unqualified_reason.not_found': {
    status: 404,
    title: 'Deal unqualified reason not found',
    description: 'No deal unqualified reason has this id.',
  },
  'lead_unqualified_reason.not_found': {
    status: 404,
    title: 'Lead unqualified reason not found',
    description: 'No lead unqualified reason has this id.',
  },
  'source.not_found': { status: 404, title: 'Source not found', description: 'No source has this id.' },
  'call_outcome.not_found': { status: 404, title: 'Call outcome not found', description: 'No call outcome has this id.' },
  'pipeline.name_taken': { status: 409, title: 'Pipeline name taken', description: 'Another pipeline has this name.' },
  'pipeline.key_taken': {
    status: 409,
    title: 'Pipeline key taken',
    description: 'Another pipeline, now or before, had this key (the config names its default pipeline by key).',
  },
  'pipeline.has_deals': {
    status: 409,
    title: 'Pipeline has deals',
    description: 'A pipeline is deleted only once it holds no deals; move them to another pipeline or delete them first.',
  },
  'pipeline.last_pipeline': {
    status: 409,
    title: 'Only pipeline',
    description: 'The only pipeline cannot be deleted; create another one first.',
  },
  'pipeline.too_many_stages': {
    status: 422,
    title: 'Too many stages',
    description: 'The pipeline already has the most active stages allowed.',
  },
  'stage.has_deals': {
    status: 409,
    title: 'Stage has deals',
    description: 'A stage with deals is deleted only with move_deals_to=<stage id>, which moves them to another stage.',
  },
  'stage.last_active': {
    status: 409,
    title: 'Last active stage',
    description: "The pipeline's last active stage cannot be deleted; add another active stage first.",
  },
  'stage.closed_not_deletable': {
    status: 409,
    title: 'Closed stage',
    description: 'Every pipeline keeps its won, lost and unqualified stages; rename them instead.',
  },
  'named_list.name_taken': {
    status: 409,
    title: 'Name taken',
    description: 'Another entry of this list (loss reasons, unqualified reasons or sources) has this name.',
  },
  'named_list.name_repeated': {
    status: 409,
    title: 'Name given twice',
    description: 'The request gives the same name twice for one list.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    pipelines: typeof pipelineErrorCodes;
  }
}
