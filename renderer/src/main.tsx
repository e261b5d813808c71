import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickTransport } from '../transport';
import { ApiProvider } from './api';
import { App } from './app';
import './styles.css';

const transport = pickTransport();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider transport={transport}>
      <App />
    </ApiProvider>
  </StrictMode>,
);
