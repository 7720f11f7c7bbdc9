import { noteAdapters } from '#shared/notes/runtime.ts';
import { createNote, deleteNote, getNote, listNotes, listRecordNotes, updateNote } from '#shared/notes/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/notes/routes.ts';

// Notes: parse (done by the contract), call the use case, reply.

const deps = noteAdapters();

export const handler = httpHandler([
  implement(routes.listNotesRoute, (req) => listNotes(deps, req.call, req.query)),
  implement(routes.getNoteRoute, (req) => getNote(deps, req.call, req.params.id)),
  implement(routes.createNoteRoute, (req) => createNote(deps, req.call, req.body)),
  implement(routes.updateNoteRoute, (req) => updateNote(deps, req.call, req.params.id, req.body, req.ifMatch)),
  implement(routes.deleteNoteRoute, async (req) => {
    await deleteNote(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.listLeadNotesRoute, (req) =>
    listRecordNotes(deps, req.call, { resource_type: 'lead', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listContactNotesRoute, (req) =>
    listRecordNotes(deps, req.call, { resource_type: 'contact', resource_id: req.params.id }, req.query),
  ),
  implement(routes.listDealNotesRoute, (req) =>
    listRecordNotes(deps, req.call, { resource_type: 'deal', resource_id: req.params.id }, req.query),
  ),
]);
