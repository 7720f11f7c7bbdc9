import type { Fixtures, RouteCase } from '#test/helpers/route-case-types.ts';

// Pipelines, stages, reasons and sources: company-wide records ("unowned"), read by every
// role and changed by admins. Destructive calls get fresh targets, made as the admin.

const freshPipeline = async (f: Fixtures) => f.asAdmin<{ id: string }>('POST', '/pipelines', { name: `Pipeline ${f.unique()}` });

/** An active stage in a fresh pipeline, beside its Incoming stage (so it may be deleted). */
const freshStage = async (f: Fixtures) => {
  const pipeline = await freshPipeline(f);
  return f.asAdmin<{ id: string }>('POST', '/stages', { pipeline_id: pipeline.id, name: 'Extra', likelihood: 20 });
};

function namedListCases(path: string, name: string): Record<string, RouteCase> {
  const one = name.replace(/s$/, '');
  const fresh = async (f: Fixtures) => f.asAdmin<{ id: string }>('POST', path, { name: `${one} ${f.unique()}` });
  return {
    [`list${name}`]: { kind: 'unowned', call: async () => ({ path: `${path}?limit=5` }) },
    [`get${one}`]: { kind: 'unowned', call: async (f) => ({ path: `${path}/${(await fresh(f)).id}` }) },
    [`create${one}`]: { kind: 'unowned', call: async (f) => ({ path, body: { name: `New ${f.unique()}` } }) },
    [`update${one}`]: {
      kind: 'unowned',
      call: async (f) => ({ path: `${path}/${(await fresh(f)).id}`, body: { name: `Renamed ${f.unique()}` } }),
    },
    [`delete${one}`]: { kind: 'unowned', call: async (f) => ({ path: `${path}/${(await fresh(f)).id}` }) },
  };
}

export const pipelineCases: Record<string, RouteCase> = {
  listPipelines: { kind: 'unowned', call: async () => ({ path: '/pipelines?limit=5' }) },
  getPipeline: { kind: 'unowned', call: async (f) => ({ path: `/pipelines/${(await freshPipeline(f)).id}` }) },
  createPipeline: { kind: 'unowned', call: async (f) => ({ path: '/pipelines', body: { name: `Pipeline ${f.unique()}` } }) },
  updatePipeline: {
    kind: 'unowned',
    call: async (f) => ({ path: `/pipelines/${(await freshPipeline(f)).id}`, body: { name: `Renamed ${f.unique()}` } }),
  },
  deletePipeline: { kind: 'unowned', call: async (f) => ({ path: `/pipelines/${(await freshPipeline(f)).id}` }) },
  listStages: { kind: 'unowned', call: async (f) => ({ path: `/stages?pipeline_id=${(await freshPipeline(f)).id}` }) },
  getStage: { kind: 'unowned', call: async (f) => ({ path: `/stages/${(await freshStage(f)).id}` }) },
  createStage: {
    kind: 'unowned',
    call: async (f) => ({ path: '/stages', body: { pipeline_id: (await freshPipeline(f)).id, name: 'Demo', likelihood: 40 } }),
  },
  updateStage: {
    kind: 'unowned',
    call: async (f) => ({ path: `/stages/${(await freshStage(f)).id}`, body: { name: 'Renamed', likelihood: 35 } }),
  },
  deleteStage: { kind: 'unowned', call: async (f) => ({ path: `/stages/${(await freshStage(f)).id}` }) },
  ...namedListCases('/loss_reasons', 'LossReasons'),
  ...namedListCases('/deal_unqualified_reasons', 'DealUnqualifiedReasons'),
  ...namedListCases('/lead_unqualified_reasons', 'LeadUnqualifiedReasons'),
  ...namedListCases('/sources', 'Sources'),
  ...namedListCases('/call_outcomes', 'CallOutcomes'),
};
