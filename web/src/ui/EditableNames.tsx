import { useState } from 'react';
import { Button, Group, Stack, Table, TextInput, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from './ProblemAlert.tsx';

/** One named entry of an admin-edited list: a reason, a source, a team. */
export interface NamedEntry {
  id: string;
  name: string;
}

/** A save in flight: settles when the API answered. */
type Saving = Promise<unknown>;

/**
 * A list of named entries an admin adds, renames and deletes (Settings: reasons, sources, teams).
 * Each row's name is edited in place and saved by its Rename button; the form below adds one.
 * The callbacks call the API; a rejected promise leaves the typed text (the error is `error`).
 */
export function EditableNames({
  title,
  entries,
  error,
  creating,
  rowLabel,
  newLabel,
  addLabel,
  rowAttribute,
  onCreate,
  onRename,
  onDelete,
}: {
  /** The heading, and the table's accessible name. */
  title: string;
  entries: readonly NamedEntry[];
  /** The first error of the list's query and mutations, shown above the table. */
  error: unknown;
  creating: boolean;
  /** The accessible name of a row's name box, given the entry's current name. */
  rowLabel: (name: string) => string;
  newLabel: string;
  addLabel: string;
  /** The `data-*` attribute naming each row by its entry (tests find rows by it). */
  rowAttribute: `data-${string}`;
  onCreate: (name: string) => Saving;
  onRename: (id: string, name: string) => void;
  onDelete: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [names, setNames] = useState<Record<string, string>>({});
  const [fresh, setFresh] = useState('');
  return (
    <Stack gap="xs">
      <Title order={2} size="h4">
        {title}
      </Title>
      <ProblemAlert error={error} />
      <Table aria-label={title}>
        <Table.Tbody>
          {entries.map((e) => (
            <Table.Tr key={e.id} {...{ [rowAttribute]: e.name }}>
              <Table.Td>
                <TextInput
                  aria-label={rowLabel(e.name)}
                  value={names[e.id] ?? e.name}
                  onChange={(ev) => setNames({ ...names, [e.id]: ev.currentTarget.value })}
                />
              </Table.Td>
              <Table.Td w={220}>
                <Group gap="xs" wrap="nowrap">
                  <Button
                    size="xs"
                    variant="light"
                    disabled={!names[e.id]?.trim() || names[e.id] === e.name}
                    onClick={() => onRename(e.id, names[e.id]!.trim())}
                  >
                    {t('settings.rename')}
                  </Button>
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    aria-label={t('settings.deleteEntry', { name: e.name })}
                    onClick={() => onDelete(e.id)}
                  >
                    {t('settings.delete')}
                  </Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const name = fresh.trim();
          if (name)
            void onCreate(name).then(
              () => setFresh(''),
              () => undefined,
            );
        }}
      >
        <Group align="flex-end">
          <TextInput label={newLabel} value={fresh} onChange={(e) => setFresh(e.currentTarget.value)} />
          <Button type="submit" variant="light" loading={creating}>
            {addLabel}
          </Button>
        </Group>
      </form>
    </Stack>
  );
}
