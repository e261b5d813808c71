// The boot module is imported first so the first API calls start before React is evaluated.
import { started } from './boot';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api';
import { App } from './app';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider boot={started}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
