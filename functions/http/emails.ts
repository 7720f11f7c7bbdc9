import { emailAdapters } from '#shared/emails/runtime.ts';
import {
  addSender,
  deleteEmail,
  forwardingAddressOf,
  getEmail,
  listEmails,
  sendEmail,
  setArchived,
} from '#shared/emails/use-cases.ts';
import { httpHandler, implement } from '#shared/app.ts';
import * as routes from '#shared/emails/routes.ts';
import { mailboxAdapters } from '#shared/mailboxes/runtime.ts';
import {
  connectMailbox,
  deleteMailbox,
  finishMailboxOAuth,
  listMailboxes,
  startMailboxOAuth,
} from '#shared/mailboxes/use-cases.ts';
import * as mailboxRoutes from '#shared/mailboxes/routes.ts';

// Users' own e-mail and connected mailboxes: parse (done by the contract), call the use case, reply.

const deps = emailAdapters();
const mailboxes = mailboxAdapters();

export const handler = httpHandler([
  implement(routes.sendEmailRoute, (req) => sendEmail(deps, req.call, req.body)),
  implement(routes.listEmailsRoute, (req) => listEmails(deps, req.call, req.query)),
  implement(routes.getEmailRoute, (req) => getEmail(deps, req.call, req.params.id)),
  implement(routes.archiveEmailRoute, (req) => setArchived(deps, req.call, req.params.id, true, req.ifMatch)),
  implement(routes.unarchiveEmailRoute, (req) => setArchived(deps, req.call, req.params.id, false, req.ifMatch)),
  implement(routes.deleteEmailRoute, async (req) => {
    await deleteEmail(deps, req.call, req.params.id, req.ifMatch);
  }),
  implement(routes.addEmailSenderRoute, (req) => addSender(deps, req.call, req.params.id, req.body)),
  implement(routes.getForwardingAddressRoute, (req) => forwardingAddressOf(deps, req.call)),
  implement(mailboxRoutes.connectMailboxRoute, (req) => connectMailbox(mailboxes, req.call, req.body)),
  implement(mailboxRoutes.listMailboxesRoute, async (req) => ({ items: await listMailboxes(mailboxes, req.call) })),
  implement(mailboxRoutes.deleteMailboxRoute, async (req) => {
    await deleteMailbox(mailboxes, req.call, req.params.id);
  }),
  implement(mailboxRoutes.startMailboxOAuthRoute, (req) => startMailboxOAuth(mailboxes, req.call, req.body)),
  implement(mailboxRoutes.finishMailboxOAuthRoute, (req) => finishMailboxOAuth(mailboxes, req.call, req.body)),
]);
