import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Layer boundaries (ENGINEERING.md "Layout") are lint errors, so they cannot erode quietly.
const noAws = {
  group: ['@aws-sdk/*', '@aws-lambda-powertools/*', '@middy/*', 'aws-cdk-lib', 'aws-cdk-lib/*'],
  message: 'domain and application code stay free of AWS',
};

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'cdk.out/', '.crm/', 'coverage/', 'bench/results.json'] },
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
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noAws,
            {
              group: ['#shared/adapters/*', '#shared/http/*', '#shared/application/*', '#functions/*', '#infra/*'],
              message: 'the domain imports nothing outside itself',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/application/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noAws,
            {
              group: ['#shared/adapters/*', '#shared/http/*', '#functions/*', '#infra/*'],
              message: 'use cases take ports, never adapters',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
