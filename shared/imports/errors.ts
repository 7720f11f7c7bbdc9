import { defineErrorCodes } from '#shared/kernel/error-codes.ts';

// The codes imports answer with (docs/error-codes.md lists them all).

export const importErrorCodes = /* @__PURE__ */ defineErrorCodes('imports', {
  'import.not_found': {
    status: 404,
    title: 'Import not found',
    description: "No import has this id, or it is not yours (nor a report's, for a manager; admins see all).",
  },
  'import.no_file': {
    status: 409,
    title: 'Import file missing',
    description: 'The CSV file has not been uploaded yet: PUT it to the upload URL that POST /imports answered.',
  },
  'import.automations_admin_only': {
    status: 403,
    title: 'Automated actions on imports are for admins',
    description: 'Only an admin may ask for the automated actions to run on the records an import writes.',
  },
});

declare module '#shared/kernel/error-codes.ts' {
  interface ErrorCatalogues {
    imports: typeof importErrorCodes;
  }
}
