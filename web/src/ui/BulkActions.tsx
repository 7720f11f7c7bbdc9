import { useEffect, useState, type ReactNode } from 'react';
import { Alert, Button, Checkbox, Group, List, Modal, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import { useUsers } from '../queries.ts';
import { ProblemAlert } from './ProblemAlert.tsx';

// Bulk select on a list page (Leads, Contacts): a checkbox per row and one for the page, and a
// toolbar that posts one bulk operation by ids, polls it until finished, names the records it
// could not change (with their stable codes), then refreshes the list.

/** The lists a bulk operation can act on (the resource names of POST /bulk_operations). */
export type BulkResource = 'leads' | 'contacts';
type Action = 'reassign' | 'add_tag' | 'remove_tag' | 'delete';

/** Which rows of the shown page are selected; selections of rows no longer shown are dropped. */
export function useBulkSelection(shownIds: readonly string[]) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const shownKey = shownIds.join();
  useEffect(() => {
    setSelected((s) => {
      const kept = [...s].filter((id) => shownIds.includes(id));
      return kept.length === s.size ? s : new Set(kept);
    });
    // shownKey stands for shownIds' contents.
  }, [shownKey]);
  const all = shownIds.length > 0 && shownIds.every((id) => selected.has(id));
  return {
    selected: [...selected],
    clear: () => setSelected(new Set()),
    /** The header cell's checkbox: selects or clears every row of this page. */
    pageBox: (label: string): ReactNode => (
      <Checkbox
        aria-label={label}
        checked={all}
        indeterminate={!all && selected.size > 0}
        disabled={shownIds.length === 0}
        onChange={() => setSelected(all ? new Set() : new Set(shownIds))}
      />
    ),
    /** A row's checkbox, labelled with the record's name. */
    rowBox: (id: string, label: string): ReactNode => (
      <Checkbox
        aria-label={label}
        checked={selected.has(id)}
        onChange={() =>
          setSelected((s) => {
            const next = new Set(s);
            if (!next.delete(id)) next.add(id);
            return next;
          })
        }
      />
    ),
  };
}

/**
 * The toolbar over a list with selected rows: Reassign (a user picker), Add tag, Remove tag, Delete
 * (confirmed: it cannot be undone). `nameOf` names a record in the result; `onFinished` runs once
 * the operation is finished (after the list's queries under `resource` are refreshed).
 */
export function BulkToolbar({
  resource,
  selected,
  nameOf,
  onFinished,
}: {
  resource: BulkResource;
  selected: string[];
  nameOf: (id: string) => string;
  onFinished: () => void;
}) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const users = useUsers().data?.items ?? [];
  const [action, setAction] = useState<Action | null>(null);
  const [owner, setOwner] = useState<string | null>(null);
  const [tag, setTag] = useState('');
  const [operationId, setOperationId] = useState<string | null>(null);
  // Names of the selected records when posted (a deleted one leaves the list).
  const [names, setNames] = useState<Map<string, string>>(new Map());

  const start = useMutation({
    mutationFn: async (a: Action) =>
      unwrap(
        await api().POST('/bulk_operations', {
          body: {
            resource,
            action: a,
            ids: selected,
            ...(a === 'reassign' ? { owner_id: owner ?? '' } : {}),
            ...(a === 'add_tag' || a === 'remove_tag' ? { tag: tag.trim() } : {}),
          },
        }),
      ),
    onSuccess: (operation) => {
      setNames(new Map(selected.map((id) => [id, nameOf(id)])));
      setOperationId(operation.id);
      setAction(null);
    },
  });
  const progress = useQuery({
    queryKey: ['bulk_operations', operationId],
    enabled: operationId !== null,
    queryFn: async () => unwrap(await api().GET('/bulk_operations/{id}', { params: { path: { id: operationId! } } })),
    refetchInterval: (query) => (query.state.data?.operation.status === 'finished' ? false : 500),
  });
  const finished = progress.data?.operation.status === 'finished';
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: [resource] }).then(onFinished);
    // Once per finished operation.
  }, [finished, operationId]);

  const choose = (a: Action) => {
    start.reset();
    setAction(a);
  };
  const ready =
    action === 'reassign' ? owner !== null : action === 'add_tag' || action === 'remove_tag' ? tag.trim() !== '' : true;
  const running = operationId !== null && !finished && !progress.error;
  const op = progress.data?.operation;
  const refused = (progress.data?.results ?? []).filter((r) => r.outcome !== 'ok');

  return (
    <Stack gap="xs">
      {selected.length > 0 ? (
        <Paper withBorder p="xs" role="toolbar" aria-label={t('bulk.toolbar')}>
          <Group gap="xs" align="flex-end">
            <Text size="sm" fw={600}>
              {t('bulk.selected', { count: selected.length })}
            </Text>
            <Button size="xs" variant={action === 'reassign' ? 'filled' : 'light'} onClick={() => choose('reassign')}>
              {t('bulk.reassign')}
            </Button>
            <Button size="xs" variant={action === 'add_tag' ? 'filled' : 'light'} onClick={() => choose('add_tag')}>
              {t('bulk.addTag')}
            </Button>
            <Button size="xs" variant={action === 'remove_tag' ? 'filled' : 'light'} onClick={() => choose('remove_tag')}>
              {t('bulk.removeTag')}
            </Button>
            <Button size="xs" color="red" variant="light" onClick={() => choose('delete')}>
              {t('bulk.delete')}
            </Button>
          </Group>
          {action === 'reassign' || action === 'add_tag' || action === 'remove_tag' ? (
            <Group gap="xs" align="flex-end" mt="xs">
              {action === 'reassign' ? (
                <Select
                  size="xs"
                  label={t('bulk.newOwner')}
                  data={users.map((u) => ({ value: u.id, label: u.name }))}
                  value={owner}
                  onChange={setOwner}
                  searchable
                />
              ) : (
                <TextInput
                  size="xs"
                  label={t('leads.tag')}
                  value={tag}
                  onChange={(e) => setTag(e.currentTarget.value)}
                  maxLength={64}
                />
              )}
              <Button size="xs" disabled={!ready} loading={start.isPending} onClick={() => start.mutate(action)}>
                {t('bulk.apply', { count: selected.length })}
              </Button>
              <Button size="xs" variant="default" onClick={() => setAction(null)}>
                {t('common.cancel')}
              </Button>
            </Group>
          ) : null}
        </Paper>
      ) : null}
      {action !== 'delete' ? <ProblemAlert error={start.error} /> : null}
      <ProblemAlert error={progress.error} />
      {running ? <Text size="sm">{t('bulk.running')}</Text> : null}
      {finished && op ? (
        <Alert color={refused.length ? 'red' : 'blue'} title={t('bulk.finished')} role="status" data-testid="bulk-result">
          <Text size="sm">{t('bulk.done', { count: op.ok })}</Text>
          {refused.length ? (
            <List size="sm" mt="xs">
              {refused.map((r) => (
                <List.Item key={r.id}>
                  <strong>{names.get(r.id) ?? r.id}</strong>: {t(`bulk.outcomes.${r.outcome}`)}
                  {r.code ? <code> ({r.code})</code> : null}
                </List.Item>
              ))}
            </List>
          ) : null}
        </Alert>
      ) : null}
      {action === 'delete' ? (
        <Modal opened onClose={() => setAction(null)} title={t('bulk.deleteTitle', { count: selected.length })}>
          <Stack>
            <Alert color="red" title={t('lead.cannotUndo')}>
              {t('bulk.deleteWarning', { count: selected.length })}
            </Alert>
            <ProblemAlert error={start.error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setAction(null)}>
                {t('common.cancel')}
              </Button>
              <Button color="red" loading={start.isPending} onClick={() => start.mutate('delete')}>
                {t('bulk.deleteForGood', { count: selected.length })}
              </Button>
            </Group>
          </Stack>
        </Modal>
      ) : null}
    </Stack>
  );
}
