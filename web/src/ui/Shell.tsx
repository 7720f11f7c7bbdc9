import { ActionIcon, AppShell, Burger, Button, Group, Indicator, Menu, NavLink, Stack, Text, Title } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Link, Outlet, useNavigate, useRouterState } from '@tanstack/react-router';
import { lazy, Suspense, useEffect, useState } from 'react';
import { onSessionChange, session, signOut } from '../auth.ts';
import { useLiveNotifications } from '../notifications/live.ts';
import { useUnreadCount } from '../notifications/queries.ts';
import { useSelf } from '../queries.ts';

const AddForm = lazy(() => import('./AddForm.tsx'));

/** What the universal Add button creates. */
export type AddKind = 'lead' | 'contact' | 'deal' | 'task' | 'note';

const NAV = [
  { to: '/', label: 'Dashboard' },
  { to: '/leads', label: 'Leads' },
  { to: '/contacts', label: 'Contacts' },
  { to: '/deals', label: 'Deals' },
  { to: '/tasks', label: 'Tasks' },
] as const;

/** The signed-in frame: left sidebar, the universal Add menu, the page. */
export function Shell() {
  const [opened, { toggle }] = useDisclosure();
  const [adding, setAdding] = useState<AddKind | null>(null);
  const path = useRouterState({ select: (s) => s.location.pathname });
  const self = useSelf().data;
  const navigate = useNavigate();
  useLiveNotifications();
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
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Menu" />
            <Title order={2} size="h4">
              CRM
            </Title>
          </Group>
          <Group gap="sm">
            <Indicator label={unread > 99 ? '99+' : unread} size={18} disabled={unread === 0} color="red.8" offset={4}>
              <ActionIcon
                component={Link}
                to="/notifications"
                variant="subtle"
                size="lg"
                aria-label={`Notifications, ${unread} unread`}
                data-testid="bell"
                data-unread={unread}
              >
                <BellIcon />
              </ActionIcon>
            </Indicator>
            <Menu position="bottom-end">
              <Menu.Target>
                <Button aria-label="Add">+ Add</Button>
              </Menu.Target>
              <Menu.Dropdown>
                {(['lead', 'contact', 'deal', 'task', 'note'] as const).map((k) => (
                  <Menu.Item key={k} onClick={() => setAdding(k)}>
                    {k[0]!.toUpperCase() + k.slice(1)}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" component="nav" aria-label="Main">
        <Stack gap={2} style={{ flex: 1 }}>
          {NAV.map((n) => (
            <NavLink
              key={n.to}
              component={Link}
              to={n.to}
              label={n.label}
              variant="filled"
              active={n.to === '/' ? path === '/' : path.startsWith(n.to)}
            />
          ))}
        </Stack>
        <Stack gap={4}>
          <Text size="sm">{self ? `${self.name} (${self.role})` : ''}</Text>
          <Button variant="subtle" size="xs" onClick={() => signOut()}>
            Sign out
          </Button>
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
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
