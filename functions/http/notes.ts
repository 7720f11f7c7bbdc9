import { noteAdapters } from '#shared/adapters/runtime-notes.ts';
import { identityAdapters, runtimeClock, runtimeIds } from '#shared/adapters/runtime.ts';
import { createNote, deleteNote, getNote, listNotes, listRecordNotes, updateNote } from '#shared/application/notes.ts';
import { callContext } from '#shared/application/ports.ts';
import type { AnyRoute } from '#shared/http/contract.ts';
import { httpHandler, implement, type HttpRequest } from '#shared/http/handler.ts';
import * as routes from '#shared/http/routes/notes.ts';

// Notes: parse (done by the contract), call the use case, reply.

const deps = noteAdapters();
const call = (req: HttpRequest<AnyRoute>) => callContext(req.principal, req.correlationId, runtimeClock, runtimeIds);

export const handler = httpHandler(
  [
    implement(routes.listNotesRoute, (req) => listNotes(deps, call(req), req.query)),
    implement(routes.getNoteRoute, (req) => getNote(deps, call(req), req.params.id)),
    implement(routes.createNoteRoute, (req) => createNote(deps, call(req), req.body)),
    implement(routes.updateNoteRoute, (req) => updateNote(deps, call(req), req.params.id, req.body, req.ifMatch)),
    implement(routes.deleteNoteRoute, async (req) => {
      await deleteNote(deps, call(req), req.params.id, req.ifMatch);
    }),
    implement(routes.listLeadNotesRoute, (req) =>
      listRecordNotes(deps, call(req), { resource_type: 'lead', resource_id: req.params.id }, req.query),
    ),
    implement(routes.listContactNotesRoute, (req) =>
      listRecordNotes(deps, call(req), { resource_type: 'contact', resource_id: req.params.id }, req.query),
    ),
    implement(routes.listDealNotesRoute, (req) =>
      listRecordNotes(deps, call(req), { resource_type: 'deal', resource_id: req.params.id }, req.query),
    ),
  ],
  { resolvePrincipal: (claimed) => identityAdapters().principals.resolve(claimed) },
);
