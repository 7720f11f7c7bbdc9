import * as z from 'zod/mini';
import {
  createPipelineInput,
  createStageInput,
  pipelineSchema,
  stageSchema,
  updatePipelineInput,
  updateStageInput,
} from './domain.ts';
import { NAMED_LIST_LABELS, namedEntryInput, namedEntrySchema, type NamedListKind } from './reasons.ts';
import { idSchema } from '#shared/kernel/schema.ts';
import { ADMIN_ONLY, ALL_ROLES, route } from '#shared/platform/http/contract.ts';
import { idParams, pageOf, pageQueryFields } from '#shared/platform/http/schemas.ts';

// Pipelines and stages (F5.1–F5.3), reasons and sources (F4.2): everyone reads, admins write.

const family = 'pipelines';

export const listPipelinesRoute = route({
  id: 'listPipelines',
  method: 'GET',
  path: '/pipelines',
  family,
  summary: 'List pipelines',
  access: ALL_ROLES,
  query: z.strictObject(pageQueryFields),
  response: pageOf(pipelineSchema),
  status: 200,
  tags: ['pipelines'],
});

export const getPipelineRoute = route({
  id: 'getPipeline',
  method: 'GET',
  path: '/pipelines/{id}',
  family,
  summary: 'Read a pipeline',
  access: ALL_ROLES,
  params: idParams,
  response: pipelineSchema,
  status: 200,
  tags: ['pipelines'],
});

export const createPipelineRoute = route({
  id: 'createPipeline',
  method: 'POST',
  path: '/pipelines',
  family,
  summary: 'Create a pipeline',
  access: ADMIN_ONLY,
  body: createPipelineInput,
  response: pipelineSchema,
  status: 201,
  idempotent: true,
  tags: ['pipelines'],
});

export const updatePipelineRoute = route({
  id: 'updatePipeline',
  method: 'PATCH',
  path: '/pipelines/{id}',
  family,
  summary: 'Rename a pipeline',
  access: ADMIN_ONLY,
  params: idParams,
  body: updatePipelineInput,
  response: pipelineSchema,
  status: 200,
  conditional: true,
  tags: ['pipelines'],
});

export const deletePipelineRoute = route({
  id: 'deletePipeline',
  method: 'DELETE',
  path: '/pipelines/{id}',
  family,
  summary: 'Delete a pipeline',
  access: ADMIN_ONLY,
  params: idParams,
  status: 204,
  conditional: true,
  tags: ['pipelines'],
});

export const listStagesRoute = route({
  id: 'listStages',
  method: 'GET',
  path: '/stages',
  family,
  summary: "List stages: one pipeline's, or every pipeline's",
  access: ALL_ROLES,
  query: z.strictObject({
    pipeline_id: z.optional(
      idSchema.check(
        z.describe(
          "The pipeline whose stages to list, in position order, in one page. Without it: every pipeline's stages, by pipeline (as GET /pipelines orders them) then position, the whole stages of at most 10 pipelines per page.",
        ),
      ),
    ),
    cursor: pageQueryFields.cursor,
  }),
  /** With pipeline_id: one page, next_cursor null. Without: pages of whole pipelines (see stagePage). */
  response: pageOf(stageSchema),
  status: 200,
  tags: ['stages'],
});

export const getStageRoute = route({
  id: 'getStage',
  method: 'GET',
  path: '/stages/{id}',
  family,
  summary: 'Read a stage',
  access: ALL_ROLES,
  params: idParams,
  response: stageSchema,
  status: 200,
  tags: ['stages'],
});

export const createStageRoute = route({
  id: 'createStage',
  method: 'POST',
  path: '/stages',
  family,
  summary: 'Add a stage',
  access: ADMIN_ONLY,
  body: createStageInput,
  response: stageSchema,
  status: 201,
  idempotent: true,
  tags: ['stages'],
});

export const updateStageRoute = route({
  id: 'updateStage',
  method: 'PATCH',
  path: '/stages/{id}',
  family,
  summary: 'Change a stage',
  access: ADMIN_ONLY,
  params: idParams,
  body: updateStageInput,
  response: stageSchema,
  status: 200,
  conditional: true,
  tags: ['stages'],
});

export const deleteStageRoute = route({
  id: 'deleteStage',
  method: 'DELETE',
  path: '/stages/{id}',
  family,
  summary: 'Delete a stage',
  access: ADMIN_ONLY,
  params: idParams,
  query: z.strictObject({ move_deals_to: z.optional(idSchema) }),
  status: 204,
  conditional: true,
  tags: ['stages'],
});

/** The five routes of one list of reasons or sources; `name` is its plural in the route ids. */
function namedListRoutes(kind: NamedListKind, path: string, name: string) {
  const label = NAMED_LIST_LABELS[kind];
  const one = name.replace(/s$/, '');
  const tags = [path.slice(1)];
  return {
    kind,
    list: route({
      id: `list${name}`,
      method: 'GET',
      path,
      family,
      summary: `List ${label}s`,
      access: ALL_ROLES,
      query: z.strictObject(pageQueryFields),
      response: pageOf(namedEntrySchema),
      status: 200,
      tags,
    }),
    get: route({
      id: `get${one}`,
      method: 'GET',
      path: `${path}/{id}`,
      family,
      summary: `Read a ${label}`,
      access: ALL_ROLES,
      params: idParams,
      response: namedEntrySchema,
      status: 200,
      tags,
    }),
    create: route({
      id: `create${one}`,
      method: 'POST',
      path,
      family,
      summary: `Add a ${label}`,
      access: ADMIN_ONLY,
      body: namedEntryInput,
      response: namedEntrySchema,
      status: 201,
      idempotent: true,
      tags,
    }),
    update: route({
      id: `update${one}`,
      method: 'PATCH',
      path: `${path}/{id}`,
      family,
      summary: `Rename a ${label}`,
      access: ADMIN_ONLY,
      params: idParams,
      body: namedEntryInput,
      response: namedEntrySchema,
      status: 200,
      conditional: true,
      tags,
    }),
    remove: route({
      id: `delete${one}`,
      method: 'DELETE',
      path: `${path}/{id}`,
      family,
      summary: `Delete a ${label}`,
      access: ADMIN_ONLY,
      params: idParams,
      status: 204,
      conditional: true,
      tags,
    }),
  };
}

export const namedListRouteSets = [
  namedListRoutes('loss_reason', '/loss_reasons', 'LossReasons'),
  namedListRoutes('deal_unqualified_reason', '/deal_unqualified_reasons', 'DealUnqualifiedReasons'),
  namedListRoutes('lead_unqualified_reason', '/lead_unqualified_reasons', 'LeadUnqualifiedReasons'),
  namedListRoutes('source', '/sources', 'Sources'),
  namedListRoutes('call_outcome', '/call_outcomes', 'CallOutcomes'),
] as const;

export const pipelineRoutes = [
  listPipelinesRoute,
  getPipelineRoute,
  createPipelineRoute,
  updatePipelineRoute,
  deletePipelineRoute,
  listStagesRoute,
  getStageRoute,
  createStageRoute,
  updateStageRoute,
  deleteStageRoute,
  ...namedListRouteSets.flatMap((set) => [set.list, set.get, set.create, set.update, set.remove]),
] as const;
