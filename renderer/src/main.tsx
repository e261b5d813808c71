// The app, imported by the boot script once the first screen is painted (see boot-entry.ts).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickTransport } from '../transport';
import { ApiProvider } from './api';
import { App } from './app';
import { boot } from './boot';
import './styles.css';

// The boot script's calls (already answered, usually); without it (a page that loads the app alone) the app starts its own.
const started = window.sophonBoot ?? boot(pickTransport());
// Handed over: the page keeps no global way to its API.
delete window.sophonBoot;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider boot={started}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
