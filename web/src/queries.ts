import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './api/client.ts';

// Reference data most pages share, cached by TanStack Query.

export function useUsers() {
  return useQuery({
    queryKey: ['users'],
    queryFn: async () => unwrap(await api().GET('/users', { params: { query: { limit: 100 } } })),
    staleTime: 60_000,
  });
}

/** A user's name by id, or the id while users load. */
export function useUserName(): (id: string | null | undefined) => string {
  const users = useUsers().data?.items ?? [];
  return (id) => (id ? (users.find((u) => u.id === id)?.name ?? id) : '—');
}

export function useSelf() {
  return useQuery({
    queryKey: ['users', 'self'],
    queryFn: async () => unwrap(await api().GET('/users/self')),
    staleTime: 60_000,
  });
}

export function usePipelines() {
  return useQuery({
    queryKey: ['pipelines'],
    queryFn: async () => unwrap(await api().GET('/pipelines', { params: { query: { limit: 100 } } })),
    staleTime: 60_000,
  });
}

export function useStages(pipelineId: string | undefined) {
  return useQuery({
    queryKey: ['stages', pipelineId],
    enabled: Boolean(pipelineId),
    queryFn: async () => unwrap(await api().GET('/stages', { params: { query: { pipeline_id: pipelineId! } } })),
    staleTime: 60_000,
  });
}

export function useReasons(kind: '/loss_reasons' | '/deal_unqualified_reasons') {
  return useQuery({
    queryKey: ['reasons', kind],
    queryFn: async () => unwrap(await api().GET(kind, { params: { query: { limit: 100 } } })),
    staleTime: 60_000,
  });
}

/** Every pipeline's stages (first page: a few pipelines of a few stages), to name a stage by id. */
export function useAllStages() {
  return useQuery({
    queryKey: ['stages', 'all'],
    queryFn: async () => unwrap(await api().GET('/stages', { params: { query: {} } })),
    staleTime: 60_000,
  });
}

export function useTeams(enabled: boolean) {
  return useQuery({
    queryKey: ['teams'],
    enabled,
    queryFn: async () => unwrap(await api().GET('/teams', { params: { query: { limit: 100 } } })),
    staleTime: 60_000,
  });
}
