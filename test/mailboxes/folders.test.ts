import type { ListResponse } from 'imapflow';
import { describe, expect, it } from 'vitest';
import { foldersThisPoll, MAX_FOLDERS_PER_POLL } from '#shared/mailboxes/domain.ts';
import { syncedFolders } from '#shared/mailboxes/imap.ts';

// Which folders a poll reads: all but Trash, Junk, Drafts and duplicating views (SPECIAL-USE,
// RFC 6154, else by name), INBOX and Sent first, at most MAX_FOLDERS_PER_POLL, the rest in turn.

const folder = (path: string, specialUse?: string, flags: string[] = []): ListResponse =>
  ({
    path,
    name: path.split('/').at(-1)!,
    delimiter: '/',
    flags: new Set(flags),
    specialUse,
    parentPath: '',
    parent: [],
    listed: true,
    subscribed: true,
  }) as unknown as ListResponse;

describe('syncedFolders', () => {
  it('skips Trash, Junk, Drafts, \\All and \\Flagged by SPECIAL-USE, and by name without it; finds Sent either way', () => {
    const gmail = syncedFolders([
      folder('INBOX', '\\Inbox'),
      folder('[Gmail]', undefined, ['\\Noselect']),
      folder('[Gmail]/All Mail', '\\All'),
      folder('[Gmail]/Sent Mail', '\\Sent'),
      folder('[Gmail]/Spam', '\\Junk'),
      folder('[Gmail]/Bin', '\\Trash'),
      folder('[Gmail]/Drafts', '\\Drafts'),
      folder('[Gmail]/Starred', '\\Flagged'),
      folder('Clients'),
      folder('Arxiu', '\\Archive'),
    ]);
    expect(gmail).toEqual({ synced: ['INBOX', '[Gmail]/Sent Mail', 'Clients', 'Arxiu'], sent: '[Gmail]/Sent Mail' });
    const plain = syncedFolders([
      folder('INBOX'),
      folder('Sent Items'),
      folder('Deleted Items'),
      folder('Junk E-mail'),
      folder('Drafts'),
      folder('Clients/2027'),
      folder('Gone', undefined, ['\\NonExistent']),
    ]);
    expect(plain).toEqual({ synced: ['INBOX', 'Sent Items', 'Clients/2027'], sent: 'Sent Items' });
  });
});

describe('foldersThisPoll', () => {
  it('reads every folder when they fit, INBOX and Sent first', () => {
    expect(foldersThisPoll(['Zeta', 'Sent', 'INBOX', 'Alfa'], 'Sent', null)).toEqual({
      folders: ['INBOX', 'Sent', 'Alfa', 'Zeta'],
      cursor: null,
      all: true,
    });
  });

  it('past the bound, INBOX and Sent every poll and the others in turn: all of them within a few polls', () => {
    const others = Array.from({ length: 25 }, (_, i) => `F${String(i).padStart(2, '0')}`);
    const synced = ['INBOX', 'Sent', ...others];
    const seen = new Set<string>();
    let cursor: string | null = null;
    for (let poll = 0; poll < 3; poll++) {
      const turn = foldersThisPoll(synced, 'Sent', cursor);
      expect(turn.folders).toHaveLength(MAX_FOLDERS_PER_POLL);
      expect(turn.folders.slice(0, 2)).toEqual(['INBOX', 'Sent']);
      expect(turn.all).toBe(false);
      for (const f of turn.folders) seen.add(f);
      cursor = turn.cursor;
    }
    expect([...seen].sort()).toEqual([...synced].sort());
    // A cursor whose folder is gone resumes at the next name.
    expect(foldersThisPoll(synced, 'Sent', 'F04x').folders[2]).toBe('F05');
    // Past the last name it wraps around.
    expect(foldersThisPoll(synced, 'Sent', 'F24').folders[2]).toBe('F00');
  });
});
