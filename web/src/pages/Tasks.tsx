import { Badge, Checkbox, Group, Loader, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import { dateTime } from '../format.ts';
import { useSelf } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { useTranslation } from 'react-i18next';

/** F8: my tasks, overdue first (then by due date); tick one to complete it. */
export function Tasks() {
  const { done } = useSearch({ from: '/app/tasks' });
  const navigate = useNavigate({ from: '/tasks' });
  const self = useSelf().data;
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const tasks = useQuery({
    queryKey: ['tasks', self?.id, Boolean(done)],
    enabled: Boolean(self),
    queryFn: async () =>
      unwrap(
        await api().GET('/tasks', { params: { query: { owner_id: self!.id, completed: done ? 'true' : 'false', limit: 100 } } }),
      ),
  });
  const complete = useMutation({
    mutationFn: async ({ id, completed }: { id: string; completed: boolean }) =>
      unwrap(await api().PATCH('/tasks/{id}', { params: { path: { id } }, body: { completed } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });
  const now = Date.now();
  const overdue = (t: { due_date: string | null; completed: boolean }) =>
    !t.completed && t.due_date !== null && Date.parse(t.due_date) < now;
  const items = [...(tasks.data?.items ?? [])].sort(
    (a, b) => Number(overdue(b)) - Number(overdue(a)) || (a.due_date ?? '9999').localeCompare(b.due_date ?? '9999'),
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('tasks.mine')}
        </Title>
        <Switch
          label={t('tasks.showCompleted')}
          checked={Boolean(done)}
          onChange={(e) => void navigate({ search: { done: e.currentTarget.checked || undefined } })}
        />
      </Group>
      <ProblemAlert error={tasks.error ?? complete.error} />
      {tasks.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      {items.length === 0 && tasks.data ? <Text c="dimmed">{t('tasks.none')}</Text> : null}
      <Table aria-label={t('nav.tasks')}>
        <Table.Tbody>
          {items.map((task) => (
            <Table.Tr key={task.id}>
              <Table.Td w={40}>
                <Checkbox
                  aria-label={t('tasks.doneLabel', { what: task.content })}
                  checked={task.completed}
                  onChange={(e) => complete.mutate({ id: task.id, completed: e.currentTarget.checked })}
                />
              </Table.Td>
              <Table.Td>
                <Text size="sm" c={overdue(task) ? 'red.9' : undefined}>
                  {task.content}
                </Text>
              </Table.Td>
              <Table.Td>
                {overdue(task) ? (
                  <Badge color="red" size="sm" mr="xs">
                    {t('tasks.overdue')}
                  </Badge>
                ) : null}
                <Text span size="sm">
                  {dateTime(task.due_date)}
                </Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
