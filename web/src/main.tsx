import '@mantine/core/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { loadConfig } from './config.ts';
import { router } from './router.tsx';
import { ApiError } from './api/client.ts';

const queryClient = new QueryClient({
  defaultOptions: {
    // A refused call (4xx) is an answer, not a blip: no retry.
    queries: { staleTime: 10_000, retry: (count, error) => !(error instanceof ApiError) && count < 2 },
  },
});

await loadConfig();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} context={{ queryClient }} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
