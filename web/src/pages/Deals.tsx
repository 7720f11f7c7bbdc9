import { useMemo, useRef, useState } from 'react';
import { AnchorLink } from '../ui/AnchorLink.tsx';
import {
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Menu,
  Modal,
  ScrollArea,
  Select,
  Stack,
  Text,
  Title,
  UnstyledButton,
} from '@mantine/core';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MouseSensor,
  TouchSensor,
  useDraggable,
  useDroppable,
  useSensor,
  useSensors,
  closestCenter,
  rectIntersection,
  type Announcements,
  type CollisionDetection,
  type DragEndEvent,
  type DragStartEvent,
  type KeyboardCoordinateGetter,
  type ScreenReaderInstructions,
} from '@dnd-kit/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { money, moneyList } from '../format.ts';
import { usePipelines, useReasons, useStages } from '../queries.ts';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';

type Deal = paths['/deals']['get']['responses'][200]['content']['application/json']['items'][number];
type Stage = paths['/stages']['get']['responses'][200]['content']['application/json']['items'][number];

/** The stage a card lifted by the keyboard is over: moved by the arrow keys, not by geometry. */
type KeyboardLift = { stageId: string };

/**
 * Arrow keys move a lifted card by whole stages: left/right to the previous/next stage (updating
 * `lift`, which the collision detection reads) and the card drawn over that stage's column; other
 * keys do nothing. The stage is tracked here, not found from the card's rect: with dnd-kit's own
 * collision detection a card moved by arrows still dropped on its first stage (the browser test).
 */
export function columnCoordinates(lift: { current: KeyboardLift | null }, stageIds: () => string[]): KeyboardCoordinateGetter {
  return (event, { context, currentCoordinates }) => {
    const direction = event.code === 'ArrowRight' ? 1 : event.code === 'ArrowLeft' ? -1 : 0;
    if (!direction || !context.collisionRect || !lift.current) return undefined;
    event.preventDefault();
    const ids = stageIds();
    const from = lift.current.stageId;
    const next = ids[ids.indexOf(from) + direction];
    if (next === undefined) return currentCoordinates;
    lift.current = { stageId: next };
    // Moved by the distance between the two columns: the card keeps its place within a column.
    const left = (id: string) => document.querySelector(`[data-stage-id="${CSS.escape(id)}"]`)?.getBoundingClientRect().left;
    const [a, b] = [left(from), left(next)];
    if (a === undefined || b === undefined) return currentCoordinates;
    return { x: currentCoordinates.x + b - a, y: currentCoordinates.y };
  };
}

/** The stage under a dragged card (dnd-kit's default, rect intersection), else the nearest by center. */
const stageUnder: CollisionDetection = (args) => {
  const hits = rectIntersection(args);
  return hits.length > 0 ? hits : closestCenter(args);
};

/** F4: one column per stage of the chosen pipeline; drag a deal to move it (lost and unqualified ask why). */
export function Deals() {
  const { pipeline } = useSearch({ from: '/app/deals' });
  const navigate = useNavigate({ from: '/deals' });
  const { t } = useTranslation();
  const pipelines = usePipelines().data?.items ?? [];
  const pipelineId = pipeline ?? pipelines[0]?.id;
  const stages = useStages(pipelineId).data?.items ?? [];
  const queryClient = useQueryClient();
  const deals = useQuery({
    queryKey: ['deals', 'board', pipelineId],
    enabled: Boolean(pipelineId),
    queryFn: async () => unwrap(await api().GET('/deals', { params: { query: { pipeline_id: pipelineId!, limit: 100 } } })),
  });
  const [asking, setAsking] = useState<{ deal: Deal; stage: Stage } | null>(null);
  // Set while a card is lifted by the keyboard: the stage the arrow keys took it to.
  const lift = useRef<KeyboardLift | null>(null);
  // The card being dragged, drawn above the board (its column would clip it).
  const [dragged, setDragged] = useState<Deal | null>(null);
  const stageIds = useRef<string[]>([]);
  stageIds.current = stages.map((s) => s.id);
  const [coordinates, collisions] = useMemo(() => {
    const collisions: CollisionDetection = (args) => (lift.current ? [{ id: lift.current.stageId }] : stageUnder(args));
    return [columnCoordinates(lift, () => stageIds.current), collisions] as const;
  }, []);
  // A mouse drags after 6 px. A finger drags only after a 250 ms press (moving first scrolls the
  // board or the page: known failure 11). The keyboard lifts a card from its handle (Space), moves it
  // by columns (arrows) and drops it (Space), with every step announced.
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 6 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 250, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: coordinates }),
  );
  const dealName = (id: string | number) => (deals.data?.items ?? []).find((d) => d.id === id)?.name ?? '';
  const stageName = (id: string | number | undefined) => stages.find((s) => s.id === id)?.name ?? '';
  const announcements: Announcements = {
    onDragStart: ({ active }) => t('board.pickedUp', { deal: dealName(active.id) }),
    onDragOver: ({ active, over }) =>
      over
        ? t('board.over', { deal: dealName(active.id), stage: stageName(over.id) })
        : t('board.overNothing', { deal: dealName(active.id) }),
    onDragEnd: ({ active, over }) =>
      over
        ? t('board.dropped', { deal: dealName(active.id), stage: stageName(over.id) })
        : t('board.cancelled', { deal: dealName(active.id) }),
    onDragCancel: ({ active }) => t('board.cancelled', { deal: dealName(active.id) }),
  };
  const instructions: ScreenReaderInstructions = { draggable: t('board.instructions') };

  const move = useMutation({
    mutationFn: async ({ deal, stage, reason }: { deal: Deal; stage: Stage; reason?: string }) =>
      unwrap(
        await api().PATCH('/deals/{id}', {
          params: { path: { id: deal.id } },
          body: {
            stage_id: stage.id,
            ...(stage.category === 'lost' ? { loss_reason_id: reason ?? null } : {}),
            ...(stage.category === 'unqualified' ? { unqualified_reason_id: reason ?? null } : {}),
          },
        }),
      ),
    onSuccess: async () => {
      setAsking(null);
      await queryClient.invalidateQueries({ queryKey: ['deals'] });
      await queryClient.invalidateQueries({ queryKey: ['dashboard'] });
    },
  });

  const byStage = useMemo(() => {
    const map = new Map<string, Deal[]>();
    for (const d of deals.data?.items ?? []) map.set(d.stage_id, [...(map.get(d.stage_id) ?? []), d]);
    return map;
  }, [deals.data]);

  function moveTo(deal: Deal, stage: Stage) {
    if (deal.stage_id === stage.id) return;
    if (stage.category === 'lost' || stage.category === 'unqualified') setAsking({ deal, stage });
    else move.mutate({ deal, stage });
  }

  function onDragStart(event: DragStartEvent) {
    const deal = (deals.data?.items ?? []).find((d) => d.id === event.active.id);
    lift.current = deal && event.activatorEvent instanceof KeyboardEvent ? { stageId: deal.stage_id } : null;
    setDragged(deal ?? null);
  }

  function onDragEnd(event: DragEndEvent) {
    setDragged(null);
    const deal = (deals.data?.items ?? []).find((d) => d.id === event.active.id);
    const stage = stages.find((s) => s.id === event.over?.id);
    if (deal && stage) moveTo(deal, stage);
  }

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('nav.deals')}
        </Title>
        <Select
          aria-label={t('fields.pipeline')}
          data={pipelines.map((p) => ({ value: p.id, label: p.name }))}
          value={pipelineId ?? null}
          onChange={(v) => void navigate({ search: { pipeline: v ?? undefined } })}
          allowDeselect={false}
        />
      </Group>
      <ProblemAlert error={deals.error ?? (asking ? null : move.error)} />
      {deals.isPending ? <Loader aria-label={t('common.loading')} /> : null}
      <DndContext
        sensors={sensors}
        collisionDetection={collisions}
        onDragStart={onDragStart}
        onDragEnd={onDragEnd}
        onDragCancel={() => setDragged(null)}
        accessibility={{ announcements, screenReaderInstructions: instructions }}
      >
        <ScrollArea viewportProps={{ 'data-testid': 'board-scroll' } as React.ComponentProps<'div'>}>
          <Group align="flex-start" wrap="nowrap" gap="sm" pb="md">
            {stages.map((s) => (
              <Column key={s.id} stage={s} stages={stages} deals={byStage.get(s.id) ?? []} onMove={moveTo} />
            ))}
          </Group>
        </ScrollArea>
        <DragOverlay dropAnimation={null}>
          {dragged ? (
            <Card withBorder shadow="md" p="xs" aria-hidden="true" data-testid="drag-overlay" style={{ cursor: 'grabbing' }}>
              <Text size="sm" fw={600} c="blue.8">
                {dragged.name}
              </Text>
              <Text size="xs">{money(dragged.value, dragged.currency)}</Text>
            </Card>
          ) : null}
        </DragOverlay>
      </DndContext>
      {asking ? (
        <ReasonDialog
          stage={asking.stage}
          deal={asking.deal}
          error={move.error}
          pending={move.isPending}
          onCancel={() => {
            move.reset();
            setAsking(null);
          }}
          onConfirm={(reason) => move.mutate({ ...asking, reason })}
        />
      ) : null}
    </Stack>
  );
}

function Column({
  stage,
  stages,
  deals,
  onMove,
}: {
  stage: Stage;
  stages: Stage[];
  deals: Deal[];
  onMove: (deal: Deal, stage: Stage) => void;
}) {
  const { setNodeRef, isOver } = useDroppable({ id: stage.id });
  const { t } = useTranslation();
  const totals = new Map<string, number>();
  for (const d of deals) if (d.value !== null) totals.set(d.currency, (totals.get(d.currency) ?? 0) + Number(d.value));
  return (
    <Card
      ref={setNodeRef}
      withBorder
      // Columns keep a readable width (a long deal name wraps, its buttons stay beside it); more
      // stages than fit scroll sideways, as in Sell, rather than squeezing every column.
      miw={190}
      style={{ flex: '1 0 190px' }}
      bg={isOver ? 'blue.0' : 'gray.0'}
      data-stage={stage.name}
      data-stage-id={stage.id}
      aria-label={t('deals.stage', { name: stage.name })}
      component="section"
    >
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h5">
          {stage.name}
        </Title>
        <Badge variant="light" color={stage.category === 'won' ? 'green' : stage.category === 'lost' ? 'red' : 'blue'}>
          {deals.length}
        </Badge>
      </Group>
      <Text size="xs" c="dimmed" mb="xs">
        {moneyList([...totals].map(([currency, v]) => ({ currency, value: v.toFixed(2) })))}
      </Text>
      <Stack gap="xs" mih={80}>
        {deals.map((d) => (
          <DealCard key={d.id} deal={d} stages={stages} onMove={onMove} />
        ))}
      </Stack>
    </Card>
  );
}

function DealCard({ deal, stages, onMove }: { deal: Deal; stages: Stage[]; onMove: (deal: Deal, stage: Stage) => void }) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, isDragging } = useDraggable({ id: deal.id });
  const { t } = useTranslation();
  // The mouse drags the whole card, a finger after a long press; the keyboard lifts it from its
  // handle (space, arrows, space), so the card itself is no button around the deal's link. The
  // "Move to stage" menu moves it without dragging at all (WCAG 2.5.7).
  // touch-action: manipulation (not none) lets a swipe that starts on a card scroll the board.
  return (
    <Card
      ref={setNodeRef}
      withBorder
      p="xs"
      data-deal={deal.name}
      style={{
        // While dragged it stays in place, dashed (not faded: its text keeps its contrast); the
        // overlay follows the pointer or the arrow keys.
        borderStyle: isDragging ? 'dashed' : undefined,
        borderColor: isDragging ? 'var(--mantine-color-blue-6)' : undefined,
        cursor: 'grab',
        touchAction: 'manipulation',
        WebkitTouchCallout: 'none',
        userSelect: 'none',
      }}
      {...listeners}
    >
      <Group justify="space-between" wrap="nowrap" gap={4}>
        <AnchorLink to="/deals/$id" params={{ id: deal.id }} size="sm" fw={600}>
          {deal.name}
        </AnchorLink>
        <Group gap={2} wrap="nowrap">
          <Menu position="bottom-end">
            <Menu.Target>
              <UnstyledButton aria-label={t('board.moveMenu', { name: deal.name })} fz="sm" px={4}>
                <svg width="14" height="14" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true">
                  <circle cx="5" cy="12" r="2" />
                  <circle cx="12" cy="12" r="2" />
                  <circle cx="19" cy="12" r="2" />
                </svg>
              </UnstyledButton>
            </Menu.Target>
            <Menu.Dropdown>
              <Menu.Label>{t('board.moveMenuLabel')}</Menu.Label>
              {stages
                .filter((s) => s.id !== deal.stage_id)
                .map((s) => (
                  <Menu.Item key={s.id} onClick={() => onMove(deal, s)}>
                    {s.name}
                  </Menu.Item>
                ))}
            </Menu.Dropdown>
          </Menu>
          <UnstyledButton
            ref={setActivatorNodeRef}
            {...attributes}
            aria-label={t('deals.move', { name: deal.name })}
            fz="sm"
            px={4}
          >
            ⠿
          </UnstyledButton>
        </Group>
      </Group>
      <Text size="xs">{money(deal.value, deal.currency)}</Text>
    </Card>
  );
}

function ReasonDialog(props: {
  stage: Stage;
  deal: Deal;
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  onConfirm: (reason: string) => void;
}) {
  const lost = props.stage.category === 'lost';
  const reasons = useReasons(lost ? '/loss_reasons' : '/deal_unqualified_reasons').data?.items ?? [];
  const [reason, setReason] = useState<string | null>(null);
  const { t } = useTranslation();
  return (
    <Modal
      opened
      onClose={props.onCancel}
      title={lost ? t('deals.whyLost', { name: props.deal.name }) : t('deals.whyUnqualified', { name: props.deal.name })}
    >
      <Stack>
        <Select
          label={lost ? t('deals.lossReason') : t('deals.unqualifiedReason')}
          data={reasons.map((r) => ({ value: r.id, label: r.name }))}
          value={reason}
          onChange={setReason}
          required
        />
        <ProblemAlert error={props.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onCancel}>
            {t('common.cancel')}
          </Button>
          <Button disabled={!reason} loading={props.pending} onClick={() => reason && props.onConfirm(reason)}>
            {t('deals.moveTo', { name: props.stage.name })}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
