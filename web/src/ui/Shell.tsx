import { ActionIcon, AppShell, Burger, Button, Group, Indicator, Menu, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { lazy, Suspense, useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { onSessionChange, session, signOut } from '../auth.ts';
import { useLiveNotifications } from '../notifications/live.ts';
import { useUnreadCount } from '../notifications/queries.ts';
import { useSelf } from '../queries.ts';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client.ts';
import { formattingKey, setFormatting } from '../format.ts';
import { LanguagePicker } from './LanguagePicker.tsx';

const AddForm = lazy(() => import('./AddForm.tsx'));

/** What the universal Add button creates. */
export type AddKind = (typeof ADD_KINDS)[number];
const ADD_KINDS = ['lead', 'contact', 'deal', 'task', 'appointment', 'note'] as const;

const NAV = [
  { to: '/', label: 'nav.dashboard' },
  { to: '/leads', label: 'nav.leads' },
  { to: '/contacts', label: 'nav.contacts' },
  { to: '/deals', label: 'nav.deals' },
  { to: '/tasks', label: 'nav.tasks' },
  { to: '/calendar', label: 'nav.calendar' },
  { to: '/email', label: 'nav.email' },
  { to: '/settings', label: 'nav.settings' },
] as const;

/** The signed-in frame: left sidebar, the universal Add menu, the page. */
export function Shell() {
  const [opened, { toggle }] = useDisclosure();
  const [adding, setAdding] = useState<AddKind | null>(null);
  const path = useRouterState({ select: (s) => s.location.pathname });
  const self = useSelf().data;
  const navigate = useNavigate();
  useLiveNotifications();
  const { t, i18n } = useTranslation();
  const account = useQuery({
    queryKey: ['account'],
    queryFn: async () => unwrap(await api().GET('/account')),
    staleTime: 300_000,
  }).data;
  // Dates in the user's time zone, amounts without a currency in the account's: set before the pages draw.
  setFormatting({ timeZone: self?.time_zone ?? undefined, ...(account ? { currency: account.currency } : {}) });
  useEffect(() => {
    document.documentElement.lang = i18n.language;
  }, [i18n.language]);
  const unread = useUnreadCount().data ?? 0;
  // A refused token (401) or a failed refresh ends the session: back to sign-in, then here again.
  useEffect(
    () =>
      onSessionChange(() => {
        if (!session()) void navigate({ to: '/signin', search: { next: window.location.pathname + window.location.search } });
      }),
    [navigate],
  );

  return (
    <AppShell navbar={{ width: 220, breakpoint: 'sm', collapsed: { mobile: !opened } }} header={{ height: 56 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Group>
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={t('shell.menu')} />
            <Title order={2} size="h4">
              {t('shell.brand')}
            </Title>
          </Group>
          <Group gap="sm">
            <Indicator label={unread > 99 ? '99+' : unread} size={18} disabled={unread === 0} color="red.8" offset={4}>
              <ActionIcon
                component={Link}
                to="/notifications"
                variant="subtle"
                size="lg"
                aria-label={t('shell.bell', { count: unread })}
                data-testid="bell"
                data-unread={unread}
              >
                <BellIcon />
              </ActionIcon>
            </Indicator>
            <Menu position="bottom-end">
              <Menu.Target>
                <Button aria-label={t('shell.add')}>{t('shell.addButton')}</Button>
              </Menu.Target>
              <Menu.Dropdown>
                {ADD_KINDS.map((k) => (
                  <Menu.Item key={k} onClick={() => setAdding(k)}>
                    {t(`shell.addKinds.${k}`)}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" component="nav" aria-label={t('shell.main')}>
        <Stack gap={2} style={{ flex: 1 }}>
          {NAV.map((n) => (
            <NavLink
              key={n.to}
              component={Link}
              to={n.to}
              label={t(n.label)}
              variant="filled"
              active={n.to === '/' ? path === '/' : path.startsWith(n.to)}
            />
          ))}
        </Stack>
        <Stack gap={4}>
          <Text size="sm">{self ? t('shell.self', { name: self.name, role: t(`roles.${self.role}`) }) : ''}</Text>
          <LanguagePicker />
          <Button variant="subtle" size="xs" onClick={() => signOut(true)}>
            {t('shell.signOut')}
          </Button>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet key={formattingKey()} />
        {adding ? (
          <Suspense fallback={null}>
            <AddForm kind={adding} onClose={() => setAdding(null)} />
          </Suspense>
        ) : null}
      </AppShell.Main>
    </AppShell>
  );
}

function BellIcon() {
  return (
    <svg width="22" height="22" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
      <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
      <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
    </svg>
  );
}
