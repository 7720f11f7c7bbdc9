import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is static files (S3 + CloudFront in AWS, the local cloud's web gateway on a laptop);
// the API and the sign-in endpoints come from /config.json at run time, so one build serves
// every deployment. `npm run dev -w web` proxies /api and /config.json to a running `npm start`.
const gateway = process.env.CRM_WEB_URL ?? 'http://127.0.0.1:3080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 600 },
  server: { proxy: { '/api': gateway, '/config.json': gateway } },
});
