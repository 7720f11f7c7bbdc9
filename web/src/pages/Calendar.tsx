import { useMemo, useState } from 'react';
import { Badge, Button, Checkbox, Group, List, Modal, MultiSelect, Stack, Text, TextInput, Title } from '@mantine/core';
import FullCalendar from '@fullcalendar/react';
import dayGridPlugin from '@fullcalendar/daygrid';
import timeGridPlugin from '@fullcalendar/timegrid';
import interactionPlugin from '@fullcalendar/interaction';
import caLocale from '@fullcalendar/core/locales/ca';
import type { DateSelectArg, DatesSetArg, EventClickArg, EventInput } from '@fullcalendar/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import type { paths } from '../api/schema.gen.ts';
import { dateTime } from '../format.ts';
import { useSelf, useUserName, useUsers } from '../queries.ts';
import { ProblemAlert } from '../ui/ProblemAlert.tsx';
import './Calendar.css';

// F7: week and month views of the appointments in the caller's scope and their own tasks by due
// date. Dragging over free time opens the appointment form with that slot; clicking an
// appointment shows its attendees and their RSVP. This page is its own chunk (FullCalendar is
// loaded only here). Times are shown in the browser's zone (FullCalendar names no other zone
// without a time zone plugin).

const PLUGINS = [dayGridPlugin, timeGridPlugin, interactionPlugin];
const TOOLBAR = { left: 'prev,next today', center: 'title', right: 'timeGridWeek,dayGridMonth' };
const LOCALES = [caLocale];
// Event colors dark enough for white text (WCAG AA, axe-checked): appointments blue, tasks green,
// overdue tasks red, completed ones gray.
const APPOINTMENT_COLOR = '#1864ab';
const TASK_OPEN = '#1b5e20';
const TASK_OVERDUE = '#a51d1d';
const TASK_DONE = '#495057';

type Appointment = paths['/appointments']['get']['responses'][200]['content']['application/json']['items'][number];

/** A `datetime-local` input's value for a Date, in the browser's zone. */
function localInput(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The calendar: appointments and tasks in the visible range (GET /appointments, GET /tasks). */
export function Calendar() {
  const { t, i18n } = useTranslation();
  const self = useSelf().data;
  const [range, setRange] = useState<{ start: string; end: string } | null>(null);
  const [slot, setSlot] = useState<{ start: Date; end: Date; allDay: boolean } | null>(null);
  const [open, setOpen] = useState<Appointment | null>(null);
  const appointments = useQuery({
    queryKey: ['appointments', range],
    enabled: Boolean(range),
    queryFn: async () =>
      unwrap(
        await api().GET('/appointments', { params: { query: { start_from: range!.start, start_to: range!.end, limit: 100 } } }),
      ),
  });
  const tasks = useQuery({
    queryKey: ['tasks', 'calendar', self?.id, range],
    enabled: Boolean(range && self),
    queryFn: async () =>
      unwrap(
        await api().GET('/tasks', {
          params: { query: { owner_id: self!.id, due_from: range!.start, due_to: range!.end, limit: 100 } },
        }),
      ),
  });
  const events = useMemo<EventInput[]>(
    () => [
      ...(appointments.data?.items ?? []).map((a) => ({
        id: `appointment:${a.id}`,
        title: a.name,
        start: a.all_day ? (a.start_date ?? a.start_at) : a.start_at,
        end: a.all_day && a.end_date ? addDay(a.end_date) : a.end_at,
        allDay: a.all_day,
        extendedProps: { appointment: a },
      })),
      ...(tasks.data?.items ?? [])
        .filter((task) => task.due_date)
        .map((task) => ({
          id: `task:${task.id}`,
          title: t('calendar.taskTitle', { what: task.content }),
          start: task.due_date!,
          allDay: false,
          color: task.completed ? TASK_DONE : task.overdue ? TASK_OVERDUE : TASK_OPEN,
          editable: false,
        })),
    ],
    [appointments.data, tasks.data, t],
  );

  return (
    <Stack>
      <Title order={1} size="h2">
        {t('calendar.heading')}
      </Title>
      <ProblemAlert error={appointments.error ?? tasks.error} />
      <div data-testid="calendar">
        <FullCalendar
          plugins={PLUGINS}
          initialView="timeGridWeek"
          headerToolbar={TOOLBAR}
          locales={LOCALES}
          locale={i18n.language}
          firstDay={1}
          eventColor={APPOINTMENT_COLOR}
          // Text buttons (FullCalendar's icon spans are images without a name: axe refuses them).
          buttonIcons={false}
          // Blocks, not dots, in the month view: white on the event's dark color.
          eventDisplay="block"
          // A month cell is named by its day number's full date, which its events' text does not
          // repeat (axe: label-content-name-mismatch): let the cell be named by its content.
          dayCellDidMount={(arg) => arg.el.removeAttribute('aria-labelledby')}
          nowIndicator
          selectable
          selectMirror
          scrollTime="08:00:00"
          height="auto"
          events={events}
          datesSet={(arg: DatesSetArg) => {
            const next = { start: arg.start.toISOString(), end: arg.end.toISOString() };
            // FullCalendar calls this on every render with new props: same range, same state (no render loop).
            setRange((prev) => (prev && prev.start === next.start && prev.end === next.end ? prev : next));
          }}
          select={(arg: DateSelectArg) => setSlot({ start: arg.start, end: arg.end, allDay: arg.allDay })}
          eventClick={(arg: EventClickArg) => {
            const appointment = arg.event.extendedProps.appointment as Appointment | undefined;
            if (appointment) setOpen(appointment);
          }}
        />
      </div>
      {slot ? <AppointmentForm slot={slot} onClose={() => setSlot(null)} /> : null}
      {open ? <AppointmentDetails appointment={open} onClose={() => setOpen(null)} /> : null}
    </Stack>
  );
}

/** The day after an ISO date (FullCalendar's all-day end is exclusive, the API's end_date inclusive). */
function addDay(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function AppointmentForm({ slot, onClose }: { slot: { start: Date; end: Date; allDay: boolean }; onClose: () => void }) {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const users = useUsers().data?.items ?? [];
  const [name, setName] = useState('');
  const [location, setLocation] = useState('');
  const [start, setStart] = useState(localInput(slot.start));
  const [end, setEnd] = useState(localInput(slot.end));
  const [allDay, setAllDay] = useState(slot.allDay);
  const [attendees, setAttendees] = useState<string[]>([]);
  const create = useMutation({
    mutationFn: async () => {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      const lastDay = new Date(new Date(end).getTime() - 1);
      return unwrap(
        await api().POST('/appointments', {
          body: {
            name,
            ...(location.trim() ? { location: location.trim() } : {}),
            time_zone: zone,
            ...(allDay
              ? { all_day: true, start_date: start.slice(0, 10), end_date: localInput(lastDay).slice(0, 10) }
              : { start_at: new Date(start).toISOString(), end_at: new Date(end).toISOString() }),
            attendees: attendees.map((id) => ({ type: 'user' as const, id })),
          },
        }),
      );
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['appointments'] });
      onClose();
    },
  });
  return (
    <Modal opened onClose={onClose} title={t('calendar.newAppointment')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <TextInput
            label={t('fields.name')}
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-autofocus
          />
          <Checkbox label={t('calendar.allDay')} checked={allDay} onChange={(e) => setAllDay(e.currentTarget.checked)} />
          <TextInput
            label={t('calendar.start')}
            type="datetime-local"
            value={start}
            onChange={(e) => setStart(e.currentTarget.value)}
          />
          <TextInput
            label={t('calendar.end')}
            type="datetime-local"
            value={end}
            onChange={(e) => setEnd(e.currentTarget.value)}
          />
          <TextInput label={t('calendar.location')} value={location} onChange={(e) => setLocation(e.currentTarget.value)} />
          <MultiSelect
            label={t('calendar.attendees')}
            data={users.map((u) => ({ value: u.id, label: u.name }))}
            value={attendees}
            onChange={setAttendees}
            searchable
          />
          <ProblemAlert error={create.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
              {t('common.save')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const RSVP_COLORS = { accepted: 'green', tentative: 'yellow', declined: 'red', needs_action: 'gray' } as const;

function AppointmentDetails({ appointment: a, onClose }: { appointment: Appointment; onClose: () => void }) {
  const { t } = useTranslation();
  const userName = useUserName();
  return (
    <Modal opened onClose={onClose} title={a.name}>
      <Stack gap="xs">
        <Text size="sm">
          {dateTime(a.start_at)} – {dateTime(a.end_at)}
        </Text>
        {a.location ? <Text size="sm">{a.location}</Text> : null}
        <Text size="sm">{t('calendar.organizer', { who: userName(a.owner_id) })}</Text>
        <Title order={3} size="h5">
          {t('calendar.attendees')}
        </Title>
        {a.attendees.length === 0 ? <Text c="dimmed">{t('calendar.noAttendees')}</Text> : null}
        <List listStyleType="none" aria-label={t('calendar.attendees')} spacing={4}>
          {a.attendees.map((p, i) => (
            <List.Item key={(p.id ?? p.email ?? '') + i}>
              <Group gap="xs">
                <Text size="sm">{p.type === 'user' ? userName(p.id) : (p.name ?? p.email ?? p.id ?? '')}</Text>
                <Badge size="sm" variant="light" color={RSVP_COLORS[p.status]}>
                  {t(`calendar.rsvp.${p.status}`)}
                </Badge>
              </Group>
            </List.Item>
          ))}
        </List>
      </Stack>
    </Modal>
  );
}
