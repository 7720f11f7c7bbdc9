import { useState } from 'react';
import {
  ActionIcon,
  Badge,
  Button,
  Group,
  Modal,
  NumberInput,
  PasswordInput,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import {
  DndContext,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  type Announcements,
  type DragEndEvent,
} from '@dnd-kit/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { dateTime, number } from '../format.ts';
import { usePipelines, useStages, useTeams, useUsers } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import { sellImportActive, SellImportStatusBadge } from '../ui/SellImportStatus.tsx';
import { EditableNames } from '../ui/EditableNames.tsx';

// The admins' settings: pipelines and their stages (add, rename, reorder by drag or by buttons,
// delete moving the deals elsewhere), reasons and sources, users and teams, and starting an
// import from Zendesk Sell. Only existing routes.

type Stage = paths['/stages']['get']['responses'][200]['content']['application/json']['items'][number];
type Role = 'admin' | 'manager' | 'user';
/** Refetches what a change touched. */
interface Refresh {
  (): Promise<void>;
}
const ROLES: readonly Role[] = ['user', 'manager', 'admin'];

/** Pipelines: pick, add, rename, delete; the chosen pipeline's stages below. */
export function Pipelines() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const pipelines = usePipelines().data?.items ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  const pipeline = pipelines.find((p) => p.id === picked) ?? pipelines[0];
  const [rename, setRename] = useState<string | null>(null);
  const [fresh, setFresh] = useState('');
  const done = () => queryClient.invalidateQueries({ queryKey: ['pipelines'] });
  const create = useMutation({
    mutationFn: async () => unwrap(await api().POST('/pipelines', { body: { name: fresh.trim() } })),
    onSuccess: async (made) => {
      setFresh('');
      setPicked(made.id);
      await done();
    },
  });
  const update = useMutation({
    mutationFn: async ({ id, name }: { id: string; name: string }) =>
      unwrap(await api().PATCH('/pipelines/{id}', { params: { path: { id } }, body: { name } })),
    onSuccess: async () => {
      setRename(null);
      await done();
    },
  });
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/pipelines/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      setPicked(null);
      await done();
    },
  });
  return (
    <Stack>
      <Group align="flex-end">
        <Select
          label={t('fields.pipeline')}
          data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
          value={pipeline?.id ?? null}
          onChange={(v) => {
            setPicked(v);
            setRename(null);
          }}
          allowDeselect={false}
          w={240}
        />
        {pipeline ? (
          <>
            <TextInput
              label={t('settings.pipelineName')}
              value={rename ?? pipeline.name}
              onChange={(e) => setRename(e.currentTarget.value)}
            />
            <Button
              variant="light"
              disabled={!rename?.trim() || rename === pipeline.name}
              onClick={() => update.mutate({ id: pipeline.id, name: rename!.trim() })}
            >
              {t('settings.renamePipeline')}
            </Button>
            <Button variant="subtle" color="red" disabled={pipelines.length < 2} onClick={() => remove.mutate(pipeline.id)}>
              {t('settings.deletePipeline')}
            </Button>
          </>
        ) : null}
      </Group>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (fresh.trim()) create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('settings.newPipeline')} value={fresh} onChange={(e) => setFresh(e.currentTarget.value)} />
          <Button type="submit" variant="light" loading={create.isPending}>
            {t('settings.addPipeline')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={create.error ?? update.error ?? remove.error} />
      {pipeline ? <Stages pipelineId={pipeline.id} /> : null}
    </Stack>
  );
}

function Stages({ pipelineId }: { pipelineId: string }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const stages = useStages(pipelineId);
  const [names, setNames] = useState<Record<string, string>>({});
  const [fresh, setFresh] = useState('');
  const [likelihood, setLikelihood] = useState<number>(50);
  const [deleting, setDeleting] = useState<Stage | null>(null);
  const done = async () => {
    await queryClient.invalidateQueries({ queryKey: ['stages'] });
    await queryClient.invalidateQueries({ queryKey: ['deals'] });
  };
  const update = useMutation({
    mutationFn: async ({ id, body }: { id: string; body: { name?: string; position?: number } }) =>
      unwrap(await api().PATCH('/stages/{id}', { params: { path: { id } }, body })),
    onSuccess: done,
  });
  const create = useMutation({
    mutationFn: async () =>
      unwrap(await api().POST('/stages', { body: { pipeline_id: pipelineId, name: fresh.trim(), likelihood } })),
    onSuccess: async () => {
      setFresh('');
      await done();
    },
  });
  const items = [...(stages.data?.items ?? [])].sort((a, b) => a.position - b.position);
  const active = items.filter((s) => s.category === 'active');
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 4 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor),
  );
  const nameOf = (id: string | number | undefined) => items.find((s) => s.id === id)?.name ?? '';
  const announcements: Announcements = {
    onDragStart: ({ active: a }) => t('settings.stageLifted', { name: nameOf(a.id) }),
    onDragOver: ({ active: a, over }) => (over ? t('settings.stageOver', { name: nameOf(a.id), other: nameOf(over.id) }) : ''),
    onDragEnd: ({ active: a, over }) =>
      over
        ? t('settings.stageDropped', { name: nameOf(a.id), other: nameOf(over.id) })
        : t('settings.stageKept', { name: nameOf(a.id) }),
    onDragCancel: ({ active: a }) => t('settings.stageKept', { name: nameOf(a.id) }),
  };
  function onDragEnd(event: DragEndEvent) {
    const moved = active.find((s) => s.id === event.active.id);
    const target = active.find((s) => s.id === event.over?.id);
    if (moved && target && moved.id !== target.id) update.mutate({ id: moved.id, body: { position: target.position } });
  }
  return (
    <Stack>
      <Title order={2} size="h4">
        {t('settings.stages')}
      </Title>
      <Text size="sm" c="dimmed">
        {t('settings.reorderHint')}
      </Text>
      <ProblemAlert error={stages.error ?? update.error ?? create.error} />
      <DndContext
        sensors={sensors}
        onDragEnd={onDragEnd}
        accessibility={{ announcements, screenReaderInstructions: { draggable: t('settings.reorderInstructions') } }}
      >
        <Table aria-label={t('settings.stages')}>
          <Table.Tbody>
            {items.map((s, i) => (
              <StageRow
                key={s.id}
                stage={s}
                name={names[s.id] ?? s.name}
                onName={(name) => setNames({ ...names, [s.id]: name })}
                onRename={() => update.mutate({ id: s.id, body: { name: names[s.id]!.trim() } })}
                renamable={Boolean(names[s.id]?.trim()) && names[s.id] !== s.name}
                up={s.category === 'active' && items[i - 1]?.category === 'active' ? items[i - 1] : undefined}
                down={s.category === 'active' && items[i + 1]?.category === 'active' ? items[i + 1] : undefined}
                onMove={(position) => update.mutate({ id: s.id, body: { position } })}
                onDelete={s.category === 'active' && active.length > 1 ? () => setDeleting(s) : undefined}
              />
            ))}
          </Table.Tbody>
        </Table>
      </DndContext>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (fresh.trim()) create.mutate();
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('settings.newStage')} value={fresh} onChange={(e) => setFresh(e.currentTarget.value)} />
          <NumberInput
            label={t('settings.likelihood')}
            min={0}
            max={100}
            value={likelihood}
            onChange={(v) => setLikelihood(Number(v) || 0)}
            w={120}
          />
          <Button type="submit" variant="light" loading={create.isPending}>
            {t('settings.addStage')}
          </Button>
        </Group>
      </form>
      {deleting ? (
        <DeleteStage
          stage={deleting}
          others={active.filter((s) => s.id !== deleting.id)}
          onClose={() => setDeleting(null)}
          onDone={done}
        />
      ) : null}
    </Stack>
  );
}

function StageRow(props: {
  stage: Stage;
  name: string;
  onName: (name: string) => void;
  onRename: () => void;
  renamable: boolean;
  up: Stage | undefined;
  down: Stage | undefined;
  onMove: (position: number) => void;
  onDelete: (() => void) | undefined;
}) {
  const { t } = useTranslation();
  const { stage } = props;
  const movable = stage.category === 'active';
  const drag = useDraggable({ id: stage.id, disabled: !movable });
  const drop = useDroppable({ id: stage.id, disabled: !movable });
  return (
    <Table.Tr
      ref={(node) => {
        drag.setNodeRef(node);
        drop.setNodeRef(node);
      }}
      data-stage={stage.name}
      bg={drop.isOver && !drag.isDragging ? 'blue.0' : undefined}
      style={{
        transform: drag.transform ? `translate(0px, ${drag.transform.y}px)` : undefined,
        position: drag.isDragging ? 'relative' : undefined,
        zIndex: drag.isDragging ? 10 : undefined,
      }}
    >
      <Table.Td w={40}>
        {movable ? (
          <ActionIcon
            variant="subtle"
            ref={drag.setActivatorNodeRef}
            {...drag.attributes}
            {...drag.listeners}
            aria-label={t('settings.dragStage', { name: stage.name })}
            style={{ cursor: 'grab', touchAction: 'manipulation' }}
          >
            ⠿
          </ActionIcon>
        ) : null}
      </Table.Td>
      <Table.Td w={50}>{number(stage.position)}</Table.Td>
      <Table.Td>
        <TextInput
          aria-label={t('settings.stageName', { name: stage.name })}
          value={props.name}
          onChange={(e) => props.onName(e.currentTarget.value)}
        />
      </Table.Td>
      <Table.Td>
        <Badge variant="light">{t(`settings.categories.${stage.category}`)}</Badge>
      </Table.Td>
      <Table.Td w={320}>
        <Group gap="xs" wrap="nowrap">
          <Button size="xs" variant="light" disabled={!props.renamable} onClick={props.onRename}>
            {t('settings.rename')}
          </Button>
          <ActionIcon
            variant="subtle"
            aria-label={t('settings.moveUp', { name: stage.name })}
            disabled={!props.up}
            onClick={() => props.up && props.onMove(props.up.position)}
          >
            ↑
          </ActionIcon>
          <ActionIcon
            variant="subtle"
            aria-label={t('settings.moveDown', { name: stage.name })}
            disabled={!props.down}
            onClick={() => props.down && props.onMove(props.down.position)}
          >
            ↓
          </ActionIcon>
          {props.onDelete ? (
            <Button size="xs" variant="subtle" color="red" onClick={props.onDelete}>
              {t('settings.delete')}
            </Button>
          ) : null}
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

/** DELETE /stages/{id}?move_deals_to=: the deals in the stage go to the one picked. */
function DeleteStage(props: { stage: Stage; others: Stage[]; onClose: () => void; onDone: Refresh }) {
  const { t } = useTranslation();
  const [target, setTarget] = useState<string | null>(props.others[0]?.id ?? null);
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().DELETE('/stages/{id}', {
          params: { path: { id: props.stage.id }, query: target ? { move_deals_to: target } : {} },
        }),
      ),
    onSuccess: async () => {
      await props.onDone();
      props.onClose();
    },
  });
  return (
    <Modal opened onClose={props.onClose} title={t('settings.deleteStage', { name: props.stage.name })}>
      <Stack>
        <Select
          label={t('settings.moveDealsTo')}
          data={props.others.map((s) => ({ value: s.id, label: s.name }))}
          value={target}
          onChange={setTarget}
          allowDeselect={false}
        />
        <ProblemAlert error={remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            {t('common.cancel')}
          </Button>
          <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
            {t('settings.deleteAndMove')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** The four named lists an admin keeps (reasons and sources). */
const LISTS = ['/loss_reasons', '/deal_unqualified_reasons', '/lead_unqualified_reasons', '/sources'] as const;
type ListPath = (typeof LISTS)[number];

/** Loss and unqualified reasons, and sources: add, rename, delete. */
export function ReasonsAndSources() {
  return (
    <Stack gap="xl">
      {LISTS.map((path) => (
        <NamedList key={path} path={path} />
      ))}
    </Stack>
  );
}

function NamedList({ path }: { path: ListPath }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  // The four lists share one contract (namedListRoutes): typed through the first of them.
  const list = path as '/loss_reasons';
  const one = `${path}/{id}` as '/loss_reasons/{id}';
  const title = t(`settings.lists.${path.slice(1) as 'sources'}`);
  const entries = useQuery({
    queryKey: ['reasons', path],
    queryFn: async () => unwrap(await api().GET(list, { params: { query: { limit: 100 } } })),
  });
  const done = () => queryClient.invalidateQueries({ queryKey: ['reasons', path] });
  const create = useMutation({
    mutationFn: async (name: string) => unwrap(await api().POST(list, { body: { name } })),
    onSuccess: done,
  });
  const update = useMutation({
    mutationFn: async ({ id, name }: { id: string; name: string }) =>
      unwrap(await api().PATCH(one, { params: { path: { id } }, body: { name } })),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE(one, { params: { path: { id } } })),
    onSuccess: done,
  });
  return (
    <EditableNames
      title={title}
      entries={entries.data?.items ?? []}
      error={entries.error ?? create.error ?? update.error ?? remove.error}
      creating={create.isPending}
      rowLabel={(name) => t('settings.entryName', { name })}
      newLabel={t('settings.newEntry', { list: title })}
      addLabel={t('settings.addEntry')}
      rowAttribute="data-entry"
      onCreate={(name) => create.mutateAsync(name)}
      onRename={(id, name) => update.mutate({ id, name })}
      onDelete={(id) => remove.mutate(id)}
    />
  );
}

/** Users (invite, role, team, disable/enable) and teams (add, rename, delete). */
export function UsersAndTeams() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const users = useUsers();
  const teams = useTeams(true);
  const teamItems = teams.data?.items ?? [];
  const [invite, setInvite] = useState({ name: '', email: '', role: 'user' as Role, team_id: null as string | null });
  const doneUsers = () => queryClient.invalidateQueries({ queryKey: ['users'] });
  const doneTeams = () => queryClient.invalidateQueries({ queryKey: ['teams'] });
  const createUser = useMutation({
    mutationFn: async () =>
      unwrap(
        await api().POST('/users', {
          body: { name: invite.name.trim(), email: invite.email.trim(), role: invite.role, team_id: invite.team_id },
        }),
      ),
    onSuccess: async () => {
      setInvite({ name: '', email: '', role: 'user', team_id: null });
      await doneUsers();
    },
  });
  const updateUser = useMutation({
    mutationFn: async ({ id, body }: { id: string; body: { role?: Role; team_id?: string | null } }) =>
      unwrap(await api().PATCH('/users/{id}', { params: { path: { id } }, body })),
    onSuccess: doneUsers,
  });
  const setStatus = useMutation({
    mutationFn: async ({ id, enable }: { id: string; enable: boolean }) =>
      unwrap(
        enable
          ? await api().POST('/users/{id}/enable', { params: { path: { id } } })
          : await api().POST('/users/{id}/disable', { params: { path: { id } } }),
      ),
    onSuccess: doneUsers,
  });
  const createTeam = useMutation({
    mutationFn: async (name: string) => unwrap(await api().POST('/teams', { body: { name } })),
    onSuccess: doneTeams,
  });
  const renameTeam = useMutation({
    mutationFn: async ({ id, name }: { id: string; name: string }) =>
      unwrap(await api().PATCH('/teams/{id}', { params: { path: { id } }, body: { name } })),
    onSuccess: doneTeams,
  });
  const deleteTeam = useMutation({
    mutationFn: async (id: string) => unwrap(await api().DELETE('/teams/{id}', { params: { path: { id } } })),
    onSuccess: doneTeams,
  });
  const teamOptions = teamItems.map((tm) => ({ value: tm.id, label: tm.name }));
  return (
    <Stack gap="xl">
      <Stack gap="xs">
        <Title order={2} size="h4">
          {t('settings.users')}
        </Title>
        <ProblemAlert error={users.error ?? createUser.error ?? updateUser.error ?? setStatus.error} />
        <Table aria-label={t('settings.users')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('fields.name')}</Table.Th>
              <Table.Th>{t('fields.email')}</Table.Th>
              <Table.Th>{t('settings.role')}</Table.Th>
              <Table.Th>{t('settings.team')}</Table.Th>
              <Table.Th>{t('settings.status')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.data?.items.map((u) => (
              <Table.Tr key={u.id} data-user={u.email}>
                <Table.Td>{u.name}</Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>
                  <Select
                    aria-label={t('settings.roleOf', { name: u.name })}
                    data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
                    value={u.role}
                    onChange={(v) => v && v !== u.role && updateUser.mutate({ id: u.id, body: { role: v as Role } })}
                    allowDeselect={false}
                    w={150}
                  />
                </Table.Td>
                <Table.Td>
                  <Select
                    aria-label={t('settings.teamOf', { name: u.name })}
                    data={teamOptions}
                    value={u.team_id}
                    onChange={(v) => v !== u.team_id && updateUser.mutate({ id: u.id, body: { team_id: v } })}
                    clearable
                    w={170}
                  />
                </Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Text size="sm">{u.status === 'active' ? t('settings.active') : t('settings.inactive')}</Text>
                    <Button
                      size="xs"
                      variant="subtle"
                      onClick={() => setStatus.mutate({ id: u.id, enable: u.status !== 'active' })}
                      aria-label={
                        u.status === 'active'
                          ? t('settings.disableUser', { name: u.name })
                          : t('settings.enableUser', { name: u.name })
                      }
                    >
                      {u.status === 'active' ? t('settings.disable') : t('settings.enable')}
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
            createUser.mutate();
          }}
        >
          <Group align="flex-end">
            <TextInput
              label={t('fields.name')}
              required
              value={invite.name}
              onChange={(e) => setInvite({ ...invite, name: e.currentTarget.value })}
            />
            <TextInput
              label={t('fields.email')}
              type="email"
              required
              value={invite.email}
              onChange={(e) => setInvite({ ...invite, email: e.currentTarget.value })}
            />
            <Select
              label={t('settings.role')}
              data={ROLES.map((r) => ({ value: r, label: t(`roles.${r}`) }))}
              value={invite.role}
              onChange={(v) => v && setInvite({ ...invite, role: v as Role })}
              allowDeselect={false}
              w={150}
            />
            <Select
              label={t('settings.team')}
              data={teamOptions}
              value={invite.team_id}
              onChange={(v) => setInvite({ ...invite, team_id: v })}
              clearable
              w={170}
            />
            <Button type="submit" variant="light" loading={createUser.isPending}>
              {t('settings.inviteUser')}
            </Button>
          </Group>
        </form>
      </Stack>
      <EditableNames
        title={t('settings.teams')}
        entries={teamItems}
        error={teams.error ?? createTeam.error ?? renameTeam.error ?? deleteTeam.error}
        creating={createTeam.isPending}
        rowLabel={(name) => t('settings.teamName', { name })}
        newLabel={t('settings.newTeam')}
        addLabel={t('settings.addTeam')}
        rowAttribute="data-team"
        onCreate={(name) => createTeam.mutateAsync(name)}
        onRename={(id, name) => renameTeam.mutate({ id, name })}
        onDelete={(id) => deleteTeam.mutate(id)}
      />
    </Stack>
  );
}

/** Starts an import from Zendesk Sell (POST /sell_imports) with a Sell access token, then opens the job's page. */
export function SellImportStart() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [token, setToken] = useState('');
  const start = useMutation({
    mutationFn: async () => unwrap(await api().POST('/sell_imports', { body: { token: token.trim() } })),
    onSuccess: async (job) => {
      setToken('');
      await navigate({ to: '/sell_imports/$id', params: { id: job.id } });
    },
  });
  return (
    <Stack maw={720}>
      <Title order={2} size="h4">
        {t('sellImport.heading')}
      </Title>
      <Text size="sm">{t('sellImport.explain')}</Text>
      <Text size="sm">{t('sellImport.explainTime')}</Text>
      <Text size="sm">{t('sellImport.explainIds')}</Text>
      <Text size="sm">{t('sellImport.explainToken')}</Text>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          start.mutate();
        }}
      >
        <Group align="flex-end">
          <PasswordInput
            label={t('sellImport.token')}
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
            autoComplete="off"
            required
            w={420}
          />
          <Button type="submit" loading={start.isPending}>
            {t('sellImport.start')}
          </Button>
        </Group>
      </form>
      <ProblemAlert error={start.error} />
      <SellImportList />
    </Stack>
  );
}

/** The newest Sell imports (GET /sell_imports), so a running one is found again; refreshed while one runs. */
function SellImportList() {
  const { t } = useTranslation();
  const imports = useQuery({
    queryKey: ['sell_imports'],
    queryFn: async () => unwrap(await api().GET('/sell_imports')),
    refetchInterval: (query) => (query.state.data?.items.some((j) => sellImportActive(j.status)) ? 5_000 : false),
  });
  if (imports.error) return <ProblemAlert error={imports.error} />;
  const items = imports.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <Table aria-label={t('sellImport.recent')} data-testid="sell-import-list">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('sellImport.started')}</Table.Th>
          <Table.Th>{t('sellImport.status')}</Table.Th>
          <Table.Th>{t('sellImport.pages')}</Table.Th>
          <Table.Th>{t('sellImport.finished')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((j) => (
          <Table.Tr key={j.id}>
            <Table.Td>
              <AnchorLink to="/sell_imports/$id" params={{ id: j.id }}>
                {dateTime(j.created_at)}
              </AnchorLink>
            </Table.Td>
            <Table.Td>
              <SellImportStatusBadge status={j.status} />
            </Table.Td>
            <Table.Td>{number(j.pages)}</Table.Td>
            <Table.Td>{j.finished_at ? dateTime(j.finished_at) : t('sellImport.notYet')}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
