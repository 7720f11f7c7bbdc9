import js from '@eslint/js';
import tseslint from 'typescript-eslint';

import i18next from 'eslint-plugin-i18next';

import { layersPlugin } from './infra/lint/layers.js';

// Layer boundaries (README "Layout") are lint errors, so they cannot erode quietly: see
// infra/lint/layers.js for the rules and the file names a slice may hold.

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      '.tools/',
      'cdk.out/',
      '.crm/',
      'coverage/',
      'bench/results.json',
      'web/dist/',
      'web/node_modules/',
      'web/src/api/schema.gen.ts',
      'test-output/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    plugins: { crm: layersPlugin },
    rules: { 'crm/layers': 'error', 'crm/slice-files': 'error' },
  },
  {
    // Lambda code logs through the Powertools logger (shared/platform/observability.ts): JSON
    // lines with the invocation's keys, at a level set per function.
    files: ['shared/**/*.ts', 'functions/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Every string the web app shows goes through i18next (web/src/i18n/): text in JSX and the
    // attributes a person reads or hears are refused as literals.
    files: ['web/src/**/*.tsx'],
    plugins: { i18next },
    rules: {
      'i18next/no-literal-string': [
        'error',
        {
          mode: 'jsx-only',
          'jsx-attributes': {
            include: ['^(label|title|placeholder|aria-label|description|alt|nothingFoundMessage|error|confirmLabel)$'],
          },
          words: { exclude: ['[0-9!-/:-@[-`{-~\\s—–…·•→↑↓×⠿]+', '[A-Z_-]+'] },
        },
      ],
    },
  },
);
